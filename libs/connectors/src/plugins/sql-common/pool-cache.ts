import { createHash } from 'node:crypto';

interface Entry<P> {
  fingerprint: string;
  pool: Promise<P>;
}

/** JSON with sorted keys, so two equal configurations always give the same fingerprint. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && typeof v !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A sha256 of the configuration: the cache keeps this, never the password it was made from. */
export function fingerprintOf(source: unknown): string {
  return createHash('sha256').update(stableJson(source)).digest('hex');
}

/**
 * One driver pool per saved connector. A pool is rebuilt when the fingerprint of what it was
 * made from (configuration, credentials, the address the host resolved to) changes, so an
 * edited connector never keeps talking to its old server with its old password.
 */
export class PoolCache<P> {
  private readonly entries = new Map<string, Entry<P>>();

  constructor(private readonly closePool: (pool: P) => Promise<void>) {}

  get size(): number {
    return this.entries.size;
  }

  async get(connectorId: string, source: unknown, create: () => P | Promise<P>): Promise<P> {
    const fingerprint = fingerprintOf(source);
    const current = this.entries.get(connectorId);
    if (current?.fingerprint === fingerprint) return current.pool;
    if (current) {
      this.entries.delete(connectorId);
      void this.close(current);
    }
    const pool = Promise.resolve().then(create);
    const entry = { fingerprint, pool };
    this.entries.set(connectorId, entry);
    // A pool that could not even be built must not stay cached as a rejected promise.
    pool.catch(() => {
      if (this.entries.get(connectorId) === entry) this.entries.delete(connectorId);
    });
    return pool;
  }

  async release(connectorId: string): Promise<void> {
    const entry = this.entries.get(connectorId);
    if (!entry) return;
    this.entries.delete(connectorId);
    await this.close(entry);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((entry) => this.close(entry)));
  }

  private async close(entry: Entry<P>): Promise<void> {
    try {
      await this.closePool(await entry.pool);
    } catch {
      // Closing is best effort: a pool that failed to open or is already gone has nothing to free.
    }
  }
}
