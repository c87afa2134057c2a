import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const SDK = join(__dirname, '..');

/**
 * libs/sdk is published on its own: its own tsconfig compiles it without the monorepo (no path
 * aliases, no Node or Jest types), and its package.json names what that build writes and every
 * package its sources import.
 */
describe('the SDK as a package of its own', () => {
  const configPath = join(SDK, 'tsconfig.build.json');
  const manifest = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as {
    name: string;
    main: string;
    types: string;
    dependencies: Record<string, string>;
  };

  it('builds with its own tsconfig, writing the entry points package.json names', () => {
    const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
    const written = new Map<string, string>();
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const result = program.emit(undefined, (file, text) => written.set(relative(SDK, file), text));
    const problems = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics].map((d) =>
      ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    );
    expect(problems).toEqual([]);
    expect(manifest.name).toBe('@sluice/sdk');
    expect(written.has(manifest.main)).toBe(true);
    expect(written.get(manifest.types)).toMatch(/export \* from '\.\/client'/);
    expect(written.get('dist/client.d.ts')).toMatch(/export declare function createSluiceClient/);
    // No spec file ends up in the package.
    expect([...written.keys()].filter((f) => /spec/.test(f))).toEqual([]);
  }, 60_000);

  it('declares every package its sources import, and imports nothing of the server', () => {
    const imported = new Set<string>();
    for (const entry of readdirSync(join(SDK, 'src'), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || /spec\.ts$/.test(entry.name)) continue;
      const source = readFileSync(join(entry.parentPath, entry.name), 'utf8');
      for (const m of source.matchAll(/\bfrom\s+'([^'.][^']*)'/g)) imported.add(m[1]);
    }
    expect([...imported].sort()).toEqual(Object.keys(manifest.dependencies).sort());
  });
});
