/**
 * Firecracker's GIC client (reference §8): the GICv3 and GICv2 create sequences, and its
 * save/restore register lists: save on one VM, restore on an identically built second VM, same
 * guest-visible state.
 */
import { EINVAL, ENODEV } from '@kvmdev/core';
import * as U from '../src/uapi.js';
import { dirtyV3, facade, v2Guest, v3Guest, v3GuestView } from './helpers.js';

const SPI = 1 << 24;

describe('Firecracker create sequences', () => {
  test('61: GICv3 with its ITS', () => {
    const f = facade();
    const n = 4;
    for (let i = 0; i < n; i++) f.createVcpu(i);
    const d = f.createDevice(7);
    expect(d).toBeGreaterThanOrEqual(0);
    const redist = 0x3fff0000 - n * 0x20000;
    expect(f.set(d, 0, 2, 0x3fff0000, 8)).toBe(0);
    expect(f.set(d, 0, 3, redist, 8)).toBe(0);
    const its = f.createDevice(8);
    expect(its).toBeGreaterThanOrEqual(0);
    expect(f.set(its, 0, 4, redist - 0x20000, 8)).toBe(0);
    expect(f.set(its, 4, 0, 0, 0)).toBe(0);
    expect(f.set(d, 3, 0, 128)).toBe(0);
    expect(f.set(d, 4, 0, 0, 0)).toBe(0);
    expect(f.createDevice(99)).toBe(-ENODEV);
  });
  test('62: GICv2 fallback', () => {
    const f = facade();
    f.createVcpu(0);
    const d = f.createDevice(5);
    expect(f.set(d, 0, 0, 0x3ffff000, 8)).toBe(0);
    expect(f.set(d, 0, 1, 0x3fffd000, 8)).toBe(0);
    expect(f.set(d, 3, 0, 128)).toBe(0);
    expect(f.set(d, 4, 0, 0, 0)).toBe(0);
  });
  test('unit-test facts: zero vCPUs', () => {
    const f = facade();
    const d = f.createDevice(7);
    expect(f.set(d, 4, 0, 0, 0)).toBe(0);
    expect(f.set(d, 4, 3, 0, 0)).toBe(0);
    expect(f.get(d, 5, 0x10).r).toBe(-EINVAL);
    const g = facade();
    const e = g.createDevice(5);
    expect(g.get(e, 2, 0).r).toBe(-EINVAL);
  });
  test('unit-test facts: attr upper word from raw 1 or 123 masks to mpidr 0', () => {
    const f = facade();
    f.createVcpu(0);
    const d = f.createDevice(7);
    f.set(d, 4, 0, 0, 0);
    const mask = 0xffffffff00000000n;
    expect(f.get(d, 5, (1n & mask) | 0x10n).r).toBe(0);
    expect(f.get(d, 6, (123n & mask) | BigInt(U.ICC_SRE_EL1), 8).v).toBe(7n);
  });
});

/** Firecracker's V3 lists: [offset, bytes] per group; SPI-only ranges for the distributor. */
function spiRange(base: number, bpi: number): [number, number] {
  return [base + (32 * bpi) / 8, (96 * bpi) / 8];
}
const FC_V3_REDIST: [number, number][] = [
  [0x10, 4],
  [0x14, 4],
  [0x70, 8],
  [0x78, 8],
  [0x0, 4],
  [0x10080, 4],
  [0x10180, 4],
  [0x10100, 4],
  [0x10c00, 8],
  [0x10280, 4],
  [0x10200, 4],
  [0x10380, 4],
  [0x10300, 4],
  [0x10400, 32],
];
const FC_V3_DIST: [number, number][] = [
  [0x0, 4],
  [0x10, 4],
  spiRange(0x180, 1),
  spiRange(0x100, 1),
  spiRange(0x80, 1),
  spiRange(0x6000, 64),
  spiRange(0xc00, 2),
  spiRange(0x280, 1),
  spiRange(0x200, 1),
  spiRange(0x380, 1),
  spiRange(0x300, 1),
  spiRange(0x400, 8),
];
const FC_ICC = [U.ICC_SRE_EL1, U.ICC_CTLR_EL1, U.ICC_IGRPEN0_EL1, U.ICC_IGRPEN1_EL1, U.ICC_PMR_EL1, U.ICC_BPR0_EL1, U.ICC_BPR1_EL1];

type Saved = { group: number; attr: bigint; size: 4 | 8; value: bigint }[];

