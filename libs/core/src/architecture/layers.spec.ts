import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/**
 * The layering of the monorepo, checked on every import of every non-test file in apps/ and
 * libs/ (ARCHITECTURE.md, "Layout"): arrows only go down, never between siblings of a layer.
 *
 *   apps → nl2sql → {examples, history} → {schema, documents} → connectors → auth → core
 *
 * The apps are one unit at the top: they compose the libs (the CLI writes openapi.json from the
 * API's module), and nothing below may import them.
 *
 * The SDK (libs/sdk) is the API's client, published on its own: it stands outside the layers,
 * imports no other unit and is imported by none (only the tests use it).
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['core'],
  ['auth'],
  ['connectors'],
  ['schema', 'documents'],
  ['examples', 'history'],
  ['nl2sql'],
  ['apps'],
];

const STANDALONE: ReadonlySet<string> = new Set(['sdk']);

const LEVEL = new Map(LAYERS.flatMap((units, level) => units.map((unit) => [unit, level] as const)));

interface Arrow {
  file: string;
  from: string;
  to: string;
  specifier: string;
}

interface LayerReport {
  /** Imports of a unit from a higher layer or from a sibling, as `file: from → to (specifier)`. */
  violations: string[];
  /** Cycles between units, each as `a → b → … → a`. */
  cycles: string[];
}

const ROOT = join(__dirname, '..', '..', '..', '..');
const SOURCE = /\.(ts|js)$/;
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.(ts|js)$/;

/** The unit a repository path belongs to: a lib's name, `apps`, or null (test/, scripts/, …). */
function unitOf(path: string): string | null {
  const [top, name] = path.split('/');
  if (top === 'apps') return 'apps';
  // An unknown lib is returned too, to be reported rather than silently allowed.
  if (top === 'libs' && name) return name;
  return null;
}

/** Every module specifier a source imports, re-exports, requires or loads lazily. */
function specifiersOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1]);
  return found;
}

/** The unit a specifier points at from `file`, or null when it stays outside apps/ and libs/. */
function targetOf(file: string, specifier: string): string | null {
  const alias = /^@sluice\/([^/]+)/.exec(specifier);
  if (alias) return alias[1];
  if (specifier.startsWith('.')) return unitOf(posix.normalize(posix.join(posix.dirname(file), specifier)));
  return null;
}

/** Checks the files given as repository path → source text (test files are the caller's to leave out). */
function checkLayers(files: ReadonlyMap<string, string>): LayerReport {
  const arrows: Arrow[] = [];
  for (const [file, source] of files) {
    const from = unitOf(file);
    if (!from) continue;
    for (const specifier of specifiersOf(source)) {
      const to = targetOf(file, specifier);
      if (to && to !== from) arrows.push({ file, from, to, specifier });
    }
  }

  const violations = arrows
    .filter(({ from, to }) => {
      const [a, b] = [LEVEL.get(from), LEVEL.get(to)];
      return a === undefined || b === undefined || b >= a;
    })
    .map(({ file, from, to, specifier }) => {
      const [a, b] = [LEVEL.get(from), LEVEL.get(to)];
      const kind =
        STANDALONE.has(from) || STANDALONE.has(to)
          ? 'standalone'
          : a === undefined || b === undefined
            ? 'unknown unit'
            : a === b
              ? 'sibling'
              : 'upward';
      return `${file}: ${from} → ${to} (${kind}, '${specifier}')`;
    });

  const edges = new Map<string, Set<string>>();
  for (const { from, to } of arrows) edges.set(from, (edges.get(from) ?? new Set()).add(to));
  return { violations: violations.sort(), cycles: cyclesOf(edges) };
}

/** The elementary cycles through each unit, found by depth-first search (the graph is tiny). */
function cyclesOf(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const cycles = new Set<string>();
  const walk = (start: string, node: string, path: string[]): void => {
    for (const next of edges.get(node) ?? []) {
      if (next === start) {
        // One spelling per cycle: rotated to start at its smallest unit.
        const smallest = path.indexOf([...path].sort()[0]);
        const rotated = [...path.slice(smallest), ...path.slice(0, smallest)];
        cycles.add([...rotated, rotated[0]].join(' → '));
      } else if (!path.includes(next)) {
        walk(start, next, [...path, next]);
      }
    }
  };
  for (const unit of edges.keys()) walk(unit, unit, [unit]);
  return [...cycles].sort();
}

