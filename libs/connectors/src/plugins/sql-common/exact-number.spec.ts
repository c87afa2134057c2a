import { exactNumber } from './json-values';

describe('exactNumber', () => {
  it('turns integers within the safe range into numbers, and keeps larger ones as text', () => {
    expect(exactNumber('42')).toBe(42);
    expect(exactNumber('-7')).toBe(-7);
    expect(exactNumber('9007199254740991')).toBe(9007199254740991);
    expect(exactNumber('-9007199254740991')).toBe(-9007199254740991);
    expect(exactNumber('9007199254740992')).toBe('9007199254740992');
    expect(exactNumber('123456789012345678901234567890')).toBe('123456789012345678901234567890');
  });

  it('turns decimals a double writes with the same digits into numbers', () => {
    expect(exactNumber('0.99')).toBe(0.99);
    expect(exactNumber('12.50')).toBe(12.5);
    expect(exactNumber('-0.10')).toBe(-0.1);
    expect(exactNumber('0.00')).toBe(0);
    expect(exactNumber('1234567.891')).toBe(1234567.891);
  });

  it('keeps decimals that a double would round, and what is not a plain number, as text', () => {
    expect(exactNumber('0.12345678901234567890')).toBe('0.12345678901234567890');
    expect(exactNumber('12345678901234567.5')).toBe('12345678901234567.5');
    expect(exactNumber('0.0000001')).toBe('0.0000001');
    expect(exactNumber('NaN')).toBe('NaN');
    expect(exactNumber('Infinity')).toBe('Infinity');
    expect(exactNumber('1e5')).toBe('1e5');
    expect(exactNumber('')).toBe('');
  });
});
