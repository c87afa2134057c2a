import { EnvDto, SafeNetwork, SafeNetworkError } from '@sluice/core';
import * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { contextFor, CountingListener } from '../../../../../test/helpers/connector-testing';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import type { ConnectorContext, DiscoveredItem } from '../../plugin/connector-plugin';
import { CONNECTOR_PLUGIN } from '../../plugin/connector-plugin.decorator';
import { MAX_STORED_BODY_BYTES } from '../message-queue/message-batches';
import { AmqpConnector, amqpExternalId, type AmqpConfig } from './amqp.connector';

// The machine's RabbitMQ (guest/guest on loopback); each test uses queues of its own.
const BROKER = 'amqp://guest:guest@127.0.0.1:5672';

describe('AmqpConnector (RabbitMQ on 127.0.0.1:5672)', () => {
  const connector = new AmqpConnector(Object.assign(new EnvDto(), { CONNECTOR_PROBE_TIMEOUT_MS: 3_000 }));
  let admin: amqp.ChannelModel;
  let channel: amqp.Channel;
  const queues: string[] = [];

  const config = (overrides: Record<string, unknown> = {}, auth: Record<string, unknown> = {}): AmqpConfig =>
    connector.parseConfig(
      { host: '127.0.0.1', queue: 'unused', idleMs: 300, ...overrides },
      { username: 'guest', password: 'guest', ...auth },
    );
  const context = (overrides: Record<string, unknown> = {}, auth: Record<string, unknown> = {}) =>
    contextFor(config(overrides, auth), { connectorId: 'conn_amqp' });

  async function freshQueue(): Promise<string> {
    const name = `sluice-test-${randomUUID()}`;
    await channel.assertQueue(name, { durable: false, autoDelete: false });
    queues.push(name);
    return name;
  }

  async function publish(queue: string, count: number, options: (i: number) => amqp.Options.Publish = () => ({})) {
    for (let i = 0; i < count; i++) {
      channel.sendToQueue(queue, Buffer.from(`message ${i}`), { messageId: `m-${i}`, ...options(i) });
    }
    await (channel as amqp.ConfirmChannel).waitForConfirms();
  }

  async function depth(queue: string): Promise<number> {
    return (await channel.checkQueue(queue)).messageCount;
  }

  async function walk(
    ctx: ConnectorContext<AmqpConfig>,
    onBatch: (batch: DiscoveredItem[], index: number) => 'next' | 'stop' = () => 'next',
  ): Promise<DiscoveredItem[][]> {
    const batches: DiscoveredItem[][] = [];
    for await (const batch of connector.discover(ctx)) {
      batches.push(batch);
      if (onBatch(batch, batches.length - 1) === 'stop') break;
    }
    return batches;
  }

  let contractQueue: string;

  beforeAll(async () => {
    admin = await amqp.connect(BROKER);
    channel = await admin.createConfirmChannel();
    channel.on('error', () => undefined);
    contractQueue = await freshQueue();
    await publish(contractQueue, 3);
  });
  afterAll(async () => {
    for (const queue of queues) await channel.deleteQueue(queue).catch(() => undefined);
    await admin.close();
  });

  it('registers as the append-mode amqp type with test and discover', () => {
    expect(Reflect.getMetadata(CONNECTOR_PLUGIN, AmqpConnector)).toMatchObject({
      type: 'amqp',
      category: 'stream',
      capabilities: ['test', 'discover'],
      syncMode: 'append',
    });
  });

  describe('parseConfig', () => {
    it('fills the defaults of seed 002: 1000 messages within 15 s', () => {
      expect(connector.parseConfig({ host: 'rabbit.example.com', queue: 'q' }, { username: 'u' })).toEqual({
        host: 'rabbit.example.com',
        port: 5672,
        vhost: '/',
        tls: false,
        queue: 'q',
        prefetch: 100,
        maxMessages: 1000,
        waitTimeoutMs: 15_000,
        idleMs: 1000,
        username: 'u',
        password: '',
      });
    });

    it('reads host, port, vhost and TLS from a URL', () => {
      expect(
        connector.parseConfig({ url: 'amqps://rabbit.example.com/sales%2Feu', queue: 'q' }, { username: 'u' }),
      ).toMatchObject({ host: 'rabbit.example.com', port: 5671, vhost: 'sales/eu', tls: true });
      expect(connector.parseConfig({ url: 'amqp://10.1.2.3:5673', queue: 'q' }, { username: 'u' })).toMatchObject({
        host: '10.1.2.3',
        port: 5673,
        vhost: '/',
        tls: false,
      });
    });

    it.each([
      [{ url: 'amqp://guest:secret@rabbit.example.com', queue: 'q' }, 'config.url', /credentials/],
      [{ url: 'http://rabbit.example.com', queue: 'q' }, 'config.url', /amqp:\/\//],
      [{ url: 'amqp://rabbit.example.com', host: 'other', queue: 'q' }, 'config.url', /either url or host/],
      [{ queue: 'q' }, 'config.host', /host/],
      [{ host: 'amqp://x', queue: 'q' }, 'config.host', /without scheme/],
      [{ host: 'h', queue: 'q', maxMessages: 10_001 }, 'config.maxMessages', /1 to 10000/],
      [{ host: 'h', queue: 'q', prefetch: 0 }, 'config.prefetch', /1 to 10000/],
    ])('refuses %j naming %s', (raw, field, message) => {
      let error: unknown;
      try {
        connector.parseConfig(raw, { username: 'u' });
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConnectorConfigError);
      expect((error as ConnectorConfigError).details).toEqual([{ field, messages: [expect.stringMatching(message)] }]);
    });

    it('requires a username', () => {
      expect(() => connector.parseConfig({ host: 'h', queue: 'q' }, {})).toThrow(ConnectorConfigError);
    });
  });

  describeConnectorContract('amqp', () => connector, {
    valid: () => context({ queue: contractQueue, waitTimeoutMs: 5_000 }),
    probe: { queue: expect.any(String), messages: expect.any(Number), serverVersion: expect.any(String) },
    failing: () => context({ queue: contractQueue }, { password: 'wrong-password' }),
    failure: /refused the username or password/,
    refusal: {
      context: {
        context: () => contextFor(config({ queue: contractQueue }), { net: new SafeNetwork(undefined) }),
        error: { type: SafeNetworkError, code: 'ADDRESS_REFUSED' },
      },
    },
    // Messages taken by discovery are acknowledged: the contract walks the queue once.
    discovered: ['m-0', 'm-1', 'm-2'],
  });

  describe('probe', () => {
    it('reports the depth of the queue', async () => {
      const queue = await freshQueue();
      await publish(queue, 4);
      const outcome = await connector.test(context({ queue }));
      expect(outcome).toMatchObject({ success: true, details: { queue, messages: 4 } });
      expect(outcome.message).toMatch(new RegExp(`queue "${queue}" holds 4 messages`));
      expect(await depth(queue)).toBe(4);
    });

    it('names a missing queue without creating it', async () => {
      const queue = `sluice-missing-${randomUUID()}`;
      const outcome = await connector.test(context({ queue }));
      expect(outcome).toEqual({
        success: false,
        message: `Queue "${queue}" does not exist in virtual host "/"`,
        details: {},
      });
      await expect(channel.checkQueue(queue)).rejects.toMatchObject({ code: 404 });
      // The failed passive declare closed the admin channel: open it again.
      channel = await admin.createConfirmChannel();
      channel.on('error', () => undefined);
    });

    it('names a virtual host the broker refuses, and wrong credentials, without the password', async () => {
      const vhost = await connector.test(context({ queue: contractQueue, vhost: 'no-such-vhost' }));
      expect(vhost).toMatchObject({ success: false, message: expect.stringMatching(/virtual host "no-such-vhost"/) });
      const wrong = await connector.test(context({ queue: contractQueue }, { password: 'hunter2-secret' }));
      expect(wrong.success).toBe(false);
      expect(JSON.stringify(wrong)).not.toContain('hunter2-secret');
    });

    it('names an unreachable host', async () => {
      const closed = await new CountingListener().start();
      const port = closed.port;
      await closed.stop();
      const outcome = await connector.test(context({ queue: 'q', port }));
      expect(outcome).toMatchObject({ success: false, message: expect.stringMatching(/Connection refused by/) });
    });
  });

  describe('discover', () => {
    it('takes maxMessages in batches of prefetch, acknowledging each once the walk goes on', async () => {
      const queue = await freshQueue();
      await publish(queue, 250);
      const batches = await walk(context({ queue, maxMessages: 120, prefetch: 50 }));
      expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
      expect(batches.flat().map((i) => i.externalId)).toEqual(Array.from({ length: 120 }, (_, i) => `m-${i}`));
      expect(await depth(queue)).toBe(130);
      const next = (await walk(context({ queue, maxMessages: 1000, prefetch: 100 }))).flat();
      expect(next.map((i) => i.externalId)).toEqual(Array.from({ length: 130 }, (_, i) => `m-${i + 120}`));
      expect(await depth(queue)).toBe(0);
    });

    it('acknowledges nothing of a batch the sync did not take up again: it goes back to the queue', async () => {
      const queue = await freshQueue();
      await publish(queue, 30);
      const first = await walk(context({ queue, prefetch: 10 }), (_batch, index) => (index === 1 ? 'stop' : 'next'));
      expect(first.flat()).toHaveLength(20);
      // The first batch was acknowledged when the walk resumed; the second one never was.
      expect(await depth(queue)).toBe(20);
      const again = (await walk(context({ queue }))).flat().map((i) => i.externalId);
      expect(again.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m-${i + 10}`).sort());
    });

    it('gives a batch back when the walk fails while it is being stored', async () => {
      const queue = await freshQueue();
      await publish(queue, 5);
      const failing = async () => {
        for await (const batch of connector.discover(context({ queue }))) {
          expect(batch).toHaveLength(5);
          throw new Error('store failed');
        }
      };
      await expect(failing()).rejects.toThrow('store failed');
      expect(await depth(queue)).toBe(5);
    });

    it('ends soon after the queue is drained instead of waiting the whole timeout', async () => {
      const queue = await freshQueue();
      await publish(queue, 3);
      const started = Date.now();
      const batches = await walk(context({ queue, waitTimeoutMs: 60_000, idleMs: 300 }));
      expect(batches.flat()).toHaveLength(3);
      expect(Date.now() - started).toBeLessThan(10_000);
      const empty = await walk(context({ queue, waitTimeoutMs: 60_000, idleMs: 300 }));
      expect(empty).toEqual([]);
    });

    it('ends at waitTimeoutMs while messages keep trickling in', async () => {
      const queue = await freshQueue();
      let n = 0;
      const timer = setInterval(() => channel.sendToQueue(queue, Buffer.from('tick'), { messageId: `t-${n++}` }), 50);
      try {
        const started = Date.now();
        const items = (await walk(context({ queue, waitTimeoutMs: 1_500, idleMs: 1_000, prefetch: 1000 }))).flat();
        const took = Date.now() - started;
        expect(took).toBeGreaterThanOrEqual(1_400);
        expect(took).toBeLessThan(8_000);
        expect(items.length).toBeGreaterThan(0);
      } finally {
        clearInterval(timer);
      }
    });

    it('stores the body, content type, headers, routing key and timestamp; content is capped', async () => {
      const queue = await freshQueue();
      const at = new Date('2026-11-30T12:00:00Z');
      channel.sendToQueue(queue, Buffer.from('{"order":42}'), {
        messageId: 'order-42',
        contentType: 'application/json',
        headers: { source: 'shop' },
        timestamp: at.getTime() / 1000,
      });
      channel.sendToQueue(queue, Buffer.alloc(MAX_STORED_BODY_BYTES + 10, 'a'), { messageId: 'big' });
      channel.sendToQueue(queue, Buffer.from([0xff, 0x00, 0xfe]), { messageId: 'binary' });
      await (channel as amqp.ConfirmChannel).waitForConfirms();
      const [order, big, binary] = (await walk(context({ queue }))).flat();
      expect(order).toMatchObject({
        externalId: 'order-42',
        kind: 'record',
        name: 'order-42',
        mimeType: 'application/json',
        size: 12,
        modifiedAt: at,
        metadata: {
          content: '{"order":42}',
          contentEncoding: 'utf-8',
          bodyTruncated: false,
          contentType: 'application/json',
          headers: { source: 'shop' },
          routingKey: queue,
          exchange: '',
          queue,
          timestamp: at.toISOString(),
        },
      });
      expect(big.size).toBe(MAX_STORED_BODY_BYTES + 10);
      expect(big.metadata).toMatchObject({ bodyTruncated: true });
      expect((big.metadata!.content as string).length).toBe(MAX_STORED_BODY_BYTES);
      expect(binary.metadata).toMatchObject({
        content: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'),
        contentEncoding: 'base64',
      });
    });

    it('identifies a message without messageId by a hash of its body and headers, alike on redelivery', async () => {
      const queue = await freshQueue();
      channel.sendToQueue(queue, Buffer.from('same'), { headers: { a: 1, b: 2 } });
      channel.sendToQueue(queue, Buffer.from('same'), { headers: { a: 1, b: 3 } });
      await (channel as amqp.ConfirmChannel).waitForConfirms();
      const firstWalk = await walk(context({ queue }), () => 'stop');
      const secondWalk = (await walk(context({ queue }))).flat();
      expect(firstWalk.flat().map((i) => [i.externalId, i.checksum])).toEqual(
        secondWalk.map((i) => [i.externalId, i.checksum]),
      );
      const ids = secondWalk.map((i) => i.externalId);
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(2);
      for (const id of ids) expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(amqpExternalId({ content: Buffer.from('same'), properties: { headers: { b: 2, a: 1 } } } as never)).toBe(
        ids[0],
      );
    });

    it('refuses to walk a missing queue, naming it', async () => {
      const queue = `sluice-missing-${randomUUID()}`;
      await expect(walk(context({ queue }))).rejects.toMatchObject({
        code: 'QUEUE_NOT_FOUND',
        message: `Queue "${queue}" does not exist in virtual host "/"`,
      });
    });

    it('stops when the signal is aborted, giving back what it had not handed out', async () => {
      const queue = await freshQueue();
      await publish(queue, 5);
      const controller = new AbortController();
      const ctx = { ...context({ queue, prefetch: 2, maxMessages: 10, idleMs: 5_000 }), signal: controller.signal };
      await expect(
        walk(ctx, () => {
          controller.abort();
          return 'next';
        }),
      ).rejects.toThrow(/abort/i);
      // The first batch was stored (the walk was resumed) and acknowledged; the rest went back.
      expect(await depth(queue)).toBe(3);
    });
  });
});