/** The repository path a specifier points at from `file` (no extension), or null for an outside package. */
function pathOf(file: string, specifier: string): string | null {
  const alias = /^@sluice\/([^/]+)(\/.*)?$/.exec(specifier);
  if (alias) return posix.join('libs', alias[1], 'src', alias[2] ?? 'index');
  if (specifier.startsWith('.')) return posix.normalize(posix.join(posix.dirname(file), specifier));
  return null;
}

/** A path inside an `http/` folder of a lib: controllers, their modules and HTTP plumbing. */
const IN_HTTP = /^libs\/[^/]+\/src\/(?:.+\/)?http\//;

/**
 * Outside http/, the HTTP layer may be used by controllers (core's own service and health
 * routes) and by the function that sets up the Express app; by nothing else.
 */
const MAY_USE_HTTP = [/\.controller\.ts$/, /^libs\/core\/src\/app\/configure-app\.ts$/];

/** The names a source declares as exports (`export class X`, `export const X`, `export { X as Y }`). */
function declaredExports(source: string): string[] {
  const names = [
    ...source.matchAll(
      /^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:class|const|function|interface|type|enum|let)\s+([\w$]+)/gm,
    ),
  ].map((m) => m[1]);
  for (const m of source.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) names.push(...listedNames(m[1]));
  return names;
}

/** The local names of an import or export list: `A, type B, C as D` → A, B, D. */
function listedNames(list: string): string[] {
  return list
    .split(',')
    .map((part) => part.trim().replace(/^type\s+/, ''))
    .filter(Boolean)
    .map((part) => part.split(/\s+as\s+/).pop()!);
}

/**
 * Where each name of a lib's public face comes from: lib → name → repository path of the file
 * that declares it, read from `libs/<lib>/src/index.ts` (`export *` and `export { … } from`).
 */
function provenance(files: ReadonlyMap<string, string>): Map<string, Map<string, string>> {
  const faces = new Map<string, Map<string, string>>();
  for (const [file, source] of files) {
    const face = /^libs\/([^/]+)\/src\/index\.ts$/.exec(file);
    if (!face) continue;
    const names = new Map<string, string>();
    for (const m of source.matchAll(/^export\s+(?:type\s+)?(\*|\{[^}]*\})\s*from\s*'(\.[^']+)'/gm)) {
      const origin = posix.normalize(posix.join(posix.dirname(file), m[2]));
      const declared = m[1] === '*' ? declaredExports(files.get(`${origin}.ts`) ?? '') : listedNames(m[1].slice(1, -1));
      for (const name of declared) names.set(name, origin);
    }
    faces.set(face[1], names);
  }
  return faces;
}

/** Each name a source imports from a lib's public face, with the path of the file declaring it. */
function namesThroughFaces(source: string, faces: Map<string, Map<string, string>>): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const m of source.matchAll(/\bimport\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'@sluice\/([^/']+)'/g)) {
    for (const name of listedNames(m[1])) {
      const origin = faces.get(m[2])?.get(name);
      if (origin) found.push([name, origin]);
    }
  }
  return found;
}

/**
 * Files of libs outside http/ (services, repositories, processors, entities, mappers, guards, DTOs,
 * modules) that import from an http/ folder, their own lib's or another's, by path or through a
 * lib's public face: the domain speaks DTOs and never needs a controller or an HTTP helper. A
 * lib's index.ts is its face, which offers its HTTP module to the apps: it is not checked itself.
 */
function checkHttpBoundary(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  const faces = provenance(files);
  for (const [file, source] of files) {
    if (!file.startsWith('libs/') || IN_HTTP.test(file) || MAY_USE_HTTP.some((re) => re.test(file))) continue;
    if (/^libs\/[^/]+\/src\/index\.ts$/.test(file)) continue;
    for (const specifier of specifiersOf(source)) {
      const target = pathOf(file, specifier);
      if (target && IN_HTTP.test(`${target}/`)) found.push(`${file}: imports from http/ ('${specifier}')`);
    }
    for (const [name, origin] of namesThroughFaces(source, faces)) {
      if (IN_HTTP.test(`${origin}/`)) found.push(`${file}: imports ${name} from http/ ('${origin}')`);
    }
  }
  return found.sort();
}

