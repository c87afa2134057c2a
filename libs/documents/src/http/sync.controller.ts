import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, EDITORS, CurrentUser } from '@sluice/auth';
import { CONNECTOR_ID_PARAM } from '@sluice/connectors';
import type { AuthContext } from '@sluice/auth';
import { ApiErrors, ApiPage, ApiReadById, sendServerSentEvents, Page, PageQueryDto } from '@sluice/core';
import type { Response } from 'express';
import { DocumentService } from '../document.service';
import { SyncService } from '../sync.service';
import { TrainDto, TrainResponseDto } from '../dto/document.dto';
import { SyncQueryDto, SyncRunPageDto, SyncRunResponseDto } from '../dto/sync.dto';

@ApiTags('sync')
@Controller('connectors')
export class SyncController {
  constructor(
    private readonly sync: SyncService,
    private readonly documents: DocumentService,
  ) {}

  @Post(':id/sync')
  @HttpCode(202)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_sync',
    summary: 'Sync a connector into documents',
    description:
      'Answers 202 with a new run, or 200 with the run already queued or running (one at a time per connector).',
  })
  @ApiAcceptedResponse({ type: SyncRunResponseDto, description: 'A new run was queued' })
  @ApiOkResponse({ type: SyncRunResponseDto, description: 'A run was already queued or running' })
  @ApiErrors(404, {
    409: 'Connector is inactive or waits for its upload (CONNECTOR_NOT_ACTIVE); its type is coming soon (CONNECTOR_NOT_AVAILABLE); or it is a webhook connector, fed by pushes to POST /hooks/{connectorId} and never pulled (CONNECTOR_RECEIVES_PUSHES: nothing is synced and no pushed record is pruned)',
    429: 'TOO_MANY_ACTIVE_SYNCS: the tenant already has SYNC_MAX_ACTIVE_PER_TENANT syncs queued or running',
  })
  async start(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: SyncQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SyncRunResponseDto> {
    const { run, created } = await this.sync.start(auth, id, query.force ?? false);
    if (!created) res.status(200);
    return run;
  }

  @Post(':id/scan-files')
  @HttpCode(202)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_scanFiles',
    summary: 'List the files of a file connector into documents',
    description: 'Like sync, for file connectors (folder, local_file); 400 for SQL connectors.',
  })
  @ApiAcceptedResponse({ type: SyncRunResponseDto })
  @ApiOkResponse({ type: SyncRunResponseDto, description: 'A run was already queued or running' })
  @ApiErrors(404, {
    400: 'Not a file connector',
    429: 'TOO_MANY_ACTIVE_SYNCS: the tenant already has SYNC_MAX_ACTIVE_PER_TENANT syncs queued or running',
  })
  async scanFiles(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SyncRunResponseDto> {
    const { run, created } = await this.sync.scanFiles(auth, id);
    if (!created) res.status(200);
    return run;
  }

  @Get(':id/runs/:runId/events')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam({ name: 'runId', example: 'run_8f2k1m4n7b0v3c6x' })
  @ApiOperation({
    operationId: 'connectors_runEvents',
    summary: 'Server-sent events of a run: `progress` as it changes, then `final`',
    description:
      'Each event carries the run as in GET /connectors/{id}/runs/{runId}; the stream ends after `final`, or when ' +
      'the run or its connector is deleted. A user (or API key) may hold MAX_EVENT_STREAMS_PER_USER streams at ' +
      'once across all API instances; one more answers 429 TOO_MANY_STREAMS.',
  })
  @ApiOkResponse({
    description: 'Events `progress` and `final`, each with a SyncRunResponseDto as its data',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example:
          'event: progress\ndata: {"id":"run_8f2k1m4n7b0v3c6x","status":"running",...}\n\n' +
          'event: final\ndata: {"id":"run_8f2k1m4n7b0v3c6x","status":"succeeded",...}\n\n',
      },
    },
  })
  @ApiErrors(404, { 429: 'Too many open streams (TOO_MANY_STREAMS)' })
  async events(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Param('runId') runId: string,
    @Res() res: Response,
  ): Promise<void> {
    sendServerSentEvents(res, await this.sync.events(auth, id, runId));
  }

  @Post(':id/stop')
  @HttpCode(200)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_stop',
    summary: 'Stop the running sync',
    description: 'A queued run is cancelled at once; a running one ends cancelled at its next batch boundary.',
  })
  @ApiOkResponse({ type: SyncRunResponseDto })
  @ApiErrors(404, { 409: 'Nothing is running' })
  stop(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<SyncRunResponseDto> {
    return this.sync.stop(auth, id);
  }

  @Post(':id/train')
  @HttpCode(200)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_train',
    summary: 'Mark tables as trained for NL2SQL',
    description:
      'SQL connectors only. Sets `metadata.trained` and `trainedAt` on each table or view document; trained ' +
      'tables are preferred when a question is turned into SQL. Each id gets a result: a document that is ' +
      'missing, not a table, deleted at the source, or without DDL fails with its reason and the others go on.',
  })
  @ApiOkResponse({ type: TrainResponseDto })
  @ApiErrors(404, { 400: 'Not a SQL connector, or an invalid body' })
  train(@CurrentUser() auth: AuthContext, @Param('id') id: string, @Body() dto: TrainDto): Promise<TrainResponseDto> {
    return this.documents.train(auth, id, dto.documentIds);
  }

  @Get(':id/runs')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_runs',
    summary: 'Sync runs of a connector, newest first',
    description: 'One page of the sync and scan runs of the connector, newest first, with their counts and outcome.',
  })
  @ApiPage(SyncRunPageDto, 404)
  runs(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<SyncRunResponseDto>> {
    return this.sync.list(auth, id, query);
  }

  @Get(':id/runs/:runId')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiParam({ name: 'runId', example: 'run_8f2k1m4n7b0v3c6x' })
  @ApiOperation({
    operationId: 'connectors_run',
    summary: 'One sync run with its progress',
    description: 'A sync run with its status, counts, progress and error; GET .../events follows it live.',
  })
  @ApiReadById(SyncRunResponseDto)
  run(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Param('runId') runId: string,
  ): Promise<SyncRunResponseDto> {
    return this.sync.get(auth, id, runId);
  }
}
