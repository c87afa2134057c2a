import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, EDITORS, CurrentUser } from '@sluice/auth';
import type { AuthContext } from '@sluice/auth';
import { ApiCreate, ApiDeleteById, ApiPage, ApiReadById, ApiUpdateById } from '@sluice/core';
import { ExampleService } from '../example.service';
import {
  CreateExampleDto,
  ExamplePageDto,
  ExampleResponseDto,
  ExampleWriteResponseDto,
  ListExamplesQueryDto,
  UpdateExampleDto,
} from '../dto/example.dto';

const EXAMPLE_ID = { name: 'id', description: 'Example id', example: 'ex_7m3n4b5q2v9c1x8z' };
const SQL_RULES =
  'The SQL must be exactly one statement that parses in the dialect (400 `SQL_PARSE_ERROR` with line and column, ' +
  '400 `SQL_MULTIPLE_STATEMENTS`). With `connectorId`, the connector must be a SQL connector of this tenant (404 ' +
  "otherwise) whose dialect `dialect` equals (400 `DIALECT_MISMATCH`; left out, it is the connector's); tables and " +
  "columns the connector's schema lacks are saved anyway and listed in `warnings`.";

@ApiTags('examples')
@Controller('examples')
export class ExampleController {
  constructor(private readonly examples: ExampleService) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'examples_list',
    summary: 'Few-shot examples of the tenant',
    description: 'Newest first. Filters: connectorId, tag, q (question or SQL, case-insensitive).',
  })
  @ApiPage(ExamplePageDto, { 400: 'Invalid filter, limit or cursor' })
  list(@CurrentUser() auth: AuthContext, @Query() query: ListExamplesQueryDto): Promise<ExamplePageDto> {
    return this.examples.list(auth, query);
  }

  @Post()
  @Authenticated(EDITORS)
  @ApiOperation({ operationId: 'examples_create', summary: 'Add an example (question → SQL)', description: SQL_RULES })
  @ApiCreate(ExampleWriteResponseDto, {
    400: 'Invalid field, SQL that does not parse, several statements, dialect mismatch',
    404: 'Connector not found',
  })
  create(@CurrentUser() auth: AuthContext, @Body() dto: CreateExampleDto): Promise<ExampleWriteResponseDto> {
    return this.examples.create(auth, dto);
  }

  @Get(':id')
  @Authenticated()
  @ApiParam(EXAMPLE_ID)
  @ApiOperation({
    operationId: 'examples_get',
    summary: 'Get an example',
    description: 'An example question with its SQL, dialect, tags and connector.',
  })
  @ApiReadById(ExampleResponseDto)
  get(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ExampleResponseDto> {
    return this.examples.get(auth, id);
  }

  @Put(':id')
  @Authenticated(EDITORS)
  @ApiParam(EXAMPLE_ID)
  @ApiOperation({
    operationId: 'examples_update',
    summary: 'Change an example',
    description: `Changes the fields sent; the SQL is checked again. ${SQL_RULES}`,
  })
  @ApiUpdateById(ExampleWriteResponseDto, {
    400: 'Invalid field, SQL that does not parse, several statements, dialect mismatch',
    404: 'Example or connector not found',
  })
  update(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Body() dto: UpdateExampleDto,
  ): Promise<ExampleWriteResponseDto> {
    return this.examples.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated(EDITORS)
  @ApiParam(EXAMPLE_ID)
  @ApiOperation({
    operationId: 'examples_delete',
    summary: 'Delete an example',
    description: 'Deletes an example; NL2SQL no longer retrieves it as a few-shot example.',
  })
  @ApiDeleteById()
  remove(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<void> {
    return this.examples.remove(auth, id);
  }
}
