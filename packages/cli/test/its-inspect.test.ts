/**
 * `kvmdev inspect` of a VM with an ITS (examples/vms/qemu-virt-its.yaml): the ITS used to show
 * as "nothing to show in device terms"; its plugin's introspection spec now gives its registers,
 * collection table, device table and translations.
 *
 * qemu-virt-its.yaml gives the VM no guest RAM, so its ITS runs no command. The last test composes
 * the example through the library (loadVmFile, composeVm and Runner), gives the VM 1 MiB of RAM at
 * 0x40000000 (QEMU virt's RAM base) itself, writes MAPD / MAPC / MAPTI / INT into the command
 * queue there, and drives everything else with scenario steps (the guest's MMIO writes to the
 * redistributors and the ITS frame), then prints what `kvmdev inspect` prints. A VM file can now do all of it alone
 * (`memory:` and `mem` steps): examples/vms/qemu-virt-its-mapped.yaml, tested in vm-memory.test.ts.
 */
import { composeVm } from '@kvmdev/core';
import { GITS_CMD_INT, GITS_CMD_MAPC, GITS_CMD_MAPD, GITS_CMD_MAPTI } from '@kvmdev/arm-vgic';
import { Runner, SourceFile, colours, formatInspection, inspectDevice, loadVmFile } from '../src/index.js';
import { MAPPED_ITS_LINES, kvmdev, vm } from './helpers.js';

jest.setTimeout(120_000);

const REGISTERS_AFTER_THE_EXAMPLE =
  '  registers: frame 0x8080000, GITS_CTLR 0x80000000 (disabled, Quiescent), ' +
  'GITS_IIDR 0x4b00043b (Revision 0 (table ABI rev 0), ProductID 0x4b (KVM), Implementer 0x43b (ARM)), ' +
  'GITS_TYPER 0x1ef71 (Physical, ITT entry 8 bytes, 16 EventID bits, 16 DeviceID bits, PTA 0 (RDbase is a vCPU number)), ' +
  'GITS_CBASER 0x1800000040000000 (not valid, 0x40000000, 4 KiB (128 commands), RaWb, NonShareable), GITS_CREADR 0x0 (command 0), GITS_CWRITER 0x0 (command 0), ' +
  'GITS_BASER0 0x1907000000000600 (device table, not valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x0), ' +
  'GITS_BASER1 0x1c07000000000600 (collection table, not valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x0)';

