/**
 * Issue 16, the CLI: one exit-code table for every step kind and every command, as the README
 * documents it, and one precise message per problem (one `kvmdev <command>:` prefix, the field
 * the file has). Each test here failed on the CLI before the fix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../src/index.js';
import { PKG, cli, kvmdev, put, tmp, vm } from './helpers.js';

jest.setTimeout(120_000);

const GIC = 'vm: { preset: firecrackerArm64, vcpus: 1, gic: v3 }\n';
const E500 = 'vm: { preset: qemuE500, vcpus: 1 }\n';
const dir = tmp();
const scenario = (name: string, head: string, steps: string[]) => put(dir, name, `${head}scenario:\n${steps.map((s) => `  - ${s}\n`).join('')}`);

describe('a failed kernel call exits 4 in a step of any kind', () => {
  // one failing call per step kind that makes one (the GIC has 128 INTIDs, no ITS, no hypercalls)
  const failing: [string, string, string][] = [
    ['spi', 'spi: { intid: 200, level: 1 }', 'EINVAL: KVM_IRQ_LINE'],
    ['irqLine', 'irqLine: { irq: 0x010000c8, level: 1 }', 'EINVAL: KVM_IRQ_LINE'],
    ['msi', 'msi: { addressLo: 0x8080040, data: 1 }', 'ENODEV: KVM_SIGNAL_MSI'],
    ['attr', 'attr: { op: get, group: 99, attr: 0 }', 'ENXIO: KVM_GET_DEVICE_ATTR group 99 attr 0x0 on gic'],
  ];
  it.each(failing)('%s: exit 4 naming the errno and the call; with expect errno after it, exit 0', async (kind, step, msg) => {
    const r = await cli(['run', scenario(`${kind}.yaml`, GIC, [step])]);
    expect([r.code, r.stderr]).toEqual([EXIT.KERNEL, expect.stringContaining(`${kind}.yaml:3:5: scenario[0]: ${msg}`)]);
    const errno = msg.split(':')[0];
    const ok = await cli(['run', scenario(`${kind}-expected.yaml`, GIC, [step, `expect: { errno: ${errno} }`])]);
    expect([ok.code, ok.stderr]).toEqual([EXIT.OK, '']);
  });
  it('a hypercall the kernel does not handle is a guest outcome (KVM_EXIT_PAPR_HCALL), not a failed call: exit 0, the trace shows the exit', async () => {
    const r = await cli(['run', scenario('hcall.yaml', GIC, ['hcall: { vcpu: 0, nr: 0x64 }'])]);
    expect([r.code, r.stderr]).toEqual([EXIT.OK, '']);
    expect(r.stdout).toContain('vCPU 0 hcall 0x64() -> KVM_EXIT_PAPR_HCALL (nr 0x64; the VMM answers)');
  });
  it('a failed attr step exits 4 like a failed spi step (it exited 0), its trace line still saying what it means', async () => {
    const r = await cli(['run', scenario('mpic-attr.yaml', E500, ['attr: { device: mpic, op: get, group: KVM_DEV_MPIC_GRP_REGISTER, attr: 0x2 }'])]);
    expect(r.code).toBe(EXIT.KERNEL);
    expect(r.stdout).toContain('mpic: KVM_GET_DEVICE_ATTR KVM_DEV_MPIC_GRP_REGISTER attr 0x2 -> ENXIO (register 0x2)');
    expect(r.stderr).toBe(`kvmdev run: ${join(dir, 'mpic-attr.yaml')}:3:5: scenario[0]: ENXIO: KVM_GET_DEVICE_ATTR KVM_DEV_MPIC_GRP_REGISTER attr 0x2 on mpic (register 0x2)\n`);
  });
});

describe('every exit code the README documents', () => {
  const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Exit codes'));
  const documented = [...table.slice(0, table.indexOf('\n## ', 5)).matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));

  it('the README table lists exactly the codes of EXIT', () => {
    expect(documented.sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });

  it('each one is what the CLI exits with for its case', async () => {
    const snap = join(dir, 'e500.json');
    expect((await cli(['snapshot', put(dir, 'e500.yaml', 'vm: { preset: qemuE500, vcpus: 2 }\n'), '-o', snap])).code).toBe(0);
    const truncated = put(dir, 'truncated.json', readFileSync(snap, 'utf8').slice(0, 200));
    const broken = { write: () => { throw new TypeError('stdout is gone'); }, isTTY: false } as unknown as NodeJS.WriteStream;
    const { main } = await import('../src/main.js');
    const cases: Record<number, () => Promise<number>> = {
      0: async () => (await cli(['run', vm('e500-mpic.yaml')])).code,
      1: async () => (await cli(['run', vm('bad/expect-fails.yaml')])).code,
      2: async () => (await cli(['run', vm('bad/unknown-step.yaml')])).code,
      3: async () => (await cli(['restore', vm('e500-mpic.yaml'), truncated])).code,
      4: async () => (await cli(['run', vm('bad/kernel-error.yaml')])).code,
      70: async () => main(['types'], { stdout: broken, stderr: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream }),
    };
    for (const code of documented) expect([code, await cases[code]!()]).toEqual([code, code]);
  });

  it('a truncated snapshot exits 3 (it exited 2), in restore, inspect and a restore step, naming where the text ends', async () => {
    const snap = join(dir, 'e500.json');
    const text = readFileSync(snap, 'utf8');
    const truncated = put(dir, 'cut.json', text.slice(0, 120));
    const lines = text.slice(0, 120).split('\n');
    const where = `cut.json:${lines.length}:${lines[lines.length - 1]!.length + 1}`;
    for (const args of [['restore', vm('e500-mpic.yaml'), truncated], ['restore', truncated], ['inspect', truncated]]) {
      const r = await cli(args);
      expect([args[0], r.code]).toEqual([args[0], EXIT.SNAPSHOT]);
      expect(r.stderr).toContain(`${where}: not a snapshot: syntax error: Unexpected end of JSON input`);
    }
    const step = scenario('restore-cut.yaml', 'vm: { preset: qemuE500, vcpus: 2 }\n', [`restore: { file: cut.json }`]);
    const r = await cli(['run', step]);
    expect(r.code).toBe(EXIT.SNAPSHOT);
    expect(r.stderr).toContain('restore-cut.yaml:3:5: scenario[0]: ');
  });

  it('kvmdev diff exits as diff(1): 0 same, 1 different, 2 trouble (a bad snapshot too)', async () => {
    const a = join(dir, 'e500.json');
    const b = join(dir, 'e500-run.json');
    expect((await cli(['snapshot', vm('e500-mpic.yaml'), '-o', b])).code).toBe(0);
    expect((await cli(['diff', a, a])).code).toBe(0);
    expect((await cli(['diff', a, b])).code).toBe(1);
    expect((await cli(['diff', a, put(dir, 'half.json', '{ "format": "kvmdev-snapshot"')])).code).toBe(2);
    expect((await cli(['diff', a, join(dir, 'missing.json')])).code).toBe(2);
    expect((await cli(['diff', a])).code).toBe(2);
  });
});

describe('one precise message per problem', () => {
  it('level: "high" is refused, in the words of the message ("expected 0 or 1"); so are true and "up"', async () => {
    for (const v of ['"high"', 'true', 'up', '2']) {
      const r = await cli(['run', scenario('level.yaml', GIC, [`spi: { intid: 40, level: ${v} }`])]);
      expect(r.code).toBe(EXIT.INPUT);
      expect(r.stderr).toMatch(/level\.yaml:3:\d+: scenario\[0\]\.spi\.level: expected 0 or 1, got /);
    }
    const ok = await cli(['run', scenario('level-ok.yaml', GIC, ['spi: { intid: 40, level: 1 }', 'spi: { intid: 40, level: 0 }'])]);
    expect(ok.code).toBe(EXIT.OK);
  });

  it('one bad vCPU count is one error, naming vm.vcpus (not a device setting the file does not have)', async () => {
    for (const text of ['vm: { preset: firecrackerArm64, vcpus: 1000, gic: v3 }\n', 'vm: { preset: qemuVirtArm64, vcpus: 0 }\n']) {
      const r = await cli(['run', put(dir, 'vcpus.yaml', text)]);
      expect(r.code).toBe(EXIT.INPUT);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^kvmdev run: \S+vcpus\.yaml:1:\d+: vm\.vcpus: expected an integer from 1 to 512, got (1000|0)$/)]);
    }
    const full = put(dir, 'full.yaml', 'vm:\n  arch: arm64\n  vcpus: 600\n  devices:\n    - { type: KVM_DEV_TYPE_ARM_VGIC_V3, settings: { dist: 0x8000000, redist: 0x80a0000 } }\n');
    const r = await cli(['run', full]);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/full\.yaml:3:10: vm\.vcpus: expected an integer from 1 to 512, got 600$/)]);
  });

  it('a preset problem names the preset option that causes it', async () => {
    // a GICv2 serves 8 vCPUs: the issue is on the preset's GICC setting, the cause the file's vcpus
    const r = await cli(['run', put(dir, 'v2.yaml', 'vm: { preset: firecrackerArm64, vcpus: 9, gic: v2 }\n')]);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/v2\.yaml:1:40: vm\.vcpus: .*\(devices\[0\]\.settings\.cpu of preset firecrackerArm64\)$/)]);
  });

  it('one prefix: `kvmdev <command>:` (it was `kvmdev: kvmdev run: ...`)', async () => {
    const cases: [string[], string][] = [
      [['frobnicate'], 'kvmdev: unknown command "frobnicate"'],
      [['run', '--frob'], "kvmdev run: Unknown option '--frob'\n"],
      [['run'], 'kvmdev run: missing <vm-file>'],
      [['snapshot', vm('e500-mpic.yaml')], 'kvmdev snapshot: missing -o <snap.json>'],
      [['types', '--all'], 'kvmdev types: unknown option --all'],
      [['inspect', '--web'], 'kvmdev inspect: --web: name a snapshot or a VM file'],
      [['inspect', '--web', '--port', 'x', vm('e500-mpic.yaml')], 'kvmdev inspect: --port: expected a TCP port'],
      [['run', vm('bad/unknown-step.yaml')], 'kvmdev run: '],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(args);
      expect(r.code).toBe(EXIT.INPUT);
      expect(r.stderr.startsWith(msg)).toBe(true);
      expect(r.stderr).not.toMatch(/kvmdev( \w+)?: kvmdev/);
    }
  });
});

describe('a device without snapshot support', () => {
  it('is refused before the scenario runs, naming the device (it was "a kernel call failed" after the run)', () => {
    const r = kvmdev(['snapshot', vm('firecracker-vfio.yaml'), '-o', join(dir, 'vfio.json')]);
    expect(r.code).toBe(EXIT.SNAPSHOT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kvmdev snapshot: \S+firecracker-vfio\.yaml:14:7: this VM cannot be saved: its device vm\.devices\[1\] vfio \(@acme\/kvmdev-vfio:vfio\) has no snapshot support/);
    expect(r.stderr).not.toContain('kernel call failed');
  });
  it('a snapshot step on such a VM is refused when the scenario is checked, before any step runs', () => {
    const sc = put(dir, 'vfio-steps.yaml', '- note: first\n- snapshot: { file: s.json }\n');
    const r = kvmdev(['run', vm('firecracker-vfio.yaml'), '--scenario', sc, '--replace']);
    expect(r.code).toBe(EXIT.SNAPSHOT);
    expect(r.stdout).not.toContain('# first');
    expect(r.stderr).toMatch(/vfio-steps\.yaml:2:3: scenario\[1\]: this VM cannot be saved/);
  });
});

describe('--scenario and the file\'s own scenario', () => {
  it('is refused without --replace when the file has one (it was replaced silently), naming both ways', async () => {
    const further = vm('continue/e500-mpic.yaml');
    const r = await cli(['run', vm('e500-mpic.yaml'), '--scenario', further]);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.stderr).toMatch(/e500-mpic\.yaml:8:3: scenario: the VM file has a scenario of its own \(30 steps\), which --scenario would replace: add --replace/);
    const replaced = await cli(['run', vm('e500-mpic.yaml'), '--scenario', further, '--replace', '--json']);
    expect(replaced.code).toBe(EXIT.OK);
    expect((JSON.parse(replaced.stdout) as { at: string }[]).length).toBeGreaterThan(0);
    // naming the VM file itself first runs its own scenario, then the others: nothing is replaced
    const both = await cli(['run', vm('e500-mpic.yaml'), '--scenario', vm('e500-mpic.yaml'), '--scenario', further]);
    expect(both.code).toBe(EXIT.OK);
    // --replace alone runs no scenario; a file without a scenario needs no --replace
    const none = await cli(['run', vm('e500-mpic.yaml'), '--replace', '--json']);
    expect(JSON.parse(none.stdout)).toEqual([]);
    expect((await cli(['run', put(dir, 'bare.yaml', 'vm: { preset: qemuE500, vcpus: 2 }\n'), '--scenario', further])).code).toBe(EXIT.OK);
  });
});
