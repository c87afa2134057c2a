import { validateAgainstSchema } from './config-validator';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['host'],
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 5432 },
    ssl: { type: 'object', additionalProperties: false, properties: { mode: { enum: ['disable', 'require'] } } },
  },
};

describe('validateAgainstSchema', () => {
  it('accepts a valid object and fills in defaults', () => {
    const data: Record<string, unknown> = { host: 'db' };
    expect(validateAgainstSchema(schema, data, 'config')).toEqual([]);
    expect(data.port).toBe(5432);
  });

  it('names each bad field under the prefix, nested ones with dots', () => {
    const problems = validateAgainstSchema(schema, { port: 70000, extra: 1, ssl: { mode: 'maybe' } }, 'config');
    expect(problems.map((p) => p.field).sort()).toEqual([
      'config.extra',
      'config.host',
      'config.port',
      'config.ssl.mode',
    ]);
    expect(problems.find((p) => p.field === 'config.host')?.messages).toEqual(['is required']);
    expect(problems.find((p) => p.field === 'config.extra')?.messages).toEqual(['is not a known field']);
  });
});
