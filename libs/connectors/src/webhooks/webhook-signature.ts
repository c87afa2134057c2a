import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_TIMESTAMP_HEADER = 'X-Sluice-Timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'X-Sluice-Signature';
export const WEBHOOK_MIN_SECRET_LENGTH = 32;
/** How far a push's timestamp may be from the server's clock, either way. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** `sha256=` + hex HMAC-SHA256 of `${timestamp}.${body}` with the secret: what a sender puts in X-Sluice-Signature. */
export function signWebhook(secret: string, timestamp: string, body: Buffer | string): string {
  const hmac = createHmac('sha256', secret).update(`${timestamp}.`).update(body);
  return `sha256=${hmac.digest('hex')}`;
}

export type SignatureVerdict = 'ok' | 'missing' | 'malformed' | 'stale' | 'mismatch';

/**
 * Judges a push's timestamp and signature. The comparison is constant-time over the decoded
 * digests, so the time taken tells nothing about how much of a forged signature was right.
 */
export function verifyWebhook(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureVerdict {
  if (!timestamp || !signature) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp) || !/^sha256=[0-9a-f]{64}$/i.test(signature)) return 'malformed';
  if (Math.abs(nowSeconds - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) return 'stale';
  const expected = Buffer.from(signWebhook(secret, timestamp, body).slice(7), 'hex');
  const given = Buffer.from(signature.slice(7), 'hex');
  return timingSafeEqual(expected, given) ? 'ok' : 'mismatch';
}
