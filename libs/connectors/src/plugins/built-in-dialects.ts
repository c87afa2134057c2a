import { registerDialect } from '@sluice/core';
import { MYSQL_DIALECT } from './mysql/mysql.dialect';
import { POSTGRESQL_DIALECT } from './postgresql/postgresql.dialect';
import { REDSHIFT_DIALECT } from './postgresql/redshift.dialect';
import { SQLITE_DIALECT } from './sqlite/sqlite.dialect';

/**
 * The SQL dialects of the built-in connector plugins, the one list of them. Importing this module
 * registers them, in this order (which is the order of every enum derived from the registry), so
 * a process or test that loads no plugin (the guard's worker threads) still knows them. A plugin
 * registers its dialect itself too, through @ConnectorPlugin: a new one needs no line here to work.
 */
export const BUILT_IN_DIALECTS = [POSTGRESQL_DIALECT, REDSHIFT_DIALECT, MYSQL_DIALECT, SQLITE_DIALECT] as const;

export type BuiltInDialect = (typeof BUILT_IN_DIALECTS)[number]['name'];

BUILT_IN_DIALECTS.forEach((spec) => registerDialect(spec));
