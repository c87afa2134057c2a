import { validateAgainstSchema } from '../../plugin/config-validator';
import { REST_API_AUTH_SCHEMA, REST_API_CONFIG_SCHEMA } from './rest-api-config';

describe('rest_api JSON Schemas', () => {
  it('accept a full configuration, a POST body of any JSON included', () => {
    const config = {
      url: 'https://api.example.com/v1/search',
      method: 'POST',
      headers: { 'Accept-Language': 'en' },
      body: { query: { match_all: {} }, size: 100 },
      authType: 'api_key_header',
      apiKeyName: 'X-Api-Key',
      pagination: { type: 'cursor', cursorPath: 'meta.next', cursorParam: 'after' },
      recordsPath: 'data.items',
      idField: 'id',
      maxPages: 10,
      maxRecords: 1000,
      maxResponseBytes: 65_536,
      maxRetries: 2,
    };
    expect(validateAgainstSchema(REST_API_CONFIG_SCHEMA, config, 'config')).toEqual([]);
    expect(validateAgainstSchema(REST_API_AUTH_SCHEMA, { apiKey: 'k' }, 'authConfig')).toEqual([]);
  });

  it('name each bad field', () => {
    const problems = validateAgainstSchema(
      REST_API_CONFIG_SCHEMA,
      { url: 'https://x.example/', method: 'DELETE', pagination: { type: 'pages' }, surprise: 1 },
      'config',
    );
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining(['config.method', 'config.pagination.type', 'config.surprise']),
    );
    expect(validateAgainstSchema(REST_API_AUTH_SCHEMA, { secret: 'x' }, 'authConfig').length).toBeGreaterThan(0);
  });
});
