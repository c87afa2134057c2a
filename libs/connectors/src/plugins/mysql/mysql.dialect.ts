import type { DialectSpec } from '@sluice/core';

/** MySQL and MariaDB, which share a dialect. */
export const MYSQL_DIALECT = {
  name: 'mysql',
  polyglot: 'mysql',
  defaultPort: 3306,
  connectionSchemes: ['mysql:', 'mariadb:'],
  family: 'mysql',
  pseudoColumns: [],
  promptHint:
    'MySQL/MariaDB: quote identifiers with backticks when needed; DATE_FORMAT, YEAR(), MONTH() for dates, ' +
    'CONCAT() for concatenation, LIMIT n.',
} as const satisfies DialectSpec;