/**
 * Imports of another lib's repository or entity: a lib reaches another through its services and
 * the plain types they return, so its tables stay its own (TypeORM registration included).
 */
function checkPrivateData(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of files) {
    const from = unitOf(file);
    for (const specifier of specifiersOf(source)) {
      const target = pathOf(file, specifier);
      const to = target && unitOf(target);
      if (to && to !== from && /\.(repository|entity)$/.test(target)) {
        found.push(
          `${file}: uses ${target.endsWith('.entity') ? 'an entity' : 'a repository'} of ${to} ('${specifier}')`,
        );
      }
    }
  }
  return found.sort();
}

/**
 * Cycles between files (type-only imports included): each as `a → b → … → a`, one per
 * strongly connected group, found by depth-first search. A cycle inside a lib is a shape problem
 * too: two files that need each other are one unit, or share a third.
 */
function fileCycles(files: ReadonlyMap<string, string>): string[] {
  const resolve = (file: string, specifier: string): string | null => {
    const target = pathOf(file, specifier);
    if (!target) return null;
    for (const candidate of [`${target}.ts`, `${target}/index.ts`, target]) if (files.has(candidate)) return candidate;
    return null;
  };
  const edges = new Map<string, string[]>();
  for (const [file, source] of files) {
    edges.set(
      file,
      specifiersOf(source)
        .map((s) => resolve(file, s))
        .filter((t): t is string => t !== null),
    );
  }
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].join(' → '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...files.keys()].sort()) if (!state.has(file)) visit(file);
  return found;
}

function sourcesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !SOURCE.test(entry.name) || TEST_FILE.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(ROOT, path).split(sep).join('/'), readFileSync(path, 'utf8'));
  }
  return files;
}

