// What NL2SQL reads of a dialect (the guard, the prompt), from the dialect registry. The plugins
// register their dialects when the connectors lib loads; the guard's worker threads receive the
// specs with each task.
import { dialectSpec, type SqlDialect, type SqlFamily } from '@sluice/core';

/** The engine family whose lexical syntax and rule sets the guard applies to a dialect. */
export const familyOf = (dialect: SqlDialect): SqlFamily => dialectSpec(dialect).family;

/** PostgreSQL and its kin: unquoted names fold to lower case, `pg_*` relations are the catalog. */
export const postgresLike = (dialect: SqlDialect): boolean => familyOf(dialect) === 'postgresql';

const pseudo = new Map<SqlDialect, ReadonlySet<string>>();

/** Columns every table of the dialect has without declaring them (ctid, rowid...). */
export function pseudoColumnsOf(dialect: SqlDialect): ReadonlySet<string> {
  let found = pseudo.get(dialect);
  if (!found) pseudo.set(dialect, (found = new Set(dialectSpec(dialect).pseudoColumns)));
  return found;
}

/** How to write SQL for the dialect, as the model is told with each question. */
export const dialectHint = (dialect: SqlDialect): string => dialectSpec(dialect).promptHint;
