/**
 * Turns a driver value into something JSON.stringify keeps exactly: dates become ISO strings,
 * big integers and non-finite numbers become strings (a JSON number would lose or drop them),
 * bytes become base64.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = toJsonValue(inner);
  return out;
}

export function toJsonRow(row: unknown[]): unknown[] {
  return row.map(toJsonValue);
}

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** The digits of a plain decimal without leading zeros of its whole part or trailing zeros of its fraction. */
function canonicalDecimal(text: string): string {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const digits = `${whole.replace(/^0+(?=\d)/, '')}${fraction.replace(/0+$/, '') ? `.${fraction.replace(/0+$/, '')}` : ''}`;
  return digits === '0' ? '0' : `${negative ? '-' : ''}${digits}`;
}

/**
 * A bigint or numeric value read as text: a JSON number when that number is written with the same
 * digits (integers within ±(2^53 − 1), decimals that a double gives back unchanged), else the text,
 * so no digit is ever lost. NaN and infinities stay text.
 */
export function exactNumber(text: string): number | string {
  if (!PLAIN_DECIMAL.test(text)) return text;
  const value = Number(text);
  if (!text.includes('.')) return Number.isSafeInteger(value) ? value : text;
  const written = String(value);
  if (/e/i.test(written)) return text;
  return canonicalDecimal(written) === canonicalDecimal(text) ? value : text;
}
