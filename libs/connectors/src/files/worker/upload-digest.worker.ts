import { createHash } from 'node:crypto';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { LineIndexBuilder } from '../line-index';

/** Opens one upload's session on the digest thread (see digest-thread.ts). */
export interface DigestSessionInit {
  /** The session's own channel: requests in, replies out. */
  port: MessagePort;
  interval: number;
}

/**
 * `[block, length]`: digest the first `length` bytes of the block (transferred, not copied), then
 * hand it back for reuse; or the end of the upload.
 */
export type DigestRequest = [block: ArrayBuffer, length: number] | 'end';

export type DigestReply = { ack: ArrayBuffer } | { done: { sha256: string; index: Uint8Array } } | { error: string };

/** One upload: blocks in the order they were filled, then the end, on the session's port. */
function serve({ port, interval }: DigestSessionInit): void {
  const hash = createHash('sha256');
  const lines = new LineIndexBuilder(interval);
  const reply = (message: DigestReply) => port.postMessage(message);
  port.on('message', (request: DigestRequest) => {
    try {
      if (request === 'end') {
        reply({ done: { sha256: hash.digest('hex'), index: lines.finish().toBuffer() } });
        port.close();
        return;
      }
      const [block, length] = request;
      // Plain (not shared) memory: Buffer.indexOf over a SharedArrayBuffer costs three times as much.
      const bytes = Buffer.from(block, 0, length);
      hash.update(bytes);
      lines.update(bytes);
      port.postMessage({ ack: block } satisfies DigestReply, [block]);
    } catch (error) {
      reply({ error: (error as Error)?.message ?? String(error) });
      port.close();
    }
  });
}

parentPort?.on('message', serve);
