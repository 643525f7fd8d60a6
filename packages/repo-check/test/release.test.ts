/**
 * The release path: a LICENSE, the metadata every published package.json needs, version constants
 * in step with package.json, and the manifest rewriting of scripts/release-lib.mjs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

interface Lib {
  workspaceDirs(root: string): string[];
  resolveWorkspaceRange(spec: string, version: string): string;
  stripSourceCondition(exp: unknown): unknown;
  publishedManifest(pkg: Record<string, unknown>, versions: Map<string, string>, publicNames: Set<string>): Record<string, unknown>;
  REQUIRED_METADATA: string[];
}

// scripts/release-lib.mjs is plain ESM run by node; jest (CJS) loads it through a child process
function lib<K extends keyof Lib>(fn: K, ...args: unknown[]): unknown {
  const code = `import * as l from ${JSON.stringify(join(ROOT, 'scripts/release-lib.mjs'))};
const revive = (v) => v && v.__map ? new Map(v.__map) : v && v.__set ? new Set(v.__set) : v;
const args = JSON.parse(process.argv[1]).map(revive);
const r = typeof l[${JSON.stringify(fn)}] === 'function' ? l[${JSON.stringify(fn)}](...args) : l[${JSON.stringify(fn)}];
process.stdout.write(JSON.stringify(r));`;
  const enc = JSON.stringify(args.map((a) => (a instanceof Map ? { __map: [...a] } : a instanceof Set ? { __set: [...a] } : a)));
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code, enc], { encoding: 'utf8' }));
}

const dirs = lib('workspaceDirs', ROOT) as string[];
const published = dirs
  .map((d) => ({ dir: d, pkg: JSON.parse(readFileSync(join(ROOT, d, 'package.json'), 'utf8')) as Record<string, unknown> }))
  .filter((p) => !p.pkg.private);

test('the repository has an MIT LICENSE', () => {
  expect(existsSync(join(ROOT, 'LICENSE'))).toBe(true);
  expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
});

test('the published packages include the @kvmdev packages and create-kvmdev-plugin; none is an example', () => {
  const names = published.map((p) => p.pkg.name as string);
  expect(names).toEqual(expect.arrayContaining(['@kvmdev/arm-vgic', '@kvmdev/cli', '@kvmdev/core', '@kvmdev/mpic', '@kvmdev/testing', '@kvmdev/xics', 'create-kvmdev-plugin']));
  expect(published.filter((p) => p.dir.startsWith('examples/')).map((p) => p.dir)).toEqual([]);
});

describe.each(published.map((p) => [p.pkg.name as string, p] as const))('%s package.json', (_name, { dir, pkg }) => {
  test('has the registry metadata', () => {
    const missing = (lib('REQUIRED_METADATA') as string[]).filter((k) => pkg[k] === undefined);
    expect(missing).toEqual([]);
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/kvmdev/kvmdev.git', directory: dir });
    expect(pkg.homepage).toBe(`https://github.com/kvmdev/kvmdev/tree/main/${dir}#readme`);
    expect((pkg.keywords as string[]).length).toBeGreaterThan(2);
    expect(pkg.engines).toEqual({ node: '>=20.19' });
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.publishConfig).toEqual({ access: 'public' });
  });

  test('every file it publishes exists or is built (dist)', () => {
    for (const f of pkg.files as string[]) if (f !== 'dist') expect([f, existsSync(join(ROOT, dir, f))]).toEqual([f, true]);
  });
});

test('version constants in source match package.json (scripts/sync-versions.mjs --check)', () => {
  expect(() => execFileSync(process.execPath, [join(ROOT, 'scripts/sync-versions.mjs'), '--check'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
});

describe('the published manifest', () => {
  const versions = new Map([
    ['@kvmdev/core', '0.2.0'],
    ['@kvmdev/testing', '1.0.0'],
    ['@kvmdev/bench', '0.0.0'],
  ]);
  const publicNames = new Set(['@kvmdev/core', '@kvmdev/testing']);

  test('workspace ranges resolve like pnpm publish', () => {
    expect(lib('resolveWorkspaceRange', 'workspace:^', '1.2.3')).toBe('^1.2.3');
    expect(lib('resolveWorkspaceRange', 'workspace:~', '1.2.3')).toBe('~1.2.3');
    expect(lib('resolveWorkspaceRange', 'workspace:*', '1.2.3')).toBe('1.2.3');
    expect(lib('resolveWorkspaceRange', 'workspace:>=1.0.0', '1.2.3')).toBe('>=1.0.0');
  });

  test('drops scripts, devDependencies, the kvmdev field and the source condition; resolves workspace ranges', () => {
    const out = lib(
      'publishedManifest',
      {
        name: '@kvmdev/x',
        version: '1.0.0',
        scripts: { test: 'jest' },
        kvmdev: { versionsFile: 'versions.json' },
        exports: { '.': { '@kvmdev/source': './src/index.ts', import: { types: './dist/index.d.ts', default: './dist/index.js' } } },
        peerDependencies: { '@kvmdev/core': 'workspace:^' },
        dependencies: { '@kvmdev/testing': 'workspace:*', yaml: '2.9.1' },
        devDependencies: { '@kvmdev/bench': 'workspace:*' },
      },
      versions,
      publicNames,
    );
    expect(out).toEqual({
      name: '@kvmdev/x',
      version: '1.0.0',
      exports: { '.': { import: { types: './dist/index.d.ts', default: './dist/index.js' } } },
      peerDependencies: { '@kvmdev/core': '^0.2.0' },
      dependencies: { '@kvmdev/testing': '1.0.0', yaml: '2.9.1' },
    });
  });

  test('refuses a published dependency on a private workspace package', () => {
    expect(() => lib('publishedManifest', { name: '@kvmdev/x', dependencies: { '@kvmdev/bench': 'workspace:*' } }, versions, publicNames)).toThrow(
      /@kvmdev\/bench is a private workspace package/,
    );
  });
});
