import { ApiProperty } from '@nestjs/swagger';

export class ServiceInfoDto {
  @ApiProperty({ example: 'sluice' })
  name: string;

  @ApiProperty({ example: '0.1.0' })
  version: string;

  @ApiProperty({ description: 'Swagger UI', example: '/docs' })
  docs: string;

  @ApiProperty({ description: 'OpenAPI document', example: '/openapi.json' })
  openapi: string;

  @ApiProperty({ description: 'Base path of the API', example: '/api/v1' })
  api: string;
}
