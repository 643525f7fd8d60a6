import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kvmdev, vm, FAMILIES, tmp } from './helpers.js';

jest.setTimeout(120_000);

describe('kvmdev --help and usage', () => {
  it('prints the main help', () => {
    const r = kvmdev(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['types', 'run', 'snapshot', 'restore', 'diff', 'inspect']) expect(r.stdout).toContain(`  ${c} `);
    expect(r.stdout).toContain('Exit codes');
  });
  it.each(['types', 'run', 'snapshot', 'restore', 'diff', 'inspect'])('has --help for %s', (c) => {
    const r = kvmdev([c, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: kvmdev ${c}`);
  });
  it('exits 2 on no command, an unknown command, an unknown option and a missing argument', () => {
    expect(kvmdev([]).code).toBe(2);
    const u = kvmdev(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('unknown command "frobnicate"');
    const o = kvmdev(['run', vm('e500-mpic.yaml'), '--frob']);
    expect(o.code).toBe(2);
    expect(o.stderr).toContain("Unknown option '--frob'");
    expect(kvmdev(['snapshot', vm('e500-mpic.yaml')]).stderr).toContain('missing -o');
  });
});

describe('kvmdev types', () => {
  it('lists the device types, their groups and setup settings, and the profiles', () => {
    const r = kvmdev(['types']);
    expect(r.code).toBe(0);
    for (const s of ['KVM_DEV_TYPE_ARM_VGIC_V3 (type 7)', 'KVM_DEV_TYPE_FSL_MPIC_20 (type 1)', 'KVM_DEV_TYPE_XICS (type 3)', 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', 'KVM_DEV_MPIC_GRP_REGISTER', 'arm64:', 'ppc-e500:', 'ppc-pseries:'])
      expect(r.stdout).toContain(s);
    expect(r.stdout).toMatch(/redist\s+redistributor region base/);
    expect(r.stdout).not.toContain('\x1b[');
  });
  it('prints JSON', () => {
    const j = JSON.parse(kvmdev(['types', '--json']).stdout);
    const v3 = j.types.find((t: { key: string }) => t.key === 'KVM_DEV_TYPE_ARM_VGIC_V3');
    expect(v3).toMatchObject({ type: 7, plugin: '@kvmdev/arm-vgic' });
    expect(v3.groups.some((g: { name: string; state: boolean }) => g.name === 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS' && g.state)).toBe(true);
    expect(Object.keys(v3.settings)).toEqual(['dist', 'redist', 'redistRegions', 'nrIrqs', 'routing']);
    expect(j.profiles.map((p: { name: string }) => p.name).sort()).toEqual(['arm64', 'ppc-e500', 'ppc-pseries']);
  });
});

describe('kvmdev run on the examples', () => {
  const want: Record<string, string[]> = {
    'arm64-virt-gicv3': [
      'host raises SPI 40 (KVM_IRQ_LINE 0x01000028)',
      '-> vCPU 0: irq line up',
      'vCPU 0 acknowledges SPI 40 (priority 0xa0)',
      'vCPU 2 acknowledges SPI 41 (priority 0x80)',
      'vCPU 0 sends SGI 1 to vCPU 1, 3 (ICC_SGI1R_EL1 = 0x100000a)',
      'vCPU 1 acknowledges SGI 1',
      'vCPU 1 EOIs SGI 1',
      'vCPU 1 reads ICC_IAR1_EL1: spurious (1023), nothing pending',
    ],
    'firecracker-gicv2': ['vCPU 1 acknowledges SPI 40 (priority 0xa0)', 'vCPU 0 acknowledges SGI 3 from vCPU 1', 'GICD_SGIR = 0x10003', 'vCPU 1 EOIs SPI 40'],
    'e500-mpic': ['host raises GSI 3', '-> vCPU 0: external line up', 'vCPU 0 acknowledges vector 0x43 (source 3, priority 5)', 'vCPU 0 EOIs vector 0x43', 'vCPU 0 sends IPI 0 to vCPU 1', 'vCPU 1 acknowledges vector 0x80 (IPI 0, priority 9)', 'KVM_DEV_MPIC_GRP_REGISTER attr 0x2 -> ENXIO'],
    'pseries-xics': ['vCPU 0 acknowledges source 0x1000 (priority 0x05, CPPR was 0xff)', 'vCPU 1 acknowledges source 0x1001 (priority 0x05', 'vCPU 0 sends an IPI (MFRR 0x05) to server 1', 'vCPU 1 acknowledges IPI', 'vCPU 1 EOIs source 0x1001'],
  };
  it.each(FAMILIES)('%s runs, every expectation holds, the trace says what the devices did', (f) => {
    const r = kvmdev(['run', vm(`${f}.yaml`)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const s of want[f]!) expect(r.stdout).toContain(s);
    expect(r.stdout).not.toContain('FAILED');
    expect(r.stdout).not.toContain('\x1b[');
  });
  it('prints the trace as JSON events with --json', () => {
    const r = kvmdev(['run', vm('arm64-virt-gicv3.yaml'), '--json']);
    expect(r.code).toBe(0);
    const ev = JSON.parse(r.stdout) as { kind: string; at: string; vcpu?: number; intid?: number; priority?: number; text: string }[];
    expect(ev.find((e) => e.kind === 'ack' && e.intid === 40)).toMatchObject({ vcpu: 0, priority: 0xa0, text: 'vCPU 0 acknowledges SPI 40 (priority 0xa0)' });
    expect(ev.filter((e) => e.kind === 'line').length).toBeGreaterThan(4);
    expect(ev.every((e) => typeof e.at === 'string' && typeof e.text === 'string')).toBe(true);
  });
  it('runs several VM files (the demo) and a separate scenario file', () => {
    const r = kvmdev(['run', vm('arm64-virt-gicv3.yaml'), vm('e500-mpic.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('== ');
    expect(r.stdout).toContain('acknowledges SPI 40');
    expect(r.stdout).toContain('acknowledges vector 0x43');
    const s = kvmdev(['run', vm('e500-mpic.yaml'), '--scenario', vm('e500-mpic.yaml'), '--scenario', vm('continue/e500-mpic.yaml')]);
    expect(s.code).toBe(0);
    expect(s.stdout.split('acknowledges vector 0x43').length).toBe(3);
  });
  it('colours only when asked to (FORCE_COLOR), never with NO_COLOR', () => {
    expect(kvmdev(['run', vm('e500-mpic.yaml')], { env: { NO_COLOR: '', FORCE_COLOR: '1' } }).stdout).toContain('\x1b[');
    expect(kvmdev(['run', vm('e500-mpic.yaml')], { env: { NO_COLOR: '1', FORCE_COLOR: '' } }).stdout).not.toContain('\x1b[');
  });
});

describe('bad input files name the place', () => {
  const cases: [string, number, RegExp][] = [
    ['syntax.yaml', 2, /bad\/syntax\.yaml:4:1: syntax error: /],
    ['syntax.json', 2, /bad\/syntax\.json:4:3: syntax error: Missing ,/],
    ['unknown-device.yaml', 2, /bad\/unknown-device\.yaml:5:13: vm\.devices\[0\]\.type: unknown device KVM_DEV_TYPE_ARM_VGIC_V4; the loaded plugins register .*KVM_DEV_TYPE_ARM_VGIC_V3/],
    ['bad-address.yaml', 2, /bad\/bad-address\.yaml:8:15: vm\.devices\[0\]\.settings\.dist: 0x8001000 is not 64 KiB aligned/],
    ['unknown-step.yaml', 2, /bad\/unknown-step\.yaml:5:11: scenario\[2\]\.poke: unknown step "poke"; steps are note, irqLine/],
    ['unknown-register.yaml', 2, /bad\/unknown-register\.yaml:6:39: scenario\[3\]\.sysreg\.reg: unknown register "ICC_BOGUS_EL1"/],
    ['unknown-plugin.yaml', 2, /bad\/unknown-plugin\.yaml:1:27: plugins\[1\]: unknown plugin @acme\/kvmdev-nope/],
    ['expect-fails.yaml', 1, /bad\/expect-fails\.yaml:5:5: scenario\[2\]: expectation failed: vCPU 0 external line is 0, expected 1/],
    ['kernel-error.yaml', 4, /bad\/kernel-error\.yaml:4:5: scenario\[1\]: EINVAL: KVM_IRQ_LINE/],
  ];
  it.each(cases)('%s -> exit %d', (file, code, msg) => {
    const r = kvmdev(['run', vm(`bad/${file}`)]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(msg);
  });
  it('checks a whole scenario before running any of it', () => {
    const r = kvmdev(['run', vm('bad/unknown-step.yaml')]);
    expect(r.stdout).not.toContain('GSI 3');
  });
  it('reports a missing file', () => {
    const r = kvmdev(['run', vm('bad/nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.yaml: cannot read: ENOENT');
  });
});

describe('kvmdev inspect', () => {
  it('shows the configured interrupts per device and vCPU', () => {
    const r = kvmdev(['inspect', vm('arm64-virt-gicv3.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vCPU\s+IRQ\s+enabled\s+pending\s+active\s+priority\s+target/);
    expect(r.stdout).toMatch(/-\s+SPI 40\s+yes\s+-\s+-\s+0xa0\s+vCPU 0/);
    expect(r.stdout).toMatch(/-\s+SPI 41\s+yes\s+-\s+-\s+0x80\s+vCPU 2/);
    expect(r.stdout).not.toContain('SPI 42');
    expect(r.stdout).toContain('vCPU 3: irq line 0, ICC_PMR_EL1 0xf0');
    const all = kvmdev(['inspect', vm('arm64-virt-gicv3.yaml'), '--all']);
    expect(all.stdout).toContain('SPI 42');
    expect(all.stdout).toMatch(/1\s+PPI 27/);
  });
  it('shows pending state mid-scenario, for MPIC and XICS too, and as JSON', () => {
    const x = kvmdev(['inspect', vm('pseries-xics.yaml')]);
    expect(x.stdout).toMatch(/source 0x1001\s+yes\s+-\s+-\s+0x05\s+server 1\s+-\s+level/);
    expect(x.stdout).toContain('ICP CPPR 0xff');
    const m = kvmdev(['inspect', vm('e500-mpic.yaml'), '--json']);
    const j = JSON.parse(m.stdout) as { key: string; rows: { name: string; priority: number; target: string; targets: number[]; extra: { vector: number } }[] }[];
    expect(j[0]!.key).toBe('KVM_DEV_TYPE_FSL_MPIC_20');
    expect(j[0]!.rows.find((r) => r.name === 'source 3')).toMatchObject({ priority: 5, target: 'vCPU 0', targets: [0], extra: { vector: 0x43 } });
  });
});

describe('third-party plugins load by package name from the VM file', () => {
  it('runs a VM with @acme/kvmdev-vfio next to a GICv3; its kernel type number (4) and groups show in types', () => {
    const r = kvmdev(['run', vm('firecracker-vfio.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('vfio: KVM_HAS_DEVICE_ATTR KVM_DEV_VFIO_FILE KVM_DEV_VFIO_FILE_ADD -> implemented');
    expect(r.stdout).toContain('5 expectations held');
    const t = kvmdev(['types', '--plugin', '@acme/kvmdev-vfio']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/@acme\/kvmdev-vfio:vfio \(type 4\)/);
    expect(t.stdout).toContain('KVM_DEV_VFIO_FILE');
  });
});

describe('a third-party device in device terms (its plugin\'s introspection spec)', () => {
  it('kvmdev run reads each attribute call on the KVM-VFIO device as what it did to the tracked files', () => {
    const r = kvmdev(['run', vm('firecracker-vfio.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('KVM_DEV_VFIO_FILE_DEL = 0xa -> ok (removes vfio-device fd 10 (non-coherent); 1 file tracked, coherent DMA)');
    expect(r.stdout).toContain('KVM_DEV_VFIO_FILE_DEL = 0xa -> ENOENT (does not remove fd 10: not tracked)');
    expect(r.stdout).toContain('KVM_DEV_VFIO_FILE_ADD = 0x3 -> EINVAL (does not add fd 3 (kvm, not a VFIO file))');
    expect(r.stdout).toContain('-- vfio: KVM-VFIO, 1 file tracked, coherent DMA');
  });
  it('kvmdev inspect shows its tracked files, before and after the scenario', () => {
    const empty = join(tmp(), 'no-scenario.json');
    writeFileSync(empty, '[]');
    const before = kvmdev(['inspect', vm('firecracker-vfio.yaml'), '--scenario', empty, '--replace']);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('vfio (@acme/kvmdev-vfio:vfio): KVM-VFIO, 2 files tracked, non-coherent DMA');
    expect(before.stdout).toContain('KVM_DEV_VFIO_FILE: file 0 vfio-group fd 9 (coherent), file 1 vfio-device fd 10 (non-coherent)');
    const after = kvmdev(['inspect', vm('firecracker-vfio.yaml'), '--json']);
    const j = JSON.parse(after.stdout) as { device: string; summary: string; state: { title: string; fields: { name: string; text: string }[] }[]; rows: unknown[] }[];
    const v = j.find((d) => d.device === 'vfio')!;
    expect(v.summary).toBe('KVM-VFIO, 1 file tracked, coherent DMA');
    expect(v.state[0]).toEqual({ title: 'KVM_DEV_VFIO_FILE', fields: [{ name: 'file 0', value: 'vfio-group', text: 'vfio-group fd 9 (coherent)' }] });
    expect(v.rows).toEqual([]);
  });
});
