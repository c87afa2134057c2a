import { AddressInfo, createConnection, createServer, Server, Socket } from 'node:net';

type Protocol = 'postgres' | 'mysql';

/**
 * A TCP proxy in front of PostgreSQL or MariaDB that counts the queries clients send through it,
 * by reading the wire protocol: PostgreSQL simple queries ('Q') and parses ('P'), MySQL
 * COM_QUERY and COM_STMT_EXECUTE. It proves from the outside what reached the database.
 */
export class QueryCountingProxy {
  /** Queries seen since start. */
  queries = 0;
  port = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly protocol: Protocol,
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      const count = this.protocol === 'postgres' ? this.postgresCounter() : this.mysqlCounter();
      client.on('data', (chunk: Buffer) => {
        count(chunk);
        upstream.write(chunk);
      });
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Frontend messages: untyped start-up (and SSL request) first, then type byte + int32 length. */
  private postgresCounter(): (chunk: Buffer) => void {
    let buffer = Buffer.alloc(0);
    let started = false;
    return (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(length);
          // An SSL or GSS request is followed by another untyped start-up message.
          if (code !== 80877103 && code !== 80877104) started = true;
          continue;
        }
        if (buffer.length < 5) return;
        const length = buffer.readInt32BE(1);
        if (buffer.length < length + 1) return;
        const type = String.fromCharCode(buffer[0]);
        if (type === 'Q' || type === 'P') this.queries++;
        buffer = buffer.subarray(length + 1);
      }
    };
  }

  /** Client packets: 3-byte length, sequence id, payload; a command starts a sequence at 0. */
  private mysqlCounter(): (chunk: Buffer) => void {
    let buffer = Buffer.alloc(0);
    return (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4) {
        const length = buffer.readUIntLE(0, 3);
        if (buffer.length < length + 4) return;
        const sequence = buffer[3];
        const command = buffer[4];
        if (sequence === 0 && (command === 0x03 || command === 0x17)) this.queries++;
        buffer = buffer.subarray(length + 4);
      }
    };
  }
}
