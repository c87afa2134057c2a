import { DomainError } from '@sluice/core';
import { SqlTooComplexError } from './guard/sql-guard';
import { FakeClock, nl2sqlWithFakes, ScriptedLlm, viewer } from '../../../test/helpers/nl2sql-fakes';

/** The steps of a question, over in-memory collaborators: no LLM, database or worker thread. */

const question = (extra: Record<string, unknown> = {}) => ({
  connectorId: 'con_1',
  question: 'How many albums are there?',
  ...extra,
});

/** The DomainError a failed question throws, with the attempts and history id it carries. */
async function failure(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('Nl2sqlService (orchestration over fakes)', () => {
  it('answers from a stored example matching the question without calling the LLM', async () => {
    const llm = new ScriptedLlm();
    const { service, fakes } = nl2sqlWithFakes(llm);
    fakes.examples.exact = { id: 'ex_1', question: 'How many albums are there?', sql: 'SELECT count(*) FROM album' };

    const response = await service.query(viewer, question());

    expect(llm.calls).toHaveLength(0);
    expect(response.sql).toBe('SELECT count(*) FROM album LIMIT 1000');
    expect(response.examplesUsed).toEqual(['ex_1']);
    expect(response.tablesUsed).toEqual(['public.album']);
    expect(response.result?.rows).toEqual([[347]]);
    expect(response.attempts).toEqual([
      expect.objectContaining({ index: 1, source: 'example', validationOk: true, executionError: null }),
    ]);
    expect(response.usage).toEqual({ promptTokens: 0, completionTokens: 0 });
    expect(fakes.history.entries).toEqual([
      expect.objectContaining({
        ok: true,
        attempts: 1,
        usage: null,
        rowCount: 1,
        sql: 'SELECT count(*) FROM album LIMIT 1000',
      }),
    ]);
    expect(response.historyId).toBe('hist_1');
    expect(fakes.slots.held).toBe(0);
  });

  it('asks the LLM when the stored example is refused, the example counting as the first attempt', async () => {
    const llm = new ScriptedLlm().reply('```sql\nSELECT count(*) FROM album\n```');
    const { service, fakes } = nl2sqlWithFakes(llm);
    fakes.examples.exact = { id: 'ex_1', question: 'How many albums are there?', sql: 'SELECT * FROM gone' };
    fakes.guard.refuse('SELECT * FROM gone', 'UNKNOWN_TABLE', 'Table gone does not exist');

    const response = await service.query(viewer, question());

    expect(llm.calls).toHaveLength(1);
    expect(response.attempts.map((a) => [a.index, a.source, a.validationOk])).toEqual([
      [1, 'example', false],
      [2, 'llm', true],
    ]);
    expect(response.examplesUsed).toEqual([]);
  });

  it('sends a refusal back to the LLM and tries again, summing the usage of every call', async () => {
    const llm = new ScriptedLlm()
      .reply('```sql\nSELECT count(*) FROM albums\n```', 100, 20)
      .reply('```sql\nSELECT count(*) FROM album\n```', 130, 15);
    const { service, fakes } = nl2sqlWithFakes(llm);
    fakes.guard.refuse(
      'SELECT count(*) FROM albums',
      'UNKNOWN_TABLE',
      'Table albums does not exist; did you mean album?',
    );

    const response = await service.query(viewer, question());

    expect(llm.calls).toHaveLength(2);
    const retry = llm.calls[1].turns;
    expect(retry[retry.length - 2]).toEqual({ role: 'assistant', content: '```sql\nSELECT count(*) FROM albums\n```' });
    expect(retry[retry.length - 1].role).toBe('user');
    expect(retry[retry.length - 1].content).toContain('Table albums does not exist; did you mean album?');
    expect(response.attempts).toEqual([
      expect.objectContaining({
        index: 1,
        source: 'llm',
        validationOk: false,
        validationErrors: [{ code: 'UNKNOWN_TABLE', message: 'Table albums does not exist; did you mean album?' }],
      }),
      expect.objectContaining({ index: 2, source: 'llm', validationOk: true }),
    ]);
    expect(response.usage).toEqual({ promptTokens: 230, completionTokens: 35 });
    expect(fakes.history.entries[0]).toMatchObject({
      ok: true,
      attempts: 2,
      usage: { promptTokens: 230, completionTokens: 35 },
    });
  });

  it('sends the database refusal back as well, and a reply without SQL', async () => {
    const llm = new ScriptedLlm()
      .reply('I cannot tell.')
      .reply('```sql\nSELECT cnt FROM album\n```')
      .reply('```sql\nSELECT count(*) FROM album\n```');
    const { service, fakes } = nl2sqlWithFakes(llm);
    fakes.executor.failOn(
      'SELECT cnt FROM album LIMIT 1000',
      new DomainError(400, 'SQL_EXECUTION_FAILED', 'column "cnt" does not exist'),
    );

    const response = await service.query(viewer, question());

    expect(response.attempts.map((a) => [a.sql, a.validationErrors.map((e) => e.code), a.executionError])).toEqual([
      [null, ['NO_SQL'], null],
      ['SELECT cnt FROM album', [], 'column "cnt" does not exist'],
      ['SELECT count(*) FROM album', [], null],
    ]);
    expect(llm.calls[1].turns.at(-1)?.content).toContain('the reply held no SQL statement');
    expect(llm.calls[2].turns.at(-1)?.content).toContain('the database refused it: column "cnt" does not exist');
  });

  it('treats SQL too large to check as a failed attempt, not as the end of the question', async () => {
    const llm = new ScriptedLlm().reply('```sql\nSELECT huge\n```').reply('```sql\nSELECT 1\n```');
    const { service, fakes } = nl2sqlWithFakes(llm);
    fakes.guard.throwOn('SELECT huge', new SqlTooComplexError('The SQL nests too deep'));

    const response = await service.query(viewer, question());

    expect(response.attempts[0].validationErrors).toEqual([
      { code: 'SQL_TOO_COMPLEX', message: 'The SQL nests too deep' },
    ]);
    expect(llm.calls[1].turns.at(-1)?.content).toContain('the SQL was not checked: The SQL nests too deep');
  });

  it('stops at NL2SQL_MAX_ATTEMPTS, records the failure and throws 422 with the attempts', async () => {
    const llm = new ScriptedLlm().reply('```sql\nSELECT x\n```').reply('```sql\nSELECT x\n```').reply('never asked');
    const { service, fakes } = nl2sqlWithFakes(llm, { NL2SQL_MAX_ATTEMPTS: 2 });
    fakes.guard.refuse('SELECT x', 'UNKNOWN_COLUMN', 'Column x does not exist');

    const error = await failure(service.query(viewer, question()));

    expect(llm.calls).toHaveLength(2);
    expect(error.status).toBe(422);
    expect(error.code).toBe('NL2SQL_FAILED');
    expect(error.message).toBe('No usable SQL after 2 attempt(s); last problem: Column x does not exist');
    expect(error.details).toEqual([{ historyId: 'hist_1', attempts: [expect.anything(), expect.anything()] }]);
    expect(fakes.history.entries).toEqual([
      expect.objectContaining({ ok: false, sql: 'SELECT x', attempts: 2, error: error.message }),
    ]);
    expect(fakes.slots.held).toBe(0);
  });

  describe('the time budget', () => {
    const clock = new FakeClock();
    beforeEach(() => clock.install());
    afterEach(() => clock.uninstall());

    it('starts no attempt once the deadline has passed', async () => {
      // Each call takes 600 ms of a 1,000 ms budget: the second starts at 600, the third never.
      const llm = new ScriptedLlm(clock, 600).reply('```sql\nSELECT x\n```').reply('```sql\nSELECT x\n```');
      const { service, fakes } = nl2sqlWithFakes(llm, { NL2SQL_TIME_BUDGET_MS: 1000, NL2SQL_MAX_ATTEMPTS: 5 });
      fakes.guard.refuse('SELECT x', 'UNKNOWN_COLUMN', 'Column x does not exist');

      const error = await failure(service.query(viewer, question()));

      expect(llm.calls).toHaveLength(2);
      expect(error.code).toBe('NL2SQL_FAILED');
      expect(error.message).toBe(
        'No usable SQL within the time budget of 1000 ms; last problem: Column x does not exist',
      );
      expect(fakes.history.entries[0]).toMatchObject({ ok: false, attempts: 2, durationMs: 1200 });
    });

    it('turns an LLM timeout at the deadline into 504 LLM_TIMEOUT', async () => {
      const llm = new ScriptedLlm(clock, 1000).fail(
        new DomainError(504, 'LLM_TIMEOUT', 'The LLM did not answer in time'),
      );
      const { service, fakes } = nl2sqlWithFakes(llm, { NL2SQL_TIME_BUDGET_MS: 1000 });

      const error = await failure(service.query(viewer, question()));

      expect(error.status).toBe(504);
      expect(error.message).toBe(
        'No usable SQL within the time budget of 1000 ms (NL2SQL_TIME_BUDGET_MS); the LLM was too slow',
      );
      expect(fakes.history.entries[0]).toMatchObject({ ok: false, attempts: 0, sql: null });
    });
  });

  it('stops before asking the LLM when the client has gone (499, recorded)', async () => {
    const llm = new ScriptedLlm().reply('never asked');
    const { service, fakes } = nl2sqlWithFakes(llm);
    const gone = new AbortController();
    gone.abort();

    const error = await failure(service.query(viewer, question(), { signal: gone.signal }));

    expect(llm.calls).toHaveLength(0);
    expect(error.status).toBe(499);
    expect(error.code).toBe('CLIENT_CLOSED_REQUEST');
    expect(fakes.history.entries).toEqual([expect.objectContaining({ ok: false, attempts: 0 })]);
  });

  it('checks without running when execute is false', async () => {
    const llm = new ScriptedLlm().reply('```sql\nSELECT 1\n```');
    const { service, fakes } = nl2sqlWithFakes(llm);

    const response = await service.query(viewer, question({ execute: false }));

    expect(response.result).toBeNull();
    expect(response.validation).toEqual(expect.objectContaining({ ok: true, normalizedSql: 'SELECT 1 LIMIT 1000' }));
    expect(fakes.executor.ran).toEqual([]);
    expect(fakes.history.entries[0]).toMatchObject({ ok: true, rowCount: null });
  });

  it('tells each stage as it begins', async () => {
    const llm = new ScriptedLlm().reply('```sql\nSELECT 1\n```');
    const { service } = nl2sqlWithFakes(llm);
    const stages: unknown[] = [];

    await service.query(viewer, question(), {
      onStage: (stage, detail) => stages.push(detail ? [stage, detail] : stage),
    });

    expect(stages).toEqual([
      'linking',
      ['generating', { attempt: 1 }],
      ['validating', { attempt: 1 }],
      ['executing', { attempt: 1 }],
    ]);
  });

  it('adds the spoken answer and its tokens to the response, after history has recorded the question', async () => {
    const llm = new ScriptedLlm()
      .reply('```sql\nSELECT count(*) FROM album\n```', 100, 10)
      .reply(' There are 347 albums. ', 50, 7);
    const { service, fakes } = nl2sqlWithFakes(llm);

    const response = await service.query(viewer, question({ answer: true, chart: true }));

    expect(response.answer).toBe('There are 347 albums.');
    expect(response.usage).toEqual({ promptTokens: 150, completionTokens: 17 });
    expect(fakes.history.entries[0].usage).toEqual({ promptTokens: 100, completionTokens: 10 });
    expect(response).toHaveProperty('chart');
  });

  it('gives a spoken answer of null when that call fails, and still answers', async () => {
    const llm = new ScriptedLlm().reply('```sql\nSELECT 1\n```').fail(new Error('provider down'));
    const { service } = nl2sqlWithFakes(llm);

    const response = await service.query(viewer, question({ answer: true }));

    expect(response.answer).toBeNull();
    expect(response.sql).toBe('SELECT 1 LIMIT 1000');
  });

  it('refuses mutations for a non-admin before reading anything (403, not recorded)', async () => {
    const { service, fakes } = nl2sqlWithFakes(new ScriptedLlm());

    const error = await failure(service.query(viewer, question({ allowMutations: true })));

    expect(error.status).toBe(403);
    expect(fakes.history.entries).toEqual([]);
    expect(fakes.slots.held).toBe(0);
  });
});
