import type { ConnectorRegistry, ConnectorRuntime, ExecuteOptions, QueryResult } from '@sluice/connectors';
import type { EnvDto } from '@sluice/core';
import { caller, failure, TENANT_B } from '../../../test/fakes/common';
import { fakePlugin, FakeRuntime } from '../../../test/fakes/connectors';
import { schemaWorld, table } from '../../../test/fakes/schema';
import { SqlGuard } from './guard/sql-guard';
import type { LlmService } from './llm/llm.service';
import { QuestionContextService } from './question-context';
import { SqlExecutor } from './sql-executor';
import { SqlToolsService } from './sql-tools.service';

const RESULT: QueryResult = {
  columns: [{ name: 'n', type: 'int' }],
  rows: [[3]],
  rowCount: 1,
  truncated: false,
  truncatedReason: null,
  executionMs: 2,
};

/** An LLM that is configured or not, and answers `reply` (or throws it). */
class FakeLlm {
  configured = false;
  reply: string | Error = '';
  readonly asked: string[] = [];

  async isConfigured(): Promise<boolean> {
    return this.configured;
  }

  async chat(_tenantId: string, turns: Array<{ content: string }>): Promise<{ text: string }> {
    this.asked.push(turns.map((t) => t.content).join('\n'));
    if (this.reply instanceof Error) throw this.reply;
    return { text: this.reply };
  }
}