describe('kvmdev inspect of a VM with an ITS', () => {
  it('shows the ITS registers after the example scenario (it said "nothing to show"), and its empty tables', () => {
    const r = kvmdev(['inspect', vm('qemu-virt-its.yaml')]);
    expect([r.stderr, r.code]).toEqual(['', 0]);
    expect(r.stdout).not.toContain('gives no introspection spec');
    const its = r.stdout.slice(r.stdout.indexOf('its (KVM_DEV_TYPE_ARM_VGIC_ITS)')).split('\n');
    expect(its).toEqual([
      'its (KVM_DEV_TYPE_ARM_VGIC_ITS): ITS at 0x8080000, disabled, 0 devices, 0 collections, 0 translations',
      REGISTERS_AFTER_THE_EXAMPLE,
      '  collections: nothing',
      '  devices: nothing',
      '  translations: nothing',
      '',
    ]);
    const j = JSON.parse(kvmdev(['inspect', vm('qemu-virt-its.yaml'), '--json']).stdout) as { device: string; state: { title: string; fields: { name: string; value: unknown }[] }[] }[];
    const s = j.find((d) => d.device === 'its')!.state;
    expect(s.map((x) => x.title)).toEqual(['registers', 'collections', 'devices', 'translations']);
    expect(s[0]!.fields.find((f) => f.name === 'GITS_CBASER')!.value).toBe('0x1800000040000000');
  });

  it('kvmdev run reads the guest\'s ITS accesses by register name', () => {
    const r = kvmdev(['run', vm('qemu-virt-its.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('vCPU 0 writes GITS_CBASER = 0x40000000: now not valid, 0x40000000, 4 KiB (128 commands), RaWb, NonShareable');
    expect(r.stdout).toContain('its: KVM_GET_DEVICE_ATTR KVM_DEV_ARM_VGIC_GRP_ITS_REGS GITS_TYPER = 0x1ef71 (GITS_TYPER: Physical, ITT entry 8 bytes, 16 EventID bits, 16 DeviceID bits');
  });

  it('after a scripted MAPD, MAPC, MAPTI, INT: the collection, the device, the translation and its LPI', async () => {
    const f = await loadVmFile(vm('qemu-virt-its.yaml'));
    const c = composeVm(f.host, f.config);
    const runner = new Runner(f.host, c);
    runner.run(f.scenario!);
    // 1 MiB of guest RAM at 0x40000000: command queue, LPI property table, pending tables, device table, collection table, ITT
    const RAM = 0x40000000;
    const hva = f.host.mem.mmap(1 << 20);
    c.vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM, memorySize: 1 << 20, userspaceAddr: hva });
    const cmd = (i: number, w: readonly number[]) => w.forEach((x, k) => f.host.mem.setU32(hva + 32 * i + 4 * k, x >>> 0));
    cmd(0, [GITS_CMD_MAPD, 5, 4, 0, RAM + 0x60000, 0x80000000]); // device 5: ITT at 0x40060000, 5 EventID bits, valid
    cmd(1, [GITS_CMD_MAPC, 0, 0, 0, 1 << 16, 0x80000000]); // collection 0 -> RDbase 1 (vCPU 1)
    cmd(2, [GITS_CMD_MAPTI, 5, 3, 8192, 0]); // (device 5, event 3) -> LPI 8192, collection 0
    cmd(3, [GITS_CMD_INT, 5, 3]); // the device's interrupt, as a command
    f.host.mem.setU8(hva + 0x10000, 0xa1); // LPI 8192's property byte: priority 0xa0, enabled
    const steps = SourceFile.parse(
      'its-commands.yaml',
      [
        '- note: each redistributor gets the property table and its pending table, then EnableLPIs',
        '- mmio: { vcpu: 0, op: write, addr: 0x080a0070, size: 8, value: 0x4001078d }', // GICR_PROPBASER: 14 INTID bits
        '- mmio: { vcpu: 0, op: write, addr: 0x080a0078, size: 8, value: 0x40020000 }', // GICR_PENDBASER
        '- mmio: { vcpu: 0, op: write, addr: 0x080a0000, size: 4, value: 1 }', // GICR_CTLR.EnableLPIs
        '- mmio: { vcpu: 1, op: write, addr: 0x080c0070, size: 8, value: 0x4001078d }',
        '- mmio: { vcpu: 1, op: write, addr: 0x080c0078, size: 8, value: 0x40030000 }',
        '- mmio: { vcpu: 1, op: write, addr: 0x080c0000, size: 4, value: 1 }',
        '- note: the ITS tables and the command queue (one 4 KiB page), then GITS_CTLR.Enabled and CWRITER past the four commands',
        "- mmio: { vcpu: 0, op: write, addr: 0x08080100, size: 8, value: '0x8000000040040600' }",
        "- mmio: { vcpu: 0, op: write, addr: 0x08080108, size: 8, value: '0x8000000040050600' }",
        "- mmio: { vcpu: 0, op: write, addr: 0x08080080, size: 8, value: '0x8000000040000000' }",
        '- mmio: { vcpu: 0, op: write, addr: 0x08080000, size: 4, value: 1 }',
        '- mmio: { vcpu: 0, op: write, addr: 0x08080088, size: 8, value: 0x80 }',
        '- mmio: { vcpu: 0, op: read, addr: 0x08080090, size: 8 }',
        '- expect: { value: 0x80 }',
        '',
      ].join('\n'),
    );
    runner.run({ source: steps, steps: steps.data as unknown[], path: [] });
    const texts = runner.events.map((e) => e.text);
    expect(texts).toContain('vCPU 0 writes GITS_CWRITER = 0x80: now GITS_CREADR 0x80, GITS_CWRITER 0x80');
    expect(texts).toContain('expect: value is 0x80 (ok)');
    const out = formatInspection(runner.devices.map((d) => inspectDevice(d, false)), false, colours(false));
    const its = out.slice(out.indexOf('its (KVM_DEV_TYPE_ARM_VGIC_ITS)')).split('\n');
    expect(its).toEqual(MAPPED_ITS_LINES);
  });
});
