import type { SqlDialect, SqlFamily } from '@sluice/core';
import { familyOf } from '../sql-dialects';

/**
 * What the guard refuses by name, lexically and on the parsed statement: a second net under
 * the allow-list of function-allow-list.ts, which already refuses anything not listed.
 * Function names compare lower-cased, without quotes or schema (`pg_catalog."PG_SLEEP"` is
 * `pg_sleep`); a pattern ending in `*` matches the prefix.
 */

/** Functions no dialect needs for reading data: they sleep, lock, read or write files, run SQL. */
const SHARED_FUNCTIONS = [
  'sleep',
  'benchmark',
  'load_file',
  'load_extension',
  'readfile',
  'writefile',
  'sys_exec',
  'sys_eval',
  'lo_*',
  'dblink*',
  'pg_*sleep*',
];

const POSTGRES_FUNCTIONS = [
  // Time and locks: a query that waits holds a connection and locks of others.
  'pg_sleep*',
  'pg_advisory*',
  'pg_try_advisory*',
  // Files on the server, large objects, other databases.
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_*',
  'pg_stat_file',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_logdir_ls',
  'lo_*',
  'dblink*',
  'postgres_fdw*',
  // Server administration and other sessions.
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_*',
  'pg_drop_*',
  'pg_replication_*',
  'pg_logical_*',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_backup_*',
  'pg_import_system_collations',
  'pg_stat_reset*',
  'pg_notify',
  'set_config',
  'current_setting',
  'pg_current_logfile',
  'pg_read_server_files',
  'pg_execute_server_program',
  // They run the SQL text they are given.
  'query_to_xml*',
  'query_to_json*',
  'cursor_to_xml*',
  'table_to_xml*',
  'schema_to_xml*',
  'database_to_xml*',
  'xpath_table',
  'ts_stat',
  'ts_rewrite',
  // Other sessions, server settings and files behind a function rather than a view.
  'pg_stat_get_*',
  'pg_show_all_settings',
  'pg_hba_file_rules',
  'pg_ident_file_mappings',
  'pg_get_backend_memory_contexts',
  // Server state changed by a call.
  'pg_stat_statements_reset',
  'pg_log_backend_memory_contexts',
  'brin_summarize_*',
  'brin_desummarize_range',
  'gin_clean_pending_list',
  // Writes hidden in a function call.
  'nextval',
  'setval',
  'txid_current',
  'pg_current_xact_id',
  'pg_export_snapshot',
  'lo_from_bytea',
];

const MYSQL_FUNCTIONS = [
  'sleep',
  'benchmark',
  'load_file',
  'get_lock',
  'release_lock',
  'release_all_locks',
  'is_free_lock',
  'is_used_lock',
  'master_pos_wait',
  'source_pos_wait',
  'wait_for_executed_gtid_set',
  'wait_until_sql_thread_after_gtids',
  'sys_exec',
  'sys_eval',
  'sys_get',
  'sys_set',
  'lib_mysqludf_sys_info',
];

const SQLITE_FUNCTIONS = ['load_extension', 'readfile', 'writefile', 'edit', 'fts3_tokenizer', 'zipfile*', 'sqlar_*'];

export const DANGEROUS_FUNCTIONS: Record<SqlFamily, string[]> = {
  postgresql: [...SHARED_FUNCTIONS, ...POSTGRES_FUNCTIONS],
  mysql: [...SHARED_FUNCTIONS, ...MYSQL_FUNCTIONS],
  sqlite: [...SHARED_FUNCTIONS, ...SQLITE_FUNCTIONS],
};

const patternCache = new Map<SqlFamily, RegExp>();

/** The pattern that matches a dangerous function name of `dialect` (lower-case, unqualified). */
function dangerPattern(dialect: SqlDialect): RegExp {
  const family = familyOf(dialect);
  let pattern = patternCache.get(family);
  if (!pattern) {
    const alternatives = DANGEROUS_FUNCTIONS[family].map((name) =>
      name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*'),
    );
    pattern = new RegExp(`^(?:${alternatives.join('|')})$`);
    patternCache.set(family, pattern);
  }
  return pattern;
}

export function isDangerousFunction(name: string, dialect: SqlDialect): boolean {
  return dangerPattern(dialect).test(name.toLowerCase());
}

/**
 * Relations that expose other sessions' queries, statistics sampled from every column (values
 * of pii columns included), password hashes or server files. Refused even without a schema.
 */
export const SENSITIVE_RELATIONS = new Set([
  'pg_stat_activity',
  'pg_stats',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic',
  'pg_statistic_ext_data',
  'pg_authid',
  'pg_shadow',
  'pg_user_mapping',
  'pg_user_mappings',
  'pg_hba_file_rules',
  'pg_ident_file_mappings',
  'pg_file_settings',
  'pg_largeobject',
  'pg_stat_statements',
  'pg_prepared_xacts',
  'processlist',
  'user',
  'global_variables',
  'session_variables',
  'events_statements_current',
  'events_statements_history',
  'events_statements_history_long',
]);

/** Schemas whose relations SENSITIVE_RELATIONS names (a bare `user` table of a tenant is fine). */
export const SENSITIVE_SCHEMAS = new Set(['pg_catalog', 'mysql', 'information_schema', 'performance_schema', 'sys']);

/** Relations whose name alone is sensitive, whatever the schema written (or none). */
export const SENSITIVE_BARE = new Set([...SENSITIVE_RELATIONS].filter((n) => n.startsWith('pg_')));

/**
 * Words that never belong to a read-only statement, wherever they appear outside strings,
 * comments and quoted identifiers. A column named like one must be quoted.
 */
export const NEVER_READ_ONLY_WORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'UPSERT', 'RETURNING', 'INTO']);

/** Words refused in any statement, mutations allowed or not. */
export const FORBIDDEN_WORDS = new Set([
  'DROP',
  'ALTER',
  'CREATE',
  'TRUNCATE',
  'RENAME',
  'GRANT',
  'REVOKE',
  'COPY',
  'ATTACH',
  'DETACH',
  'PRAGMA',
  'VACUUM',
  'REINDEX',
  'ANALYZE',
  'ANALYSE',
  'EXECUTE',
  'PREPARE',
  'DEALLOCATE',
  'UNLOCK',
  'HANDLER',
  'OUTFILE',
  'DUMPFILE',
  'INFILE',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'LISTEN',
  'NOTIFY',
  'UNLISTEN',
  'CHECKPOINT',
  'DISCARD',
  'SHUTDOWN',
  'UNINSTALL',
]);

/** Statements a read-only caller may send, by their first word. */
export const READ_ONLY_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'EXPLAIN', '(']);

/** Statements an admin who allowed mutations may also send. */
export const WRITE_STARTS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'REPLACE']);
