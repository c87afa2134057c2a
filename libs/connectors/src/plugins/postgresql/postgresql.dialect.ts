import type { DialectSpec } from '@sluice/core';

export const POSTGRESQL_DIALECT = {
  name: 'postgresql',
  polyglot: 'postgresql',
  defaultPort: 5432,
  connectionSchemes: ['postgresql:', 'postgres:'],
  family: 'postgresql',
  pseudoColumns: ['ctid', 'oid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid', 'user'],
  promptHint:
    'PostgreSQL: quote identifiers with double quotes only when needed; use ILIKE for case-insensitive matching, ' +
    'date_trunc/extract and to_char for dates, || for concatenation, and LIMIT n.',
} as const satisfies DialectSpec;
