import type { Socket } from 'node:net';
import { ClientBase, CustomTypesConfig, FieldDef, QueryResult as PgResult, types } from 'pg';
import Cursor from 'pg-cursor';
import { ExecuteOptions, QueryColumn, QueryResult } from '../../plugin/connector-plugin';
import { exactNumber } from '../sql-common/json-values';
import { PgMessageSizes, ResultBudget, WireGuard, wireLimit } from '../sql-common/result-budget';

/** Rows fetched per round trip: small enough that the byte budget is checked often. */
const FETCH_ROWS = 100;

// Names as format_type() spells them, for the types most results use; anything else is looked up.
const COMMON_TYPES: Record<number, string> = {
  16: 'boolean',
  17: 'bytea',
  18: '"char"',
  19: 'name',
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  26: 'oid',
  114: 'json',
  700: 'real',
  701: 'double precision',
  705: 'unknown',
  790: 'money',
  869: 'inet',
  1042: 'character',
  1043: 'character varying',
  1082: 'date',
  1083: 'time without time zone',
  1114: 'timestamp without time zone',
  1184: 'timestamp with time zone',
  1186: 'interval',
  1266: 'time with time zone',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
};

const TIMESTAMP = 1114;
const DATE = 1082;
const BIGINT = 20;
const NUMERIC = 1700;

// node-postgres reads a zone-less timestamp as local time and a date as local midnight, so the
// ISO text would shift with the server's TZ. Read the wall-clock value as UTC instead, and keep
// dates as the YYYY-MM-DD text the database sent. bigint and numeric cells are JSON numbers when
// exact, their text otherwise (see exactNumber).
function parseTimestamp(text: string): Date | string {
  const date = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? text : date;
}

const RESULT_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMP) return parseTimestamp;
    if (oid === DATE) return (text: string) => text;
    if (oid === BIGINT || oid === NUMERIC) return exactNumber;
    return types.getTypeParser(oid, format as 'text');
  },
} as unknown as CustomTypesConfig;

function readCursor(cursor: Cursor, count: number): Promise<{ rows: unknown[][]; result: PgResult }> {
  return new Promise((resolve, reject) => {
    cursor.read(count, (error, rows, result) =>
      error ? reject(error) : resolve({ rows: rows as unknown[][], result }),
    );
  });
}

async function columnsOf(client: ClientBase, fields: FieldDef[]): Promise<QueryColumn[]> {
  const unknown = [...new Set(fields.map((f) => f.dataTypeID).filter((oid) => !(oid in COMMON_TYPES)))];
  const names = new Map<number, string>();
  if (unknown.length) {
    const found = await client.query<{ oid: number; name: string }>(
      'SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::oid[])',
      [unknown],
    );
    for (const row of found.rows) names.set(row.oid, row.name);
  }
  return fields.map((f) => ({
    name: f.name,
    type: COMMON_TYPES[f.dataTypeID] ?? names.get(f.dataTypeID) ?? 'unknown',
  }));
}

export interface PgRun {
  result: Omit<QueryResult, 'executionMs'>;
  /** The connection was cut to stop an oversized result; it must be dropped, not reused. */
  cut: boolean;
}

function socketOf(client: ClientBase): Socket | undefined {
  return (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
}

function fieldsOf(cursor: Cursor, last: PgResult | undefined): FieldDef[] {
  return last?.fields ?? (cursor as unknown as { _result?: PgResult })._result?.fields ?? [];
}

/**
 * Runs one statement in its own transaction: read-only unless a write was allowed, bounded by a
 * server-side statement timeout, reading through a cursor FETCH_ROWS rows at a time until
 * maxRows + 1 rows or the byte budget (maxBytes of JSON values). A huge result never crosses the
 * network: the cursor is closed when the result is full, and a row too large to hold is stopped
 * on the wire by cutting the connection, as soon as its header declares its size. A read-only run always rolls back.
 */
export async function runPostgresQuery(
  client: ClientBase,
  sql: string,
  options: ExecuteOptions & { maxBytes: number },
): Promise<PgRun> {
  await client.query(options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
  let open = true;
  const budget = new ResultBudget(options.maxRows, options.maxBytes);
  // A client in use has no 'error' listener: the cut would otherwise surface as an unhandled error.
  // Between statements the stream is at a message boundary, so the sizes rows declare can be read.
  const wire = new WireGuard(
    socketOf(client),
    wireLimit(options.maxBytes),
    () => client.on('error', () => undefined),
    new PgMessageSizes(),
  );
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(options.timeoutMs))}`);
    // The extended protocol the cursor uses accepts exactly one statement, so "COMMIT; DELETE ..."
    // cannot step out of the read-only transaction.
    const cursor = client.query(new Cursor(sql, [], { rowMode: 'array', types: RESULT_TYPES }));
    let last: PgResult | undefined;
    try {
      for (;;) {
        const batch = await readCursor(cursor, FETCH_ROWS);
        last = batch.result;
        for (const row of batch.rows) if (!budget.add(row)) break;
        if (budget.full || batch.rows.length < FETCH_ROWS) break;
      }
    } catch (error) {
      if (!wire.cut) throw error;
      budget.cutForBytes();
    }
    const fields = fieldsOf(cursor, last);
    if (wire.cut) {
      // The server rolls the transaction back when the connection drops; no catalog lookup either.
      open = false;
      return {
        cut: true,
        result: {
          columns: fields.map((f) => ({ name: f.name, type: COMMON_TYPES[f.dataTypeID] ?? 'unknown' })),
          rows: budget.rows,
          rowCount: budget.rows.length,
          truncated: true,
          truncatedReason: 'bytes',
        },
      };
    }
    await cursor.close();
    const columns = fields.length ? await columnsOf(client, fields) : [];
    await client.query(options.readOnly ? 'ROLLBACK' : 'COMMIT');
    open = false;
    return {
      cut: false,
      result: {
        columns,
        rows: budget.rows,
        rowCount: fields.length ? budget.rows.length : (last?.rowCount ?? 0),
        truncated: budget.full,
        truncatedReason: budget.reason,
      },
    };
  } finally {
    wire.stop();
    if (open) await client.query('ROLLBACK').catch(() => undefined);
  }
}
