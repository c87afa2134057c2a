import type { DialectSpec } from '@sluice/core';

/** Amazon Redshift: PostgreSQL's syntax and rules, its own port, URL scheme and hidden columns. */
export const REDSHIFT_DIALECT = {
  name: 'redshift',
  polyglot: 'redshift',
  defaultPort: 5439,
  connectionSchemes: ['redshift:', 'postgresql:', 'postgres:'],
  family: 'postgresql',
  pseudoColumns: ['oid', 'user'],
  promptHint:
    'Amazon Redshift (PostgreSQL 8 syntax): double-quoted identifiers, date_trunc/extract for dates, LIMIT n; ' +
    'no lateral joins or generate_series on tables.',
} as const satisfies DialectSpec;
