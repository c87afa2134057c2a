import { Connection, FieldPacket, ResultSetHeader, Types } from 'mysql2';
import type { Socket } from 'node:net';
import { ExecuteOptions, QueryColumn, QueryResult } from '../../plugin/connector-plugin';
import { exactNumber } from '../sql-common/json-values';
import { MysqlPacketSizes, ResultBudget, WireGuard, wireLimit } from '../sql-common/result-budget';
import { MysqlServer } from './mysql-catalog';
import { mysqlQuery } from './mysql-connections';

const BINARY_CHARSET = 63;
const EXACT_NUMERIC = new Set(['LONGLONG', 'DECIMAL', 'NEWDECIMAL']);

/** bigint and decimal cells as JSON numbers when exact, their text otherwise (the connection reads them as text). */
const resultTypeCast = (field: { type: string; string(): string | null }, next: () => unknown): unknown => {
  if (!EXACT_NUMERIC.has(field.type)) return next();
  const text = field.string();
  return text === null ? null : exactNumber(text);
};

// mysql2 reports wire types (LONG, VAR_STRING...); these are the SQL names users write.
const TYPE_NAMES: Record<string, string | [text: string, binary: string]> = {
  DECIMAL: 'decimal',
  NEWDECIMAL: 'decimal',
  TINY: 'tinyint',
  SHORT: 'smallint',
  LONG: 'int',
  INT24: 'mediumint',
  LONGLONG: 'bigint',
  FLOAT: 'float',
  DOUBLE: 'double',
  NULL: 'null',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  NEWDATE: 'date',
  TIME: 'time',
  DATETIME: 'datetime',
  YEAR: 'year',
  BIT: 'bit',
  JSON: 'json',
  ENUM: 'enum',
  SET: 'set',
  GEOMETRY: 'geometry',
  VECTOR: 'vector',
  VARCHAR: ['varchar', 'varbinary'],
  VAR_STRING: ['varchar', 'varbinary'],
  STRING: ['char', 'binary'],
  TINY_BLOB: ['tinytext', 'tinyblob'],
  MEDIUM_BLOB: ['mediumtext', 'mediumblob'],
  LONG_BLOB: ['longtext', 'longblob'],
  BLOB: ['text', 'blob'],
};

function columnType(field: FieldPacket): string {
  const wire = (Types as unknown as Record<number, string>)[field.columnType ?? field.type ?? -1] ?? 'unknown';
  const name = TYPE_NAMES[wire];
  if (!name) return wire.toLowerCase();
  if (typeof name === 'string') return name;
  return name[(field.characterSet ?? field.charsetNr) === BINARY_CHARSET ? 1 : 0];
}

/** The session setting that bounds one statement: MariaDB counts seconds, MySQL milliseconds. */
export function statementTimeoutSql(server: MysqlServer, timeoutMs: number): string {
  const ms = Math.max(1, Math.floor(timeoutMs));
  return server.flavor === 'mariadb'
    ? `SET SESSION max_statement_time = ${(ms / 1000).toFixed(3)}`
    : `SET SESSION max_execution_time = ${ms}`;
}

interface Streamed {
  fields: FieldPacket[];
  budget: ResultBudget;
  affected: number;
  /** The connection was cut to stop the server sending the rest; it must not be reused. */
  cut: boolean;
}

/**
 * Reads rows as they arrive and stops at maxRows + 1 or at the byte budget. Without `cutShort`
 * the rest is read and dropped, which a write that must still commit needs; with it the
 * connection is destroyed, the only way to stop a MySQL server from sending an unread result,
 * and a row too large for the budget is stopped on the wire before it lands whole.
 */
function streamRows(
  conn: Connection,
  sql: string,
  limits: { maxRows: number; maxBytes: number },
  cutShort: boolean,
): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const out: Streamed = {
      fields: [],
      budget: new ResultBudget(limits.maxRows, limits.maxBytes),
      affected: 0,
      cut: false,
    };
    let settled = false;
    const socket = (conn as unknown as { stream?: Socket }).stream;
    // The connection is idle between statements, so the stream is at a packet boundary here.
    const wire = cutShort ? new WireGuard(socket, wireLimit(limits.maxBytes), undefined, new MysqlPacketSizes()) : null;
    const onClose = () => {
      if (!wire?.cut) return;
      out.budget.cutForBytes();
      cut();
    };
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      wire?.stop();
      if (wire) socket?.off('close', onClose);
      action();
    };
    const cut = () =>
      settle(() => {
        out.cut = true;
        conn.destroy();
        resolve(out);
      });
    if (wire) socket?.on('close', onClose);
    // Each result set starts with a 'fields' event (undefined for a write's OK packet); a CALL
    // may return several, and the first is the answer.
    let resultSet = -1;
    const query = conn.query({ sql, rowsAsArray: true, typeCast: resultTypeCast });
    query.on('fields', (fields: FieldPacket[] | undefined) => {
      resultSet += 1;
      if (resultSet === 0 && fields) out.fields = fields;
    });
    query.on('result', (row: unknown[] | ResultSetHeader) => {
      if (settled) return;
      if (!Array.isArray(row)) {
        out.affected += row.affectedRows ?? 0;
        return;
      }
      if (resultSet !== 0) return;
      if (out.budget.add(row)) return;
      if (cutShort) cut();
    });
    query.on('error', (error) => {
      if (wire?.cut) {
        out.budget.cutForBytes();
        cut();
      } else settle(() => reject(error));
    });
    query.on('end', () => settle(() => resolve(out)));
  });
}

export interface MysqlRun {
  result: Omit<QueryResult, 'executionMs'>;
  /** True when the connection was cut and must be dropped rather than given back. */
  cut: boolean;
}

/**
 * Runs one statement in its own transaction, read-only unless a write was allowed, bounded by a
 * server-side statement timeout. The session itself is made read-only as well: MySQL commits
 * implicitly before DDL, which would otherwise step out of a read-only transaction.
 */
export async function runMysqlQuery(
  conn: Connection,
  server: MysqlServer,
  sql: string,
  options: ExecuteOptions & { maxBytes: number },
): Promise<MysqlRun> {
  await mysqlQuery(conn, statementTimeoutSql(server, options.timeoutMs));
  await mysqlQuery(conn, options.readOnly ? 'SET SESSION TRANSACTION READ ONLY' : 'SET SESSION TRANSACTION READ WRITE');
  await mysqlQuery(conn, options.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
  let open = true;
  try {
    const streamed = await streamRows(conn, sql, options, options.readOnly);
    if (streamed.cut) {
      // The server rolls the transaction back when the connection drops.
      open = false;
    } else {
      await mysqlQuery(conn, options.readOnly ? 'ROLLBACK' : 'COMMIT');
      open = false;
    }
    const hasRows = streamed.fields.length > 0;
    const columns: QueryColumn[] = streamed.fields.map((f) => ({ name: f.name, type: columnType(f) }));
    const { rows, reason } = streamed.budget;
    return {
      cut: streamed.cut,
      result: {
        columns,
        rows,
        rowCount: hasRows ? rows.length : streamed.affected,
        truncated: reason !== null,
        truncatedReason: reason,
      },
    };
  } finally {
    if (open) await mysqlQuery(conn, 'ROLLBACK').catch(() => undefined);
  }
}
