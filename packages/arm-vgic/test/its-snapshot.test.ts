/**
 * The ITS in the snapshot engine: a snapshot of a VM with an ITS and mapped LPIs holds the ITS
 * registers, the tables KVM_DEV_ARM_ITS_SAVE_TABLES wrote into guest memory, the redistributors'
 * PROPBASER/PENDBASER, the pending bits of SAVE_PENDING_TABLES and the guest memory image; it
 * restores onto a second VM in the kernel's order (arm-vgic-its.rst "ITS Restore Sequence"):
 * memory, the GICv3, then the ITS (CBASER before CREADR, IIDR and the BASERs before
 * RESTORE_TABLES, GITS_CTLR last). A QEMU-order and a Firecracker-order save/restore give the same
 * delivery afterwards; malformed snapshots are refused with a precise errno and change nothing.
 */
import {
  EINVAL,
  ERRNO_NAMES,
  KVM_MSI_VALID_DEVID,
  KvmError,
  type Snapshot,
  SnapshotError,
  diffSnapshots,
  restoreSnapshot,
  saveSnapshot,
} from '@kvmdev/core';
import type { DeviceStateIo, StateEntry } from '@kvmdev/core/plugin';
import { ItsGuestDriver as D, LPI_PROP_DEFAULT, vgicItsSnapshot, vgicV3Snapshot } from '../src/internal.js';
import { GITS_BASER, GITS_CBASER, GITS_CREADR, GITS_CTLR, GITS_CWRITER, GITS_IIDR } from '../src/index.js';
import * as U from '../src/uapi.js';
import { stateIo } from './helpers.js';
import { RAM_GPA, itsWorld } from './its-helpers.js';

type World = ReturnType<typeof itsWorld>;

const DEVICES = [1, 2, 7, 40];
const EVENTS = 8;
const intidOf = (devIndex: number, ev: number): number => 8192 + devIndex * 32 + ev;

/** Four vCPUs, four devices x 8 events, each event on collection (event % 4) → PE event % 4; some LPIs left pending. */
function mapped(): World & { itts: number[] } {
  const w = itsWorld({ vcpus: 4 });
  const d = w.drv;
  for (let pe = 0; pe < 4; pe++) d.send(D.mapc(pe, pe));
  const itts: number[] = [];
  DEVICES.forEach((dev, i) => {
    const itt = d.alloc(8 * 2 ** 5);
    itts.push(itt);
    d.send(D.mapd(dev, itt, 5));
    for (let ev = 0; ev < EVENTS; ev++) {
      d.setConfig(intidOf(i, ev), LPI_PROP_DEFAULT);
      d.send(D.mapti(dev, ev, intidOf(i, ev), ev % 4));
    }
  });
  for (let pe = 0; pe < 4; pe++) d.send(D.invall(pe));
  return { ...w, itts };
}

/** Leaves LPIs pending in the latch: two deliverable, one disabled (INT makes it pending anyway). */
function leavePending(w: World): void {
  w.drv.send(D.int(2, 1)); // LPI 8225 on PE 1
  w.drv.send(D.int(40, 6)); // LPI 8294 on PE 2
  w.drv.setConfig(intidOf(0, 3), LPI_PROP_DEFAULT & ~1);
  w.drv.send(D.inv(1, 3));
  w.drv.send(D.int(1, 3)); // LPI 8195 on PE 3: pending, disabled
}

const msi = (w: World, devid: number, data: number) =>
  w.vm.signalMsi({ addressLo: w.itsBase + 0x10040, data, flags: KVM_MSI_VALID_DEVID, devid });

/** Every mapped (device, event) fired one by one: the MSI's answer and who takes what. */
function deliveries(w: World): string[] {
  const out: string[] = [];
  for (const dev of [...DEVICES, 3]) {
    for (let ev = 0; ev < EVENTS + 1; ev++) {
      const r = msi(w, dev, ev);
      out.push(`${dev}/${ev}=${r}:${w.drainAll().join(',')}`);
    }
  }
  return out;
}

/** A second VM composed the same way, nothing programmed by its guest. */
const target = (): World => itsWorld({ vcpus: 4, enable: false });

