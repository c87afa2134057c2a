import type { ResolvedAddress } from '@sluice/core';
import type { ConnectorContext } from '../../plugin/connector-plugin';
import { PoolCache } from './pool-cache';

/** A connection borrowed for one operation; `done(true)` discards it instead of reusing it. */
export interface SqlLease<Conn> {
  conn: Conn;
  done(discard?: boolean): Promise<void>;
}

/** The driver calls behind {@link SqlConnections}: what differs between one SQL engine and another. */
export interface PoolDriver<C, Options, Pool, Conn> {
  /** Connection options that dial exactly the address the safe-network guard approved. */
  options(config: C, target: ResolvedAddress): Options;
  /**
   * What a pool is made from, secrets and the resolved address included: when it changes (a new
   * password, a host that now resolves elsewhere) the connector gets a fresh pool.
   */
  fingerprint(options: Options, config: C, target: ResolvedAddress): unknown;
  /** One connection of its own, for an unsaved configuration; `done` closes it. */
  connect(options: Options): Promise<SqlLease<Conn>>;
  createPool(options: Options, ctx: ConnectorContext<C>): Pool;
  /** Borrows a connection from the pool; `done` gives it back (or drops it). */
  borrow(pool: Pool): Promise<SqlLease<Conn>>;
  closePool(pool: Pool): Promise<void>;
}

/**
 * The connections of one network SQL type: a pool per saved connector (rebuilt when what it was
 * made from changes, closed on release), and a connection of its own for an unsaved
 * configuration. The host is resolved through the safe-network guard on every lease.
 */
export class SqlConnections<C extends { host: string }, Options, Pool, Conn> {
  private readonly pools: PoolCache<Pool>;

  constructor(private readonly driver: PoolDriver<C, Options, Pool, Conn>) {
    this.pools = new PoolCache<Pool>((pool) => driver.closePool(pool));
  }

  async lease(ctx: ConnectorContext<C>): Promise<SqlLease<Conn>> {
    const target = await ctx.net.resolve(ctx.config.host);
    const options = this.driver.options(ctx.config, target);
    if (!ctx.connectorId) return this.driver.connect(options);
    const fingerprint = this.driver.fingerprint(options, ctx.config, target);
    const pool = await this.pools.get(ctx.connectorId, fingerprint, () => this.driver.createPool(options, ctx));
    return this.driver.borrow(pool);
  }

  release(connectorId: string): Promise<void> {
    return this.pools.release(connectorId);
  }

  closeAll(): Promise<void> {
    return this.pools.closeAll();
  }
}
