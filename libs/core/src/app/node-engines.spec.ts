import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageInfo } from './package-info';

const root = packageInfo().root;
const read = (file: string) => readFileSync(join(root, file), 'utf8');

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^v/, '')
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** One comparator of a range: `>=1.2`, `<3`, `^20.19.0`, `~1.2.3`, `20`, `20.x`, `*`. */
function holds(version: Version, comparator: string): boolean {
  const match = /^(>=|<=|>|<|\^|~|=)?(\*|\d+(?:\.(?:\d+|x|\*))*)$/.exec(comparator);
  if (!match) throw new Error(`unexpected engines comparator "${comparator}"`);
  const [, operator = '', text] = match;
  if (text === '*') return true;
  // The parts given as numbers; an x, a * or a missing part matches anything.
  const given = text.split('.').filter((part) => /^\d+$/.test(part)).length;
  const bound = parseVersion(text);
  const cmp = compare(version, bound);
  switch (operator) {
    case '>=':
      return cmp >= 0;
    case '>':
      return cmp > 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '^':
      return version[0] === bound[0] && cmp >= 0;
    case '~':
      return version[0] === bound[0] && (given < 2 || version[1] === bound[1]) && cmp >= 0;
    default:
      return version.slice(0, given).every((part, i) => part === bound[i]);
  }
}

/**
 * Whether a Node version satisfies an `engines` range (alternatives joined by `||`, each a set
 * of comparators that must all hold). A shape not understood throws, so the check cannot pass
 * by misreading a range.
 */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<)\s+/g, '$1')
      .split(/\s+/)
      .every((comparator) => holds(version, comparator)),
  );
}

/** The lowest Node version `engines.node` of package.json admits (it must be a plain `>=`). */
function declaredMinimum(): { range: string; minimum: Version } {
  const range = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const match = /^>=\s*(\d+\.\d+(?:\.\d+)?)$/.exec(range);
  expect(match).not.toBeNull();
  return { range, minimum: parseVersion(match![1]) };
}

/** Packages of the lockfile whose own `engines.node` refuses `version`. */
function packagesRefusing(version: Version): Array<{ name: string; dev: boolean }> {
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { engines?: { node?: string }; dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.engines?.node && !satisfies(version, entry.engines.node))
    .map(([path, entry]) => ({ name: path.replace(/^.*node_modules\//, ''), dev: entry.dev === true }));
}

describe('the Node.js version Sluice declares', () => {
  it('is the one the README states', () => {
    const { range, minimum } = declaredMinimum();
    const readme = read('README.md');
    const [major, minor] = minimum;
    expect(readme).toContain(`Node.js ${major}.${minor} or newer`);
    expect(readme).toContain(`\`engines\` in \`package.json\` is \`${range}\``);
  });

  it('admits the Node these tests run on', () => {
    const { minimum } = declaredMinimum();
    expect(compare(parseVersion(process.versions.node), minimum)).toBeGreaterThanOrEqual(0);
  });

  it('reads the shapes of range the lockfile uses', () => {
    expect(satisfies([20, 20, 2], '^20.19.0 || ^22.13.0 || >=24')).toBe(true);
    expect(satisfies([20, 18, 0], '^20.19.0 || ^22.13.0 || >=24')).toBe(false);
    expect(satisfies([20, 20, 2], '>= 22.x')).toBe(false);
    expect(satisfies([22, 0, 0], '>= 22.x')).toBe(true);
    expect(satisfies([20, 20, 2], '^22.22.3 || ^24.15.0 || >=26.0.0')).toBe(false);
    expect(satisfies([20, 20, 2], '20 || >=22')).toBe(true);
    expect(satisfies([20, 20, 2], '>=18.0.0 <20.0.0')).toBe(false);
    expect(satisfies([20, 20, 2], '>= 18.*')).toBe(true);
    expect(satisfies([20, 20, 2], '*')).toBe(true);
    expect(() => satisfies([20, 0, 0], '20 - 22')).toThrow('unexpected engines comparator');
  });

  it('lists in the README every dependency that declares a newer Node', () => {
    const { minimum } = declaredMinimum();
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('### Node.js version'), readme.indexOf('### Benchmarks'));
    const refusing = packagesRefusing(minimum);
    expect(refusing.length).toBeGreaterThan(0);
    const unlisted = refusing.filter(({ name }) => {
      // A scope listed as `@scope/*` covers its packages.
      const scope = name.startsWith('@') ? `${name.split('/')[0]}/*` : undefined;
      return !section.includes(`\`${name}\``) && !(scope && section.includes(`\`${scope}\``));
    });
    expect(unlisted).toEqual([]);
  });

  it('runs the runtime dependencies that declare Node 22 on this Node', () => {
    // A separate Node process: the packages load as they do in the apps, not through Jest's loader.
    const script = `
      const { Nuid } = require('@nats-io/nuid');
      const polyglot = require('@polyglot-sql/sdk');
      (async () => {
        await polyglot.init();
        const parsed = polyglot.parse('SELECT 1 AS one', 'postgresql');
        const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
        const { fileTypeFromBuffer } = await import('file-type');
        process.stdout.write(JSON.stringify({
          nuid: new Nuid().next().length,
          parsed: parsed.success,
          fileType: (await fileTypeFromBuffer(png)).mime,
        }));
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({ nuid: 22, parsed: true, fileType: 'image/png' });
  });
});
