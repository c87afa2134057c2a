import { Bm25Index } from './bm25';

const docs = (texts: string[]) => texts.map((t, i) => ({ item: i, tokens: t.split(' ').filter(Boolean) }));

describe('Bm25Index', () => {
  it('ranks the document sharing the rarer term first', () => {
    const index = new Bm25Index(docs(['track genre', 'track album', 'track artist', 'playlist track']));
    expect(index.search(['track', 'playlist']).map((r) => r.item)).toEqual([3, 0, 1, 2]);
    expect(index.idf('playlist')).toBeGreaterThan(index.idf('track'));
  });

  it('leaves out documents that share no term, and honours k', () => {
    const index = new Bm25Index(docs(['a b', 'b c', 'c d', 'd e']));
    expect(index.search(['a']).map((r) => r.item)).toEqual([0]);
    expect(index.search(['b', 'c'], 1)).toHaveLength(1);
    expect(index.search(['zzz'])).toEqual([]);
    expect(index.search(['a'], 0)).toEqual([]);
  });

  it('prefers the shorter document for the same match (length normalisation)', () => {
    const index = new Bm25Index(docs(['album x y z w v', 'album q']));
    expect(index.search(['album']).map((r) => r.item)).toEqual([1, 0]);
  });

  it('saturates repeated terms instead of counting them linearly', () => {
    const index = new Bm25Index(docs(['sale sale sale sale sale sale', 'sale revenue', 'other thing', 'more words']));
    const [first, second] = index.search(['sale', 'revenue']);
    expect(first.item).toBe(1);
    expect(second.item).toBe(0);
    const once = new Bm25Index(docs(['sale', 'other'])).search(['sale'])[0].score;
    const many = new Bm25Index(docs(['sale sale sale sale sale sale', 'other'])).search(['sale'])[0].score;
    expect(many / once).toBeLessThan(2.2);
  });

  it('counts a repeated query term once', () => {
    const index = new Bm25Index(docs(['a b', 'b c']));
    expect(index.search(['a', 'a', 'a'])[0].score).toBeCloseTo(index.search(['a'])[0].score);
  });

  it('breaks ties by input order and copes with an empty index', () => {
    const index = new Bm25Index(docs(['x', 'x', 'x']));
    expect(index.search(['x']).map((r) => r.item)).toEqual([0, 1, 2]);
    expect(new Bm25Index([]).search(['x'])).toEqual([]);
  });
});
