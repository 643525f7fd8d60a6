/**
 * The ITS introspection spec: the registers in device terms, the collection and device tables
 * and the translations with their LPIs' state, raw accesses to the ITS frame and to
 * KVM_DEV_ARM_VGIC_GRP_ITS_REGS by register name; and that inspecting changes no state (the
 * snapshot bytes, the translation cache and the LPIs are the same before and after).
 */
import { saveSnapshot } from '@kvmdev/core';
import type { DeviceView, IntrospectTarget } from '@kvmdev/core/plugin';
import { ITS_DIST, ItsGuestDriver as G, armVgic } from '../src/internal.js';
import { typed } from './helpers.js';
import { itsWorld } from './its-helpers.js';

const spec = armVgic.devices.find((d) => d.key === 'KVM_DEV_TYPE_ARM_VGIC_ITS')!.introspect!;

const lines = (v: DeviceView) => v.state().map((s) => `${s.title}: ${s.fields.map((f) => `${f.name} ${f.text}`).join(', ')}`);

/** An ITS world (2 vCPUs) with device 5's ITT, collections 0 → vCPU 1, 3 → vCPU 0, and two translations. */
function mapped() {
  const w = itsWorld({ vcpus: 2 });
  const itt = w.drv.alloc(0x100);
  w.drv.send(G.mapd(5, itt, 5));
  w.drv.send(G.mapc(0, 1));
  w.drv.send(G.mapc(3, 0));
  w.drv.send(G.mapti(5, 3, 8192, 0));
  w.drv.send(G.mapti(5, 4, 8200, 7)); // collection 7 was never mapped: created unmapped
  w.drv.setConfig(8192, 0xa1); // priority 0xa0, enabled
  w.drv.send(G.inv(5, 3));
  w.drv.send(G.int(5, 3));
  const target: IntrospectTarget = { vm: w.vm, device: w.its, vcpus: w.vcpus };
  return { w, itt, view: spec.open(target) };
}

