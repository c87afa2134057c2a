import { ApiPropertyOptional } from '@nestjs/swagger';
import '@sluice/connectors/plugins/built-in-dialects';
import { dialectNames, type SqlDialect } from '@sluice/core/sql/dialect-registry';
import { IsSqlDialect } from '@sluice/core/validation/sql-dialect';
import { IsOptionalTagList } from '@sluice/core/validation/tags';
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
