import { ApiPropertyOptional } from '@nestjs/swagger';
import { EXAMPLE_DIALECTS, ExampleDialect } from '@sluice/core/sql/dialects';
import { IsOptionalTagList } from '@sluice/core/validation/tags';
import { IsIn, IsOptional } from 'class-validator';

export class PromoteHistoryDto {
  @ApiPropertyOptional({ description: 'Tags of the new example', example: ['genres'], type: [String], maxItems: 20 })
  @IsOptionalTagList()
  tags?: string[];

  @ApiPropertyOptional({
    enum: EXAMPLE_DIALECTS,
    description: "Only needed when the entry's connector has been deleted; otherwise the connector's dialect is used",
  })
  @IsOptional()
  @IsIn(EXAMPLE_DIALECTS)
  dialect?: ExampleDialect;
}
