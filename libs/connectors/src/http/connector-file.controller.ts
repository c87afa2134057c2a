import { Controller, Get, HttpCode, Param, Post, Query, Req, StreamableFile } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, EDITORS, CurrentUser } from '@sluice/auth';
import { CONNECTOR_ID_PARAM } from './connector-id.param';
import type { AuthContext } from '@sluice/auth';
import { ApiErrors, ApiReadById, jsonResponse } from '@sluice/core';
import type { Request } from 'express';
import { FileConnectorService } from '../files/file-connector.service';
import { ConnectorResponseDto } from '../dto/connector.dto';
import { ContentQueryDto, ContentResponseDto } from '../dto/content.dto';

@ApiTags('connectors')
@Controller('connectors')
export class ConnectorFileController {
  constructor(private readonly files: FileConnectorService) {}

  @Post(':id/upload')
  @HttpCode(200)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiQuery({
    name: 'fileName',
    required: false,
    description: 'Name of the file (also X-File-Name)',
    example: 'customers.csv',
  })
  @ApiHeader({ name: 'X-File-Name', required: false, description: 'Name of the file (or ?fileName=)' })
  @ApiConsumes('application/octet-stream', 'text/csv', 'text/plain')
  @ApiBody({ description: 'The raw file, streamed', schema: { type: 'string', format: 'binary' } })
  @ApiOperation({
    operationId: 'connectors_upload',
    summary: 'Upload the file of a local_file connector (also POST /connectors/{id}:upload)',
    description:
      'The raw body is streamed to storage, hashed and indexed; the connector becomes active. Over MAX_UPLOAD_BYTES: 413 and nothing is kept. An interrupted upload keeps nothing.',
  })
  @ApiOkResponse({ type: ConnectorResponseDto })
  @ApiErrors(404, 413, { 400: 'Not a local_file connector', 409: 'Connector is inactive' })
  upload(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Req() req: Request,
    @Query('fileName') fileName?: string,
  ): Promise<ConnectorResponseDto> {
    // Read here rather than with @Headers, which would document the header as required.
    const headerName = typeof req.headers['x-file-name'] === 'string' ? req.headers['x-file-name'] : undefined;
    const aborted = new AbortController();
    req.once('close', () => {
      if (!req.complete) aborted.abort(new Error('client closed the upload'));
    });
    const length = Number(req.headers['content-length']);
    return this.files.upload(auth, id, req, {
      fileName: fileName ?? headerName,
      contentType: req.headers['content-type'],
      contentLength: Number.isFinite(length) ? length : undefined,
      signal: aborted.signal,
    });
  }

  @Get(':id/content')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_content',
    summary: 'Read a window of the uploaded file',
    description:
      'Line windows (offset, limit) use the line index built at upload; byte windows (bytesStart, bytesEnd) read exactly that range.',
  })
  @ApiReadById(ContentResponseDto, 400, {
    409: 'No file uploaded yet (pending_upload)',
    422: 'PATH_OUTSIDE_FOLDER: the path leads outside the connector folder',
  })
  async content(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Query() query: ContentQueryDto,
  ): Promise<StreamableFile> {
    // Up to 10 MiB of text: written in pieces, the event loop turning in between.
    return jsonResponse(await this.files.content(auth, id, query));
  }
}
