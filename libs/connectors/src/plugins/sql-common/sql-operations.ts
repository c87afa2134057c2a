import type { EnvDto, ResolvedAddress } from '@sluice/core';
import type {
  ConnectorContext,
  ExecuteOptions,
  ProbeDetails,
  ProbeOutcome,
  QueryResult,
} from '../../plugin/connector-plugin';
import type { ConnectorRequestError } from '../../plugin/connector-errors';
import { connectionFailed } from './connection-errors';
import { withDeadline } from './deadline';
import { NetworkSqlConfig, sslWarning } from './network-sql-config';
import type { SqlLease } from './sql-connections';

// A query that outlives its server-side timeout by this much is cut from our side: the server
// or the network is not answering, and the caller must not wait on it.
export const CLIENT_GRACE_MS = 2_000;

/** Execute options with every bound settled: what a driver's run takes. */
export type BoundedExecute = Required<ExecuteOptions>;

function positive(value: number, fallback: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/** The server's settings that bound a query when the caller leaves a bound out. */
export type ExecuteDefaults = Pick<EnvDto, 'SQL_STATEMENT_TIMEOUT_MS' | 'SQL_MAX_ROWS' | 'RESULT_MAX_BYTES'>;

/**
 * The caller's options, read-only unless a write was asked for explicitly, with the server's
 * defaults standing in for a timeout, row cap or byte budget that is missing or not positive.
 */
export function boundExecute(options: ExecuteOptions, defaults: ExecuteDefaults): BoundedExecute {
  return {
    readOnly: options.readOnly !== false,
    timeoutMs: positive(options.timeoutMs, defaults.SQL_STATEMENT_TIMEOUT_MS),
    maxRows: positive(options.maxRows, defaults.SQL_MAX_ROWS),
    maxBytes: positive(options.maxBytes ?? 0, defaults.RESULT_MAX_BYTES),
  };
}

/** Runs a query and reports how long it took, as the whole call saw it. */
export async function timed(run: () => Promise<Omit<QueryResult, 'executionMs'>>): Promise<QueryResult> {
  const started = performance.now();
  const result = await run();
  return { ...result, executionMs: Math.round(performance.now() - started) };
}

/** What a leased run needs from the driver: a lease, and how its failures read to the caller. */
export interface LeaseSource<C, Conn> {
  lease(ctx: ConnectorContext<C>): Promise<SqlLease<Conn>>;
  /** A message for a connection that could not be made, naming what to fix, never the password. */
  describeConnectError(error: unknown, config: C): string;
  /** What a failed run throws: SQL_ERROR and SQL_TIMEOUT keep the connection, anything else drops it. */
  queryError(error: unknown, timeoutMs: number, config: C): ConnectorRequestError;
}

/**
 * Borrows a connection, runs `work` bounded by the timeout (plus a grace) and the caller's
 * signal, and gives the connection back, discarding it when `work` says it was cut, when the
 * deadline tore it down, or when the failure leaves its state in doubt.
 */
export async function runLeased<C, Conn, T>(
  ctx: ConnectorContext<C>,
  source: LeaseSource<C, Conn>,
  timeoutMs: number,
  work: (lease: SqlLease<Conn>) => Promise<{ value: T; cut: boolean }>,
): Promise<T> {
  let lease: SqlLease<Conn>;
  try {
    lease = await source.lease(ctx);
  } catch (error) {
    throw connectionFailed(error, (e) => source.describeConnectError(e, ctx.config));
  }
  let discard = false;
  try {
    const { value, cut } = await withDeadline(
      () => work(lease),
      timeoutMs + CLIENT_GRACE_MS,
      ctx.signal,
      () => {
        discard = true;
        void lease.done(true);
      },
    );
    discard ||= cut;
    return value;
  } catch (error) {
    const mapped = source.queryError(error, timeoutMs, ctx.config);
    if (mapped.code !== 'SQL_ERROR' && mapped.code !== 'SQL_TIMEOUT') discard = true;
    throw mapped;
  } finally {
    await lease.done(discard);
  }
}

/** A probe connection of the driver's: never pooled, torn down at the deadline. */
export interface ProbeConnection<P> {
  /** Connects and runs the probe query. */
  run(): Promise<P>;
  /** Tears the socket down at once: the deadline passed or the caller gave up. */
  abort(): void;
  /** Closes the connection once the probe is over, whatever its outcome. */
  close(): Promise<void> | void;
}

export interface ServerProbe<C, P> {
  open(config: C, target: ResolvedAddress, timeoutMs: number): ProbeConnection<P>;
  /** The message and details of a successful probe. */
  describe(probe: P): { message: string; details: ProbeDetails };
  describeConnectError(error: unknown, config: C): string;
}

/**
 * A real connection attempt to a network SQL server, bounded by `timeoutMs` and ctx.signal. A
 * refused address throws (the caller reports it as such); every other failure is a result.
 */
export async function probeServer<C extends NetworkSqlConfig, P>(
  ctx: ConnectorContext<C>,
  timeoutMs: number,
  probe: ServerProbe<C, P>,
): Promise<ProbeOutcome> {
  const { config } = ctx;
  // Outside the try: a refused address is the caller's to report, not a failed probe.
  const target = await ctx.net.resolve(config.host);
  const warning = sslWarning(config.ssl, target.address);
  // Always a connection of its own: an idle pooled one would prove nothing about reachability
  // now, and cutting it on timeout must not hurt queries sharing the pool.
  const connection = probe.open(config, target, timeoutMs);
  try {
    const found = await withDeadline(
      () => connection.run(),
      timeoutMs,
      ctx.signal,
      () => connection.abort(),
    );
    const { message, details } = probe.describe(found);
    return { success: true, message, ...(warning ? { warning } : {}), details };
  } catch (error) {
    return {
      success: false,
      message: probe.describeConnectError(error, config),
      ...(warning ? { warning } : {}),
      details: {},
    };
  } finally {
    await connection.close();
  }
}
