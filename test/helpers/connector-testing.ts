import type { LoggerService } from '@nestjs/common';
import { SafeNetwork } from '@sluice/core/network/safe-network';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { ConnectorContext } from '@sluice/connectors/plugin/connector-plugin';

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

  async start(): Promise<this> {
    this.server = createServer((socket) => {
      this.connections += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      this.onConnection(socket);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
