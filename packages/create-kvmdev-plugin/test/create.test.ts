/**
 * The generator as a user runs it (`node bin/create.mjs`): the files it writes, the names it fills
 * in, the dependencies (registry versions or tarball paths), and the errors for bad input. The
 * generated package's own tests run in the outside check (scripts/outside-check.mjs), against the
 * release tarballs, with npm.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const BIN = resolve(__dirname, '../bin/create.mjs');
let tmp = '';
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'create-kvmdev-plugin-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function create(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const core = JSON.parse(readFileSync(resolve(__dirname, '../../core/package.json'), 'utf8')) as { version: string };

test('writes a standalone package: tsconfig, jest, kit test, README, changesets, example device and VM file', () => {
  const r = create('my-plugin');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/created my-plugin in my-plugin \(device key 'my-plugin:scratch'/);
  expect(files(join(tmp, 'my-plugin'))).toEqual([
    '.changeset/README.md',
    '.changeset/config.json',
    '.gitignore',
    'README.md',
    'examples/vm.yaml',
    'jest.config.js',
    'package.json',
    'src/device.ts',
    'src/index.ts',
    'src/plugin.ts',
    'src/uapi.ts',
    'test/conformance.test.ts',
    'test/device.test.ts',
    'tsconfig.build.json',
    'tsconfig.json',
    'tsup.config.ts',
  ]);
  const dir = join(tmp, 'my-plugin');
  const all = files(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  expect(all).not.toMatch(/__[A-Z_]+__/); // every placeholder filled
  expect(readFileSync(join(dir, 'src/uapi.ts'), 'utf8')).toContain("DEVICE_KEY = 'my-plugin:scratch'");
  expect(readFileSync(join(dir, 'src/plugin.ts'), 'utf8')).toContain(`core: '^${core.version}'`);
  expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/## Attribute table\n\n\| group \| name \| payload/);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  expect(pkg).toMatchObject({
    name: 'my-plugin',
    type: 'module',
    peerDependencies: { '@kvmdev/core': `^${core.version}` },
    devDependencies: { '@kvmdev/core': core.version, jest: '30.5.2', typescript: '6.0.3' },
    scripts: { test: 'jest', types: 'kvmdev types --plugin my-plugin' },
  });
  expect(pkg.exports['.'].require).toEqual({ types: './dist/index.d.cts', default: './dist/index.cjs' });
});

test('--name, --device and --description', () => {
  expect(create('x', '--name', '@acme/kvmdev-timer', '--device', 'timer', '--description', 'A timer.').code).toBe(0);
  expect(readFileSync(join(tmp, 'x/src/uapi.ts'), 'utf8')).toContain("DEVICE_KEY = '@acme/kvmdev-timer:timer'");
  expect(JSON.parse(readFileSync(join(tmp, 'x/package.json'), 'utf8')).description).toBe('A timer.');
});

test('--tarballs: the @kvmdev packages (and the CLI dependencies) as file: paths, versions from the manifest', () => {
  mkdirSync(join(tmp, 'release'));
  const manifest = ['core@0.2.0', 'testing@1.0.0', 'oracle@1.0.0', 'cli@0.2.0', 'mpic@1.0.0', 'xics@1.0.0', 'arm-vgic@1.0.0'].map((s) => {
    const [n, v] = s.split('@') as [string, string];
    return { name: `@kvmdev/${n}`, version: v, file: `kvmdev-${n}-${v}.tgz` };
  });
  writeFileSync(join(tmp, 'release/manifest.json'), JSON.stringify(manifest));
  expect(create('p', '--tarballs', 'release').code).toBe(0);
  const pkg = JSON.parse(readFileSync(join(tmp, 'p/package.json'), 'utf8'));
  expect(pkg.peerDependencies).toEqual({ '@kvmdev/core': '^0.2.0' });
  expect(pkg.devDependencies).toMatchObject({
    '@kvmdev/core': 'file:../release/kvmdev-core-0.2.0.tgz',
    '@kvmdev/testing': 'file:../release/kvmdev-testing-1.0.0.tgz',
    '@kvmdev/oracle': 'file:../release/kvmdev-oracle-1.0.0.tgz',
    '@kvmdev/cli': 'file:../release/kvmdev-cli-0.2.0.tgz',
    '@kvmdev/arm-vgic': 'file:../release/kvmdev-arm-vgic-1.0.0.tgz',
  });
});

test.each([
  [['a', 'b'], /one folder only/],
  [[], /name the folder to create/],
  [['Bad Name'], /not a valid npm package name/],
  [['ok', '--device', 'No'], /--device "No"/],
  [['ok', '--frob'], /unknown option --frob/],
  [['ok', '--tarballs', 'nowhere'], /--tarballs .*nowhere: no such folder/],
])('bad input %j: exit 2 and a message', (args, msg) => {
  const r = create(...args);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(msg);
  expect(r.err).toMatch(/^usage: npm create kvmdev-plugin/m);
});

test('refuses a folder that is not empty, and leaves it alone', () => {
  mkdirSync(join(tmp, 'taken'));
  writeFileSync(join(tmp, 'taken/keep.txt'), 'x');
  const r = create('taken');
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/taken exists and is not an empty folder/);
  expect(files(join(tmp, 'taken'))).toEqual(['keep.txt']);
});

test('--help', () => {
  const r = create('--help');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/--tarballs <dir>/);
});
