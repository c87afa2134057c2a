import { Controller, Get } from '@nestjs/common';
import { ApiExtension, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../http/public.decorator';
import { ApiErrors } from '../openapi/api-responses.decorator';
import { NotRateLimited } from '../throttling/not-rate-limited.decorator';
import { WITHOUT_DATABASE_EXTENSION } from '../openapi/complete-document';
import { DependencyStatusDto, LivenessResponseDto, ReadinessResponseDto } from './health-response.dto';
import { HealthService } from './health.service';

@ApiTags('service')
@ApiExtraModels(DependencyStatusDto)
// Probes must answer even when Redis, which holds the rate limits, is down.
@NotRateLimited()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @Public()
  @ApiExtension(WITHOUT_DATABASE_EXTENSION, true)
  @ApiOperation({
    operationId: 'health_live',
    summary: 'Liveness: the process answers',
    description:
      'Answers 200 while the process runs, without touching the database or Redis: for liveness probes. Open to anyone, never rate-limited.',
  })
  @ApiOkResponse({ type: LivenessResponseDto })
  live(): LivenessResponseDto {
    return this.health.live();
  }

  @Get('ready')
  @Public()
  @ApiOperation({
    operationId: 'health_ready',
    summary: 'Readiness: the database and Redis answer',
    description: 'Answers 503 with `details` naming each dependency that is down.',
  })
  @ApiOkResponse({ type: ReadinessResponseDto })
  @ApiErrors({ 503: 'A dependency is down' })
  ready(): Promise<ReadinessResponseDto> {
    return this.health.ready();
  }
}
