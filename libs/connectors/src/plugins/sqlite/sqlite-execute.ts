import { spawn } from 'node:child_process';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import { QueryResult } from '../../plugin/connector-plugin';

export interface SqliteRunRequest {
  /** The real path, already checked against SQLITE_ALLOWED_DIRS. */
  path: string;
  sql: string;
  readOnly: boolean;
  maxRows: number;
}

type ChildReply =
  | {
      ok: true;
      columns: Array<{ name: string; type: string }>;
      rows: unknown[][];
      rowCount: number;
      truncated: boolean;
    }
  | { ok: false; code: string; message: string };

// Runs in a separate Node process. SQLite offers no way to interrupt a statement from here
// (better-sqlite3 is synchronous and built without the progress handler), and a worker thread
// cannot be terminated while it is inside SQLite, so a process we can SIGKILL is the only way
// a runaway query never holds the server's CPU or event loop.
const CHILD_SOURCE = `'use strict';
const Database = require(process.argv[1]);
const json = (v) => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  return v;
};
const storage = (v) =>
  typeof v === 'bigint' || Number.isInteger(v) ? 'integer' : typeof v === 'number' ? 'real'
    : typeof v === 'string' ? 'text' : Buffer.isBuffer(v) ? 'blob' : '';
process.once('message', (req) => {
  let reply;
  let db;
  try {
    db = new Database(req.path, { readonly: req.readOnly, fileMustExist: true, timeout: 1000 });
    const stmt = db.prepare(req.sql);
    if (req.readOnly && !stmt.readonly) {
      throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
    }
    if (!stmt.reader) {
      reply = { ok: true, columns: [], rows: [], rowCount: stmt.run().changes, truncated: false };
    } else {
      stmt.raw(true).safeIntegers(true);
      const rows = [];
      let truncated = false;
      for (const row of stmt.iterate()) {
        if (rows.length === req.maxRows) { truncated = true; break; }
        rows.push(row);
      }
      const columns = stmt.columns().map((c, i) => {
        const seen = rows.find((r) => r[i] !== null);
        return { name: c.name, type: c.type || (seen ? storage(seen[i]) : '') };
      });
      reply = { ok: true, columns, rows: rows.map((r) => r.map(json)), rowCount: rows.length, truncated };
    }
  } catch (e) {
    reply = { ok: false, code: String((e && e.code) || 'SQLITE_ERROR'), message: String((e && e.message) || e) };
  } finally {
    try { if (db) db.close(); } catch (e) { /* closing a read-only handle cannot lose data */ }
  }
  process.send(reply, () => process.exit(0));
});
`;

const MAX_HEAP_MB = 512;

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
 * Runs one statement against the file in a child process, reading at most maxRows + 1 rows, and
 * kills the process at the timeout or when the caller gives up.
 */
export function runSqliteQuery(
  request: SqliteRunRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Omit<QueryResult, 'executionMs'>> {
  refuseOutsideFileAccess(request.sql);
  return new Promise((resolve, reject) => {
    // An empty environment: the child needs nothing of ours, least of all secrets.
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${MAX_HEAP_MB}`, '-e', CHILD_SOURCE, require.resolve('better-sqlite3')],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: {},
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString('utf8');
    });
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      action();
    };
    const kill = (error: ConnectorRequestError) =>
      finish(() => {
        child.kill('SIGKILL');
        reject(error);
      });
    const onAbort = () => kill(new ConnectorRequestError('QUERY_CANCELLED', 'The query was cancelled'));
    const timer = setTimeout(
      () => kill(new ConnectorRequestError('SQL_TIMEOUT', `Query exceeded the statement timeout of ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    child.on('message', (reply: ChildReply) =>
      finish(() => {
        if (reply.ok)
          resolve({ columns: reply.columns, rows: reply.rows, rowCount: reply.rowCount, truncated: reply.truncated });
        else reject(new ConnectorRequestError('SQL_ERROR', reply.message));
      }),
    );
    child.on('error', (error) =>
      finish(() =>
        reject(new ConnectorRequestError('SQL_ERROR', `Could not start the SQLite runner: ${error.message}`)),
      ),
    );
    child.on('exit', (code, sig) =>
      finish(() => {
        const why = sig ? `was stopped by ${sig}` : `exited with code ${code}`;
        const heap = /heap out of memory/i.test(stderr) ? ' (out of memory: ask for fewer or smaller rows)' : '';
        reject(new ConnectorRequestError('SQL_ERROR', `The SQLite runner ${why}${heap}`));
      }),
    );
    child.send(request);
  });
}
