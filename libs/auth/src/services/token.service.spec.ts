import { hasBoundedLifetime } from './token.service';

describe('hasBoundedLifetime', () => {
  const iat = 1_800_000_000;

  it.each([
    ['no exp', { iat }],
    ['no iat', { exp: iat + 600 }],
    ['neither', {}],
    ['exp as a string', { iat, exp: String(iat + 600) }],
    ['exp before iat', { iat, exp: iat - 1 }],
    ['a lifetime longer than access tokens get', { iat, exp: iat + 901 }],
    ['ten years', { iat, exp: iat + 10 * 365 * 86_400 }],
  ])('refuses a token with %s', (_, claims) => {
    expect(hasBoundedLifetime(claims, 900)).toBe(false);
  });

  it('accepts a token living at most the access token lifetime', () => {
    expect(hasBoundedLifetime({ iat, exp: iat + 900 }, 900)).toBe(true);
    expect(hasBoundedLifetime({ iat, exp: iat + 60 }, 900)).toBe(true);
  });
});
