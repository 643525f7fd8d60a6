#!/usr/bin/env node
// `pnpm outside-check [--tarballs <dir>] [--keep]` (CI runs it from .ci/run)
//
// Uses kvmdev the way someone outside this repository does: packs the release tarballs
// (pnpm release:pack, unless --tarballs gives them), then in a temporary folder outside the
// workspace, with npm only (no workspace, no links; --prefer-offline uses the npm cache):
//   1. an ESM project and 2. a CommonJS project, each installing the tarballs, with a plugin
//      written against the public entry points (@kvmdev/core, @kvmdev/core/plugin): tsc, its jest
//      suite with the conformance kit, a VMM script on both entry points, `npx kvmdev types` and
//      `npx kvmdev run` on a VM file that loads the plugin by package name;
//   3. `create-kvmdev-plugin` from its tarball: generate, npm install, typecheck, test, build,
//      `npm run types`, `npm run vm`.
// Prints each step and its time; ends with `outside check: N passed, M failed` and exits 1 on a
// failure, after printing the failed command's output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const ti = args.indexOf('--tarballs');
const given = ti >= 0 ? resolve(args[ti + 1] ?? '') : null;

const work = realpathSync(mkdtempSync(join(tmpdir(), 'kvmdev-outside-')));
if (!relative(ROOT, work).startsWith('..')) throw new Error(`outside-check: ${work} is inside the repository`);
const results = [];
let failedOutput = null;

