import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiExtension, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EnvDto } from '../config/env.dto';
import { NotFoundError } from '../errors/domain-error';
import { Public } from '../http/public.decorator';
import { ScrapeTokenOrAdmin } from '../http/scrape-token.decorator';
import { NotRateLimited } from '../throttling/not-rate-limited.decorator';
import { WITHOUT_DATABASE_EXTENSION } from '../openapi/complete-document';
import { MetricsService } from '../metrics/metrics.service';
import { packageInfo } from './package-info';
import { ServiceInfoDto } from './service-info.dto';

export const API_PREFIX = 'api/v1';

@ApiTags('service')
@Controller()
export class ServiceController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly env: EnvDto,
  ) {}

  @Get()
  @Public()
  @ApiExtension(WITHOUT_DATABASE_EXTENSION, true)
  @ApiOperation({
    operationId: 'service_info',
    summary: 'Name, version and where the docs are',
    description:
      "The service's name and version, and the paths of the API, its documentation and this document. Open to anyone.",
  })
  @ApiOkResponse({ type: ServiceInfoDto })
  info(): ServiceInfoDto {
    const { name, version } = packageInfo();
    return { name, version, docs: '/docs', openapi: '/openapi.json', api: `/${API_PREFIX}` };
  }

  @Get('metrics')
  @ScrapeTokenOrAdmin()
  @NotRateLimited()
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({
    operationId: 'service_metrics',
    summary: 'Prometheus metrics',
    description:
      'For a scraper sending METRICS_TOKEN as its bearer token (Prometheus: `authorization.credentials`), ' +
      'or for an admin (access token or admin API key). Without METRICS_TOKEN set, admins only.',
  })
  // The text content type is set on the 200 alone, so the error answers stay JSON in the document.
  @ApiOkResponse({ description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } })
  async prometheus(): Promise<string> {
    if (!this.env.METRICS_ENABLED) throw new NotFoundError('NOT_FOUND', 'Metrics are disabled (METRICS_ENABLED=false)');
    return this.metrics.text();
  }

  @Get('favicon.ico')
  @Public()
  @ApiExcludeEndpoint()
  favicon(): void {
    throw new NotFoundError('NOT_FOUND', 'No favicon');
  }
}
