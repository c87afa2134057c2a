import { BadRequestError } from '@sluice/core';
import {
  applyAuthUpdate,
  assertSecretsResent,
  carriedSecrets,
  changedDestinationFields,
  maskAuth,
  SECRET_MASK,
} from './credentials';

describe('credential contract', () => {
  const stored = { password: 'p1', token: 't1' };

  it.each([
    ['omitted → kept', undefined, stored],
    ['{} → wiped', {}, {}],
    ['non-empty → replaced', { password: 'p2' }, { password: 'p2' }],
    [
      'mask → that field kept, others replaced',
      { password: SECRET_MASK, token: 't2' },
      { password: 'p1', token: 't2' },
    ],
    ['mask for a field never stored → taken literally', { apiKey: SECRET_MASK }, { apiKey: SECRET_MASK }],
  ])('%s', (_, incoming, expected) => {
    expect(applyAuthUpdate(stored, incoming as Record<string, unknown> | undefined)).toEqual(expected);
  });

  it('masks every stored value and keeps the field names', () => {
    expect(maskAuth(stored)).toEqual({ password: SECRET_MASK, token: SECRET_MASK });
    expect(maskAuth({})).toEqual({});
  });
});

describe('destination changes', () => {
  const fields = ['host', 'port', 'user', 'database', 'ssl.mode'];
  const before = {
    host: 'db.example.com',
    port: 5432,
    user: 'reader',
    database: 'sales',
    ssl: { mode: 'verify-full' },
  };

  it.each([
    ['host', { ...before, host: 'evil.example.com' }, ['host']],
    ['port only', { ...before, port: 6543 }, ['port']],
    ['user', { ...before, user: 'postgres' }, ['user']],
    ['ssl.mode', { ...before, ssl: { mode: 'disable' } }, ['ssl.mode']],
    ['nothing', { ...before, schemas: ['public'] }, []],
  ])('names a changed %s', (_, after, expected) => {
    expect(changedDestinationFields(fields, before, after)).toEqual(expected);
  });

  const stored = { password: 'p1' };
  const refusal = (changed: string[], incoming: Record<string, unknown> | undefined) => {
    try {
      assertSecretsResent(changed, stored, incoming);
      return null;
    } catch (error) {
      return error as BadRequestError;
    }
  };

  it.each([
    ['omitted', undefined],
    ['the mask', { password: SECRET_MASK }],
  ])('refuses a new destination with the secret %s, naming the fields', (_, incoming) => {
    const error = refusal(['host', 'port'], incoming);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'CREDENTIALS_REQUIRED' });
    expect(error!.details).toEqual([
      { field: 'authConfig.password', messages: [expect.stringContaining('config.host, config.port')] },
      { field: 'config.host', messages: [expect.any(String)] },
      { field: 'config.port', messages: [expect.any(String)] },
    ]);
    expect(error!.message).not.toContain('p1');
  });

  it.each([
    ['resent', { password: 'p2' }],
    ['wiped', {}],
  ])('accepts a new destination with the secret %s', (_, incoming) => {
    expect(refusal(['host'], incoming)).toBeNull();
  });

  it('accepts the mask when the destination is the same, and empty stored secrets anywhere', () => {
    expect(refusal([], { password: SECRET_MASK })).toBeNull();
    expect(carriedSecrets({ password: '' }, undefined)).toEqual([]);
  });
});
