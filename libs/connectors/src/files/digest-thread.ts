import { join } from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { LINE_INDEX_INTERVAL, LineIndex } from './line-index';
import type { DigestResult, UploadDigest } from './upload-digest';
import type { DigestReply, DigestRequest, DigestSessionInit } from './worker/upload-digest.worker';

/** The thread gets the bytes in blocks of this size: about a thousand messages for 1 GiB. */
export const DIGEST_BLOCK_BYTES = 1024 * 1024;
/** Blocks per upload; when all are with the thread, the upload waits (4 MiB per upload at most). */
export const DIGEST_BLOCKS = 4;

/**
 * A worker thread that hashes and indexes uploads, so that the event loop only copies each chunk
 * into a block: SHA-256 and the newline scan of a 1 GiB upload took 0.8 s of the event loop,
 * about a fifth of the upload. Blocks are transferred to the thread and back, never copied
 * again. One thread serves every upload of the process, each on its own channel; it starts with
 * the first upload, never keeps the process alive, and a new one starts if it dies (failing the
 * uploads it was serving).
 */
export class DigestThread {
  private worker: Worker | null = null;
  private readonly sessions = new Set<ThreadDigest>();

  digest(interval = LINE_INDEX_INTERVAL): UploadDigest {
    const worker = this.start();
    const { port1, port2 } = new MessageChannel();
    const init: DigestSessionInit = { port: port2, interval };
    worker.postMessage(init, [port2]);
    const session = new ThreadDigest(port1, () => this.sessions.delete(session));
    this.sessions.add(session);
    return session;
  }

  /** Uploads in progress on the thread. */
  get active(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    for (const session of this.sessions) session.fail(new Error('The digest thread is shutting down'));
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // From the sources (tests, benchmarks), a small JavaScript entry compiles the worker on load.
    const fromSources = __filename.endsWith('.ts');
    const file = fromSources ? 'upload-digest.worker-source.js' : 'upload-digest.worker.js';
    const worker = new Worker(join(__dirname, 'worker', file));
    worker.unref();
    const lost = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const session of this.sessions) session.fail(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`The digest thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** One upload's side of the channel: fills blocks and posts them in order. */
class ThreadDigest implements UploadDigest {
  /** Blocks back from the thread (or never sent), ready to fill. */
  private readonly free: ArrayBuffer[] = [];
  private allocated = 0;
  private block: Uint8Array | null = null;
  private fill = 0;
  private waiting: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  private settled = false;
  private readonly result: Promise<DigestResult>;
  private resolveResult!: (result: DigestResult) => void;
  private rejectResult!: (error: Error) => void;

  constructor(
    private readonly port: MessagePort,
    private readonly onClosed: () => void,
  ) {
    this.result = new Promise<DigestResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // Nobody may ever ask for the result (an upload that fails first): no unhandled rejection.
    this.result.catch(() => undefined);
    port.on('message', (reply: DigestReply) => this.receive(reply));
    port.on('close', () => this.fail(new Error('The digest thread closed the upload')));
  }

  update(chunk: Buffer): void | Promise<void> {
    if (this.failure) throw this.failure;
    let at = 0;
    while (at < chunk.length) {
      if (!this.block) {
        const next = this.free.pop() ?? (this.allocated < DIGEST_BLOCKS ? this.allocate() : null);
        if (!next) {
          const rest = chunk.subarray(at);
          return new Promise<void>((resolve, reject) => (this.waiting = { resolve, reject })).then(() =>
            this.update(rest),
          );
        }
        this.block = new Uint8Array(next);
      }
      const n = Math.min(chunk.length - at, DIGEST_BLOCK_BYTES - this.fill);
      // A whole chunk (the usual case) is copied without a view of it made first.
      this.block.set(n === chunk.length ? chunk : chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === DIGEST_BLOCK_BYTES) this.post();
    }
  }

  finish(): Promise<DigestResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.fill > 0) this.post();
    this.port.postMessage('end');
    return this.result;
  }

  abort(): void {
    this.fail(new Error('Upload digest aborted'));
  }

  /** Ends the session with `error` (the thread sees its channel close and drops it). */
  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.failure = error;
    this.waiting?.reject(error);
    this.waiting = null;
    this.rejectResult(error);
    this.close();
  }

  private allocate(): ArrayBuffer {
    this.allocated++;
    return new ArrayBuffer(DIGEST_BLOCK_BYTES);
  }

  private post(): void {
    const request: DigestRequest = [this.block!.buffer as ArrayBuffer, this.fill];
    // Transferred: the block is the thread's until it comes back with the ack.
    this.port.postMessage(request, [request[0]]);
    this.block = null;
    this.fill = 0;
  }

  private receive(reply: DigestReply): void {
    if (this.settled) return;
    if ('ack' in reply) {
      this.free.push(reply.ack);
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.resolve();
    } else if ('done' in reply) {
      this.settled = true;
      const { sha256, index } = reply.done;
      this.resolveResult({
        sha256,
        index: LineIndex.fromBuffer(Buffer.from(index.buffer, index.byteOffset, index.length)),
      });
      this.close();
    } else {
      this.fail(new Error(`Upload digest failed: ${reply.error}`));
    }
  }

  private close(): void {
    this.port.close();
    this.onClosed();
  }
}