describe('SqlToolsService', () => {
  const admin = caller();
  const editor = caller(undefined, { role: 'editor' });
  const viewer = caller(undefined, { role: 'viewer' });
  const guard = new SqlGuard();
  afterAll(() => guard.close());

  let world: ReturnType<typeof schemaWorld>;
  let executed: Array<{ sql: string; options: ExecuteOptions }>;
  let llm: FakeLlm;
  let service: SqlToolsService;
  let pgId: string;

  beforeEach(async () => {
    world = schemaWorld();
    world.source.tables = [
      table('public', 'customer', ['customer_id', 'name', 'email']),
      table('public', 'invoice', ['invoice_id', 'customer_id', 'total']),
    ];
    executed = [];
    // The SQL plugin of schemaWorld, with an execute that records what reached the database.
    const pg = world.registry.get('postgresql').plugin;
    world.registry.register(
      'postgresql',
      fakePlugin({
        sql: {
          ...pg.sql!,
          execute: async (_ctx, sql, options) => {
            executed.push({ sql, options });
            return RESULT;
          },
        },
      }),
      { dialect: 'postgresql' },
    );
    const env = { SQL_MAX_ROWS: 100, SQL_STATEMENT_TIMEOUT_MS: 1000 } as EnvDto;
    const contexts = new QuestionContextService(
      world.service,
      world.annotations,
      world.registry as unknown as ConnectorRegistry,
      { trainedTables: async () => new Set<string>() },
      guard,
    );
    const executor = new SqlExecutor(new FakeRuntime(world.registry) as unknown as ConnectorRuntime, env);
    llm = new FakeLlm();
    service = new SqlToolsService(contexts, guard, executor, llm as unknown as LlmService, env);
    pgId = world.connectors.add({ type: 'postgresql' }).id;
  });

  describe('validate', () => {
    it('passes a read of known tables, with the row cap added to the SQL', async () => {
      const result = await service.validate(admin, { connectorId: pgId, sql: 'SELECT name FROM customer' });
      expect(result).toMatchObject({ ok: true, dialect: 'postgresql', errors: [] });
      expect(result.normalizedSql).toMatch(/LIMIT 100$/);
      expect(executed).toEqual([]);
    });

    it('answers ok: false with the reasons for a write or an unknown table', async () => {
      const write = await service.validate(admin, { connectorId: pgId, sql: 'DELETE FROM customer' });
      expect(write.ok).toBe(false);
      expect(write.errors.length).toBeGreaterThan(0);
      const unknown = await service.validate(admin, { connectorId: pgId, sql: 'SELECT * FROM ghosts' });
      expect(unknown.ok).toBe(false);
      expect(unknown.errors.map((e) => e.message).join(' ')).toContain('ghosts');
    });

    it('withholds columns tagged pii from viewers only', async () => {
      await world.repo.upsertAnnotation({
        id: 'ann_email',
        tenantId: admin.tenantId,
        connectorId: pgId,
        table: 'public.customer',
        column: 'email',
        description: null,
        tags: ['pii'],
        context: null,
        orphaned: false,
        createdBy: null,
        updatedBy: null,
      });
      const sql = 'SELECT email FROM customer';
      expect((await service.validate(admin, { connectorId: pgId, sql })).ok).toBe(true);
      expect((await service.validate(viewer, { connectorId: pgId, sql })).ok).toBe(false);
    });

    it('is 404 for another tenant connector', async () => {
      expect(await failure(service.validate(caller(TENANT_B), { connectorId: pgId, sql: 'SELECT 1' }))).toEqual({
        status: 404,
        code: 'CONNECTOR_NOT_FOUND',
      });
    });
  });

  describe('execute', () => {
    it('runs the checked SQL read-only, with the rows asked for capped at SQL_MAX_ROWS', async () => {
      const answer = await service.execute(editor, {
        connectorId: pgId,
        sql: 'SELECT count(*) AS n FROM invoice',
        maxRows: 500,
      });
      expect(answer.result).toEqual(RESULT);
      expect(answer.validation.ok).toBe(true);
      expect(executed).toHaveLength(1);
      expect(executed[0].sql).toBe(answer.validation.normalizedSql);
      expect(executed[0].options).toMatchObject({ readOnly: true, maxRows: 100, timeoutMs: 1000 });
    });

    it('refuses SQL the guard rejects with 422 SQL_REJECTED, and runs nothing', async () => {
      expect(await failure(service.execute(admin, { connectorId: pgId, sql: 'DROP TABLE invoice' }))).toEqual({
        status: 422,
        code: 'SQL_REJECTED',
      });
      expect(executed).toEqual([]);
    });

    it('lets only admins ask for writes (403 MUTATIONS_FORBIDDEN), and runs an admin write outside read-only', async () => {
      const update = {
        connectorId: pgId,
        sql: "UPDATE customer SET name = 'x' WHERE customer_id = 1",
        allowMutations: true,
      };
      expect(await failure(service.execute(editor, update))).toEqual({ status: 403, code: 'MUTATIONS_FORBIDDEN' });
      expect(executed).toEqual([]);
      await service.execute(admin, update);
      expect(executed.map((e) => e.options.readOnly)).toEqual([false]);
    });

    it('keeps a read read-only even when writes were allowed', async () => {
      await service.execute(admin, { connectorId: pgId, sql: 'SELECT 1', allowMutations: true });
      expect(executed[0].options.readOnly).toBe(true);
    });
  });

  describe('explain', () => {
    const sql =
      'SELECT c.name, sum(i.total) FROM customer c JOIN invoice i ON i.customer_id = c.customer_id GROUP BY c.name';

    it('uses the LLM answer when it is configured and answers with markdown, dropping malformed steps', async () => {
      llm.configured = true;
      llm.reply =
        'Sure: {"markdown": "Totals per customer", "steps": [{"title": "Join", "body": "by id"}, {"title": 3}]}';
      expect(await service.explain(admin, { connectorId: pgId, sql })).toEqual({
        markdown: 'Totals per customer',
        steps: [{ title: 'Join', body: 'by id' }],
        source: 'llm',
      });
      expect(llm.asked[0]).toContain(sql);
    });

    it('falls back to the structure of the SQL when the LLM fails, rambles, or is not configured', async () => {
      llm.configured = true;
      llm.reply = new Error('provider down');
      expect((await service.explain(admin, { connectorId: pgId, sql })).source).toBe('structure');
      llm.reply = 'I think it sums things.';
      expect((await service.explain(admin, { connectorId: pgId, sql })).source).toBe('structure');
      llm.configured = false;
      const structural = await service.explain(admin, { connectorId: pgId, sql });
      expect(structural.source).toBe('structure');
      expect(structural.markdown.length).toBeGreaterThan(0);
      expect(llm.asked).toHaveLength(2);
    });

    it('is 400 SCHEMA_NOT_SUPPORTED for a connector without SQL', async () => {
      const folder = world.connectors.add({ type: 'folder' });
      expect(await failure(service.explain(admin, { connectorId: folder.id, sql }))).toEqual({
        status: 400,
        code: 'SCHEMA_NOT_SUPPORTED',
      });
    });
  });
});
