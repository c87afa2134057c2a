import { CONNECTOR_PLUGIN, ConnectorConfigError } from '@sluice/connectors';
import type {
  Capability,
  ConfigScope,
  ConnectorContext,
  ConnectorPlugin,
  ConnectorTypeInfo,
  DiscoveredItem,
  SqlDialect,
} from '@sluice/connectors';
import { Socket } from 'node:net';
import { text } from 'node:stream/consumers';

/** What a refusal throws: its class, and its code when it has one. */
export interface ExpectedError {
  type: abstract new (...args: never[]) => Error;
  code?: string;
}

/**
 * What a plugin must refuse before it touches anything: a blocked address for network types, a
 * path outside the allowed roots (or storage) for file types. Give at least one of the three.
 */
export interface RefusalFixture<C> {
  /** A configuration parseConfig refuses, naming `field` (e.g. `config.path`). */
  config?: {
    config: () => Record<string, unknown>;
    /** The authConfig beside it (valid secrets, so the refusal is about the config); `{}` if left out. */
    auth?: () => Record<string, unknown>;
    scope?: ConfigScope;
    field: string;
  };
  /**
   * A context aimed where the server must not go: the probe and every other call the plugin has
   * (discover, read, introspection, SQL) reject with `error`, and no socket is ever opened.
   */
  context?: { context: () => ConnectorContext<C>; error: ExpectedError };
  /** An item that read() must refuse, e.g. a path that climbs out of the folder. */
  item?: { item: Pick<DiscoveredItem, 'externalId' | 'path'>; error: ExpectedError };
}

/**
 * How one connector type takes part in the contract suite. Contexts are functions so they can
 * use what the spec's own beforeAll/beforeEach prepared.
 */
export interface ContractFixture<C> {
  /** A configuration that works: a reachable server, a readable file or folder. */
  valid: () => ConnectorContext<C>;
  /** Matched against the successful probe outcome (details the type reports). */
  probe?: Record<string, unknown>;
  /**
   * A coming-soon type whose probe is not wired yet: the probe of a valid configuration fails
   * with this message (never a pretended success), and the type is announced `coming_soon`.
   */
  unavailable?: RegExp;
  /** A configuration whose probe fails: a server that refuses connections, a missing file. */
  failing?: () => ConnectorContext<C>;
  /** The message of the failed probe. */
  failure?: RegExp;
  /**
   * Instead of `failing`: why no configuration that parses can make this type's probe fail
   * (a webhook reaches nothing; it only reports that it is ready to receive).
   */
  probeCannotFail?: string;
  refusal: RefusalFixture<C>;
  /** External ids the valid configuration must discover (among others). */
  discovered?: string[];
  /** A discovered item and its full content; read() must stream it, whole and by range. */
  read?: { item: Pick<DiscoveredItem, 'externalId' | 'path'>; content: string };
  /** SQL types: the dialect, and tables introspection must find. */
  sql?: { dialect: SqlDialect; tables: string[] };
}

/** Which fixture entry exercises each capability the type declares. */
const COVERED_BY: Record<Capability, keyof ContractFixture<unknown> | null> = {
  test: 'failing',
  discover: 'discovered',
  read: 'read',
  introspect: 'sql',
  execute: 'sql',
  // Uploads go through the HTTP flow (files e2e); the plugin's part is a pure config update.
  upload: null,
};

async function collect(items: AsyncIterable<DiscoveredItem[]>): Promise<DiscoveredItem[][]> {
  const batches: DiscoveredItem[][] = [];
  for await (const batch of items) batches.push(batch);
  return batches;
}

async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

function expectError(error: unknown, expected: ExpectedError): void {
  expect(error).toBeInstanceOf(expected.type);
  if (expected.code) expect(error).toMatchObject({ code: expected.code });
}

/**
 * The behaviour every connector plugin owes the rest of the system, run against a real source:
 * probe success, probe failure as a result (never a throw), discovery, reads, the refusal of
 * destinations the server must not reach, and introspection plus a query for SQL types. A new
 * type gets these tests by calling this from its int-spec with its own fixture.
 */
