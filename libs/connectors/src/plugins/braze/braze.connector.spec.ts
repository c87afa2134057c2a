import { Socket } from 'node:net';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { contextFor } from '../../../../../test/helpers/connector-testing';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import { CONNECTOR_PLUGIN } from '../../plugin/connector-plugin.decorator';
import { BRAZE_NOT_AVAILABLE, BrazeConnector } from './braze.connector';

describe('BrazeConnector', () => {
  const connector = new BrazeConnector();

  it('is announced as a coming-soon API type that can only be tested', () => {
    expect(Reflect.getMetadata(CONNECTOR_PLUGIN, BrazeConnector)).toMatchObject({
      type: 'braze',
      category: 'api',
      readiness: 'coming_soon',
      capabilities: ['test'],
    });
  });

  it('answers a plain "not available yet" failure, without dialling anything', async () => {
    const dial = jest.spyOn(Socket.prototype, 'connect');
    try {
      const config = connector.parseConfig({ restEndpoint: 'https://rest.iad-01.braze.com' }, { apiKey: 'k' });
      expect(await connector.test(contextFor(config))).toEqual({
        success: false,
        message: BRAZE_NOT_AVAILABLE,
        details: { readiness: 'coming_soon' },
      });
      expect(dial).not.toHaveBeenCalled();
    } finally {
      dial.mockRestore();
    }
  });

  it('refuses an endpoint that is not https, naming config.restEndpoint', () => {
    expect(() => connector.parseConfig({ restEndpoint: 'http://rest.braze.com' }, { apiKey: 'k' })).toThrow(
      ConnectorConfigError,
    );
  });
});

describeConnectorContract('braze', () => new BrazeConnector(), {
  valid: () =>
    contextFor(new BrazeConnector().parseConfig({ restEndpoint: 'https://rest.iad-01.braze.com' }, { apiKey: 'k' })),
  unavailable: /^Braze connections are not available yet/,
  refusal: {
    config: {
      config: () => ({ restEndpoint: 'http://rest.braze.com' }),
      auth: () => ({ apiKey: 'k' }),
      field: 'config.restEndpoint',
    },
  },
});
