/**
 * Issue 16: a JSON Schema for VM files that YAML editors pick up (`schema/vm-file.schema.json`,
 * shipped in the package as `@kvmdev/cli/vm-file.schema.json`). It accepts every VM file of the
 * repository and rejects bad ones where the CLI does, at the field the CLI names; what depends on
 * the loaded plugins (device types, settings, names, vCPU limits) only the CLI can check.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { presets } from '@kvmdev/core';
import { SourceFile, formatPath } from '../src/index.js';
import { PKG, cli, put, tmp, vm } from './helpers.js';

const ROOT = resolve(PKG, '../..');
const SCHEMA = join(PKG, 'schema/vm-file.schema.json');
const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

/** The CLI-style path (`scenario[2].spi`) of the deepest place the schema complains about. */
function schemaVerdict(data: unknown): string | null {
  if (validate(data)) return null;
  const paths = (validate.errors ?? []).map((e) => {
    const parts: (string | number)[] = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
    if (e.keyword === 'additionalProperties') parts.push((e.params as { additionalProperty: string }).additionalProperty);
    if (e.keyword === 'required') parts.push((e.params as { missingProperty: string }).missingProperty);
    return parts;
  });
  paths.sort((a, b) => b.length - a.length);
  return formatPath(paths[0]!);
}

function vmFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name) && !p.includes(`${join('vms', 'bad')}`)) {
        const data = SourceFile.load(p).data;
        if (data && typeof data === 'object' && !Array.isArray(data) && 'vm' in data) out.push(p);
      }
    }
  };
  for (const d of ['examples', 'packages/inspector/e2e/fixtures', 'packages/create-kvmdev-plugin/template']) walk(join(ROOT, d));
  return out.sort();
}

