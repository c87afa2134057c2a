import { ApiProperty } from '@nestjs/swagger';

export class DashboardSessionResponseDto {
  @ApiProperty({
    description: 'Where the queue dashboard is; the session cookie is sent there only',
    example: '/admin/queues',
  })
  url: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'When the session cookie expires (DASHBOARD_SESSION_TTL_SECONDS from now)',
  })
  expiresAt: string;
}
