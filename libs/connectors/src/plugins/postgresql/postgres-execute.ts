import { ClientBase, CustomTypesConfig, FieldDef, QueryResult as PgResult, types } from 'pg';
import Cursor from 'pg-cursor';
import { ExecuteOptions, QueryColumn, QueryResult } from '../../plugin/connector-plugin';
import { toJsonRow } from '../sql-common/json-values';

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

// node-postgres reads a zone-less timestamp as local time and a date as local midnight, so the
// ISO text would shift with the server's TZ. Read the wall-clock value as UTC instead, and keep
// dates as the YYYY-MM-DD text the database sent.
function parseTimestamp(text: string): Date | string {
  const date = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? text : date;
}

const RESULT_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMP) return parseTimestamp;
    if (oid === DATE) return (text: string) => text;
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

/**
 * Runs one statement in its own transaction: read-only unless a write was allowed, bounded by a
 * server-side statement timeout, reading at most maxRows + 1 rows through a cursor so a huge
 * result never crosses the network. A read-only run always rolls back.
 */
export async function runPostgresQuery(
  client: ClientBase,
  sql: string,
  options: ExecuteOptions,
): Promise<Omit<QueryResult, 'executionMs'>> {
  await client.query(options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
  let open = true;
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(options.timeoutMs))}`);
    // The extended protocol the cursor uses accepts exactly one statement, so "COMMIT; DELETE ..."
    // cannot step out of the read-only transaction.
    const cursor = client.query(new Cursor(sql, [], { rowMode: 'array', types: RESULT_TYPES }));
    const { rows, result } = await readCursor(cursor, options.maxRows + 1);
    await cursor.close();
    const truncated = rows.length > options.maxRows;
    const kept = truncated ? rows.slice(0, options.maxRows) : rows;
    const fields = result.fields ?? [];
    const columns = fields.length ? await columnsOf(client, fields) : [];
    await client.query(options.readOnly ? 'ROLLBACK' : 'COMMIT');
    open = false;
    return {
      columns,
      rows: kept.map(toJsonRow),
      rowCount: fields.length ? kept.length : (result.rowCount ?? 0),
      truncated,
    };
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
  }
}
