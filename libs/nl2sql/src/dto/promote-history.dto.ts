import { ApiPropertyOptional } from '@nestjs/swagger';
// The built-in dialects are registered when the connectors lib loads (enums below read them).
import '@sluice/connectors';
import { dialectNames, type SqlDialect, IsSqlDialect, IsOptionalTagList } from '@sluice/core';
import { IsOptional } from 'class-validator';

export class PromoteHistoryDto {
  @ApiPropertyOptional({ description: 'Tags of the new example', example: ['genres'], type: [String], maxItems: 20 })
  @IsOptionalTagList()
  tags?: string[];

  @ApiPropertyOptional({
    enum: dialectNames(),
    description: "Only needed when the entry's connector has been deleted; otherwise the connector's dialect is used",
  })
  @IsOptional()
  @IsSqlDialect()
  dialect?: SqlDialect;
}
