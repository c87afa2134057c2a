import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from '@sluice/core';
import { ROLES, Role } from '../role';

export const ROLES_KEY = 'sluice:roles';

/**
 * The access rule of a route and its Swagger security in one place. Without `roles`, any
 * signed-in role may call it.
 */
export const Authenticated = (options: { roles?: Role[] } = {}): MethodDecorator & ClassDecorator => {
  const roles = options.roles ?? [...ROLES];
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    // The roles in the document too, so clients and the authorization tests read one truth.
    ApiExtension('x-sluice-roles', roles),
    ApiBearerAuth('bearer'),
    ApiSecurity('apiKey'),
    ApiErrors({
      401: 'No valid token or API key',
      403: `Needs one of the roles: ${roles.join(', ')} (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)`,
    }),
  );
};

/** The rule of routes that create, change, delete, sync or stop: editors and admins. */
export const EDITORS: { roles: Role[] } = { roles: ['admin', 'editor'] };
