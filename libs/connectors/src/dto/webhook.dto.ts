import { ApiProperty } from '@nestjs/swagger';

/** The answer to an accepted push (202). */
export class WebhookReceiptDto {
  @ApiProperty({
    description: 'The webhook connector the records were stored for',
    example: 'con_01J9ZK3M4N5P6Q7R8S9T0V1W2X',
  })
  connectorId: string;

  @ApiProperty({ description: 'Records found in the body (under config.recordsPath when set)', example: 3 })
  received: number;

  @ApiProperty({ description: 'Records stored as new documents', example: 2 })
  created: number;

  @ApiProperty({ description: 'Records whose document changed (same id, other content)', example: 1 })
  updated: number;

  @ApiProperty({ description: 'Records identical to the document already stored', example: 0 })
  unchanged: number;
}
