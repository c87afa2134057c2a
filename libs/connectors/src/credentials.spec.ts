import { applyAuthUpdate, maskAuth, SECRET_MASK } from './credentials';

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
