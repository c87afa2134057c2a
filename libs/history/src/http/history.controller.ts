import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '@sluice/auth';
import type { AuthContext } from '@sluice/auth';
import { ApiDeleteById, ApiPage, ApiReadById } from '@sluice/core';
import { HistoryService } from '../history.service';
import { HistoryEntryResponseDto, HistoryPageDto, ListHistoryQueryDto } from '../dto/history.dto';
import { HISTORY_ID_PARAM } from './history-id.param';

@ApiTags('history')
@Controller('history')
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'history_list',
    summary: 'Questions asked in the tenant',
    description:
      "Every user's entries in the caller's tenant (viewers included), newest first. Filters: q (question or SQL, " +
      'case-insensitive), connectorId, ok. `limit` goes up to 500. The oldest entries beyond ' +
      'HISTORY_MAX_PER_TENANT are deleted by an hourly job.',
  })
  @ApiPage(HistoryPageDto, { 400: 'Invalid filter, limit over 500 or bad cursor' })
  list(@CurrentUser() auth: AuthContext, @Query() query: ListHistoryQueryDto): Promise<HistoryPageDto> {
    return this.history.list(auth, query);
  }

  @Get(':id')
  @Authenticated()
  @ApiParam(HISTORY_ID_PARAM)
  @ApiOperation({
    operationId: 'history_get',
    summary: 'Get a history entry',
    description: "Any entry of the caller's tenant, whoever asked it.",
  })
  @ApiReadById(HistoryEntryResponseDto)
  get(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<HistoryEntryResponseDto> {
    return this.history.get(auth, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ roles: ['admin'] })
  @ApiParam(HISTORY_ID_PARAM)
  @ApiOperation({
    operationId: 'history_delete',
    summary: 'Delete a history entry (admins)',
    description: 'Deletes one history entry of this tenant. Admins only.',
  })
  @ApiDeleteById()
  remove(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<void> {
    return this.history.remove(auth, id);
  }
}
