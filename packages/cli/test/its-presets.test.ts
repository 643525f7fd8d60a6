/**
 * Issue 15 item 5: the VMMs that create an ITS next to their GICv3 as presets of a VM file
 * (`qemuVirtArm64Its`, `cloudHypervisorArm64`, `firecrackerArm64Pci`), a full VM config's `order`
 * of set-up steps, and snapshot/restore through the CLI of a VM composed with an ITS preset.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, kvmdev, put, tmp, vm } from './helpers.js';

jest.setTimeout(180_000);

describe('the ITS presets from a VM file', () => {
  const dir = tmp();
  it('runs examples/vms/qemu-virt-its.yaml: the GICv3 with LPIs and the ITS frame at 0x08080000', () => {
    const r = kvmdev(['run', vm('qemu-virt-its.yaml')]);
    expect([r.stderr, r.code]).toEqual(['', 0]);
    expect(r.stdout).toContain('run: qemu-virt-gicv3-its (arm64, 2 vCPUs; gic: KVM_DEV_TYPE_ARM_VGIC_V3, its: KVM_DEV_TYPE_ARM_VGIC_ITS)');
    expect(r.stdout).toContain('vCPU 0 reads GICD_TYPER = 0x7a0008');
    expect(r.stdout).toContain('its: KVM_GET_DEVICE_ATTR KVM_DEV_ARM_VGIC_GRP_ITS_REGS GITS_TYPER = 0x1ef71');
    expect(r.stdout).not.toContain('FAILED');
  });
  it.each([
    ['firecrackerArm64Pci', 'firecracker-arm64-gicv3-its', 0x3ff90000],
    ['cloudHypervisorArm64', 'cloud-hypervisor-arm64', 0x08f90000],
    ['qemuVirtArm64Its', 'qemu-virt-gicv3-its', 0x08080000],
  ])('%s composes a GICv3 and an ITS (kvmdev run with preset:)', async (preset, name, its) => {
    const f = put(
      dir,
      `${preset}.yaml`,
      `vm: { preset: ${preset}, vcpus: 2 }\nscenario:\n  - attr: { device: its, op: get, group: KVM_DEV_ARM_VGIC_GRP_ADDR, attr: KVM_VGIC_ITS_ADDR_TYPE }\n  - expect: { value: ${its} }\n  - run: { vcpu: 1 }\n`,
    );
    const r = await cli(['run', f]);
    expect([r.stderr, r.code]).toEqual(['', 0]);
    expect(r.stdout).toContain(`run: ${name} (arm64, 2 vCPUs; gic: KVM_DEV_TYPE_ARM_VGIC_V3, its: KVM_DEV_TYPE_ARM_VGIC_ITS)`);
    expect(r.stdout).toContain(`(ok)`);
  });
  it('refuses an option the preset does not take, and too many vCPUs, naming the field', async () => {
    const g = await cli(['run', put(dir, 'g.yaml', 'vm: { preset: qemuVirtArm64Its, gic: v2 }\n')]);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('g.yaml:1:38: vm.gic: qemuVirtArm64Its takes vcpus');
    const v = await cli(['run', put(dir, 'v.yaml', 'vm: { preset: cloudHypervisorArm64, vcpus: 600 }\n')]);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('vm.vcpus: expected an integer from 1 to 512, got 600');
  });
});

describe('a full VM config with an order', () => {
  const dir = tmp();
  const config = (order: string) =>
    [
      'vm:',
      '  arch: arm64',
      '  vcpus: 1',
      '  devices:',
      '    - { type: KVM_DEV_TYPE_ARM_VGIC_V3, name: gic, settings: { dist: 0x3fff0000 } }',
      '    - { type: KVM_DEV_TYPE_ARM_VGIC_ITS, name: its, settings: { addr: 0x3ffb0000 } }',
      `  order: ${order}`,
      'scenario:',
      '  - run: { vcpu: 0 }',
      '',
    ].join('\n');
  it('runs in the order written; the devices are created in the order of devices', async () => {
    const r = await cli(['run', put(dir, 'ok.yaml', config('[its, gic, its.init, its.addr, gic.dist, gic.redist, gic.nrIrqs, gic.init, finalize]'))]);
    expect(r.code).toBe(2); // devices are created in the order of devices
    expect(r.stderr).toContain('ok.yaml:7:11: vm.order[0]: its is created before gic: devices are created in the order of devices');
    const good = await cli(['run', put(dir, 'good.yaml', config('[finalize, gic, its, its.init, its.addr, gic.dist, gic.redist, gic.nrIrqs, gic.init]'))]);
    expect([good.stderr, good.code]).toEqual(['', 0]);
  });
  it('names the entry of a bad order with its line and column', async () => {
    const r = await cli(['run', put(dir, 'bad.yaml', config('[gic, gic.dist, gic.frob, gic.redist, gic.nrIrqs, gic.init, its, its.addr, its.init, finalize]'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.yaml:7:26: vm.order[2]: unknown step "gic.frob"');
  });
});

describe('snapshot and restore of a VM composed with an ITS preset', () => {
  const dir = tmp();
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  const fresh = join(dir, 'fresh.json');
  it('snapshot, restore from the snapshot alone (its $.vm.config with the order), snapshot again: identical file', () => {
    const s = kvmdev(['snapshot', vm('qemu-virt-its.yaml'), '-o', a]);
    expect([s.stderr, s.code]).toEqual(['', 0]);
    const snap = JSON.parse(readFileSync(a, 'utf8'));
    expect(snap.vm.type).toBe(40); // KVM_CREATE_VM with the IPA size, as QEMU's virt_kvm_type
    expect(snap.vm.config.order).toEqual(['finalize', 'gic', 'gic.nrIrqs', 'gic.init', 'gic.routing', 'its', 'its.init', 'its.addr', 'gic.redist', 'gic.dist', 'its.reset']);
    expect(snap.devices.map((d: { key: string; params: unknown }) => [d.key, d.params])).toEqual([
      ['KVM_DEV_TYPE_ARM_VGIC_V3', { model: 'gicv3', nrIrqs: 288, vcpus: 2 }],
      ['KVM_DEV_TYPE_ARM_VGIC_ITS', { model: 'its', base: '0x8080000' }],
    ]);
    const r = kvmdev(['restore', a, '-o', b]);
    expect([r.stderr, r.code]).toEqual(['', 0]);
    expect(r.stdout).toContain('restore: qemu-virt-gicv3-its (arm64, 2 vCPUs; gic: KVM_DEV_TYPE_ARM_VGIC_V3, its: KVM_DEV_TYPE_ARM_VGIC_ITS)');
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
  });
  it('the ITS state the scenario set is what diff sees, and what the restored VM holds', async () => {
    expect((await cli(['snapshot', vm('qemu-virt-its.yaml'), '--replace', '-o', fresh])).code).toBe(0);
    const d = await cli(['diff', fresh, a]);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('ITS GITS_CBASER: 0x0 -> 0x1800000040000000');
    const check = put(dir, 'check.yaml', '- attr: { device: its, op: get, group: KVM_DEV_ARM_VGIC_GRP_ITS_REGS, attr: GITS_CBASER }\n- expect: { value: "0x1800000040000000" }\n');
    const r = await cli(['restore', a, '--scenario', check]);
    expect([r.stderr, r.code]).toEqual(['', 0]);
    expect(r.stdout).toContain('expect: value is 0x1800000040000000 (ok)');
  });
});

describe('kvmdev types lists the set-up steps an order names', () => {
  it('in text and JSON', async () => {
    const t = await cli(['types']);
    expect(t.stdout).toContain("set-up steps (a VM config's order names them <device>.<step>):");
    expect(t.stdout).toMatch(/KVM_DEV_TYPE_ARM_VGIC_ITS \(type 8\)[\s\S]*addr\s+frame base \(KVM_VGIC_ITS_ADDR_TYPE[\s\S]*reset\s+KVM_HAS_DEVICE_ATTR then/);
    const j = JSON.parse((await cli(['types', '--json'])).stdout);
    const its = j.types.find((x: { key: string }) => x.key === 'KVM_DEV_TYPE_ARM_VGIC_ITS');
    expect(its.steps.map((s: { name: string }) => s.name)).toEqual(['addr', 'init', 'reset']);
    expect(Object.keys(its.settings)).toEqual(['addr', 'reset']);
    const v3 = j.types.find((x: { key: string }) => x.key === 'KVM_DEV_TYPE_ARM_VGIC_V3');
    expect(v3.steps.map((s: { name: string }) => s.name)).toEqual(['dist', 'redist', 'nrIrqs', 'init', 'routing']);
  });
});
