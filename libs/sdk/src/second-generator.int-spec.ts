import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');
const SPEC = join(ROOT, 'openapi.json');
// Its CommonJS build loads ESM-only packages, which Jest cannot require: it runs as its CLI, as a user would.
const GENERATOR = join(ROOT, 'node_modules', '.bin', 'swagger-typescript-api');

/** Type-checks `files` as strict TypeScript (DOM fetch types, no emit): the diagnostics, as `file: message`. */
function typeCheck(files: string[]): string[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    strict: true,
    noEmit: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${basename(d.file?.fileName ?? '?')}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/**
 * The spec is not written for one generator only: swagger-typescript-api, a second, independent
 * generator from npm, turns the committed openapi.json into a fetch client that compiles under
 * strict TypeScript and whose types hold (a wrong call does not compile).
 */
describe('a client from a second generator (swagger-typescript-api)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-second-generator-'));
  let source: string;

  beforeAll(async () => {
    await promisify(execFile)(GENERATOR, [
      'generate',
      '--path',
      SPEC,
      '--output',
      dir,
      '--name',
      'api.ts',
      '--http-client',
      'fetch',
      '--silent',
    ]);
    source = readFileSync(join(dir, 'api.ts'), 'utf8');
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates one method per operation of the spec', () => {
    const spec = JSON.parse(readFileSync(SPEC, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
        .map((m) => `${m.toUpperCase()}:${path}`),
    );
    const generated = [...source.matchAll(/@request (\w+:\S+)/g)].map((m) => m[1]);
    expect(generated.sort()).toEqual(operations.sort());
    expect(source).toMatch(/export interface ErrorResponseDto \{/);
  });

  it('compiles with no error under strict TypeScript, and its types refuse a call the spec does not allow', () => {
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import { Api, type ConnectorResponseDto } from './api';",
        "const client = new Api({ baseUrl: 'http://127.0.0.1:3000' });",
        'export async function names(): Promise<string[]> {',
        "  const page = await client.api.connectorsList({ limit: 5, status: 'active' });",
        '  const items: ConnectorResponseDto[] = page.data.data;',
        '  return items.map((c) => c.name);',
        '}',
        'export async function signIn(): Promise<string> {',
        "  const res = await client.api.authLogin({ email: 'a@example.com', password: 'secret' });",
        '  return res.data.accessToken;',
        '}',
      ].join('\n'),
    );
    // The check has teeth: a status the spec does not list is a compile error.
    writeFileSync(
      join(dir, 'wrong.ts'),
      [
        "import { Api } from './api';",
        "const client = new Api({ baseUrl: 'http://127.0.0.1:3000' });",
        "export const wrong = client.api.connectorsList({ status: 'sleeping' });",
      ].join('\n'),
    );
    const problems = typeCheck(['api.ts', 'use.ts', 'wrong.ts'].map((f) => join(dir, f)));
    expect(problems.filter((p) => !p.startsWith('wrong.ts'))).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^wrong\.ts: .*"sleeping"/);
  }, 60_000);
});
