import { ConnectorConfigError } from '../../plugin/connector-errors';
import type {
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';

/** Configuration of a Braze connector, as parseConfig returns it (secrets included). */
export interface BrazeConfig {
  restEndpoint: string;
  apiKey: string;
}

export const BRAZE_NOT_AVAILABLE =
  'Braze connections are not available yet: the connector can be saved and edited, but it cannot be tested or synced until its probe and sync are built';

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['restEndpoint'],
  additionalProperties: false,
  properties: {
    restEndpoint: {
      type: 'string',
      format: 'uri',
      pattern: '^https://',
      maxLength: 2000,
      description: 'The REST endpoint of the Braze instance (Settings → APIs and Identifiers)',
      examples: ['https://rest.iad-01.braze.com'],
    },
  },
};

const AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['apiKey'],
  additionalProperties: false,
  properties: {
    apiKey: { type: 'string', minLength: 1, maxLength: 256, description: 'A Braze REST API key' },
  },
};

/**
 * Braze: coming soon. Create and edit work so that a tenant can prepare the connector; the test
 * answers a plain "not available yet" failure instead of pretending, and a sync answers 409
 * CONNECTOR_NOT_AVAILABLE.
 */
@ConnectorPlugin({
  type: 'braze',
  category: 'api',
  displayName: 'Braze',
  description: 'Braze customer engagement data through its REST API. Coming soon: not testable or syncable yet.',
  readiness: 'coming_soon',
  capabilities: ['test'],
  destinationFields: ['restEndpoint'],
})
export class BrazeConnector implements ConnectorPluginContract<BrazeConfig> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema = AUTH_SCHEMA;

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): BrazeConfig {
    const { restEndpoint } = config;
    if (typeof restEndpoint !== 'string' || !/^https:\/\/[^/\s@]+/.test(restEndpoint)) {
      throw new ConnectorConfigError([{ field: 'config.restEndpoint', messages: ['must be an https URL'] }]);
    }
    return { restEndpoint, apiKey: typeof auth.apiKey === 'string' ? auth.apiKey : '' };
  }

  test(_ctx: ConnectorContext<BrazeConfig>): Promise<ProbeOutcome> {
    return Promise.resolve({ success: false, message: BRAZE_NOT_AVAILABLE, details: { readiness: 'coming_soon' } });
  }
}
