import { ConnectorRequestError } from '../../plugin/connector-errors';
import { QueryResult } from '../../plugin/connector-plugin';
import { SqlitePoolOptions, SqliteProcessPool, SqliteTaskError } from './sqlite-process-pool';

export interface SqliteRunRequest {
  /** The real path, already checked against SQLITE_ALLOWED_DIRS. */
  path: string;
  sql: string;
  readOnly: boolean;
  maxRows: number;
  maxBytes: number;
}

/** A trusted catalog statement, and its parameters, read whole as objects. */
export interface SqliteRead {
  sql: string;
  params?: unknown[];
}

type QueryReply = Omit<QueryResult, 'executionMs'>;

// Runs in a child process of SqliteProcessPool, one task at a time, for as long as the pool
// keeps it. `query` runs a caller's statement within the row cap and the byte budget (values
// measured as JSON while rows stream in, so a huge value is never sent back); `read` runs
// trusted catalog statements.
export const SQLITE_CHILD_SOURCE = `'use strict';
const Database = require(process.argv[1]);
const json = (v) => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  return v;
};
const size = (v) => v === null ? 4 : typeof v === 'string' ? Buffer.byteLength(v, 'utf8') + 2 : String(v).length;
const storage = (v) =>
  typeof v === 'bigint' || Number.isInteger(v) ? 'integer' : typeof v === 'number' ? 'real'
    : typeof v === 'string' ? 'text' : Buffer.isBuffer(v) ? 'blob' : '';
function query(db, req) {
  const stmt = db.prepare(req.sql);
  if (req.readOnly && !stmt.readonly) {
    throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
  }
  if (!stmt.reader) {
    return { columns: [], rows: [], rowCount: stmt.run().changes, truncated: false, truncatedReason: null };
  }
  stmt.raw(true).safeIntegers(true);
  const rows = [];
  const kinds = [];
  let bytes = 0;
  let reason = null;
  for (const raw of stmt.iterate()) {
    if (rows.length === req.maxRows) { reason = 'rows'; break; }
    raw.forEach((v, i) => { if (kinds[i] === undefined && v !== null) kinds[i] = storage(v); });
    const row = raw.map(json);
    let rowBytes = 2 + row.length;
    for (const v of row) rowBytes += size(v);
    if (bytes + rowBytes > req.maxBytes) { reason = 'bytes'; break; }
    bytes += rowBytes;
    rows.push(row);
  }
  const columns = stmt.columns().map((c, i) => ({ name: c.name, type: c.type || kinds[i] || '' }));
  return { columns, rows, rowCount: rows.length, truncated: reason !== null, truncatedReason: reason };
}
function read(db, req) {
  return req.statements.map((s) => db.prepare(s.sql).all(...(s.params || [])));
}
// The pool is gone (the server stopped or crashed): nothing left to work for.
process.on('disconnect', () => process.exit(0));
process.on('message', (req) => {
  let reply;
  let db;
  try {
    db = new Database(req.path, { readonly: req.readOnly !== false, fileMustExist: true, timeout: 1000 });
    reply = { id: req.id, ok: true, value: req.op === 'query' ? query(db, req) : read(db, req) };
  } catch (e) {
    reply = { id: req.id, ok: false, code: String((e && e.code) || 'SQLITE_ERROR'), message: String((e && e.message) || e) };
  } finally {
    try { if (db) db.close(); } catch (e) { /* closing a read-only handle cannot lose data */ }
  }
  process.send(reply);
});
`;

/** A pool running SQLITE_CHILD_SOURCE with better-sqlite3. */
export function createSqlitePool(options: SqlitePoolOptions): SqliteProcessPool {
  return new SqliteProcessPool(SQLITE_CHILD_SOURCE, [require.resolve('better-sqlite3')], options);
}

function leadingKeyword(sql: string): string {
  let rest = sql;
  for (;;) {
    const trimmed = rest.replace(/^\s+/, '');
    if (trimmed.startsWith('--')) rest = trimmed.replace(/^--[^\n]*(\n|$)/, '');
    else if (trimmed.startsWith('/*')) rest = trimmed.includes('*/') ? trimmed.slice(trimmed.indexOf('*/') + 2) : '';
    else return (/^[A-Za-z]+/.exec(trimmed)?.[0] ?? '').toUpperCase();
  }
}

/**
 * Statements that would reach past the connector's own file: ATTACH opens any other database on
 * the server (another tenant's upload), VACUUM INTO writes a copy anywhere. Read-only mode does
 * not stop either, so they are refused in every mode.
 */
export function refuseOutsideFileAccess(sql: string): void {
  const keyword = leadingKeyword(sql);
  if (keyword === 'ATTACH' || keyword === 'DETACH') {
    throw new ConnectorRequestError(
      'SQL_ERROR',
      `${keyword} is not allowed: a connector reads only its own database file`,
    );
  }
  if (keyword === 'VACUUM' && /\bINTO\b/i.test(sql)) {
    throw new ConnectorRequestError('SQL_ERROR', 'VACUUM INTO is not allowed: it writes a file on the server');
  }
}

/**
 * Runs one statement against the file in a pooled child process, reading at most maxRows + 1
 * rows and maxBytes of values; the process is killed at the timeout or when the caller gives up.
 */
export async function runSqliteQuery(
  pool: SqliteProcessPool,
  request: SqliteRunRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<QueryReply> {
  refuseOutsideFileAccess(request.sql);
  try {
    return await pool.run<QueryReply>({ op: 'query', ...request }, timeoutMs, signal);
  } catch (error) {
    if (error instanceof SqliteTaskError) throw new ConnectorRequestError('SQL_ERROR', error.message);
    throw error;
  }
}

/** Runs trusted read-only statements (the catalog) on the file in a pooled child process. */
export function readSqlite<T extends unknown[][]>(
  pool: SqliteProcessPool,
  path: string,
  statements: SqliteRead[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<T> {
  return pool.run<T>(
    { op: 'read', path, readOnly: true, statements },
    timeoutMs,
    signal,
    () => new ConnectorRequestError('SQL_TIMEOUT', `Reading the SQLite file took longer than ${timeoutMs} ms`),
  );
}
