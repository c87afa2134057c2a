import { createHash } from 'node:crypto';
import type { DiscoveredItem } from '../../plugin/connector-plugin';

/** JSON text of a record kept in a document's metadata at most; larger records keep only their hash. */
export const RECORD_METADATA_MAX_BYTES = 64 * 1024;
/** Longest external id stored as it is (the column holds 1,024); longer ids are hashed. */
const MAX_EXTERNAL_ID = 512;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so the same record sent with its keys reordered hashes alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The value at a dotted path (`data.items`, `meta.next_cursor`); the whole value for an empty path. */
export function valueAtPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The records of a JSON answer: the array at `recordsPath` (or the root), or the single object
 * found there. Null when the path leads to nothing that holds records.
 */
export function recordsAt(value: unknown, recordsPath: string | undefined): unknown[] | null {
  const found = valueAtPath(value, recordsPath);
  if (Array.isArray(found)) return found;
  if (found !== null && typeof found === 'object') return [found];
  return null;
}

/** A record's stable id: its `idField` when it has a usable one, else the hash of its content. */
export function recordExternalId(record: unknown, idField: string | undefined, hash: string): string {
  if (idField) {
    const id = valueAtPath(record, idField);
    if ((typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id))) {
      const text = String(id);
      return text.length <= MAX_EXTERNAL_ID ? text : `sha256:${sha256(text)}`;
    }
  }
  return `sha256:${hash}`;
}

/**
 * One JSON record as a document: kind `record`, its checksum the hash of its canonical JSON (an
 * unchanged record is skipped by the sync), its JSON text in `metadata.content` (what content
 * windows show) and the record itself in `metadata.record`, both only up to
 * RECORD_METADATA_MAX_BYTES.
 */
export function recordItem(record: unknown, idField: string | undefined): DiscoveredItem {
  const canonical = canonicalJson(record);
  const hash = sha256(canonical);
  const externalId = recordExternalId(record, idField, hash);
  const text = JSON.stringify(record) ?? 'null';
  const size = Buffer.byteLength(text);
  const fits = size <= RECORD_METADATA_MAX_BYTES;
  return {
    externalId,
    kind: 'record',
    name: externalId.startsWith('sha256:') ? `record ${hash.slice(0, 12)}` : externalId,
    mimeType: 'application/json',
    size,
    checksum: hash,
    metadata: fits ? { content: text, record } : { content: '', recordOmitted: true, reason: 'larger than 64 KiB' },
  };
}
