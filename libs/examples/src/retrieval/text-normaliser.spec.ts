import { normalise, normalisedKey, stem } from './text-normaliser';

describe('normalise', () => {
  it('lower-cases, drops punctuation and stopwords', () => {
    expect(normalise('Show me: the TOTAL sales, by Country!')).toEqual(['total', 'sal', 'country']);
  });

  it('splits snake_case and camelCase', () => {
    expect(normalise('invoice_line unitPrice')).toEqual(['invoic', 'lin', 'unit', 'pric']);
    expect(normalise('HTTPServer billingCountry')).toEqual(['http', 'server', 'bill', 'country']);
  });

  it('keeps numbers and words that change the query', () => {
    expect(normalise('Top 5 customers without invoices')).toEqual(['top', '5', 'customer', 'without', 'invoic']);
    expect(normalise('top 5')).not.toEqual(normalise('top 10'));
    expect(normalise('Which artists have no albums?')).toContain('no');
  });

  it('maps inflected forms to one token', () => {
    const same = [
      ['albums', 'album'],
      ['countries', 'country'],
      ['purchased', 'purchase'],
      ['purchases', 'purchase'],
      ['selling', 'sell'],
      ['listed', 'list'],
      ['running', 'run'],
      ['stopped', 'stop'],
      ['billing', 'bill'],
      ['invoices', 'invoice'],
    ];
    for (const [a, b] of same) expect({ a, stem: stem(a) }).toEqual({ a, stem: stem(b) });
  });

  it('leaves short words, numbers and -ss/-us/-is endings alone', () => {
    expect(stem('bus')).toBe('bus');
    expect(stem('class')).toBe('class');
    expect(stem('status')).toBe('status');
    expect(stem('analysis')).toBe('analysis');
    expect(stem('2012')).toBe('2012');
  });

  it('drops accents and one-letter words', () => {
    expect(normalise('Café of the customer’s city')).toEqual(['caf', 'customer', 'city']);
  });

  it('gives nothing for an empty or all-stopword text', () => {
    expect(normalise('')).toEqual([]);
    expect(normalise('What is it?')).toEqual([]);
  });
});

describe('normalisedKey', () => {
  it('is equal for questions differing only in case, punctuation, stopwords and inflection', () => {
    expect(normalisedKey('How many tracks are there per genre?')).toBe(normalisedKey('how many Track per genres'));
  });

  it('keeps word order, so swapped roles stay different', () => {
    expect(normalisedKey('customers of employees')).not.toBe(normalisedKey('employees of customers'));
  });
});