/** An io that records every call (group, attr) of the spec it is passed to. */
function recording(io: DeviceStateIo, log: string[]): DeviceStateIo {
  return {
    vcpuIds: io.vcpuIds,
    getAttr: (g, a, s) => io.getAttr(g, a, s),
    hasAttr: (g, a) => io.hasAttr(g, a),
    setAttr: (g, a, s, v) => {
      log.push(`${g}:0x${a.toString(16)}`);
      io.setAttr(g, a, s, v);
    },
    getOneReg: (v, id) => io.getOneReg(v, id),
    setOneReg: (v, id, x) => io.setOneReg(v, id, x),
  };
}

/** The guest memory of a world, through the VMM's mapping (u64 at a guest address). */
const peek = (w: World, gpa: number): bigint => w.host.mem.getU64(w.hva + (gpa - RAM_GPA));

describe('what a snapshot of a VM with an ITS holds', () => {
  test('the ITS registers, the tables SAVE_TABLES wrote, PROPBASER/PENDBASER, the pending bits and the memory image', () => {
    const w = mapped();
    leavePending(w);
    const snap = saveSnapshot(w.host, w.vm.fd);
    expect(snap.devices.map((d) => d.key)).toEqual(['KVM_DEV_TYPE_ARM_VGIC_V3', 'KVM_DEV_TYPE_ARM_VGIC_ITS']);
    const its = snap.devices[1]!;
    expect(its.params).toEqual({ model: 'its', base: `0x${w.itsBase.toString(16)}` });
    // QEMU's kvm_arm_its_pre_save order
    expect(its.state.map((e) => e.key)).toEqual([
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => `its.0x${(GITS_BASER + 8 * n).toString(16)}`),
      'its.0x0',
      'its.0x80',
      'its.0x90',
      'its.0x88',
      'its.0x4',
    ]);
    expect(its.state.every((e) => e.group === U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS && e.size === 8)).toBe(true);
    const reg = (o: number) => BigInt(its.state.find((e) => e.attr === `0x${o.toString(16)}`)!.value);
    expect(reg(GITS_CTLR) & 1n).toBe(1n);
    expect(reg(GITS_CREADR)).toBe(reg(GITS_CWRITER));
    expect((reg(GITS_IIDR) >> 12n) & 0xfn).toBe(0n); // Revision: ABI rev 0
    // the GICv3 holds each redistributor's PROPBASER/PENDBASER and EnableLPIs
    const gic = snap.devices[0]!;
    const rd = (id: number, o: number) => BigInt(gic.state.find((e) => e.key === `redist.${id}.0x${o.toString(16)}`)!.value);
    expect(rd(0, U.GICR_PROPBASER) & ~0xfffn).toBe(BigInt(w.drv.propTable));
    expect(rd(2, U.GICR_PENDBASER) & ~0xffffn).toBe(BigInt(w.drv.pendTables[2]!));
    expect(rd(1, U.GICR_CTLR) & 1n).toBe(1n);
    // SAVE_TABLES wrote the device table (DTE of device 7: valid, next = 33, 5 EventID bits) ...
    const dte7 = peek(w, w.drv.deviceTable + 7 * 8);
    expect(dte7 >> 63n).toBe(1n);
    expect((dte7 >> 49n) & 0x3fffn).toBe(33n);
    expect(dte7 & 0x1fn).toBe(4n);
    expect(((dte7 >> 5n) & ((1n << 44n) - 1n)) << 8n).toBe(BigInt(w.itts[2]!));
    // ... the ITTs (device 2 event 1: LPI 8225, collection 1) and the collection table (a list)
    expect((peek(w, w.itts[1]! + 8) >> 16n) & 0xffffffffn).toBe(8225n);
    expect(peek(w, w.itts[1]! + 8) & 0xffffn).toBe(1n);
    expect(peek(w, w.drv.collTable) >> 63n).toBe(1n);
    // ... and SAVE_PENDING_TABLES the pending bits (8225 in PE 1's table, the disabled 8195 in PE 3's)
    expect(w.drv.pendingBit(1, 8225)).toBe(true);
    expect(w.drv.pendingBit(3, 8195)).toBe(true);
    expect(w.drv.pendingBit(0, 8225)).toBe(false);
    // the memory image holds the one slot, sparsely: a few runs, far less than 16 MiB
    const m = snap.memory!;
    expect(m.pageSize).toBe(4096);
    expect(m.slots).toHaveLength(1);
    expect(m.slots[0]).toMatchObject({ slot: 0, flags: 0, guestPhysAddr: `0x${RAM_GPA.toString(16)}`, memorySize: '0x1000000' });
    const pages = m.slots[0]!.runs.reduce((n, r) => n + r.pages, 0);
    expect(pages).toBeGreaterThan(3);
    expect(pages).toBeLessThan(64);
    expect(JSON.stringify(snap).length).toBeLessThan(400_000);
  });

  test('a VM without memory slots carries no memory image; without an ITS address the ITS has no state', () => {
    const { host, vm } = itsWorld({ vcpus: 1 });
    const s = saveSnapshot(host, vm.fd);
    expect(s.memory).toBeDefined();
    const v = host.createVm();
    v.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    const e = saveSnapshot(host, v.fd);
    expect(e.memory).toBeUndefined();
    expect(e.devices[0]).toMatchObject({ key: 'KVM_DEV_TYPE_ARM_VGIC_ITS', params: { model: 'its', base: 'unset' }, state: [] });
  });
});

