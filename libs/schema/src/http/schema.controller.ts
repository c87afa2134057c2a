import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Authenticated, EDITORS, CurrentUser } from '@sluice/auth';
import { CONNECTOR_ID_PARAM } from '@sluice/connectors';
import type { AuthContext } from '@sluice/auth';
import { ApiDeleteById, ApiErrors, ApiReadById } from '@sluice/core';
import { AnnotationService } from '../annotation.service';
import { SchemaViewService } from '../schema-view.service';
import {
  AnnotationListDto,
  AnnotationListQueryDto,
  AnnotationResponseDto,
  SchemaQueryDto,
  SchemaResponseDto,
  SchemaTablesQueryDto,
  SchemaTablesResponseDto,
  UpsertAnnotationDto,
} from '../dto/schema.dto';

@ApiTags('schema')
@Controller('connectors/:id/schema')
export class SchemaController {
  constructor(
    private readonly views: SchemaViewService,
    private readonly annotations: AnnotationService,
  ) {}

  @Get()
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'schema_get',
    summary: 'Schema of a SQL connector, with annotations merged in',
    description:
      'Tables and views with columns, keys and relationships, from the cache (the database is not queried). ' +
      'The first read, `refresh=true` and every sync introspect; a cache older than SCHEMA_CACHE_TTL_SECONDS ' +
      'is served with `stale: true` while a refresh runs in the background. Large schemas: filter with `q` ' +
      'and `tables`, and page through tables with `limit` and `cursor`.',
  })
  @ApiReadById(SchemaResponseDto, { 400: 'Not a SQL connector, or a bad query' })
  get(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: SchemaQueryDto,
  ): Promise<SchemaResponseDto> {
    return this.views.full(auth, id, query);
  }

  @Get('tables')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'schema_tables',
    summary: 'The light list of tables',
    description: 'Name, kind, column count, description and whether it is trained; same filters and pages.',
  })
  @ApiReadById(SchemaTablesResponseDto, 400)
  tables(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: SchemaTablesQueryDto,
  ): Promise<SchemaTablesResponseDto> {
    return this.views.tables(auth, id, query);
  }

  @Post('annotations')
  @HttpCode(201)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'schema_annotate',
    summary: 'Describe, tag or give context to a table or column',
    description:
      'Creates or replaces the annotation of a table (no `column`) or of one column. The table and column ' +
      'must exist in the schema. Annotations are kept by name across refreshes and flagged `orphaned` when ' +
      'their table or column disappears. The tag `pii` withholds a column from viewers in NL2SQL results. ' +
      'Answers 201 when the annotation is new and 200 when it replaced the one of the same target.',
  })
  @ApiCreatedResponse({ type: AnnotationResponseDto, description: 'A new annotation' })
  @ApiOkResponse({ type: AnnotationResponseDto, description: 'The annotation of the same target, replaced' })
  @ApiErrors(404, { 400: 'Unknown table or column, or an invalid body' })
  async annotate(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Body() dto: UpsertAnnotationDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AnnotationResponseDto> {
    const { annotation, created } = await this.annotations.upsert(auth, id, dto);
    if (!created) res.status(200);
    return annotation;
  }

  @Get('annotations')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'schema_annotations',
    summary: 'Annotations of a connector, orphaned ones included',
    description:
      'Every annotation of the connector, including those whose table or column no longer exists in the introspected schema (orphaned).',
  })
  @ApiReadById(AnnotationListDto)
  list(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: AnnotationListQueryDto,
  ): Promise<AnnotationListDto> {
    return this.annotations.list(auth, id, query);
  }

  @Delete('annotations/:annotationId')
  @HttpCode(204)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam({ name: 'annotationId', example: 'ann_5d8f2k1m4n7b0v3c' })
  @ApiOperation({
    operationId: 'schema_deleteAnnotation',
    summary: 'Delete an annotation',
    description:
      'Deletes one annotation of the connector; the schema answers without its description and context from then on.',
  })
  @ApiDeleteById()
  remove(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Param('annotationId') annotationId: string,
  ): Promise<void> {
    return this.annotations.remove(auth, id, annotationId);
  }
}