describe('ITS view', () => {
  test('the plugin registers it on KVM_DEV_TYPE_ARM_VGIC_ITS (it had none: "nothing to show")', () => {
    expect(spec).toBeDefined();
    expect(spec.open).toBeInstanceOf(Function);
  });

  test('a fresh ITS: reset registers, no tables, the frame address not set yet', () => {
    const { vm } = typed();
    const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    const view = spec.open({ vm, device: its, vcpus: [] });
    expect(view.summary()).toBe('ITS (frame address not set), disabled, 0 devices, 0 collections, 0 translations');
    expect(view.interrupts).toBeUndefined();
    expect(view.guest).toBeUndefined();
    expect(lines(view)).toEqual([
      'registers: frame not set, GITS_CTLR 0x80000000 (disabled, Quiescent), ' +
        'GITS_IIDR 0x4b00043b (Revision 0 (table ABI rev 0), ProductID 0x4b (KVM), Implementer 0x43b (ARM)), ' +
        'GITS_TYPER 0x1ef71 (Physical, ITT entry 8 bytes, 16 EventID bits, 16 DeviceID bits, PTA 0 (RDbase is a vCPU number)), ' +
        'GITS_CBASER 0x0 (not valid, 0x0, 4 KiB (128 commands), nCnB, NonShareable), GITS_CREADR 0x0 (command 0), GITS_CWRITER 0x0 (command 0), ' +
        'GITS_BASER0 0x1907000000000600 (device table, not valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x0), ' +
        'GITS_BASER1 0x1c07000000000600 (collection table, not valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x0)',
      'collections: ',
      'devices: ',
      'translations: ',
    ]);
    // the values are what KVM_DEV_ARM_VGIC_GRP_ITS_REGS reads once the frame is set
    its.setAttr(0, 4, 0x3ffb0000n);
    const regs = view.state()[0]!.fields;
    for (const [name, off] of [['GITS_CTLR', 0], ['GITS_IIDR', 4], ['GITS_TYPER', 8], ['GITS_CBASER', 0x80], ['GITS_BASER0', 0x100], ['GITS_BASER1', 0x108]] as const)
      expect([name, BigInt(regs.find((f) => f.name === name)!.value as number | bigint)]).toEqual([name, its.getAttr(8, off)]);
    expect(view.summary()).toBe('ITS at 0x3ffb0000, disabled, 0 devices, 0 collections, 0 translations');
  });

  test('after MAPD, MAPC, MAPTI, INV and INT: registers, collection table, device table, translations', () => {
    const { view, itt } = mapped();
    expect(view.summary()).toBe('ITS at 0x3ff90000, enabled, 1 device, 3 collections, 2 translations');
    expect(lines(view)).toEqual([
      'registers: frame 0x3ff90000, GITS_CTLR 0x80000001 (Enabled, Quiescent), ' +
        'GITS_IIDR 0x4b00043b (Revision 0 (table ABI rev 0), ProductID 0x4b (KVM), Implementer 0x43b (ARM)), ' +
        'GITS_TYPER 0x1ef71 (Physical, ITT entry 8 bytes, 16 EventID bits, 16 DeviceID bits, PTA 0 (RDbase is a vCPU number)), ' +
        'GITS_CBASER 0x980000008005000f (Valid, 0x80050000, 64 KiB (2048 commands), RaWb, NonShareable), GITS_CREADR 0xe0 (command 7), GITS_CWRITER 0xe0 (command 7), ' +
        'GITS_BASER0 0x9907000080030600 (device table, Valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x80030000), ' +
        'GITS_BASER1 0x9c07000080040600 (collection table, Valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x80040000)',
      'collections: collection 0 → vCPU 1 (RDbase 1), collection 3 → vCPU 0 (RDbase 0), collection 7 not mapped',
      `devices: device 5 → ITT 0x${itt.toString(16)}, 5 EventID bits (32 events), 2 events mapped`,
      'translations: device 5 event 3 → LPI 8192, collection 0 on vCPU 1 (RDbase 1), pending, enabled, priority 0xa0, cached, ' +
        'device 5 event 4 → LPI 8200, collection 7 (not mapped), not pending, disabled, priority 0x00',
    ]);
    const [, colls, devs, trans] = view.state();
    expect(colls!.fields.map((f) => f.value)).toEqual([1, 0, 'not mapped']);
    expect(devs!.fields[0]).toMatchObject({ name: 'device 5', value: 2 });
    expect(trans!.fields.map((f) => [f.name, f.value])).toEqual([
      ['device 5 event 3', 8192],
      ['device 5 event 4', 8200],
    ]);
  });

  test('the view follows the device: MOVI, DISCARD, MAPC V=0 (collection-less ITE), the guest taking the LPI', () => {
    const { w, view } = mapped();
    expect(w.drain(1)).toEqual([8192]);
    w.drv.send(G.movi(5, 3, 3));
    expect(view.state()[3]!.fields[0]!.text).toBe('→ LPI 8192, collection 3 on vCPU 0 (RDbase 0), not pending, enabled, priority 0xa0');
    w.drv.send(G.movi(5, 3, 0));
    w.drv.send(G.mapti(5, 6, 8300, 3));
    w.drv.send(G.discard(5, 4)); // refused: its collection 7 is not mapped (E_ITS_DISCARD_UNMAPPED_INTERRUPT)
    w.drv.send(G.mapc(3, 0, false)); // event 6's collection goes away for good
    expect(view.state()[1]!.fields.map((f) => `${f.name} ${f.text}`)).toEqual(['collection 0 → vCPU 1 (RDbase 1)', 'collection 7 not mapped']);
    expect(view.state()[3]!.fields.map((f) => `${f.name} ${f.text}`)).toEqual([
      'device 5 event 3 → LPI 8192, collection 0 on vCPU 1 (RDbase 1), not pending, enabled, priority 0xa0', // MOVI dropped the cached translation
      'device 5 event 4 → LPI 8200, collection 7 (not mapped), not pending, disabled, priority 0x00',
      'device 5 event 6 → LPI 8300, no collection (its collection was unmapped), not pending, disabled, priority 0x00',
    ]);
    w.drv.send(G.mapd(5, 0, 1, false)); // unmap the device: its ITEs go
    expect(view.summary()).toBe('ITS at 0x3ff90000, enabled, 0 devices, 2 collections, 0 translations');
  });

  test('raw accesses to the frame and to ITS_REGS read by register name, with the register now', () => {
    const { w, view } = mapped();
    const b = BigInt(w.itsBase);
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'write', addr: b + 0x88n, size: 8, value: 0xe0n })?.text).toBe(
      'vCPU 0 writes GITS_CWRITER = 0xe0: now GITS_CREADR 0xe0, GITS_CWRITER 0xe0',
    );
    expect(view.describe({ kind: 'mmio', vcpu: 1, op: 'read', addr: b, size: 4, value: 0x80000001n })).toEqual({
      kind: 'access',
      text: 'vCPU 1 reads GITS_CTLR = 0x80000001 (Enabled, Quiescent)',
      data: { reg: 'GITS_CTLR', frame: 'its', offset: '0x0' },
    });
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'read', addr: b + 0x10cn, size: 4, value: 0x9c070000n })?.text).toBe(
      'vCPU 0 reads GITS_BASER1 (high half) = 0x9c070000 (collection table, Valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x80040000)',
    );
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'read', addr: b + 0xffe8n, size: 4, value: 0x3bn })?.text).toBe('vCPU 0 reads GITS_PIDR2 = 0x3b');
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'write', addr: b + 0x10040n, size: 4, value: 3n })?.text).toBe('vCPU 0 writes GITS_TRANSLATER = 0x3');
    // outside the frame: another device's (the GICv3's redistributors are right above)
    expect(view.describe({ kind: 'mmio', vcpu: 0, op: 'read', addr: b + 0x20000n, size: 4, value: 0n })).toBeNull();
    expect(view.describe({ kind: 'attr', op: 'get', group: 8, attr: 0x80n, value: 0n, errno: null })?.text).toBe(
      'GITS_CBASER: Valid, 0x80050000, 64 KiB (2048 commands), RaWb, NonShareable',
    );
    expect(view.describe({ kind: 'attr', op: 'get', group: 8, attr: 0x40n, value: null, errno: 'ENXIO' })).toBeNull();
    expect(view.describe({ kind: 'attr', op: 'set', group: 4, attr: 1n, value: null, errno: null })).toBeNull();
  });

  test('inspecting changes no state: snapshot bytes, translation cache and LPIs are the same before and after', () => {
    const { w, view } = mapped();
    const dist = w.vm.vm.slot(ITS_DIST)!;
    const its = dist.itses[0]!;
    const before = JSON.stringify(saveSnapshot(w.host, w.vm.fd));
    const lpis = () => [dist.lpis.count, [...dist.lpis.latch.slice(8192, 8400)].join(''), [...dist.lpis.enabled.slice(8192, 8400)].join('')];
    const cache = [...its.cache];
    const l = lpis();
    view.summary();
    view.state();
    view.describe({ kind: 'mmio', vcpu: 0, op: 'read', addr: BigInt(w.itsBase + 0x90), size: 8, value: 0xe0n });
    view.describe({ kind: 'attr', op: 'get', group: 8, attr: 0x88n, value: 0xe0n, errno: null });
    expect(JSON.stringify(saveSnapshot(w.host, w.vm.fd))).toBe(before);
    expect([...its.cache]).toEqual(cache);
    expect(lpis()).toEqual(l);
    // event 4 has no cached translation and stays uncached (a read that resolved it would cache it)
    expect(its.cache.has(5 * 65536 + 4)).toBe(false);
  });
});
