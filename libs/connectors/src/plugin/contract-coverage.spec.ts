import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONNECTOR_PLUGIN } from './connector-plugin.decorator';
import type { ConnectorTypeInfo } from './connector-plugin';

// Every connector type runs the shared contract suite (test/helpers/connector-contract.ts) from
// a spec in its own folder, so a new type cannot land with only hand-picked tests.
describe('the connector contract suite', () => {
  const pluginsDir = join(__dirname, '..', 'plugins');
  const types: Array<[string, string]> = [];
  for (const folder of readdirSync(pluginsDir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const dir = join(pluginsDir, folder.name);
    for (const file of readdirSync(dir).filter((f) => /\.connector\.ts$/.test(f))) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the plugin files are found at run time
      const exports = require(join(dir, file)) as Record<string, unknown>;
      for (const value of Object.values(exports)) {
        const info =
          typeof value === 'function' ? (Reflect.getMetadata(CONNECTOR_PLUGIN, value) as ConnectorTypeInfo) : undefined;
        if (info) types.push([info.type, join(dir, file)]);
      }
    }
  }

  it('finds the plugin folders', () => {
    expect(types.length).toBeGreaterThanOrEqual(16);
  });

  it.each(types)('runs for %s, from a spec in its folder', (type, file) => {
    const dir = dirname(file);
    const specs = readdirSync(dir)
      .filter((f) => /\.(spec|int-spec)\.ts$/.test(f))
      .map((f) => readFileSync(join(dir, f), 'utf8'));
    const call = new RegExp(`describeConnectorContract\\(\\s*'${type}( \\(|')`);
    expect(specs.some((text) => call.test(text))).toBe(true);
  });
});
