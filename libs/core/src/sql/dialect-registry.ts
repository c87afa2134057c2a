import type { Dialect } from '@polyglot-sql/sdk';

/**
 * The name of an SQL dialect registered with `registerDialect` (`postgresql`, `mysql`...). A
 * plain string: plugins add dialects at run time, so the set is not known to the compiler.
 */
export type SqlDialect = string;

/**
 * The engine family whose syntax and rule sets a dialect follows: how the SQL guard lexes it
 * (comments, quotes, escapes, parameters), which functions it allows or refuses, which catalog
 * relations it protects, and how names are quoted in DDL and prompts.
 */
export type SqlFamily = 'postgresql' | 'mysql' | 'sqlite';

/** What the rest of the system needs to know about an SQL dialect; declared by its connector plugin. */
export interface DialectSpec {
  /** The dialect's name, as stored with examples and sent in requests. */
  readonly name: string;
  /** The name polyglot-sql knows it by (parse, validate, transpile). */
  readonly polyglot: `${Dialect}`;
  /** TCP port a server of this kind listens on by default; null for file engines. */
  readonly defaultPort: number | null;
  /** URL schemes of its connection strings, with the colon (`postgresql:`); empty when it takes none. */
  readonly connectionSchemes: readonly string[];
  readonly family: SqlFamily;
  /** Columns every table has without declaring them (`ctid`, `rowid`): names the guard accepts. */
  readonly pseudoColumns: readonly string[];
  /** How to write SQL for it, in a sentence or two: the model reads it with every question. */
  readonly promptHint: string;
}

const registry = new Map<string, DialectSpec>();

const DIALECT_NAME = /^[a-z][a-z0-9_]{0,15}$/;

const sameSpec = (a: DialectSpec, b: DialectSpec): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Adds a dialect; registering the same spec again is a no-op (a plugin module and the list of
 * built-ins both register theirs), a different spec under a known name is a programming error.
 */
export function registerDialect<S extends DialectSpec>(spec: S): S {
  if (!DIALECT_NAME.test(spec.name)) {
    throw new Error(
      `An SQL dialect name is 1 to 16 lower-case letters, digits or _, starting with a letter: "${spec.name}"`,
    );
  }
  const known = registry.get(spec.name);
  if (known && known !== spec && !sameSpec(known, spec)) {
    throw new Error(`The SQL dialect "${spec.name}" is registered already, with a different spec`);
  }
  if (!known) registry.set(spec.name, spec);
  return spec;
}

export function isDialect(name: unknown): name is SqlDialect {
  return typeof name === 'string' && registry.has(name);
}

/** The spec of a registered dialect; an unknown name throws, naming the known ones. */
export function dialectSpec(name: SqlDialect): DialectSpec {
  const spec = registry.get(name);
  if (!spec) throw new Error(`Unknown SQL dialect "${name}"; registered: ${dialectNames().join(', ') || 'none'}`);
  return spec;
}

/** Every registered dialect's name, in the order they were registered (the built-ins first). */
export function dialectNames(): SqlDialect[] {
  return [...registry.keys()];
}

/** The names of the dialects that take a connection string, in registration order. */
export function connectionStringDialects(): SqlDialect[] {
  return [...registry.values()].filter((d) => d.connectionSchemes.length > 0).map((d) => d.name);
}

export const dialectFamily = (name: SqlDialect): SqlFamily => dialectSpec(name).family;
