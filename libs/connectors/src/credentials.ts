import { BadRequestError } from '@sluice/core';
import { isDeepStrictEqual } from 'node:util';

/** What a secret looks like in every answer. Sending it back in an update keeps the stored value. */
export const SECRET_MASK = '********';

/**
 * The credential contract of PUT: `incoming` omitted → keep; `{}` → wipe; otherwise replace,
 * except that a field sent back as the mask keeps its stored value.
 */
export function applyAuthUpdate(
  stored: Record<string, unknown>,
  incoming: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (incoming === undefined) return stored;
  const next: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(incoming)) {
    next[key] = value === SECRET_MASK && key in stored ? stored[key] : value;
  }
  return next;
}

/** The stored credential fields with every value replaced by the mask. */
export function maskAuth(auth: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.keys(auth).map((key) => [key, SECRET_MASK]));
}

/** The value at a dotted path such as `ssl.mode`; undefined when a step is missing. */
function valueAt(source: Record<string, unknown>, path: string): unknown {
  let value: unknown = source;
  for (const step of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/** The destination fields (dotted paths) whose value differs between two configs. */
export function changedDestinationFields(
  fields: readonly string[],
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string[] {
  return fields.filter((field) => !isDeepStrictEqual(valueAt(before, field), valueAt(after, field)));
}

/**
 * Stored secrets an update would carry over without the caller sending them: kept because
 * `authConfig` was omitted or because the field came back as the mask. Empty values carry nothing.
 */
export function carriedSecrets(
  stored: Record<string, unknown>,
  incoming: Record<string, unknown> | undefined,
): string[] {
  return Object.keys(stored).filter((key) => {
    const value = stored[key];
    if (value === undefined || value === null || value === '') return false;
    return incoming === undefined || incoming[key] === SECRET_MASK;
  });
}

/**
 * Stored secrets never follow a connector to a new destination: when a field of `changed` moved,
 * every secret that would be carried over must be sent again in the same request. Otherwise an
 * editor could point a connector at a server of their own and receive the password there.
 */
export function assertSecretsResent(
  changed: string[],
  stored: Record<string, unknown>,
  incoming: Record<string, unknown> | undefined,
  prefixes: { config: string; secrets: string } = { config: 'config.', secrets: 'authConfig.' },
): void {
  if (!changed.length) return;
  const carried = carriedSecrets(stored, incoming);
  if (!carried.length) return;
  const moved = changed.map((field) => `${prefixes.config}${field}`);
  throw new BadRequestError(
    'CREDENTIALS_REQUIRED',
    `Changing ${moved.join(', ')} requires sending ${carried.map((k) => `${prefixes.secrets}${k}`).join(', ')} again`,
    [
      ...carried.map((key) => ({
        field: `${prefixes.secrets}${key}`,
        messages: [`must be sent again (not the mask) when ${moved.join(', ')} changes`],
      })),
      ...moved.map((field) => ({
        field,
        messages: ['changes where the credentials are sent; the stored ones do not follow it'],
      })),
    ],
  );
}
