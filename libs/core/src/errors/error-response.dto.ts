import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The body of every error answer. */
export class ErrorResponseDto {
  @ApiProperty({ description: 'HTTP status code', example: 404 })
  statusCode: number;

  @ApiProperty({ description: 'What went wrong, for people', example: 'Connector not found' })
  error: string;

  @ApiProperty({ description: 'Stable machine-readable code', example: 'CONNECTOR_NOT_FOUND' })
  code: string;

  @ApiPropertyOptional({
    description:
      'Field problems for 400 answers, one entry per field (`field`, `messages`); other codes put what ' +
      'they add here, such as the attempts and history entry of a failed question',
    example: [{ field: 'email', messages: ['email must be an email'] }],
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: true,
      properties: {
        field: { type: 'string', description: 'The field, as a dotted path', example: 'config.ssl.mode' },
        messages: { type: 'array', items: { type: 'string' }, example: ['mode must be one of disable, require'] },
      },
    },
  })
  details?: unknown[];

  @ApiProperty({
    description: 'Id of this request, also in the X-Request-Id header and the logs',
    example: 'req_9x2kq1c8v0a7',
  })
  requestId: string;
}