describe('the VM file schema', () => {
  const files = vmFiles();
  it('finds the repository\'s VM files', () => {
    expect(files.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['examples/vms/arm64-virt-gicv3.yaml', 'examples/vms/firecracker-vfio.yaml', 'packages/inspector/e2e/fixtures/gicv3-512.yaml']));
  });
  it.each(files.map((f) => [relative(ROOT, f), f]))('accepts %s', (_name, f) => {
    expect([validate(SourceFile.load(f).data), validate.errors ?? null]).toEqual([true, null]);
  });

  it('each example VM file names it for YAML editors (`# yaml-language-server: $schema=`), and so does the README', () => {
    for (const f of readdirSync(join(ROOT, 'examples/vms')).filter((n) => n.endsWith('.yaml'))) {
      const m = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(join(ROOT, 'examples/vms', f), 'utf8'));
      expect([f, m && resolve(ROOT, 'examples/vms', m[1]!)]).toEqual([f, SCHEMA]);
    }
    const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
    expect(readme).toContain('# yaml-language-server: $schema=./node_modules/@kvmdev/cli/schema/vm-file.schema.json');
  });

  it('ships in the package: in files and as the export @kvmdev/cli/vm-file.schema.json', () => {
    const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('schema');
    expect(pkg.exports['./vm-file.schema.json']).toBe('./schema/vm-file.schema.json');
    expect(existsSync(join(PKG, pkg.exports['./vm-file.schema.json']))).toBe(true);
  });

  // [what, the file's text, the path both name]
  const bad: [string, string, string][] = [
    ['an unknown top-level key', 'vm: { preset: qemuE500 }\nextra: 1\n', 'extra'],
    ['no vm', 'scenario: []\n', '$'],
    ['plugins not a list', 'plugins: x\nvm: { preset: qemuE500 }\n', 'plugins'],
    ['an unknown preset option', 'vm: { preset: qemuE500, gic: v3 }\n', 'vm'],
    ['a preset vcpus that is not an integer', 'vm: { preset: qemuE500, vcpus: two }\n', 'vm'],
    ['a bad gic', 'vm: { preset: firecrackerArm64, gic: v4 }\n', 'vm'],
    ['an unknown key of a full config', 'vm: { arch: arm64, vcpus: 1, devices: [], extra: 1 }\n', 'vm'],
    ['an unknown key of a device', 'vm: { arch: arm64, vcpus: 1, devices: [{ type: KVM_DEV_TYPE_ARM_VGIC_V3, x: 1 }] }\n', 'vm'],
    ['scenario not a list', 'vm: { preset: qemuE500 }\nscenario: { a: 1 }\n', 'scenario'],
    ['an unknown step', 'vm: { preset: qemuE500 }\nscenario:\n  - poke: {}\n', 'scenario[0].poke'],
    ['a step with two kinds', 'vm: { preset: qemuE500 }\nscenario:\n  - { run: { vcpu: 0 }, ack: { vcpu: 0 } }\n', 'scenario[0]'],
    ['an unknown field', 'vm: { preset: firecrackerArm64 }\nscenario:\n  - spi: { intid: 40, level: 1, extra: 1 }\n', 'scenario[0].spi.extra'],
    ['a missing field', 'vm: { preset: firecrackerArm64 }\nscenario:\n  - spi: { level: 1 }\n', 'scenario[0].spi.intid'],
    ['level "high"', 'vm: { preset: firecrackerArm64 }\nscenario:\n  - spi: { intid: 40, level: high }\n', 'scenario[0].spi.level'],
    ['level 2', 'vm: { preset: firecrackerArm64 }\nscenario:\n  - spi: { intid: 40, level: 2 }\n', 'scenario[0].spi.level'],
    ['a vcpu that is a string', 'vm: { preset: qemuE500 }\nscenario:\n  - ack: { vcpu: "0" }\n', 'scenario[0].ack.vcpu'],
    ['a read with a value', 'vm: { preset: qemuE500 }\nscenario:\n  - mmio: { vcpu: 0, op: read, addr: 0x1000, size: 4, value: 1 }\n', 'scenario[0].mmio'],
    ['a size of 3', 'vm: { preset: qemuE500 }\nscenario:\n  - mmio: { vcpu: 0, op: read, addr: 0x1000, size: 3 }\n', 'scenario[0].mmio.size'],
    ['an op that is not one', 'vm: { preset: qemuE500 }\nscenario:\n  - attr: { op: poke, group: 1, attr: 0 }\n', 'scenario[0].attr.op'],
    ['expect with two forms', 'vm: { preset: qemuE500 }\nscenario:\n  - expect: { value: 1, errno: ENXIO }\n', 'scenario[0].expect'],
    ['a bad errno', 'vm: { preset: qemuE500 }\nscenario:\n  - expect: { errno: nope }\n', 'scenario[0].expect.errno'],
    ['hcall with nr and name', 'vm: { preset: qemuPseries }\nscenario:\n  - hcall: { vcpu: 0, nr: 4, name: H_EOI }\n', 'scenario[0].hcall'],
    ['a bad step inside repeat', 'vm: { preset: qemuE500 }\nscenario:\n  - repeat: { times: 2, steps: [{ nope: 1 }] }\n', 'scenario[0].repeat.steps[0].nope'],
    ['memory not a list', 'vm: { preset: qemuE500 }\nmemory: { gpa: 0, size: 0x1000 }\n', 'memory'],
    ['an unknown memory slot key', 'vm: { preset: qemuE500 }\nmemory: [{ gpa: 0x1000, size: 0x1000, flags: 1 }]\n', 'memory[0].flags'],
    ['a memory slot without size', 'vm: { preset: qemuE500 }\nmemory: [{ gpa: 0x1000 }]\n', 'memory[0]'],
    ['a mem read with values', 'vm: { preset: qemuE500 }\nmemory: [{ gpa: 0x1000, size: 0x1000 }]\nscenario:\n  - mem: { op: read, gpa: 0x1000, size: 8, values: [1] }\n', 'scenario[0].mem'],
    ['a mem write without values', 'vm: { preset: qemuE500 }\nmemory: [{ gpa: 0x1000, size: 0x1000 }]\nscenario:\n  - mem: { op: write, gpa: 0x1000, size: 8 }\n', 'scenario[0].mem'],
    ['a mem size of 3', 'vm: { preset: qemuE500 }\nmemory: [{ gpa: 0x1000, size: 0x1000 }]\nscenario:\n  - mem: { op: read, gpa: 0x1000, size: 3 }\n', 'scenario[0].mem.size'],
    ['a note that is a number', 'vm: { preset: qemuE500 }\nscenario:\n  - note: { text: 5 }\n', 'scenario[0].note'],
  ];
  const dir = tmp();
  it.each(bad)('rejects %s where the CLI does (exit 2, the same field)', async (what, text, path) => {
    const file = put(dir, 'bad.yaml', text);
    const r = await cli(['run', file]);
    expect(r.code).toBe(2);
    // the CLI names the field; the schema's deepest complaint is at it or inside it
    const cliPath = /^kvmdev run: \S+?(?::\d+:\d+)?: ([^\s:]+):/.exec(r.stderr)?.[1];
    const got = schemaVerdict(SourceFile.parse('bad.yaml', text).data);
    expect([what, got === null ? 'accepted' : 'rejected']).toEqual([what, 'rejected']);
    expect([what, cliPath?.startsWith(path) || path === '$' ? 'cli ok' : r.stderr]).toEqual([what, 'cli ok']);
    expect([what, path === '$' || got!.startsWith(path) || path.startsWith(got!) ? 'schema ok' : got]).toEqual([what, 'schema ok']);
  });

  // what needs the loaded plugins: only the CLI knows (the schema accepts these)
  it.each(['unknown-device.yaml', 'bad-address.yaml', 'unknown-register.yaml', 'unknown-plugin.yaml', 'expect-fails.yaml', 'kernel-error.yaml'])(
    'leaves bad/%s to the CLI (device types, settings, names, runs)',
    (f) => {
      expect(validate(SourceFile.load(vm(`bad/${f}`)).data)).toBe(true);
    },
  );
  it('rejects bad/unknown-step.yaml like the CLI', () => {
    expect(schemaVerdict(SourceFile.load(vm('bad/unknown-step.yaml')).data)).toBe('scenario[2].poke');
  });
  it('lists every preset of @kvmdev/core, each accepted by the CLI as the schema says', async () => {
    const variants = schema.properties.vm.oneOf as { properties: Record<string, { const?: string }> }[];
    const names = variants.map((v) => v.properties.preset?.const).filter((n): n is string => n !== undefined);
    expect(names).toEqual(Object.keys(presets));
    const dir = tmp();
    for (const n of names) {
      const text = `vm: { preset: ${n}, vcpus: 2 }\n`;
      expect([n, schemaVerdict(SourceFile.parse('p.yaml', text).data)]).toEqual([n, null]);
      expect([n, (await cli(['run', put(dir, `${n}.yaml`, text)])).code]).toEqual([n, 0]);
    }
  });
  it('takes an order in a full config, a list of strings', () => {
    const full = (order: unknown) => ({ vm: { arch: 'arm64', vcpus: 1, devices: [], order } });
    expect(schemaVerdict(full(['finalize']))).toBeNull();
    expect(schemaVerdict(full([1]))).toBe('vm.order[0]');
    expect(schemaVerdict({ vm: { preset: 'qemuVirtArm64Its', order: ['finalize'] } })).not.toBeNull();
  });
  it('lives next to the README it is documented in', () => {
    expect(dirname(SCHEMA)).toBe(join(PKG, 'schema'));
  });
});