describe('QEMU order: saveSnapshot on A, restoreSnapshot on B', () => {
  test('every mapping and every pending LPI delivers on B as on A; B saves the same snapshot', () => {
    const a = mapped();
    leavePending(a);
    const snap = JSON.parse(JSON.stringify(saveSnapshot(a.host, a.vm.fd))) as Snapshot;
    const b = target();
    restoreSnapshot(b.host, b.vm.fd, snap);
    b.drv.resync(); // B's guest continues the command queue where A's left it
    // the LPIs pending at the save come back pending (the disabled one stays pending, not taken);
    // RESTORE_TABLES consumed their bits in the pending tables
    expect(a.drainAll()).toEqual(['1:8225', '2:8294']);
    expect(b.drainAll()).toEqual(['1:8225', '2:8294']);
    expect(b.drv.pendingBit(3, 8195)).toBe(false);
    const got = deliveries(b);
    expect(got).toEqual(deliveries(a));
    for (const w of [a, b]) {
      w.drv.setConfig(8195, LPI_PROP_DEFAULT);
      w.drv.send(D.inv(1, 3));
      expect(w.drainAll()).toEqual(['3:8195']);
    }
    expect(got).toContain('7/2=1:2:8258');
    expect(got).toContain('3/0=0:'); // never mapped
    expect(got).toContain('1/8=0:'); // beyond the mapped events
    // after the same MSIs, both save to the same state and tables
    const sa = saveSnapshot(a.host, a.vm.fd);
    const sb = saveSnapshot(b.host, b.vm.fd);
    expect(sb.devices).toEqual(sa.devices);
    expect(diffSnapshots(b.host, sa, sb)).toEqual([]);
    // diff speaks ITS: a disable, a moved CWRITER
    b.its.setAttr(U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR, 0n);
    const lines = diffSnapshots(b.host, sb, saveSnapshot(b.host, b.vm.fd));
    expect(lines).toContain('ITS: enabled -> disabled');
  });

  test('the ITS restores in the kernel order, after the GICv3: RESET, IIDR, CBASER, CREADR, CWRITER, BASER0..7, RESTORE_TABLES, CTLR', () => {
    const a = mapped();
    const io = stateIo(a.host, a.its, [0, 1, 2, 3]);
    vgicItsSnapshot.prepare!(a.its.device as never, io);
    const entries = vgicItsSnapshot.save(a.its.device as never, io);
    const b = target();
    b.host.mem.write(b.hva, a.host.mem.read(a.hva, a.ramSize)); // guest memory first
    const gicEntries = vgicV3Snapshot.save(a.gic.device as never, stateIo(a.host, a.gic, [0, 1, 2, 3]));
    vgicV3Snapshot.restore(b.gic.device as never, stateIo(b.host, b.gic, [0, 1, 2, 3]), gicEntries);
    const log: string[] = [];
    vgicItsSnapshot.restore(b.its.device as never, recording(stateIo(b.host, b.its, [0, 1, 2, 3]), log), entries);
    expect(log).toEqual([
      '4:0x4', // KVM_DEV_ARM_ITS_CTRL_RESET
      '8:0x4', // GITS_IIDR
      '8:0x80', // GITS_CBASER
      '8:0x90', // GITS_CREADR
      '8:0x88', // GITS_CWRITER
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => `8:0x${(0x100 + 8 * n).toString(16)}`),
      '4:0x2', // KVM_DEV_ARM_ITS_RESTORE_TABLES
      '8:0x0', // GITS_CTLR
    ]);
    expect(vgicItsSnapshot.restorePhase).toBeGreaterThan(vgicV3Snapshot.restorePhase ?? 0);
    expect(deliveries(b)).toEqual(deliveries(a));
  });

  test('an ITS created before the GICv3 still restores after it (restore phase)', () => {
    const build = (program: boolean) => {
      const w = itsWorld({ vcpus: 1, itsFirst: true });
      if (program) {
        w.drv.send(D.mapc(0, 0));
        const itt = w.drv.alloc(256);
        w.drv.send(D.mapd(9, itt, 4));
        w.drv.setConfig(8200, LPI_PROP_DEFAULT);
        w.drv.send(D.mapti(9, 2, 8200, 0));
        w.drv.send(D.invall(0));
      }
      return w;
    };
    const a = build(true);
    const snap = saveSnapshot(a.host, a.vm.fd);
    expect(snap.devices.map((d) => d.key)).toEqual(['KVM_DEV_TYPE_ARM_VGIC_ITS', 'KVM_DEV_TYPE_ARM_VGIC_V3']);
    const b = build(false);
    restoreSnapshot(b.host, b.vm.fd, snap);
    expect(b.vm.signalMsi({ addressLo: b.itsBase + 0x10040, data: 2, flags: KVM_MSI_VALID_DEVID, devid: 9 })).toBe(1);
    expect(b.drainAll()).toEqual(['0:8200']);
  });
});

