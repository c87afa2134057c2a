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
