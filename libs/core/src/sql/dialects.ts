/**
 * SQL dialects an example can be written in (the dialects of the SQL connector types). Shared
 * vocabulary: examples store it, and promoting a history entry into an example accepts it.
 */
export const EXAMPLE_DIALECTS = ['postgresql', 'mysql', 'sqlite', 'redshift'] as const;
export type ExampleDialect = (typeof EXAMPLE_DIALECTS)[number];