describe('Firecracker order onto a second VM', () => {
  test('save_device: SAVE_PENDING_TABLES, ITS_SAVE_TABLES, regs; restore: memory, DIST, per-vCPU REDIST and ICC, then IIDR, CBASER, CREADR, CWRITER, BASER0..7, RESTORE_TABLES, CTLR', () => {
    const a = mapped();
    leavePending(a);
    const ids = [0, 1, 2, 3];
    const gicA = stateIo(a.host, a.gic, ids);
    const itsA = stateIo(a.host, a.its, ids);
    // Firecracker's GicState save: the GIC's pending tables, the ITS tables, then the registers
    gicA.setAttr(U.KVM_DEV_ARM_VGIC_GRP_CTRL, BigInt(U.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES), 0, 0n);
    itsA.setAttr(U.KVM_DEV_ARM_VGIC_GRP_CTRL, BigInt(U.KVM_DEV_ARM_ITS_SAVE_TABLES), 0, 0n);
    const gicState = vgicV3Snapshot.save(a.gic.device as never, gicA);
    const FC_ITS_SAVE = [...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => GITS_BASER + 8 * n), GITS_CTLR, GITS_CBASER, GITS_CREADR, GITS_CWRITER, GITS_IIDR];
    const itsRegs = new Map(FC_ITS_SAVE.map((o) => [o, itsA.getAttr(U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS, BigInt(o), 8)]));
    const memory = a.host.mem.read(a.hva, a.ramSize); // then the guest memory file
    // restore: the memory file is mapped first, then vCPUs, then the GIC
    const b = target();
    b.host.mem.write(b.hva, memory);
    const gicB = stateIo(b.host, b.gic, ids);
    const put = (e: StateEntry) => gicB.setAttr(e.group, e.attr, e.size, e.value);
    for (const e of gicState) if (e.group === U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS) put(e); // distributor first
    for (const id of ids) {
      for (const e of gicState) if (e.vcpu === id && e.group === U.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS) put(e);
      for (const e of gicState) if (e.vcpu === id && e.group === U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS) put(e);
    }
    const itsB = stateIo(b.host, b.its, ids);
    const w = (o: number) => itsB.setAttr(U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS, BigInt(o), 8, itsRegs.get(o)!);
    w(GITS_IIDR);
    w(GITS_CBASER);
    w(GITS_CREADR);
    w(GITS_CWRITER);
    for (let n = 0; n < 8; n++) w(GITS_BASER + 8 * n);
    itsB.setAttr(U.KVM_DEV_ARM_VGIC_GRP_CTRL, BigInt(U.KVM_DEV_ARM_ITS_RESTORE_TABLES), 0, 0n);
    w(GITS_CTLR);
    expect(b.drainAll()).toEqual(a.drainAll());
    expect(deliveries(b)).toEqual(deliveries(a));
    // and the kvmdev snapshot of B, restored onto a third VM, delivers the same again
    const c = target();
    restoreSnapshot(c.host, c.vm.fd, saveSnapshot(b.host, b.vm.fd));
    expect(deliveries(c)).toEqual(deliveries(a));
  });
});

