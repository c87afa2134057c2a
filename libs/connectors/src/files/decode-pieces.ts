import { setImmediate as nextTurn } from 'node:timers/promises';

/** Bytes decoded per turn of the event loop; a multiple of 3, so base64 pieces join cleanly. */
export const DECODE_PIECE_BYTES = 3 * 64 * 1024;

/**
 * The text of `parts` (a window of a file, in the order read) in `encoding`, or their base64
 * when `encoding` is `base64`: decoded a piece at a time, the event loop turning in between.
 * Decoding a 10 MiB window at once held the loop for 100 ms and more when the text was not
 * ASCII (a single-byte code page, or UTF-8 beyond ASCII), and joining its parts first for as long
 * again on a busy machine. The text is the same as decoding the joined bytes at once.
 */
export async function decodeInPieces(parts: readonly Uint8Array[], encoding: string): Promise<string> {
  const out: string[] = [];
  const decoder = encoding === 'base64' ? null : new TextDecoder(encoding);
  // base64: the bytes of the last piece short of a multiple of 3, carried to the next one.
  let carry: Buffer = Buffer.alloc(0);
  let left = DECODE_PIECE_BYTES;
  for (const part of parts) {
    for (let at = 0; at < part.length;) {
      const end = Math.min(part.length, at + left);
      const piece = Buffer.from(part.buffer, part.byteOffset + at, end - at);
      if (decoder) {
        out.push(decoder.decode(piece, { stream: true }));
      } else {
        const bytes = carry.length ? Buffer.concat([carry, piece]) : piece;
        const whole = bytes.length - (bytes.length % 3);
        out.push(bytes.toString('base64', 0, whole));
        carry = Buffer.from(bytes.subarray(whole));
      }
      left -= end - at;
      at = end;
      if (left <= 0) {
        left = DECODE_PIECE_BYTES;
        await nextTurn();
      }
    }
  }
  out.push(decoder ? decoder.decode() : carry.toString('base64'));
  return out.join('');
}
