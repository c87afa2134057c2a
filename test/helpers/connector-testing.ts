import { ConnectorContext, ConnectorPlugin, SqlCapability } from '@sluice/connectors';
import { SafeNetwork, SafeNetworkError } from '@sluice/core';
import type { LoggerService } from '@nestjs/common';
import { AddressInfo, createServer, Server, Socket } from 'node:net';

/** Test support for the SQL connector suites: contexts, and listeners that count who knocks. */
export const silentLogger: LoggerService = {
  log: () => undefined,
  error: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

export function contextFor<C>(
  config: C,
  options: { net?: SafeNetwork; connectorId?: string | null; signal?: AbortSignal } = {},
): ConnectorContext<C> {
  return {
    tenantId: 'ten_test',
    connectorId: options.connectorId ?? null,
    config,
    signal: options.signal ?? new AbortController().signal,
    net: options.net ?? new SafeNetwork('127.0.0.1'),
    logger: silentLogger,
  };
}

/** A local TCP listener that records connections and answers with `onConnection` (or stays silent). */
export class CountingListener {
  connections = 0;
  port = 0;
  private readonly sockets = new Set<Socket>();
  private server?: Server;

  constructor(private readonly onConnection: (socket: Socket) => void = () => undefined) {}

  /** Listens on `host` (any loopback address works on Linux: 127.0.0.2 is not 127.0.0.1 to an allow-list). */
  async start(host = '127.0.0.1'): Promise<this> {
    this.server = createServer((socket) => {
      this.connections += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      this.onConnection(socket);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * The safe-network contract of every network SQL type: a refused address is never dialled, by
 * a probe, an introspection or a query, and the refusal is immediate.
 */
export function itRefusesUnsafeAddresses<C extends { host: string; port: number }>(
  connector: ConnectorPlugin<C> & { sql: SqlCapability<C> },
  config: C,
): void {
  it('refuses a loopback address that is not allow-listed before opening any socket', async () => {
    const listener = await new CountingListener().start();
    try {
      const refused = contextFor<C>({ ...config, port: listener.port }, { net: new SafeNetwork(undefined) });
      await expect(connector.test(refused)).rejects.toBeInstanceOf(SafeNetworkError);
      await expect(connector.sql.introspect(refused)).rejects.toBeInstanceOf(SafeNetworkError);
      await expect(
        connector.sql.execute(refused, 'SELECT 1', { readOnly: true, timeoutMs: 1000, maxRows: 1 }),
      ).rejects.toBeInstanceOf(SafeNetworkError);
      expect(listener.connections).toBe(0);
    } finally {
      await listener.stop();
    }
  });

  it.each(['169.254.169.254', '10.0.0.1'])('refuses %s at once, without dialling it', async (host) => {
    // "At once" is "before any socket": a dial to these would hang until the probe timeout.
    const dial = jest.spyOn(Socket.prototype, 'connect');
    try {
      const error = await connector.test(contextFor<C>({ ...config, host })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SafeNetworkError);
      expect(error).toMatchObject({ code: 'ADDRESS_REFUSED' });
      expect(dial).not.toHaveBeenCalled();
    } finally {
      dial.mockRestore();
    }
  });
}
