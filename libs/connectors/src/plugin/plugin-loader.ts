import { Type } from '@nestjs/common';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTOR_PLUGIN } from './connector-plugin.decorator';

/**
 * Every class marked @ConnectorPlugin in `plugins/<type>/*.connector.(ts|js)`. Loading by folder
 * is what makes a new connector type one new folder, with no list to edit.
 */
export function loadPluginClasses(pluginsDir: string): Type[] {
  if (!existsSync(pluginsDir)) return [];
  const found: Type[] = [];
  for (const entry of readdirSync(pluginsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const folder = join(pluginsDir, entry.name);
    for (const file of readdirSync(folder)) {
      if (!/\.connector\.(ts|js)$/.test(file) || file.endsWith('.d.ts')) continue;
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the set of files is only known at run time
      const exports = require(join(folder, file)) as Record<string, unknown>;
      for (const value of Object.values(exports)) {
        if (typeof value === 'function' && Reflect.getMetadata(CONNECTOR_PLUGIN, value)) found.push(value as Type);
      }
    }
  }
  return found;
}
