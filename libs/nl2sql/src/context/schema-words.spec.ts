import { canonicalWord, linkTerms, nameTerms, plainWords, splitIdentifier } from './schema-words';

describe('splitIdentifier', () => {
  it.each([
    ['invoice_line', ['invoice', 'line']],
    ['unitPrice', ['unit', 'price']],
    ['sbCustId', ['sb', 'cust', 'id']],
    ['HTTPServer', ['http', 'server']],
    ['address2', ['address', '2']],
    ['sbCustAddress1', ['sb', 'cust', 'address', '1']],
    ['2fa_enabled', ['2', 'fa', 'enabled']],
    ['kebab-case name', ['kebab', 'case', 'name']],
    ['Café_Crème', ['cafe', 'creme']],
    ['public.wallet_transactions_daily', ['public', 'wallet', 'transactions', 'daily']],
  ])('splits %s', (name, words) => {
    expect(splitIdentifier(name)).toEqual(words);
  });
});

describe('linkTerms', () => {
  it('drops stopwords and question fillers, stems what is left', () => {
    expect(linkTerms('How many tracks does each playlist have?')).toEqual(['track', 'playlist']);
    expect(linkTerms('Show the total number of invoices per country')).toEqual([
      'total',
      'number',
      'invoic',
      'country',
    ]);
  });

  it('meets identifiers and questions on the same words', () => {
    expect(linkTerms('customers who purchased albums')).toEqual(['customer', 'purchas', 'album']);
    expect(linkTerms('customer_id purchase_date album')).toEqual(['customer', 'id', 'purchas', 'dat', 'album']);
    expect(linkTerms('countries')).toEqual(linkTerms('country'));
    expect(linkTerms('selling')).toEqual(linkTerms('sell'));
  });

  it('expands common abbreviations of column names', () => {
    expect(linkTerms('num_enrolled')).toEqual(linkTerms('number enrolled'));
    expect(linkTerms('dept_name')).toEqual(linkTerms('department name'));
    expect(linkTerms('qty')).toEqual(linkTerms('quantity'));
    expect(canonicalWord('txn')).toBe(canonicalWord('transaction'));
  });

  it('keeps numbers, drops lone letters', () => {
    expect(linkTerms('top 5 in 2023, grade A')).toEqual(['top', '5', '2023', 'grad']);
  });
});

describe('nameTerms and plainWords', () => {
  it('keeps every word of a name, stopwords too', () => {
    expect(nameTerms('from_airport')).toEqual(['from', 'airport']);
  });

  it('reads values as plain runs of words, without splitting camelCase', () => {
    expect(plainWords('New York')).toEqual(plainWords('new-york'));
    expect(plainWords('McDonald')).toEqual(['mcdonald']);
    expect(plainWords('Computer Sciences')).toEqual(['computer', 'scienc']);
  });
});
