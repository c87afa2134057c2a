/** What one pass over a JSON text found, before it is parsed. */
export interface JsonInspection {
  /** Objects and arrays nest deeper than the limit (the scan stopped there). */
  tooDeep: boolean;
  /** A string holds `\u0000`, which PostgreSQL text cannot store. */
  hasNul: boolean;
}

/**
 * Looks at a JSON text in one pass without parsing: how deep objects and arrays nest (brackets
 * inside strings do not count) and whether a string escapes a NUL character. The scan stops as
 * soon as `depthLimit` is exceeded, so a hostile body costs at most one look at each byte.
 */
export function inspectJson(text: Buffer | string, depthLimit: number): JsonInspection {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let depth = 0;
  let inString = false;
  let hasNul = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) {
        // `\u0000` (any case of hex digits is the same zeros)
        if (buf[i + 1] === 0x75 && buf.toString('latin1', i + 2, i + 6) === '0000') hasNul = true;
        i++; // the escaped character
      } else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > depthLimit) return { tooDeep: true, hasNul };
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return { tooDeep: false, hasNul };
}