describe('layering of apps and libs', () => {
  it('has no import going up or sideways, and no cycle between libs', () => {
    const files = new Map([...sourcesUnder('libs'), ...sourcesUnder('apps')]);
    expect(files.size).toBeGreaterThan(100);
    expect(checkLayers(files)).toEqual({ violations: [], cycles: [] });
  });

  it('has no import cycle between files', () => {
    expect(fileCycles(new Map([...sourcesUnder('libs'), ...sourcesUnder('apps')]))).toEqual([]);
  });

  it('knows every lib of the repository', () => {
    const libs = readdirSync(join(ROOT, 'libs'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(libs.filter((lib) => !LEVEL.has(lib) && !STANDALONE.has(lib))).toEqual([]);
  });

  it('keeps the domain free of http/: only controllers and app setup import from it', () => {
    expect(checkHttpBoundary(sourcesUnder('libs'))).toEqual([]);
  });

  it("uses no other lib's repository or entity", () => {
    const files = new Map([...sourcesUnder('libs'), ...sourcesUnder('apps')]);
    expect(checkPrivateData(files)).toEqual([]);
  });

  describe('the http/ boundary checker, on a fixture', () => {
    const fixture = new Map([
      // Allowed: inside http/, a controller outside it, the app setup, and node's own http.
      [
        'libs/examples/src/http/example.controller.ts',
        "import { D } from '../dto/example.dto';\nimport { C } from '@sluice/core/http/c';",
      ],
      ['libs/core/src/health/health.controller.ts', "import { Public } from '../http/public.decorator';"],
      ['libs/core/src/app/configure-app.ts', "import { R } from '../http/request-id.middleware';"],
      [
        'libs/connectors/src/probes/probe.service.ts',
        "import type { Server } from 'node:http';\nimport { D } from '../dto/probe.dto';",
      ],
      ['libs/documents/src/https.ts', "import { X } from './https/x';"],
      // Not allowed: a service reaching its DTOs under http/, an entity, a repository, a processor, a mapper.
      ['libs/history/src/history.service.ts', "import { H } from './http/dto/history.dto';"],
      ['libs/schema/src/schema-annotation.entity.ts', "import type { A } from './http/schema.controller';"],
      ['libs/auth/src/repositories/user.repository.ts', "import { K } from '@sluice/core/http/public.decorator';"],
      ['libs/documents/src/jobs/sync.processor.ts', "const m = await import('../http/sync.controller');"],
      ['libs/nl2sql/src/answers/mapper.ts', "export { P } from '@sluice/history/http';"],
      // Mentioned in a comment only: not an import.
      ['libs/auth/src/x.service.ts', "// import { Y } from '../http/y';"],
      // Through a public face: the index may offer its HTTP module; a service may not take it.
      [
        'libs/connectors/src/index.ts',
        "export * from './connector.service';\nexport * from './http/connector-id.param';\nexport { M as ConnectorsHttp } from './http/connectors-http.module';",
      ],
      ['libs/connectors/src/connector.service.ts', 'export class ConnectorService {}'],
      ['libs/connectors/src/http/connector-id.param.ts', "export const CONNECTOR_ID_PARAM = 'id';"],
      [
        'libs/schema/src/schema.service.ts',
        "import { ConnectorService, CONNECTOR_ID_PARAM } from '@sluice/connectors';",
      ],
      ['libs/schema/src/http/schema.controller.ts', "import { CONNECTOR_ID_PARAM } from '@sluice/connectors';"],
      ['apps/api/src/app.module.ts', "import { ConnectorsHttp } from '@sluice/connectors';"],
      ['libs/documents/src/jobs/docs.module.ts', "import { type ConnectorsHttp } from '@sluice/connectors';"],
    ]);

    it('reports each import of an http/ path from outside the HTTP layer', () => {
      expect(checkHttpBoundary(fixture)).toEqual([
        "libs/auth/src/repositories/user.repository.ts: imports from http/ ('@sluice/core/http/public.decorator')",
        "libs/documents/src/jobs/docs.module.ts: imports ConnectorsHttp from http/ ('libs/connectors/src/http/connectors-http.module')",
        "libs/documents/src/jobs/sync.processor.ts: imports from http/ ('../http/sync.controller')",
        "libs/history/src/history.service.ts: imports from http/ ('./http/dto/history.dto')",
        "libs/nl2sql/src/answers/mapper.ts: imports from http/ ('@sluice/history/http')",
        "libs/schema/src/schema-annotation.entity.ts: imports from http/ ('./http/schema.controller')",
        "libs/schema/src/schema.service.ts: imports CONNECTOR_ID_PARAM from http/ ('libs/connectors/src/http/connector-id.param')",
      ]);
    });
  });

  describe('the file cycle checker, on a fixture', () => {
    it('reports a cycle through type-only imports and a public face, not a chain', () => {
      const files = new Map([
        ['libs/nl2sql/src/a.ts', "import type { B } from './b';"],
        ['libs/nl2sql/src/b.ts', "import { C } from '@sluice/schema';"],
        ['libs/schema/src/index.ts', "export * from './c';"],
        ['libs/schema/src/c.ts', "import { A } from '../../nl2sql/src/a';"],
        ['libs/core/src/x.ts', "import { Y } from './y';"],
        ['libs/core/src/y.ts', "import { Z } from 'node:path';"],
      ]);
      expect(fileCycles(files)).toEqual([
        'libs/nl2sql/src/a.ts → libs/nl2sql/src/b.ts → libs/schema/src/index.ts → libs/schema/src/c.ts → libs/nl2sql/src/a.ts',
      ]);
    });
  });

  describe('the private data checker, on a fixture', () => {
    it("reports a lib importing another lib's repository or entity, not its own or a service", () => {
      const files = new Map([
        ['libs/connectors/src/connector.service.ts', "import { R } from './connector.repository';"],
        ['libs/schema/src/schema.service.ts', "import type { C } from '@sluice/connectors/connector.types';"],
        ['libs/nl2sql/src/q.ts', "import { S } from '@sluice/schema/schema.repository';"],
        ['libs/documents/src/d.ts', "import type { C } from '../../connectors/src/connector.entity';"],
        ['apps/api/src/m.ts', "import { E } from '@sluice/auth/entities/user.entity';"],
      ]);
      expect(checkPrivateData(files)).toEqual([
        "apps/api/src/m.ts: uses an entity of auth ('@sluice/auth/entities/user.entity')",
        "libs/documents/src/d.ts: uses an entity of connectors ('../../connectors/src/connector.entity')",
        "libs/nl2sql/src/q.ts: uses a repository of schema ('@sluice/schema/schema.repository')",
      ]);
    });
  });

  describe('the checker, on a fixture', () => {
    const fixture = new Map([
      // Allowed: downward, skipping layers, inside a unit, and to outside packages.
      ['apps/api/src/app.module.ts', "import { A } from '@sluice/nl2sql/a';\nimport { B } from '../../cli/src/b';"],
      ['libs/nl2sql/src/a.ts', "import { C } from '@sluice/core/c';\nimport { Module } from '@nestjs/common';"],
      ['libs/history/src/h.ts', "import { H } from './h2';\nimport type { D } from '@sluice/documents/d';"],
      // Upward: core reaching auth; and a relative import from schema into nl2sql.
      ['libs/core/src/c.ts', "import { Guard } from '@sluice/auth/guard';"],
      ['libs/schema/src/s.ts', "export { Q } from '../../nl2sql/src/q';"],
      // Sideways: history using examples, lazily; documents requiring schema.
      ['libs/history/src/p.ts', "const m = await import('@sluice/examples/example.service');"],
      ['libs/documents/src/d.ts', "const s = require('@sluice/schema');"],
      // Mentioned in a comment only: not an import.
      ['libs/auth/src/x.ts', "// import { Y } from '@sluice/nl2sql/y';\n/* from '@sluice/history' */"],
    ]);

    it('reports each upward and each sibling import with its file', () => {
      expect(checkLayers(fixture).violations).toEqual([
        "libs/core/src/c.ts: core → auth (upward, '@sluice/auth/guard')",
        "libs/documents/src/d.ts: documents → schema (sibling, '@sluice/schema')",
        "libs/history/src/p.ts: history → examples (sibling, '@sluice/examples/example.service')",
        "libs/schema/src/s.ts: schema → nl2sql (upward, '../../nl2sql/src/q')",
      ]);
    });

    it('reports cycles between units', () => {
      expect(checkLayers(fixture).cycles).toEqual([]);
      const pair = new Map([
        ['libs/examples/src/e.ts', "import { H } from '@sluice/history/h';"],
        ['libs/history/src/h.ts', "import { E } from '@sluice/examples/e';"],
      ]);
      expect(checkLayers(pair)).toEqual({
        violations: [
          "libs/examples/src/e.ts: examples → history (sibling, '@sluice/history/h')",
          "libs/history/src/h.ts: history → examples (sibling, '@sluice/examples/e')",
        ],
        cycles: ['examples → history → examples'],
      });
    });

    it('reports the SDK importing server code, and server code importing the SDK', () => {
      const files = new Map([
        ['libs/sdk/src/client.ts', "import { Page } from '@sluice/core';\nimport createClient from 'openapi-fetch';"],
        ['libs/sdk/src/errors.ts', "import type { E } from '../../core/src/errors/domain-error';"],
        ['apps/api/src/main.ts', "import { createSluiceClient } from '@sluice/sdk';"],
      ]);
      expect(checkLayers(files).violations).toEqual([
        "apps/api/src/main.ts: apps → sdk (standalone, '@sluice/sdk')",
        "libs/sdk/src/client.ts: sdk → core (standalone, '@sluice/core')",
        "libs/sdk/src/errors.ts: sdk → core (standalone, '../../core/src/errors/domain-error')",
      ]);
    });

    it('reports an unknown lib rather than allowing it', () => {
      const files = new Map([['libs/core/src/c.ts', "import { Z } from '@sluice/reports/z';"]]);
      expect(checkLayers(files).violations).toEqual([
        "libs/core/src/c.ts: core → reports (unknown unit, '@sluice/reports/z')",
      ]);
    });
  });
});
