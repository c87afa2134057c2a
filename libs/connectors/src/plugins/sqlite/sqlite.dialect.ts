import type { DialectSpec } from '@sluice/core';

/** SQLite: a file, so no port and no connection string. */
export const SQLITE_DIALECT = {
  name: 'sqlite',
  polyglot: 'sqlite',
  defaultPort: null,
  connectionSchemes: [],
  family: 'sqlite',
  pseudoColumns: ['rowid', '_rowid_', 'oid'],
  promptHint:
    "SQLite: strftime('%Y-%m', col) and date() for dates, || for concatenation, LIMIT n; identifiers may need " +
    'double quotes; no RIGHT or FULL JOIN before SQLite 3.39.',
} as const satisfies DialectSpec;
