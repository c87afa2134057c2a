import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Paginated, PageQueryDto, dialectNames, type SqlDialect, IsSqlDialect, IsOptionalTagList } from '@sluice/core';
// The built-in dialects are registered when the connectors lib loads (enums below read them).
import '@sluice/connectors';
import { IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';

const SQL_EXAMPLE =
  'SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10';

export class CreateExampleDto {
  @ApiProperty({ description: 'The question in plain language', example: 'Which artists have the most albums?' })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  question: string;

  @ApiProperty({
    description: 'Exactly one statement that answers the question, in `dialect`',
    example: SQL_EXAMPLE,
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  sql: string;

  @ApiPropertyOptional({
    enum: dialectNames(),
    description:
      "Dialect the SQL is written in. With `connectorId` it defaults to the connector's dialect and, when sent, must equal it; without `connectorId` it is required.",
    example: 'postgresql',
  })
  @IsOptional()
  @IsSqlDialect()
  dialect?: SqlDialect;

  @ApiPropertyOptional({
    description: 'Lower-cased and de-duplicated on save; filter the list by one with `?tag=`',
    example: ['artists', 'ranking'],
    maxItems: 20,
    type: [String],
  })
  @IsOptionalTagList()
  tags?: string[];

  @ApiPropertyOptional({
    description:
      'SQL connector of this tenant the example is about; its tables and columns are checked (unknown ones come back as `warnings`). Without it the example serves every connector of its dialect.',
    example: 'conn_4k2x9q0m1v7b3n8c',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  connectorId?: string;
}

export class UpdateExampleDto {
  @ApiPropertyOptional({ example: 'Which artists have released the most albums?' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  question?: string;

  @ApiPropertyOptional({ description: 'Parsed again in the resulting dialect', example: SQL_EXAMPLE })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  sql?: string;

  @ApiPropertyOptional({
    enum: dialectNames(),
    description: "Must equal the connector's dialect when the example has one",
    example: 'postgresql',
  })
  @IsOptional()
  @IsSqlDialect()
  dialect?: SqlDialect;

  @ApiPropertyOptional({ description: 'Replaces the tags', example: ['artists'], type: [String], maxItems: 20 })
  @IsOptionalTagList()
  tags?: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      "Another connector of this tenant, or null to detach the example from its connector (it keeps its dialect). A new connector without `dialect` sets the connector's dialect.",
    example: 'conn_4k2x9q0m1v7b3n8c',
  })
  @ValidateIf((_o, value) => value !== undefined && value !== null)
  @IsString()
  @MaxLength(40)
  connectorId?: string | null;
}

export class ListExamplesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only examples of this connector', example: 'conn_4k2x9q0m1v7b3n8c' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  connectorId?: string;

  @ApiPropertyOptional({ description: 'Only examples carrying this tag (case-insensitive)', example: 'artists' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  tag?: string;

  @ApiPropertyOptional({ description: 'Matches question or SQL, case-insensitive', example: 'album' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class ExampleResponseDto {
  @ApiProperty({ example: 'ex_7m3n4b5q2v9c1x8z' }) id: string;
  @ApiProperty({ example: 'Which artists have the most albums?' }) question: string;
  @ApiProperty({ example: SQL_EXAMPLE }) sql: string;
  @ApiProperty({ enum: dialectNames(), example: 'postgresql' }) dialect: SqlDialect;
  @ApiProperty({ type: [String], example: ['artists', 'ranking'] }) tags: string[];
  @ApiProperty({ type: String, nullable: true, example: 'conn_4k2x9q0m1v7b3n8c' }) connectorId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'User who created it', example: 'usr_4k2x9q0m1v7b3n8c' })
  createdBy: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

/** The answer to a create or an update: the example, and what its SQL names that the schema lacks. */
export class ExampleWriteResponseDto extends ExampleResponseDto {
  @ApiProperty({
    type: [String],
    description:
      "Tables or columns the SQL names that the connector's schema does not have (saved anyway), or why the check could not run. Empty without a connector.",
    example: ['Unknown table "songs"'],
  })
  warnings: string[];
}

export class ExamplePageDto extends Paginated(ExampleResponseDto) {}
