/**
 * The generated package against the workspace source: it type-checks and its own jest suite (the
 * kit and the device tests) passes. It is generated inside this package (.generated/), so its
 * `@kvmdev/*` imports resolve to the workspace through the `@kvmdev/source` condition; the outside
 * check runs the same package against the release tarballs with npm.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PKG = resolve(__dirname, '..');
const OUT = join(PKG, '.generated');
const DIR = join(OUT, 'kvmdev-example');
const ROOT_BIN = resolve(PKG, '../../node_modules/.bin');

beforeAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [join(PKG, 'bin/create.mjs'), DIR], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
});

test('it type-checks (tsc --noEmit, strict, NodeNext)', () => {
  // the workspace's source (not its .d.ts) is compiled with the template's options here; it needs
  // the DOM lib the repository uses (WebAssembly.Memory in user memory), the published .d.ts do not
  const args = ['-p', join(DIR, 'tsconfig.json'), '--customConditions', '@kvmdev/source', '--lib', 'es2023,dom'];
  const r = spawnSync(join(ROOT_BIN, 'tsc'), args, { encoding: 'utf8' });
  expect(`${r.stdout}${r.stderr}`).toBe('');
  expect(r.status).toBe(0);
}, 120_000);

test('its jest suite passes: every kit rule, skipped ones with their reason', () => {
  const config = {
    rootDir: DIR,
    testEnvironment: 'node',
    testEnvironmentOptions: { customExportConditions: ['@kvmdev/source', 'node', 'require', 'default'] },
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  };
  const r = spawnSync(join(ROOT_BIN, 'jest'), ['--config', JSON.stringify(config), '--verbose'], { encoding: 'utf8', cwd: DIR });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(out);
  expect(out).toMatch(/✓ set-once: /);
  expect(out).toMatch(/○ skipped per-vcpu: .*\[skipped: no SET sample declares `perVcpu`/);
  expect(out).toMatch(/Tests: +1 skipped, \d+ passed/);
}, 120_000);