function step(name, fn) {
  if (failedOutput) {
    results.push({ name, ok: false, skipped: true });
    console.log(`  skip  ${name} (an earlier step failed)`);
    return;
  }
  const t0 = Date.now();
  try {
    const detail = fn();
    results.push({ name, ok: true });
    console.log(`  ok    ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)${detail ? ` — ${detail}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    failedOutput = `${name}:\n${e.message}`;
    console.log(`  FAIL  ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

/** Runs a command; throws with its output when it fails (or when `expect` does not match). */
function sh(cwd, cmd, cmdArgs, { expect, env } = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env } });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const line = `$ (cd ${cwd}) ${cmd} ${cmdArgs.join(' ')}`;
  if (r.error) throw new Error(`${line}\n${r.error.message}`);
  if (r.status !== 0) throw new Error(`${line}\nexit ${r.status}\n${out}`);
  if (expect && !expect.test(out)) throw new Error(`${line}\noutput does not match ${expect}:\n${out}`);
  return out;
}

function write(dir, files) {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
}

const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
const TOOLS = ['jest@30.5.2', '@swc/jest@0.2.39', '@swc/core@1.16.22', '@types/jest@30.0.0', '@types/node@20.19.43', 'typescript@6.0.3'];

console.log(`outside check in ${work}`);

// --- the tarballs
let release = given;
step('release tarballs (pnpm release:pack)', () => {
  if (!release) {
    release = join(work, 'release');
    sh(ROOT, process.execPath, [join(ROOT, 'scripts/release-pack.mjs'), '--out', release]);
  }
  if (!existsSync(join(release, 'manifest.json'))) throw new Error(`${release}: no manifest.json (not a release:pack folder)`);
  return JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8'))
    .map((t) => t.file)
    .join(', ');
});
const tarballs = () => JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8'));
const tgz = (name) => {
  const t = tarballs().find((x) => x.name === name);
  if (!t) throw new Error(`no tarball for ${name} in ${release}`);
  return join(release, t.file);
};

// --- a plugin against the public API, in an ESM and a CommonJS project
const DEVICE = `import { EEXIST, EINVAL, ENXIO } from '@kvmdev/core';
import { type AttrTable, type DeviceOps, definePlugin } from '@kvmdev/core/plugin';

/** One u32 "cookie" per vCPU (attr = vCPU id), set once: a second SET is EEXIST. */
export const GRP_COOKIE = 1;
export const KEY = 'outside-plugin:cookie';

interface State {
  cookies: Map<number, number>;
}

export const ATTRS: AttrTable = [{ group: GRP_COOKIE, name: 'GRP_COOKIE', size: 4, access: 'rw', state: true, attrs: 'vCPU id' }];

const ops: DeviceOps<State> = {
  name: 'outside-cookie',
  create(dev) {
    if (dev.kvm.devices.some((d) => d !== dev && d.ops === ops)) return -EEXIST;
    dev.private = { cookies: new Map() };
    return 0;
  },
  release(dev) {
    dev.private = null;
  },
  setAttr(dev, a) {
    if (a.group !== GRP_COOKIE || a.attrHi !== 0 || a.attrLo > 0xffff) return -ENXIO;
    if (!dev.kvm.vcpuById(a.attrLo)) return -EINVAL;
    const v = dev.kvm.host.mem.getU32(a.addr);
    if (dev.state.cookies.has(a.attrLo)) return -EEXIST;
    if (v === 0) return -EINVAL;
    dev.state.cookies.set(a.attrLo, v);
    return 0;
  },
  getAttr(dev, a) {
    if (a.group !== GRP_COOKIE || a.attrHi !== 0 || a.attrLo > 0xffff) return -ENXIO;
    if (!dev.kvm.vcpuById(a.attrLo)) return -EINVAL;
    dev.kvm.host.mem.setU32(a.addr, dev.state.cookies.get(a.attrLo) ?? 0);
    return 0;
  },
  hasAttr(dev, a) {
    if (a.group !== GRP_COOKIE || a.attrHi !== 0 || a.attrLo > 0xffff) return -ENXIO;
    return dev.kvm.vcpuById(a.attrLo) ? 0 : -EINVAL;
  },
};

export const plugin = definePlugin({
  name: 'outside-plugin',
  version: '1.0.0',
  core: '*',
  devices: [{ key: KEY, ops: ops as DeviceOps, attrs: ATTRS }],
});
export default plugin;

declare module '@kvmdev/core' {
  interface KvmDeviceRegistry {
    'outside-plugin:cookie': { type: number; groups: { 1: { attr: number; value: number } } };
  }
}
`;

const KIT_TEST = `import { EEXIST, EINVAL } from '@kvmdev/core';
import { describeDeviceConformance } from '@kvmdev/testing';
import { GRP_COOKIE, plugin } from '../src/index.js';

describeDeviceConformance({
  plugin,
  vcpus: 2,
  lifetime: 'release',
  singleton: EEXIST,
  samples: {
    set: [{ group: GRP_COOKIE, attr: 0, value: (_ctx, id) => 0x100 + id, once: EEXIST, perVcpu: { attr: (id) => id, missing: EINVAL }, name: 'COOKIE' }],
    invalid: [{ op: 'set', group: GRP_COOKIE, attr: 1, value: 0, errno: EINVAL, after: 'create', name: 'COOKIE 0' }],
  },
  encodings: { [GRP_COOKIE]: { unknown: [0x10000, 1n << 32n] } },
});
`;

const VM_FILE = `description: the outside plugin next to a GICv3
plugins: ['@kvmdev/arm-vgic', 'outside-plugin']
vm:
  arch: arm64
  vcpus: 2
  devices:
    - type: KVM_DEV_TYPE_ARM_VGIC_V3
      name: gic
      settings: { dist: 0x3fff0000, redist: below-dist, nrIrqs: 64 }
    - type: 'outside-plugin:cookie'
      name: cookie
scenario:
  - attr: { device: cookie, op: set, group: 1, attr: 1, value: 7 }
  - attr: { device: cookie, op: get, group: 1, attr: 1 }
  - expect: { value: 7 }
  - attr: { device: cookie, op: set, group: 1, attr: 1, value: 8 }
  - expect: { errno: EEXIST }
`;

const VMM = (esm) => `${esm ? `import { createHost, isKvmError, KVM_CREATE_VM, KVM_CREATE_DEVICE } from '@kvmdev/core';
import { Vm, definePlugin } from '@kvmdev/core/plugin';
import { plugin, KEY } from './dist/index.js';` : `const { createHost, isKvmError, KVM_CREATE_VM, KVM_CREATE_DEVICE } = require('@kvmdev/core');
const { Vm, definePlugin } = require('@kvmdev/core/plugin');
const { plugin, KEY } = require('./dist/index.js');`}
const assert = (c, m) => { if (!c) { console.error('FAILED: ' + m); process.exit(1); } };
assert(typeof definePlugin === 'function' && typeof Vm === 'function', '@kvmdev/core/plugin exports');
const host = createHost({ plugins: [plugin] });
const vm = host.createVm();
vm.createVcpu(0);
const dev = vm.createDevice(KEY);
dev.setAttr(1, 0, 42);
assert(dev.getAttr(1, 0) === 42, 'typed GET reads the SET');
let code = '';
try { dev.setAttr(1, 0, 43); } catch (e) { code = isKvmError(e) ? e.code : String(e); }
assert(code === 'EEXIST', 'second SET is EEXIST, got ' + code);
assert(host.vmOf(vm.fd) instanceof Vm, 'the VM is a @kvmdev/core/plugin Vm');
const kvm = host.open('/dev/kvm');
const vmfd = host.ioctl(kvm, KVM_CREATE_VM, 0);
const cd = host.mem.alloc(12);
host.mem.setU32(cd, host.deviceType(KEY));
assert(host.ioctl(vmfd, KVM_CREATE_DEVICE, cd) === 0, 'facade create');
console.log('vmm ok (${esm ? 'ESM' : 'CommonJS'})');
`;

for (const kind of ['esm', 'cjs']) {
  const esm = kind === 'esm';
  const dir = join(work, `${kind}-project`);
  step(`${kind}: npm install the tarballs and the test tools`, () => {
    write(dir, {
      'package.json': `${JSON.stringify(
        {
          name: 'outside-plugin',
          version: '1.0.0',
          private: true,
          type: esm ? 'module' : 'commonjs',
          exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
        },
        null,
        2,
      )}\n`,
      'tsconfig.json': `${JSON.stringify(
        { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, declaration: true, outDir: 'dist', rootDir: 'src', types: ['node'] }, include: ['src'] },
        null,
        2,
      )}\n`,
      'tsconfig.test.json': `${JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true, rootDir: '.', types: ['node', 'jest'] }, include: ['src', 'test'] }, null, 2)}\n`,
      // ESM: jest's native ESM mode (the `import` branch of @kvmdev/testing and core); CommonJS: the `require` branch
      [esm ? 'jest.config.js' : 'jest.config.cjs']: esm
        ? `export default { testEnvironment: 'node', extensionsToTreatAsEsm: ['.ts'], moduleNameMapper: { '^(\\\\.{1,2}/.*)\\\\.js$': '$1' }, transform: { '^.+\\\\.ts$': ['@swc/jest', { module: { type: 'es6' } }] } };\n`
        : `module.exports = { testEnvironment: 'node', moduleNameMapper: { '^(\\\\.{1,2}/.*)\\\\.js$': '$1' }, transform: { '^.+\\\\.ts$': ['@swc/jest'] } };\n`,
      'src/index.ts': DEVICE,
      'test/kit.test.ts': KIT_TEST,
      'test/module.test.ts': esm
        ? "test('runs as an ES module', () => expect(import.meta.url).toMatch(/^file:/));\n"
        : "test('runs as CommonJS', () => expect(typeof require('@kvmdev/core/plugin').definePlugin).toBe('function'));\n",
      'vm.yaml': VM_FILE,
      [esm ? 'vmm.mjs' : 'vmm.cjs']: VMM(esm),
    });
    // @kvmdev/testing depends on @kvmdev/oracle (its kernel comparison): not on a registry either
    const names = ['@kvmdev/core', '@kvmdev/testing', '@kvmdev/oracle', '@kvmdev/cli', '@kvmdev/mpic', '@kvmdev/xics', '@kvmdev/arm-vgic'];
    sh(dir, 'npm', [...NPM_INSTALL, '--save-dev', ...names.map(tgz), ...TOOLS]);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!String(pkg.devDependencies['@kvmdev/core']).startsWith('file:')) throw new Error('@kvmdev/core was not installed from its tarball');
    if (existsSync(join(dir, 'node_modules/@kvmdev/core/src'))) throw new Error('the installed @kvmdev/core carries src/');
    return `@kvmdev/core ${JSON.parse(readFileSync(join(dir, 'node_modules/@kvmdev/core/package.json'), 'utf8')).version}`;
  });
  step(`${kind}: tsc (the plugin and its test type-check against the published declarations)`, () => {
    sh(dir, 'npx', ['--no-install', 'tsc', '-p', 'tsconfig.test.json']);
    sh(dir, 'npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']);
  });
  step(`${kind}: jest with the conformance kit (${esm ? 'native ESM' : 'CommonJS'})`, () => {
    const env = esm ? { NODE_OPTIONS: '--experimental-vm-modules --no-warnings' } : {};
    const out = sh(dir, 'npx', ['--no-install', 'jest', '--verbose'], { expect: /Tests:\s+\d+ passed/, env });
    if (!/✓ per-vcpu: /.test(out) || !/✓ set-once: /.test(out)) throw new Error(`the per-vcpu and set-once rules did not run:\n${out}`);
    return /Tests:.*/.exec(out)?.[0];
  });
  step(`${kind}: a VMM script on @kvmdev/core and @kvmdev/core/plugin`, () => sh(dir, 'node', [esm ? 'vmm.mjs' : 'vmm.cjs'], { expect: /vmm ok/ }).trim());
  step(`${kind}: npx kvmdev types --plugin outside-plugin`, () => {
    sh(dir, 'npx', ['--no-install', 'kvmdev', 'types', '--plugin', 'outside-plugin'], { expect: /outside-plugin:cookie/ });
  });
  step(`${kind}: npx kvmdev run vm.yaml (loads the plugin by package name)`, () => {
    // exit 0: the VM was composed with the plugin and every `expect` step of the scenario held
    return sh(dir, 'npx', ['--no-install', 'kvmdev', 'run', 'vm.yaml']).trim().split('\n').pop();
  });
}

// --- npm create kvmdev-plugin, from its tarball
const created = join(work, 'created');
step('create-kvmdev-plugin: generate from its tarball', () => {
  mkdirSync(created, { recursive: true });
  sh(created, 'npx', ['--yes', '--package', tgz('create-kvmdev-plugin'), 'create-kvmdev-plugin', 'my-plugin', '--tarballs', release], { expect: /created my-plugin/ });
});
const gen = join(created, 'my-plugin');
step('create-kvmdev-plugin: npm install', () => {
  sh(gen, 'npm', NPM_INSTALL);
});
step('create-kvmdev-plugin: npm run typecheck', () => {
  sh(gen, 'npm', ['run', 'typecheck']);
});
step('create-kvmdev-plugin: npm test (the kit and the device tests)', () => /Tests:.*/.exec(sh(gen, 'npm', ['test'], { expect: /Tests:\s+.*\d+ passed/ }))?.[0]);
step('create-kvmdev-plugin: npm run build (ESM + CommonJS)', () => {
  sh(gen, 'npm', ['run', 'build']);
  for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) if (!existsSync(join(gen, f))) throw new Error(`${f} missing`);
});
step('create-kvmdev-plugin: npm run types', () => {
  sh(gen, 'npm', ['run', 'types'], { expect: /my-plugin:scratch/ });
});
step('create-kvmdev-plugin: npm run vm', () => sh(gen, 'npm', ['run', 'vm']).trim().split('\n').pop());

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (failedOutput) console.log(`\n${failedOutput}\n`);
if (keep || failed) console.log(`outside check: kept ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log(`outside check: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
