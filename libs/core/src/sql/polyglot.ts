import * as polyglot from '@polyglot-sql/sdk';

export type Polyglot = typeof polyglot;

let loading: Promise<Polyglot> | undefined;

/**
 * The SQL parser (sqlglot's Rust port compiled to WebAssembly), initialised once per process.
 * From CommonJS every call throws until `init()` has finished, and the wasm file is 23 MB, so
 * every user goes through here rather than calling `init()` itself.
 */
export function loadPolyglot(): Promise<Polyglot> {
  loading ??= (async () => {
    if (!polyglot.isInitialized()) await polyglot.init();
    return polyglot;
  })().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
