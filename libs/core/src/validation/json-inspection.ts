/**
 * Members one object of a request body may hold. Turning a body into its DTO
 * (class-transformer's plainToInstance) costs the square of an object's member count on the
 * event loop: 60,000 members, well within a 1 MB body, held the API for a minute. No DTO of the
 * API has more than a few dozen fields; at 256 a 1 MB body of such objects costs a few ms.
 */
export const JSON_MAX_MEMBERS = 256;

/** What one pass over a JSON text found, before it is parsed. */
export interface JsonInspection {
  /** Objects and arrays nest deeper than the limit (the scan stopped there). */
  tooDeep: boolean;
  /** A string holds `\u0000`, which PostgreSQL text cannot store. */
  hasNul: boolean;
  /** An object holds more members than `memberLimit` (the scan stopped there). */
  tooWide: boolean;
}

/**
 * Looks at a JSON text in one pass without parsing: how deep objects and arrays nest (brackets
 * inside strings do not count), how many members an object holds, and whether a string escapes a
 * NUL character. The scan stops as soon as a limit is exceeded, so a hostile body costs at most
 * one look at each byte.
 */
export function inspectJson(text: Buffer | string, depthLimit: number, memberLimit = Infinity): JsonInspection {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let depth = 0;
  let inString = false;
  let hasNul = false;
  // Per open container: -1 for an array, else the commas seen so far in the object.
  const commas: number[] = [];
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
      if (++depth > depthLimit) return { tooDeep: true, hasNul, tooWide: false };
      commas.push(c === 0x7b ? 0 : -1);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      commas.pop();
    } else if (c === 0x2c && commas.length && commas[commas.length - 1] >= 0) {
      // n commas separate n + 1 members.
      if (++commas[commas.length - 1] >= memberLimit) return { tooDeep: false, hasNul, tooWide: true };
    }
  }
  return { tooDeep: false, hasNul, tooWide: false };
}
