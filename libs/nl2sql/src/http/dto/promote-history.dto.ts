import { ApiPropertyOptional } from '@nestjs/swagger';
import { EXAMPLE_DIALECTS, ExampleDialect } from '@sluice/core/sql/dialects';
import { TAG_MESSAGE, TAG_PATTERN } from '@sluice/core/validation/tags';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class PromoteHistoryDto {
  @ApiPropertyOptional({ description: 'Tags of the new example', example: ['genres'], type: [String], maxItems: 20 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  @Matches(TAG_PATTERN, { each: true, message: TAG_MESSAGE })
  tags?: string[];

  @ApiPropertyOptional({
    enum: EXAMPLE_DIALECTS,
    description: "Only needed when the entry's connector has been deleted; otherwise the connector's dialect is used",
  })
  @IsOptional()
  @IsIn(EXAMPLE_DIALECTS)
  dialect?: ExampleDialect;
}
