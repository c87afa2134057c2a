import { randomBytes } from 'node:crypto';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import type {
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import {
  WEBHOOK_MIN_SECRET_LENGTH,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '../../webhooks/webhook-signature';

/** Configuration of a webhook connector, its signing secret included (never leaves the server). */
export interface WebhookConfig {
  recordsPath?: string;
  idField?: string;
  secret: string;
}

const DOTTED_PATH = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^.]+(\\.[^.]+)*$' };

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    recordsPath: {
      ...DOTTED_PATH,
      description:
        'Dotted path of the records (an array or one object) in a pushed body, e.g. data.items; the body itself when left out',
    },
    idField: {
      ...DOTTED_PATH,
      description: 'Field (dotted path) with a stable id per record; without it, a hash of the record',
    },
  },
};

const AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['secret'],
  additionalProperties: false,
  properties: {
    secret: {
      type: 'string',
      minLength: WEBHOOK_MIN_SECRET_LENGTH,
      maxLength: 256,
      description: `Signing secret shared with the sender (at least ${WEBHOOK_MIN_SECRET_LENGTH} characters). Left out at creation, the server generates one (whsec_ + 64 hex digits) and shows it once, in generatedSecrets of the create answer; or choose your own (e.g. to match a sender that sets it, as GitHub does). The sender signs each push with HMAC-SHA256 over "{timestamp}.{body}". Rotate it with PUT (the old one stops working at once); it is never shown again.`,
    },
  },
};

const pathOf = (value: unknown, field: string): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 200 || value.split('.').some((part) => part === '')) {
    throw new ConnectorConfigError([
      { field: `config.${field}`, messages: ['must be a dotted path such as data.items'] },
    ]);
  }
  return value;
};

/**
 * Records pushed by a third party to POST /api/v1/hooks/{connectorId}, signed with the
 * connector's secret; nothing is pulled, so a sync answers 409 CONNECTOR_RECEIVES_PUSHES and
 * pushed records are never pruned.
 */
@ConnectorPlugin({
  type: 'webhook',
  category: 'api',
  displayName: 'Webhook',
  description:
    'Receives JSON records pushed to POST /api/v1/hooks/{connectorId}, signed with HMAC-SHA256 (X-Sluice-Timestamp, X-Sluice-Signature); one document per record.',
  readiness: 'ready',
  capabilities: ['test'],
  destinationFields: [],
  receivesPushes: true,
})
export class WebhookConnector implements ConnectorPluginContract<WebhookConfig> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema = AUTH_SCHEMA;

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): WebhookConfig {
    const secret = auth.secret;
    if (typeof secret !== 'string' || secret.length < WEBHOOK_MIN_SECRET_LENGTH) {
      throw new ConnectorConfigError([
        {
          field: 'authConfig.secret',
          messages: [`is required: a signing secret of at least ${WEBHOOK_MIN_SECRET_LENGTH} characters`],
        },
      ]);
    }
    return {
      recordsPath: pathOf(config.recordsPath, 'recordsPath'),
      idField: pathOf(config.idField, 'idField'),
      secret,
    };
  }

  /** A signing secret when none was sent: 32 random bytes, shown once in the create answer. */
  generateSecrets(auth: Record<string, unknown>): Record<string, string> {
    return auth.secret === undefined ? { secret: `whsec_${randomBytes(32).toString('hex')}` } : {};
  }

  /** Nothing to dial: ready when a signing secret is set (parseConfig has checked it). */
  async test(ctx: ConnectorContext<WebhookConfig>): Promise<ProbeOutcome> {
    const endpoint = `/api/v1/hooks/${ctx.connectorId ?? '{connectorId}'}`;
    return {
      success: true,
      message: `Ready to receive pushes at POST ${endpoint}, signed with the connector's secret`,
      details: {
        endpoint,
        signatureHeader: WEBHOOK_SIGNATURE_HEADER,
        timestampHeader: WEBHOOK_TIMESTAMP_HEADER,
        secretConfigured: ctx.config.secret.length > 0,
      },
    };
  }
}