export function describeConnectorContract<C>(
  name: string,
  plugin: () => ConnectorPlugin<C>,
  fixture: ContractFixture<C>,
): void {
  describe(`connector contract: ${name}`, () => {
    it('has a fixture for every capability it declares', () => {
      const info = Reflect.getMetadata(CONNECTOR_PLUGIN, plugin().constructor) as ConnectorTypeInfo | undefined;
      expect(info).toBeDefined();
      const missing = info!.capabilities.filter((capability) => {
        if (capability === 'test') return !fixture.failing && !fixture.probeCannotFail && !fixture.unavailable;
        const entry = COVERED_BY[capability];
        return entry !== null && fixture[entry] === undefined;
      });
      expect(missing).toEqual([]);
      if (fixture.failing) expect(fixture.failure).toBeInstanceOf(RegExp);
      expect(Object.keys(fixture.refusal).length).toBeGreaterThan(0);
      if (fixture.sql) expect(plugin().sql?.dialect).toBe(fixture.sql.dialect);
    });

    const { unavailable, failing, failure } = fixture;
    if (unavailable) {
      it('is announced coming_soon, and its probe says not available instead of pretending success', async () => {
        const info = Reflect.getMetadata(CONNECTOR_PLUGIN, plugin().constructor) as ConnectorTypeInfo;
        expect(info.readiness).toBe('coming_soon');
        const outcome = await plugin().test(fixture.valid());
        expect(outcome).toMatchObject({ success: false, message: expect.stringMatching(unavailable) });
      });
    } else {
      it('probes a working configuration successfully', async () => {
        const outcome = await plugin().test(fixture.valid());
        expect(outcome).toMatchObject({ success: true, message: expect.any(String), details: expect.any(Object) });
        if (fixture.probe) expect(outcome.details).toMatchObject(fixture.probe);
      });
    }

    if (failing) {
      it('reports a failing probe as a result, not a throw', async () => {
        const outcome = await plugin().test(failing());
        expect(outcome).toMatchObject({ success: false, message: expect.stringMatching(failure!) });
        expect(outcome.details).toBeDefined();
      });
    }

    if (fixture.discovered) {
      const expected = fixture.discovered;
      it('discovers the items of the source, in batches', async () => {
        const discover = plugin().discover;
        expect(discover).toBeDefined();
        const batches = await collect(discover!.call(plugin(), fixture.valid()));
        expect(batches.length).toBeGreaterThan(0);
        for (const batch of batches) expect(batch.length).toBeGreaterThan(0);
        const items = batches.flat();
        expect(items.map((item) => item.externalId)).toEqual(expect.arrayContaining(expected));
        for (const item of items) {
          expect(item).toMatchObject({ externalId: expect.any(String), name: expect.any(String) });
          expect(['file', 'table', 'view', 'record']).toContain(item.kind);
        }
      });
    }

    if (fixture.read) {
      const { item, content } = fixture.read;
      it('streams the bytes of a discovered item, whole and by inclusive range', async () => {
        const read = plugin().read;
        expect(read).toBeDefined();
        const ctx = fixture.valid();
        expect(await text(await read!.call(plugin(), ctx, item))).toBe(content);
        const end = Math.min(3, content.length - 1);
        expect(await text(await read!.call(plugin(), ctx, item, { start: 1, end }))).toBe(content.slice(1, end + 1));
      });
    }

    if (fixture.sql) {
      const { dialect, tables } = fixture.sql;
      it('introspects the schema and runs SELECT 1', async () => {
        const sql = plugin().sql;
        expect(sql).toBeDefined();
        const snapshot = await sql!.introspect(fixture.valid());
        expect(snapshot.dialect).toBe(dialect);
        expect(snapshot.catalogQueries).toBeGreaterThan(0);
        expect(snapshot.tables.map((table) => table.name)).toEqual(expect.arrayContaining(tables));
        const result = await sql!.execute(fixture.valid(), 'SELECT 1 AS one', {
          readOnly: true,
          timeoutMs: 5_000,
          maxRows: 10,
        });
        expect(result).toMatchObject({ rowCount: 1, truncated: false, truncatedReason: null });
        expect(result.columns.map((column) => column.name)).toEqual(['one']);
        expect(result.rows.map((row) => row.map(Number))).toEqual([[1]]);
        expect(result.executionMs).toBeGreaterThanOrEqual(0);
      });
    }

    const { refusal } = fixture;
    if (refusal.config) {
      const { config, auth, scope, field } = refusal.config;
      it(`refuses a configuration outside what the server allows, naming ${field}`, () => {
        let error: unknown;
        try {
          plugin().parseConfig(config(), auth?.() ?? {}, scope ?? { tenantId: 'ten_test' });
        } catch (thrown) {
          error = thrown;
        }
        expect(error).toBeInstanceOf(ConnectorConfigError);
        expect((error as ConnectorConfigError).details).toEqual([expect.objectContaining({ field })]);
      });
    }

    if (refusal.context) {
      const { context, error } = refusal.context;
      it('refuses a destination the server must not reach, in every call, before opening a socket', async () => {
        const dial = jest.spyOn(Socket.prototype, 'connect');
        try {
          const target = plugin();
          expectError(await rejection(() => target.test(context())), error);
          if (target.discover) expectError(await rejection(() => collect(target.discover!(context()))), error);
          if (target.read && fixture.read) {
            expectError(await rejection(() => target.read!(context(), fixture.read!.item)), error);
          }
          if (target.sql) {
            expectError(await rejection(() => target.sql!.introspect(context())), error);
            const options = { readOnly: true, timeoutMs: 1_000, maxRows: 1 };
            expectError(await rejection(() => target.sql!.execute(context(), 'SELECT 1', options)), error);
          }
          expect(dial).not.toHaveBeenCalled();
        } finally {
          dial.mockRestore();
        }
      });
    }

    if (refusal.item) {
      const { item, error } = refusal.item;
      it(`refuses to read ${item.externalId}, outside the source`, async () => {
        const read = plugin().read;
        expect(read).toBeDefined();
        expectError(await rejection(() => read!.call(plugin(), fixture.valid(), item)), error);
      });
    }
  });
}
