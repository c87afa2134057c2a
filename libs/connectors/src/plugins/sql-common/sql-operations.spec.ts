import { SafeNetwork, SafeNetworkError } from '@sluice/core';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import type { ConnectorContext } from '../../plugin/connector-plugin';
import type { NetworkSqlConfig } from './network-sql-config';
import type { SqlLease } from './sql-connections';
import { boundExecute, LeaseSource, probeServer, runLeased, timed } from './sql-operations';

const logger = { log: () => undefined, error: () => undefined, warn: () => undefined };
const config = { host: '127.0.0.1', port: 5432, ssl: { mode: 'disable' } } as unknown as NetworkSqlConfig;

function context(host = '127.0.0.1'): ConnectorContext<NetworkSqlConfig> {
  return {
    tenantId: 'ten_a',
    connectorId: null,
    config: { ...config, host },
    signal: new AbortController().signal,
    net: new SafeNetwork('127.0.0.1'),
    logger,
  };
}

function source(lease: () => Promise<SqlLease<string>>): LeaseSource<NetworkSqlConfig, string> {
  return {
    lease,
    describeConnectError: (error) => `cannot connect: ${(error as Error).message}`,
    queryError: (error) =>
      error instanceof ConnectorRequestError ? error : new ConnectorRequestError('CONNECTION_FAILED', 'lost'),
  };
}

function fakeLease(): SqlLease<string> & { returned: Array<boolean | undefined> } {
  const returned: Array<boolean | undefined> = [];
  return { conn: 'conn', returned, done: async (discard) => void returned.push(discard) };
}

describe('SQL building blocks', () => {
  it('bounds execute options by the server defaults, read-only unless a write is asked for', () => {
    const defaults = { SQL_STATEMENT_TIMEOUT_MS: 30_000, SQL_MAX_ROWS: 1000, RESULT_MAX_BYTES: 5_000_000 };
    expect(boundExecute({ readOnly: true, timeoutMs: 0, maxRows: -1 }, defaults)).toEqual({
      readOnly: true,
      timeoutMs: 30_000,
      maxRows: 1000,
      maxBytes: 5_000_000,
    });
    expect(boundExecute({ readOnly: false, timeoutMs: 1500.7, maxRows: 10, maxBytes: 2048 }, defaults)).toEqual({
      readOnly: false,
      timeoutMs: 1500,
      maxRows: 10,
      maxBytes: 2048,
    });
    expect(boundExecute({ timeoutMs: 1, maxRows: 1 } as never, defaults).readOnly).toBe(true);
  });

  it('adds the time a run took to its result', async () => {
    const result = await timed(async () => ({
      columns: [],
      rows: [],
      rowCount: 0,
      truncated: false,
      truncatedReason: null,
    }));
    expect(result.executionMs).toBeGreaterThanOrEqual(0);
  });

  it('gives a lease back after a run, and drops it when the run was cut or the connection failed', async () => {
    const kept = fakeLease();
    expect(
      await runLeased(
        context(),
        source(async () => kept),
        1000,
        async () => ({ value: 1, cut: false }),
      ),
    ).toBe(1);
    expect(kept.returned).toEqual([false]);

    const cut = fakeLease();
    await runLeased(
      context(),
      source(async () => cut),
      1000,
      async () => ({ value: 1, cut: true }),
    );
    expect(cut.returned).toEqual([true]);

    const sqlError = fakeLease();
    const refused = new ConnectorRequestError('SQL_ERROR', 'syntax error');
    await expect(
      runLeased(
        context(),
        source(async () => sqlError),
        1000,
        () => Promise.reject(refused),
      ),
    ).rejects.toBe(refused);
    expect(sqlError.returned).toEqual([false]);

    const lost = fakeLease();
    await expect(
      runLeased(
        context(),
        source(async () => lost),
        1000,
        () => Promise.reject(new Error('socket hang up')),
      ),
    ).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    expect(lost.returned).toEqual([true]);
  });

  it('reports a lease that cannot be had, and passes a refused address through untouched', async () => {
    await expect(
      runLeased(
        context(),
        source(() => Promise.reject(new Error('ECONNREFUSED'))),
        1000,
        async () => ({
          value: 1,
          cut: false,
        }),
      ),
    ).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: 'cannot connect: ECONNREFUSED' });
    const blocked = new SafeNetworkError('refused', 'private');
    await expect(
      runLeased(
        context(),
        source(() => Promise.reject(blocked)),
        1000,
        async () => ({ value: 1, cut: false }),
      ),
    ).rejects.toBe(blocked);
  });

  it('probes: success and failure are results, a refused address throws, the connection is always closed', async () => {
    const closed: string[] = [];
    const probe = (run: () => Promise<string>) => ({
      open: () => ({ run, abort: () => closed.push('abort'), close: () => void closed.push('close') }),
      describe: (version: string) => ({ message: `Connected to ${version}`, details: { serverVersion: version } }),
      describeConnectError: (error: unknown) => `failed: ${(error as Error).message}`,
    });
    expect(
      await probeServer(
        context(),
        1000,
        probe(async () => '1.0'),
      ),
    ).toEqual({
      success: true,
      message: 'Connected to 1.0',
      details: { serverVersion: '1.0' },
    });
    expect(
      await probeServer(
        context(),
        1000,
        probe(() => Promise.reject(new Error('no'))),
      ),
    ).toEqual({
      success: false,
      message: 'failed: no',
      details: {},
    });
    expect(
      await probeServer(
        context(),
        20,
        probe(() => new Promise<string>(() => undefined)),
      ),
    ).toMatchObject({
      success: false,
      message: 'failed: Timed out after 20 ms',
    });
    expect(closed).toEqual(['close', 'close', 'abort', 'close']);
    await expect(
      probeServer(
        context('10.0.0.1'),
        1000,
        probe(async () => '1.0'),
      ),
    ).rejects.toBeInstanceOf(SafeNetworkError);
  });
});
