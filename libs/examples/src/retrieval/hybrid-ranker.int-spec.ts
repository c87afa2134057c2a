import { EnvDto } from '@sluice/core/config/env.dto';
import { SafeNetwork } from '@sluice/core/network/safe-network';
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
  });

  it('still puts an exact wording first', async () => {
    const ranker = exampleRankerFor(env, new SafeNetwork('127.0.0.1'));
    const ranked = await ranker.rank('How many albums are there?', examples, 2);
    expect(ranked[0].example.id).toBe('ex_albums');
  });

  it('falls back to words alone when the embeddings server is refused or down', async () => {
    // Loopback is not allowed here: the safe-network guard refuses before any connection.
    const refused = exampleRankerFor(env, new SafeNetwork(undefined));
    const ranked = await refused.rank('How many albums are there?', examples, 2);
    expect(ranked[0].example.id).toBe('ex_albums');
  });

  it('ranks by BM25 alone when no embeddings provider is set', () => {
    expect(exampleRankerFor(new EnvDto(), new SafeNetwork(undefined))).toBeInstanceOf(Bm25ExampleRanker);
  });
});
