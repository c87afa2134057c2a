import { StreamableFile } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Readable } from 'node:stream';

/**
 * Characters of a long string serialised per turn of the event loop: about a millisecond of
 * escaping and encoding.
 */
export const JSON_PIECE_CHARS = 256 * 1024;

/**
 * The JSON text of `value`, as `JSON.stringify` writes it, in pieces: strings longer than
 * `pieceChars` come out `pieceChars` characters at a time, each piece escaped on its own, and
 * the generator waits for the next turn of the event loop between pieces. A 10 MiB string
 * serialised in one go (escaping, then the ETag's hash and the encoding of the body) held the
 * loop for over 100 ms.
 */
export async function* jsonPieces(value: unknown, pieceChars = JSON_PIECE_CHARS): AsyncGenerator<Buffer> {
  const long: string[] = [];
  // A token no string of the value holds: each long string is swapped for one, then written in pieces.
  const token = `\u0001json-piece-${randomBytes(9).toString('base64url')}-`;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'string' || v.length <= pieceChars) return v;
    long.push(v);
    return `${token}${long.length - 1}`;
  });
  if (text === undefined) throw new TypeError('The value has no JSON text');
  // Each swapped string reads `"<token><index>"` in the text: split before the index.
  const parts = text.split(JSON.stringify(token).slice(0, -1));
  yield Buffer.from(parts[0]);
  for (let i = 1; i < parts.length; i++) {
    const close = parts[i].indexOf('"');
    const string = long[Number(parts[i].slice(0, close))];
    let piece = '"';
    for (let at = 0; at < string.length;) {
      let end = Math.min(at + pieceChars, string.length);
      // A surrogate pair stays in one piece, so each piece is well-formed on its own.
      if (end < string.length && isHighSurrogate(string.charCodeAt(end - 1))) end++;
      piece += JSON.stringify(string.slice(at, end)).slice(1, -1);
      at = end;
      yield Buffer.from(piece);
      piece = '';
      await nextTurn();
    }
    yield Buffer.from(`"${parts[i].slice(close + 1)}`);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * A JSON answer whose long strings are written in pieces (see {@link jsonPieces}), for a route
 * that may return megabytes of text: the body is the same as Nest's own JSON answer.
 */
export function jsonResponse(value: unknown): StreamableFile {
  return new StreamableFile(Readable.from(jsonPieces(value), { objectMode: false }), {
    type: 'application/json; charset=utf-8',
  });
}