function fcSaveV3(w: ReturnType<typeof v3Guest>): { dist: Saved; cpus: Saved } {
  const dev = w.dev;
  dev.setAttr(4, 3); // SAVE_PENDING_TABLES
  const cpus: Saved = [];
  for (const v of w.vcpus) {
    const mpidr = U.vgicMpidrAttr(v.id) & 0xffffffff00000000n;
    for (const [off, len] of FC_V3_REDIST)
      for (let o = off; o < off + len; o += 4) cpus.push({ group: 5, attr: mpidr | BigInt(o), size: 4, value: BigInt(dev.getAttr(5, mpidr | BigInt(o))) });
    for (const r of FC_ICC) cpus.push({ group: 6, attr: mpidr | BigInt(r), size: 8, value: dev.getAttr(6, mpidr | BigInt(r)) });
    const ctlr = dev.getAttr(6, mpidr | BigInt(U.ICC_CTLR_EL1));
    const pri = Number((ctlr >> 8n) & 7n) + 1;
    for (let i = 0; i < 4; i++) {
      const present = i === 0 || (i === 1 && pri >= 6) || pri >= 7;
      if (!present) continue;
      for (const base of [U.ICC_AP0R0_EL1, U.ICC_AP1R0_EL1])
        cpus.push({ group: 6, attr: mpidr | BigInt(base + i), size: 8, value: dev.getAttr(6, mpidr | BigInt(base + i)) });
    }
  }
  const dist: Saved = [];
  for (const [off, len] of FC_V3_DIST)
    for (let o = off; o < off + len; o += 4) dist.push({ group: 1, attr: BigInt(o), size: 4, value: BigInt(dev.getAttr(1, o)) });
  return { dist, cpus };
}

function fcRestore(dev: { setAttr(g: number, a: bigint, v: number | bigint): void }, s: { dist: Saved; cpus: Saved }): void {
  for (const e of s.dist) dev.setAttr(e.group, e.attr, e.size === 8 ? e.value : Number(e.value));
  for (const e of s.cpus) dev.setAttr(e.group, e.attr, e.size === 8 ? e.value : Number(e.value));
}

describe('Firecracker save/restore register lists', () => {
  test('GICv3: save on VM A, restore on VM B, same guest view', () => {
    const a = v3Guest(2);
    dirtyV3(a);
    const before = v3GuestView(a);
    const saved = fcSaveV3(a);
    // 14 redist groups (24 words) + 7 ICC + 2 AP per vCPU; 12 dist groups
    expect(saved.cpus.length).toBe(2 * (24 + 7 + 2));
    expect(saved.dist.length).toBe(2 + 3 * 7 + 192 + 6 + 24);
    const b = v3Guest(2);
    expect(v3GuestView(b)).not.toEqual(before);
    fcRestore(b.dev, saved);
    // Firecracker does not save line levels: restore them as QEMU does, via LEVEL_INFO
    b.dev.setAttr(7, 32, Number(a.dev.getAttr(7, 32)));
    b.dev.setAttr(7, U.vgicMpidrAttr(1), Number(a.dev.getAttr(7, U.vgicMpidrAttr(1))));
    expect(v3GuestView(b)).toEqual(before);
    expect(b.dev.getAttr(1, 0x10)).toBe(Number(saved.dist[1]!.value));
  });

  test('GICv2: CPU_REGS then DIST lists; the cpuid quirk addresses vCPU 0 only', () => {
    const a = v2Guest(1);
    const g = a.guests[0]!;
    g.mmioWrite32(a.dist, 4, 1);
    g.mmioWrite32(a.dist + 0x104, 4, 0x3);
    g.mmioWrite32(a.dist + 0x420, 4, 0x80a0c0e0);
    g.mmioWrite32(a.cpu + 0x4, 4, 0xf0);
    g.mmioWrite32(a.cpu + 0x0, 4, 1);
    a.vm.irqLine(SPI | 32, 1);
    a.vm.irqLine(SPI | 33, 1);
    expect(g.mmioRead(a.cpu + 0xc, 4)).toBe(33); // priority 0xc0 beats 0xe0
    const view = (w: ReturnType<typeof v2Guest>) => {
      const x = w.guests[0]!;
      const out: number[] = [];
      for (const o of [0x0, 0x4, 0x8, 0x1c, 0xd0, 0x14, 0x18]) out.push(x.mmioRead(w.cpu + o, 4)!);
      for (const o of [0x0, 0x100, 0x104, 0x200, 0x204, 0x300, 0x304, 0x420, 0xc08, 0x820]) out.push(x.mmioRead(w.dist + o, 4)!);
      out.push(x.line('irq'));
      return out;
    };
    const before = view(a);
    const kvmMpidr = U.vgicMpidrAttr(0);
    const cpuid = (kvmMpidr << 32n) & (0xffn << 32n); // Firecracker's expression: always 0
    const cpuRegs = [0x0, 0x4, 0x8, 0x1c, 0xd0, 0xd4, 0xd8, 0xdc].map((o) => ({ g: 2, a: cpuid | BigInt(o), v: a.dev.getAttr(2, cpuid | BigInt(o)) }));
    const distList: [number, number][] = [
      [0x0, 4],
      spiRange(0x180, 1),
      spiRange(0x100, 1),
      spiRange(0x80, 1),
      spiRange(0xc00, 2),
      spiRange(0x280, 1),
      spiRange(0x200, 1),
      spiRange(0x380, 1),
      spiRange(0x300, 1),
      spiRange(0x400, 8),
      [0xf10, 16],
      [0xf20, 16],
    ];
    const dist: { a: number; v: number }[] = [];
    for (const [off, len] of distList) for (let o = off; o < off + len; o += 4) dist.push({ a: o, v: a.dev.getAttr(1, o) });
    const b = v2Guest(1);
    for (const e of dist) b.dev.setAttr(1, e.a, e.v);
    for (const e of cpuRegs) b.dev.setAttr(2, e.a, e.v);
    // the running priority is state too: APR0 restored through CPU_REGS
    expect(view(b)).toEqual(before);
  });
});
