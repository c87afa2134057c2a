import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, EDITORS, CurrentUser } from '@sluice/auth';
import type { AuthContext } from '@sluice/auth';
import { ApiCreate } from '@sluice/core';
import { ExampleWriteResponseDto } from '@sluice/examples';
import { HISTORY_ID_PARAM } from '@sluice/history';
import { PromoteHistoryService } from '../promote-history.service';
import { PromoteHistoryDto } from '../dto/promote-history.dto';

/** POST /history/:id/promote: under history's path, served here because it also writes an example. */
@ApiTags('history')
@Controller('history')
export class PromoteHistoryController {
  constructor(private readonly promotion: PromoteHistoryService) {}

  @Post(':id/promote')
  @Authenticated(EDITORS)
  @ApiParam(HISTORY_ID_PARAM)
  @ApiOperation({
    operationId: 'history_promote',
    summary: 'Turn a successful entry into an example',
    description:
      "Creates an example with the entry's question, SQL and connector, in the connector's dialect (checked like " +
      'POST /examples; unknown tables or columns come back as `warnings`). A failed entry, one without SQL or one ' +
      'already an example (promoted earlier, or answered from a stored example as asked) is a 409.',
  })
  @ApiBody({ type: PromoteHistoryDto, required: false })
  @ApiCreate(ExampleWriteResponseDto, 404, {
    400: "Invalid body, or the SQL does not parse in the connector's dialect",
    409: 'HISTORY_ENTRY_FAILED, HISTORY_ENTRY_WITHOUT_SQL or HISTORY_ALREADY_PROMOTED',
  })
  promote(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Body() dto: PromoteHistoryDto,
  ): Promise<ExampleWriteResponseDto> {
    return this.promotion.promote(auth, id, dto);
  }
}
