/**
 * Members one object of a request body may hold. Turning a body into its DTO
 * (class-transformer's plainToInstance) costs the square of an object's member count on the
 * event loop: 60,000 members, well within a 1 MB body, held the API for a minute. No DTO of the
 * API has more than a few dozen fields; at 256 a 1 MB body of such objects costs a few ms.
 */
export const JSON_MAX_MEMBERS = 256;

/**
 * Values (array items and object members, counted by the commas between them) one request body
 * may hold in all. The member cap bounds each object, not a long array, nor many objects: an
 * array of 80,000 short strings fits in a 1 MB body, and turning it into its DTO and validating
 * it held the event loop for about half a second. The longest lists the API takes hold 1,000
 * items; at 10,000 values a body costs the loop a few ms.
 */
export const JSON_MAX_VALUES = 10_000;

/** What one pass over a JSON text found, before it is parsed. */
export interface JsonInspection {
  /** Objects and arrays nest deeper than the limit (the scan stopped there). */
  tooDeep: boolean;
  /** A string holds `\u0000`, which PostgreSQL text cannot store. */
  hasNul: boolean;
  /** An object holds more members than `memberLimit` (the scan stopped there). */
  tooWide: boolean;
  /** The text holds more values than `valueLimit` in all (the scan stopped there). */
  tooMany: boolean;
}

/**
 * Looks at a JSON text in one pass without parsing: how deep objects and arrays nest (brackets
 * inside strings do not count), how many members an object holds, how many values the text holds
 * in all, and whether a string escapes a NUL character. The scan stops as soon as a limit is
 * exceeded, so a hostile body costs at most one look at each byte.
 */
export function inspectJson(
  text: Buffer | string,
  depthLimit: number,
  memberLimit = Infinity,
  valueLimit = Infinity,
): JsonInspection {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const found = (flags: Partial<JsonInspection>): JsonInspection => ({
    tooDeep: false,
    hasNul,
    tooWide: false,
    tooMany: false,
    ...flags,
  });
  let depth = 0;
  let separators = 0;
  let inString = false;
  let hasNul = false;
  // Per open container: -1 for an array, else the commas seen so far in the object.
  const commas: number[] = [];
  // Inside a string only quotes and backslashes matter: found with indexOf (native, a megabyte
  // of string in well under a millisecond), each position kept until the scan passes it.
  let nextQuote = -1;
  let nextEscape = -1;
  const after = (byte: number, from: number): number => {
    const at = buf.indexOf(byte, from);
    return at === -1 ? buf.length : at;
  };
  for (let i = 0; i < buf.length; i++) {
    if (inString) {
      if (nextQuote < i) nextQuote = after(0x22, i);
      if (nextEscape < i) nextEscape = after(0x5c, i);
      if (nextEscape < nextQuote) {
        i = nextEscape;
        // `\u0000` (any case of hex digits is the same zeros)
        if (buf[i + 1] === 0x75 && buf.toString('latin1', i + 2, i + 6) === '0000') hasNul = true;
        i++; // the escaped character
      } else {
        i = nextQuote;
        inString = false;
      }
      continue;
    }
    const c = buf[i];
    if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > depthLimit) return found({ tooDeep: true });
      commas.push(c === 0x7b ? 0 : -1);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      commas.pop();
    } else if (c === 0x2c) {
      // n commas separate n + 1 values (members of an object, items of an array).
      if (++separators >= valueLimit) return found({ tooMany: true });
      if (commas.length && commas[commas.length - 1] >= 0 && ++commas[commas.length - 1] >= memberLimit) {
        return found({ tooWide: true });
      }
    }
  }
  return found({});
}
