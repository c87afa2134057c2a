import * as chardet from 'chardet';
import * as mime from 'mime-types';

/** How much of the start of a file MIME and encoding detection look at. */
export const SNIFF_BYTES = 64 * 1024;

/** The `encoding` recorded for content that is not text. */
export const BINARY_ENCODING = 'binary';

const startsWith = (sample: Uint8Array, bytes: readonly number[], at = 0): boolean =>
  sample.length >= at + bytes.length && bytes.every((byte, i) => sample[at + i] === byte);
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

const MAGIC: ReadonlyArray<[string, readonly number[]]> = [
  ['application/pdf', ascii('%PDF-')],
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', ascii('GIF8')],
  ['application/gzip', [0x1f, 0x8b]],
  ['application/vnd.sqlite3', [...ascii('SQLite format 3'), 0]],
  ['application/zip', [0x50, 0x4b, 0x03, 0x04]],
  ['application/zip', [0x50, 0x4b, 0x05, 0x06]],
];

// Office files are ZIP archives; the first entries name the part folders, which the sample holds.
const OOXML_BY_FOLDER: ReadonlyArray<[string, string]> = [
  ['xl/', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['word/', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['ppt/', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
];

// Types that say nothing about the bytes: curl sends form-urlencoded for `--data-binary`, and
// clients send text/plain for anything typed by hand.
const UNINFORMATIVE_TYPES = new Set([
  '',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  '*/*',
]);

const TEXT_APPLICATION_TYPES = new Set([
  'application/json',
  'application/ld+json',
  'application/x-ndjson',
  'application/jsonl',
  'application/xml',
  'application/javascript',
  'application/sql',
  'application/csv',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/x-sh',
  'application/graphql',
]);

/** A parsed `Content-Type` header value: the bare type and its charset parameter, if any. */
export function parseContentType(value: string | undefined): { type: string; charset?: string } {
  if (!value) return { type: '' };
  const [type, ...params] = value.split(';');
  const charset = params
    .map((param) => param.trim().match(/^charset\s*=\s*"?([^";]+)"?$/i)?.[1])
    .find((found) => found !== undefined);
  return { type: type.trim().toLowerCase(), charset };
}

/** The type the first bytes prove, or null when none of the known signatures match. */
export function sniffMagic(sample: Uint8Array, fileName?: string): string | null {
  const found = MAGIC.find(([, bytes]) => startsWith(sample, bytes))?.[0] ?? null;
  if (found !== 'application/zip') return found;
  const byName = fileName ? mime.lookup(fileName) : false;
  // A named .xlsx/.odt/.epub/.jar is a ZIP too: keep the more precise name-based type.
  if (byName && (byName.startsWith('application/vnd.') || byName.endsWith('+zip') || byName.endsWith('-archive'))) {
    return byName;
  }
  const head = Buffer.from(sample.buffer, sample.byteOffset, sample.length).toString('latin1');
  if (head.includes('[Content_Types].xml')) {
    return OOXML_BY_FOLDER.find(([folder]) => head.includes(folder))?.[1] ?? found;
  }
  return found;
}

/** NUL bytes do not occur in text of the single-byte or UTF-8 kind; they do in nearly all binaries. */
export function looksBinary(sample: Uint8Array): boolean {
  if (startsWith(sample, [0xff, 0xfe]) || startsWith(sample, [0xfe, 0xff])) return false;
  return sample.subarray(0, 8192).includes(0);
}

/** True for types whose content is meant to be read as characters. */
export function isTextMimeType(type: string): boolean {
  const bare = parseContentType(type).type;
  return (
    bare.startsWith('text/') || TEXT_APPLICATION_TYPES.has(bare) || bare.endsWith('+json') || bare.endsWith('+xml')
  );
}

/**
 * The MIME type of an upload. Magic bytes win (they cannot lie about a PNG); then a specific
 * declared type; then the file name; then a look at the bytes for plain text versus binary.
 */
export function detectMimeType(sample: Uint8Array, fileName?: string, declaredType?: string): string {
  const magic = sniffMagic(sample, fileName);
  if (magic) return magic;
  const declared = parseContentType(declaredType).type;
  if (!UNINFORMATIVE_TYPES.has(declared)) return declared;
  const byName = fileName ? mime.lookup(fileName) : false;
  if (byName) return byName;
  return looksBinary(sample) ? 'application/octet-stream' : 'text/plain';
}

/**
 * The name `TextDecoder` uses for `label`, or null when it has no decoder for it. Note that the
 * WHATWG Encoding Standard maps `latin1`/`iso-8859-1`/`ascii` to `windows-1252` (a superset
 * for every printable character); pure ASCII is reported as `utf-8`, its other superset.
 */
export function normaliseEncoding(label: string | null | undefined): string | null {
  if (!label) return null;
  const trimmed = label.trim().toLowerCase();
  if (trimmed === 'ascii' || trimmed === 'us-ascii') return 'utf-8';
  try {
    return new TextDecoder(trimmed).encoding;
  } catch {
    return null;
  }
}

/**
 * True when `sample` is valid UTF-8, allowing a character cut off at its end. Checked before
 * chardet, which calls plain ASCII data ISO-8859-1 at times; text in another encoding that is
 * also valid UTF-8 by chance is rare beyond a few bytes.
 */
function isUtf8Prefix(sample: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The encoding of text whose start is `sample`: byte-order mark, valid UTF-8, chardet, else UTF-8. */
export function detectEncoding(sample: Uint8Array): string {
  if (startsWith(sample, [0xef, 0xbb, 0xbf])) return 'utf-8';
  if (startsWith(sample, [0xff, 0xfe])) return 'utf-16le';
  if (startsWith(sample, [0xfe, 0xff])) return 'utf-16be';
  if (sample.length === 0 || isUtf8Prefix(sample)) return 'utf-8';
  // chardet may name encodings TextDecoder lacks (UTF-32, ISO-2022-CN): UTF-8 is the safe guess.
  return normaliseEncoding(chardet.detect(sample)) ?? 'utf-8';
}

/** True for the encodings in which a newline is not a lone 0x0A byte. */
export function isWideEncoding(encoding: string): boolean {
  return encoding === 'utf-16le' || encoding === 'utf-16be';
}

/** Whether a file should get a CSV row count. */
export function isCsv(mimeType: string, fileName?: string): boolean {
  return ['text/csv', 'application/csv'].includes(mimeType) || /\.csv$/i.test(fileName ?? '');
}
