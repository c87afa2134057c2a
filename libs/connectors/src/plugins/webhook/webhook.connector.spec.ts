import { contextFor } from '../../../../../test/helpers/connector-testing';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { CONNECTOR_PLUGIN } from '../../plugin/connector-plugin.decorator';
import { WebhookConnector } from './webhook.connector';

const SECRET = 'whsec_0123456789abcdef0123456789abcdef';

describe('WebhookConnector', () => {
  it('is announced as a push-fed API type that can only be tested', () => {
    expect(Reflect.getMetadata(CONNECTOR_PLUGIN, WebhookConnector)).toMatchObject({
      type: 'webhook',
      category: 'api',
      readiness: 'ready',
      capabilities: ['test'],
      receivesPushes: true,
    });
  });

  it('reports where pushes go, and never the secret', async () => {
    const connector = new WebhookConnector();
    const ctx = contextFor(connector.parseConfig({ recordsPath: 'data.items' }, { secret: SECRET }), {
      connectorId: 'conn_hook',
    });
    const outcome = await connector.test(ctx);
    expect(outcome).toMatchObject({
      success: true,
      details: { endpoint: '/api/v1/hooks/conn_hook', signatureHeader: 'X-Sluice-Signature' },
    });
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
  });
});

describeConnectorContract('webhook', () => new WebhookConnector(), {
  valid: () => contextFor(new WebhookConnector().parseConfig({}, { secret: SECRET })),
  probe: { secretConfigured: true },
  probeCannotFail: 'a webhook reaches nothing: its probe only reports that it is ready to receive pushes',
  refusal: {
    config: {
      config: () => ({ recordsPath: 'data..items' }),
      auth: () => ({ secret: SECRET }),
      field: 'config.recordsPath',
    },
  },
});
