import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature';

const SECRET = 'a-signing-secret-of-32-characters!!';
const NOW = 1_764_633_600;
const body = Buffer.from('{"id":1}');

describe('webhook signatures', () => {
  it('signs "{timestamp}.{body}" with HMAC-SHA256, as a sender computes it', () => {
    const expected = createHmac('sha256', SECRET).update(`${NOW}.{"id":1}`).digest('hex');
    expect(signWebhook(SECRET, String(NOW), body)).toBe(`sha256=${expected}`);
  });

  it('accepts a good signature within 5 minutes either way', () => {
    for (const ts of [NOW, NOW - 300, NOW + 300]) {
      expect(verifyWebhook(SECRET, String(ts), signWebhook(SECRET, String(ts), body), body, NOW)).toBe('ok');
    }
  });

  it.each([
    ['missing', undefined, 'sha256=00'],
    ['missing', String(NOW), undefined],
    ['malformed', 'yesterday', signWebhook(SECRET, String(NOW), body)],
    ['malformed', String(NOW), 'md5=abc'],
    ['stale', String(NOW - 301), signWebhook(SECRET, String(NOW - 301), body)],
    ['stale', String(NOW + 301), signWebhook(SECRET, String(NOW + 301), body)],
    ['mismatch', String(NOW), signWebhook('another-secret-of-32-characters!!!', String(NOW), body)],
    ['mismatch', String(NOW), signWebhook(SECRET, String(NOW - 1), body)],
  ])('judges %s: timestamp %s, signature %s', (verdict, timestamp, signature) => {
    expect(verifyWebhook(SECRET, timestamp, signature, body, NOW)).toBe(verdict);
  });

  it('refuses a signature of another body', () => {
    const signature = signWebhook(SECRET, String(NOW), body);
    expect(verifyWebhook(SECRET, String(NOW), signature, Buffer.from('{"id":2}'), NOW)).toBe('mismatch');
  });
});
