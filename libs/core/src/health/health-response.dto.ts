import { ApiProperty, getSchemaPath } from '@nestjs/swagger';

export class DependencyStatusDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status: 'up' | 'down';

  @ApiProperty({ required: false, description: 'Why it is down', example: 'connect ECONNREFUSED' })
  message?: string;
}

export class ReadinessResponseDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status: 'ok';

  @ApiProperty({
    description: 'Each dependency and its state',
    example: { database: { status: 'up' }, redis: { status: 'up' } },
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(DependencyStatusDto) },
  })
  dependencies: Record<string, DependencyStatusDto>;
}

export class LivenessResponseDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status: 'ok';

  @ApiProperty({ description: 'Seconds since the process started', example: 42 })
  uptimeSeconds: number;
}
