import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { SCRAPE_TOKEN_KEY } from '../access/access-keys';
import { ApiErrors } from '../openapi/api-responses.decorator';

/**
 * Opens a route to a scraper holding METRICS_TOKEN (sent as a bearer token) and to admins; the
 * global guard applies it. Without METRICS_TOKEN only admins get in.
 */
export const ScrapeTokenOrAdmin = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(SCRAPE_TOKEN_KEY, true),
    // Of the roles, admins only (the scrape token is not a role).
    ApiExtension('x-sluice-roles', ['admin']),
    ApiBearerAuth('bearer'),
    ApiSecurity('apiKey'),
    ApiErrors({ 401: 'Neither the scrape token nor a valid token', 403: 'A token of a role other than admin' }),
  );