describe('malformed snapshots: a precise errno, nothing changed', () => {
  /** What the target looks like: its snapshot (devices and memory). */
  const look = (w: World) => JSON.stringify(saveSnapshot(w.host, w.vm.fd));
  const fresh = () => {
    const a = mapped();
    return JSON.parse(JSON.stringify(saveSnapshot(a.host, a.vm.fd))) as Snapshot;
  };
  /** A target that already has a live mapping of its own (device 5 event 0 → LPI 9000 on PE 0). */
  const busy = () => {
    const b = itsWorld({ vcpus: 4 });
    b.drv.send(D.mapc(0, 0));
    b.drv.send(D.mapd(5, b.drv.alloc(256), 4));
    b.drv.setConfig(9000, LPI_PROP_DEFAULT);
    b.drv.send(D.mapti(5, 0, 9000, 0));
    b.drv.send(D.invall(0));
    return b;
  };
  const errOf = (f: () => void): KvmError => {
    try {
      f();
    } catch (e) {
      return e as KvmError;
    }
    throw new Error('no error');
  };
  const stillWorks = (b: World) => {
    expect(msi(b, 5, 0)).toBe(1);
    expect(b.drainAll()).toEqual(['0:9000']);
  };

  test('a bad interrupt translation entry (pINTID below 8192): RESTORE_TABLES gives EINVAL, the VM keeps its memory, tables and mappings', () => {
    const snap = fresh();
    const b = busy();
    const before = look(b);
    const run = snap.memory!.slots[0]!.runs;
    const a = mapped(); // the same layout as the snapshot's VM: device 1's ITT, event 0 gets pINTID 8191 (< 8192)
    const itt = a.itts[0]! - RAM_GPA;
    const r = run.find((x) => Number(x.offset) <= itt && itt < Number(x.offset) + x.pages * 4096)!;
    const data = Buffer.from(r.data, 'base64');
    const at = itt - Number(r.offset);
    data.writeBigUInt64LE((1n << 48n) | (8191n << 16n) | 0n, at); // ITE: next 1, pINTID 8191, ICID 0
    r.data = data.toString('base64');
    const e = errOf(() => restoreSnapshot(b.host, b.vm.fd, snap));
    expect(e).toBeInstanceOf(KvmError);
    expect(e.errno).toBe(EINVAL);
    expect(e.message).toContain(`SET group ${U.KVM_DEV_ARM_VGIC_GRP_CTRL} attr 0x${U.KVM_DEV_ARM_ITS_RESTORE_TABLES.toString(16)}`);
    expect(look(b)).toBe(before);
    stillWorks(b);
  });

  test('a collection table entry naming a vCPU that does not exist: EINVAL, nothing changed', () => {
    const snap = fresh();
    const a = mapped();
    const ct = a.drv.collTable - RAM_GPA;
    const r = snap.memory!.slots[0]!.runs.find((x) => Number(x.offset) <= ct && ct < Number(x.offset) + x.pages * 4096)!;
    const data = Buffer.from(r.data, 'base64');
    data.writeBigUInt64LE((1n << 63n) | (9n << 16n) | 0n, ct - Number(r.offset)); // CTE: valid, RDBase 9, ICID 0
    r.data = data.toString('base64');
    const b = busy();
    const before = look(b);
    const e = errOf(() => restoreSnapshot(b.host, b.vm.fd, snap));
    expect(e.errno).toBe(EINVAL);
    expect(look(b)).toBe(before);
    stillWorks(b);
  });

  test.each([
    {
      what: 'a GITS_IIDR with an ABI revision the kernel does not know',
      key: 'its.0x4',
      mutate: (v: bigint) => v | (1n << 12n), // Revision 1
      errno: 'EINVAL',
      failing: 'SET group 8 attr 0x4',
    },
    {
      what: 'a collection table outside guest memory (GITS_BASER1 at an address no slot holds)',
      key: 'its.0x108',
      mutate: (v: bigint) => (v & ~0xfffffffff000n) | 0x4000_0000n,
      errno: 'EFAULT',
      failing: 'SET group 4 attr 0x2', // RESTORE_TABLES
    },
  ])('$what: $failing fails with $errno, nothing changed', ({ key, mutate, errno, failing }) => {
    const snap = fresh();
    const reg = snap.devices[1]!.state.find((x) => x.key === key)!;
    reg.value = `0x${mutate(BigInt(reg.value)).toString(16)}`;
    const b = busy();
    const before = look(b);
    const e = errOf(() => restoreSnapshot(b.host, b.vm.fd, snap));
    expect(ERRNO_NAMES[e.errno]).toBe(errno);
    expect(e.message).toContain(failing);
    expect(look(b)).toBe(before);
    stillWorks(b);
  });

  test('a truncated memory image, a run past the slot, bad base64 or another slot layout: SnapshotError naming the field, nothing changed', () => {
    const b = busy();
    const before = look(b);
    const cases: [string, (s: Snapshot) => void, RegExp][] = [
      ['truncated', (s) => (s.memory!.slots[0]!.runs[0]!.data = s.memory!.slots[0]!.runs[0]!.data.slice(0, 400)), /runs\[0\]\.data: holds 300 bytes, \d+ pages are \d+ \(truncated image\)/],
      ['past the end', (s) => (s.memory!.slots[0]!.runs.at(-1)!.offset = '0x1000000'), /runs\[\d+\]: \d+ pages at 0x1000000 run past the slot's end \(0x1000000\)/],
      ['not base64', (s) => (s.memory!.slots[0]!.runs[0]!.data = `!${s.memory!.slots[0]!.runs[0]!.data.slice(1)}`), /runs\[0\]\.data: is not base64/],
      ['unaligned', (s) => (s.memory!.slots[0]!.runs[0]!.offset = '0x10'), /runs\[0\]\.offset: 0x10 is not page aligned/],
      ['slot size', (s) => (s.memory!.slots[0]!.memorySize = '0x2000000'), /\$\.memory\.slots\[0\]\.memorySize: 0x2000000 in the snapshot, 0x1000000 here/],
      ['slot gpa', (s) => (s.memory!.slots[0]!.guestPhysAddr = '0x40000000'), /guestPhysAddr: 0x40000000 in the snapshot, 0x80000000 here/],
      ['no slots', (s) => (s.memory!.slots = []), /\$\.memory\.slots: the snapshot has memory slots \[none\], this VM has \[0@0x80000000\+0x1000000\]/],
      ['page size', (s) => (s.memory!.pageSize = 65536), /\$\.memory\.pageSize: expected 4096/],
    ];
    for (const [name, mutate, msg] of cases) {
      const s = fresh();
      mutate(s);
      const e = errOf(() => restoreSnapshot(b.host, b.vm.fd, s));
      expect([name, e instanceof SnapshotError, e.errno]).toEqual([name, true, EINVAL]);
      expect(e.message).toMatch(msg);
    }
    expect(look(b)).toBe(before);
    stillWorks(b);
  });

  test('another ITS frame address: a SnapshotError on params.base before anything is written', () => {
    const snap = fresh();
    snap.devices[1]!.params.base = '0x10000000';
    const b = busy();
    const before = look(b);
    expect(() => restoreSnapshot(b.host, b.vm.fd, snap)).toThrow(/\$\.devices\[1\]\.params\.base: "0x10000000" in the snapshot, "0x3ff50000" here/);
    expect(look(b)).toBe(before);
  });
});
