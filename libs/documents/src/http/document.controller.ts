import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, EDITORS, CurrentUser } from '@sluice/auth';
import { CONNECTOR_ID_PARAM, ContentQueryDto, ContentResponseDto } from '@sluice/connectors';
import type { AuthContext } from '@sluice/auth';
import { ApiCreate, ApiDeleteById, ApiErrors, ApiPage, ApiReadById, ApiUpdateById, jsonResponse } from '@sluice/core';
import type { Response } from 'express';
import { DocumentService } from '../document.service';
import { CreateDocumentDto, UpdateDocumentDto } from '../dto/document.dto';
import { DocumentPageDto, DocumentResponseDto, ListDocumentsQueryDto } from '../dto/sync.dto';

const DOCUMENT_ID = { name: 'docId', description: 'Document id', example: 'doc_2v9c1x8z7m3n4b5q' };

@ApiTags('documents')
@Controller('connectors/:id/documents')
export class DocumentController {
  constructor(private readonly documents: DocumentService) {}

  @Get()
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'documents_list',
    summary: 'Documents of a connector',
    description: 'Filters: status, q (name or path).',
  })
  @ApiPage(DocumentPageDto, 404)
  list(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: ListDocumentsQueryDto,
  ): Promise<DocumentPageDto> {
    return this.documents.list(auth, id, query);
  }

  @Post()
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'documents_create',
    summary: 'Add a document by hand',
    description: 'Kind `record`; a sync never marks it deleted.',
  })
  @ApiCreate(DocumentResponseDto, 404, { 409: 'externalId already used in this connector' })
  create(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Body() dto: CreateDocumentDto,
  ): Promise<DocumentResponseDto> {
    return this.documents.create(auth, id, dto);
  }

  @Get(':docId')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam(DOCUMENT_ID)
  @ApiOperation({
    operationId: 'documents_get',
    summary: 'Get a document',
    description:
      'A document of the connector: name, path, kind, status, checksum, metadata and when it was synced. Its text is at GET .../content.',
  })
  @ApiReadById(DocumentResponseDto)
  get(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Param('docId') docId: string,
  ): Promise<DocumentResponseDto> {
    return this.documents.get(auth, id, docId);
  }

  @Put(':docId')
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam(DOCUMENT_ID)
  @ApiOperation({
    operationId: 'documents_update',
    summary: 'Rename a document, merge metadata, or replace the text of one added by hand',
    description:
      'Changes the name, merges metadata keys into the existing ones, or replaces the text of a document that was added by hand (a synced one answers 400).',
  })
  @ApiUpdateById(DocumentResponseDto, { 400: 'Content of a synced document cannot be edited' })
  update(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Param('docId') docId: string,
    @Body() dto: UpdateDocumentDto,
  ): Promise<DocumentResponseDto> {
    return this.documents.update(auth, id, docId, dto);
  }

  @Delete(':docId')
  @HttpCode(204)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam(DOCUMENT_ID)
  @ApiOperation({
    operationId: 'documents_delete',
    summary: 'Delete a document',
    description: 'A later sync brings it back if the source still has it.',
  })
  @ApiDeleteById()
  remove(@CurrentUser() auth: AuthContext, @Param('id') id: string, @Param('docId') docId: string): Promise<void> {
    return this.documents.remove(auth, id, docId);
  }

  @Post(':docId/sync')
  @HttpCode(202)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam(DOCUMENT_ID)
  @ApiOperation({
    operationId: 'documents_sync',
    summary: 'Sync one document again',
    description:
      'Re-reads this one file or table from the source, whatever its state (synced, failed, stopped, deleted). ' +
      'Answers 202 with the document `queued`, or 200 when a sync of it is already queued or running. ' +
      'A document the source no longer has ends `deleted`; a failure ends `failed` with its reason.',
  })
  @ApiAcceptedResponse({ type: DocumentResponseDto, description: 'Queued' })
  @ApiOkResponse({ type: DocumentResponseDto, description: 'Already queued or running' })
  @ApiErrors(404, {
    400: 'A document added by hand has no source',
    409: 'Connector is inactive or waits for its upload',
  })
  async sync(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Param('docId') docId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DocumentResponseDto> {
    const { document, queued } = await this.documents.sync(auth, id, docId);
    if (!queued) res.status(200);
    return document;
  }

  @Post(':docId/stop')
  @HttpCode(200)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam(DOCUMENT_ID)
  @ApiOperation({
    operationId: 'documents_stop',
    summary: 'Stop the sync of one document',
    description:
      'The document ends `stopped` and keeps what it had; a result the worker finds after the stop is dropped.',
  })
  @ApiOkResponse({ type: DocumentResponseDto })
  @ApiErrors(404, { 409: 'No sync of this document is queued or running' })
  stop(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Param('docId') docId: string,
  ): Promise<DocumentResponseDto> {
    return this.documents.stop(auth, id, docId);
  }

  @Get(':docId/content')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam(DOCUMENT_ID)
  @ApiOperation({
    operationId: 'documents_content',
    summary: 'Content of a document',
    description:
      'Files: the same line and byte windows as the connector content route. Tables and views: their DDL. Hand-made documents: their text.',
  })
  @ApiReadById(ContentResponseDto, { 409: 'The source no longer has this document' })
  async content(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Param('docId') docId: string,
    @Query() query: ContentQueryDto,
  ): Promise<StreamableFile> {
    // Up to 10 MiB of text: written in pieces, the event loop turning in between.
    return jsonResponse(await this.documents.content(auth, id, docId, query));
  }
}
