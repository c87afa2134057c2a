import { Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Public } from '@sluice/core';
import type { Request } from 'express';
import { ConnectorService } from '../connector.service';
import { WebhookReceiptDto } from '../dto/webhook.dto';
import { PUSHED_RECORDS, type PushedRecords } from '../webhooks/pushed-records';
import { WebhookIntake } from '../webhooks/webhook-intake.service';
import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../webhooks/webhook-signature';

@ApiTags('webhooks')
@Controller('hooks')
export class WebhookController {
  constructor(
    private readonly intake: WebhookIntake,
    @Inject(PUSHED_RECORDS) private readonly records: PushedRecords,
    private readonly connectors: ConnectorService,
  ) {}

  @Post(':connectorId')
  @Public()
  @HttpCode(202)
  @ApiParam({
    name: 'connectorId',
    description: 'Id of a webhook connector',
    example: 'conn_aepeotgqcxpx3g6b',
  })
  @ApiHeader({
    name: WEBHOOK_TIMESTAMP_HEADER,
    required: true,
    description: 'Unix time in seconds when the push was signed; refused more than 5 minutes from the server clock',
    example: '1764633600',
  })
  @ApiHeader({
    name: WEBHOOK_SIGNATURE_HEADER,
    required: true,
    description:
      '"sha256=" + hex HMAC-SHA256 of "{timestamp}.{raw body}" keyed with the connector\'s authConfig.secret',
    example: 'sha256=5d41402abc4b2a76b9719d911017c592ae8b1f1a4f5e1c2b3d4e5f60718293a4',
  })
  @ApiConsumes('application/json')
  @ApiBody({
    description: "A JSON object (one record), an array of records, or either under the connector's recordsPath",
    schema: { oneOf: [{ type: 'object' }, { type: 'array', items: {} }] },
    examples: { records: { value: [{ id: 'evt_1', type: 'order.created', total: 42 }] } },
  })
  @ApiOperation({
    operationId: 'hooks_receive',
    summary: 'Receive records pushed to a webhook connector',
    description:
      'Public (no token): authenticated by the signature. Each record becomes a document of the connector (kind record, id from config.idField or a hash of the record; a record pushed again with the same id replaces its document). A replay of an accepted (timestamp, signature) is refused. Any untrusted push gets the same 401 WEBHOOK_REJECTED, whatever the reason (unknown or non-webhook connector id, bad or missing signature, stale timestamp, replay), and nothing is stored. Webhook connectors are never pulled: POST /connectors/{id}/sync answers 409 CONNECTOR_RECEIVES_PUSHES and pushed records are never pruned.',
  })
  @ApiAcceptedResponse({ type: WebhookReceiptDto, description: 'The records were stored' })
  @ApiErrors({
    400: 'The body is not JSON, or holds no records at config.recordsPath',
    401: 'WEBHOOK_REJECTED: unknown connector, bad or missing signature, stale timestamp or replay',
    413: 'Body over WEBHOOK_MAX_BODY_BYTES (refused before it is read), or more than 1,000 records',
    429: 'More than WEBHOOK_RATE_LIMIT_PER_MINUTE pushes to this connector in a minute',
  })
  async receive(@Param('connectorId') connectorId: string, @Req() req: Request): Promise<WebhookReceiptDto> {
    // Read from the request rather than with @Headers(), which would document each header a
    // second time in lower case beside the @ApiHeader entries above.
    const header = (name: string): string | undefined => {
      const value = req.headers[name.toLowerCase()];
      return typeof value === 'string' ? value : undefined;
    };
    const timestamp = header(WEBHOOK_TIMESTAMP_HEADER);
    const signature = header(WEBHOOK_SIGNATURE_HEADER);
    const length = Number(req.headers['content-length']);
    const push = await this.intake.admit(connectorId, {
      body: req,
      contentLength: Number.isFinite(length) ? length : undefined,
      timestamp,
      signature,
    });
    const counts = await this.records.store(push, push.items);
    await this.connectors.markSynced(push.tenantId, push.connectorId);
    return { connectorId: push.connectorId, received: push.items.length, ...counts };
  }
}
