import { EnvDto, SafeNetwork } from '@sluice/core';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeOpenAi } from '../../../../test/helpers/fake-openai';
import { Bm25ExampleRanker } from './example-ranker';
import { exampleRankerFor, HybridExampleRanker } from './hybrid-ranker';

/** A toy embedding with synonyms folded together, as a real model would place them close. */
const SYNONYMS: Record<string, string> = {
  songs: 'track',
  tunes: 'track',
  tracks: 'track',
  records: 'album',
  albums: 'album',
};
const DIMENSIONS = ['track', 'album', 'artist', 'count', 'customer'];
function embed(text: string): number[] {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  const concepts = words.map((w) => SYNONYMS[w] ?? w.replace(/s$/, ''));
  return DIMENSIONS.map((d) => concepts.filter((c) => c === d || (d === 'count' && c === 'many')).length);
}

const examples = [
  { id: 'ex_albums', question: 'How many albums are there?', tags: [] },
  { id: 'ex_tracks', question: 'How many tracks are there?', tags: [] },
  { id: 'ex_customers', question: 'List every customer', tags: [] },
];

describe('example ranking with embeddings (through a local OpenAI-compatible server)', () => {
  const server = new FakeOpenAi(embed);
  let env: EnvDto;

  beforeAll(async () => {
    await server.start();
    env = Object.assign(new EnvDto(), {
      EMBEDDINGS_PROVIDER: 'openai',
      EMBEDDINGS_MODEL: 'toy',
      EMBEDDINGS_BASE_URL: server.baseUrl,
    });
  });
  afterAll(() => server.stop());

  it('finds a paraphrase that shares no word with its example', async () => {
    const question = 'Count the songs';
    const lexical = await new Bm25ExampleRanker().rank(question, examples, 3);
    expect(lexical.map((r) => r.example.id)).not.toContain('ex_tracks');

    const ranker = exampleRankerFor(env, new SafeNetwork('127.0.0.1'));
    expect(ranker).toBeInstanceOf(HybridExampleRanker);
    const ranked = await ranker.rank(question, examples, 3);
    expect(ranked[0].example.id).toBe('ex_tracks');
    expect(server.embeddingRequests.length).toBeGreaterThan(0);
  });

  it('still puts an exact wording first', async () => {
    const ranker = exampleRankerFor(env, new SafeNetwork('127.0.0.1'));
    const ranked = await ranker.rank('How many albums are there?', examples, 2);
    expect(ranked[0].example.id).toBe('ex_albums');
  });

  describe('falls back to words alone', () => {
    // Words rank customers, albums, tracks; with embeddings, "songs" lifts tracks above albums.
    const question = 'How many songs are there for every customer?';
    const ids = (ranked: Array<{ example: { id: string } }>) => ranked.map((r) => r.example.id);
    let lexical: Awaited<ReturnType<Bm25ExampleRanker['rank']>>;

    beforeAll(async () => {
      lexical = await new Bm25ExampleRanker().rank(question, examples, 3);
      expect(ids(lexical)).toEqual(['ex_customers', 'ex_albums', 'ex_tracks']);
      const hybrid = await exampleRankerFor(env, new SafeNetwork('127.0.0.1')).rank(question, examples, 3);
      expect(ids(hybrid)).toEqual(['ex_customers', 'ex_tracks', 'ex_albums']);
    });
    beforeEach(() => {
      server.embeddingRequests.length = 0;
    });

    it('when the embeddings server is refused by the safe-network guard', async () => {
      // Loopback is not allowed here: the guard refuses before any connection.
      const refused = exampleRankerFor(env, new SafeNetwork(undefined));
      expect(refused).toBeInstanceOf(HybridExampleRanker);
      expect(await refused.rank(question, examples, 3)).toEqual(lexical);
      expect(server.embeddingRequests).toEqual([]);
    });

    it('when the embeddings server is down', async () => {
      const gone = await new FakeOpenAi(embed).start();
      await gone.stop();
      const down = exampleRankerFor(
        Object.assign(new EnvDto(), { ...env, EMBEDDINGS_BASE_URL: gone.baseUrl }),
        new SafeNetwork('127.0.0.1'),
      );
      expect(down).toBeInstanceOf(HybridExampleRanker);
      expect(await down.rank(question, examples, 3)).toEqual(lexical);
      expect(gone.embeddingRequests).toEqual([]);
      expect(server.embeddingRequests).toEqual([]);
    });
  });

  it('closes an endless embeddings answer at HTTP_RESPONSE_MAX_BYTES and ranks by words alone', async () => {
    let written = 0;
    let closed = false;
    const flood = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"object":"list","data":[{"object":"embedding","index":0,"embedding":[');
      const chunk = Buffer.alloc(64 * 1024, '1');
      let stop = false;
      res.on('close', () => ((stop = true), (closed = true)));
      const pump = () => {
        while (!stop && written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
    try {
      const capped = Object.assign(new EnvDto(), {
        EMBEDDINGS_PROVIDER: 'openai',
        EMBEDDINGS_MODEL: 'toy',
        EMBEDDINGS_BASE_URL: `http://127.0.0.1:${(flood.address() as AddressInfo).port}/v1`,
        HTTP_RESPONSE_MAX_BYTES: 256 * 1024,
      });
      const ranked = await exampleRankerFor(capped, new SafeNetwork('127.0.0.1')).rank(
        'How many albums are there?',
        examples,
        2,
      );
      expect(ranked[0].example.id).toBe('ex_albums');
      await new Promise((r) => setTimeout(r, 100));
      expect(closed).toBe(true);
      expect(written).toBeLessThan(32 * 1024 * 1024);
    } finally {
      flood.closeAllConnections();
      await new Promise((r) => flood.close(r));
    }
  });

  it('ranks by BM25 alone when no embeddings provider is set', () => {
    expect(exampleRankerFor(new EnvDto(), new SafeNetwork(undefined))).toBeInstanceOf(Bm25ExampleRanker);
  });
});
