/**
 * Snapshot specs: what a save/restore of a GICv2 or GICv3 moves, through the attribute calls a
 * VMM makes, in QEMU's order (v3: clear-then-set of enable/pending/active, config before
 * pending, IROUTER as two halves, LEVEL_INFO for line levels, PROPBASER/PENDBASER before
 * GICR_CTLR; v2: distributor then CPU interfaces). The V3 spec's `prepare` is
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES (the LPI pending bits into guest memory, which the
 * snapshot's memory image holds). `describe` names a change in device terms.
 * @packageDocumentation
 */
import { ENXIO, KvmError } from '@kvmdev/core';
import type { DeviceSnapshotSpec, DeviceStateIo, StateEntry, StateLayout, StateValues } from '@kvmdev/core/plugin';
import type { Vgic } from './state.js';
import * as U from './uapi.js';

const DIST = U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
const REDIST = U.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
const CPU = U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS;
const SYS = U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
const LEVEL = U.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;
const hex = (n: number): string => `0x${n.toString(16)}`;

function entry(key: string, group: number, attr: bigint, size: 4 | 8, value: bigint, vcpu?: number): StateEntry {
  return vcpu === undefined ? { key, group, attr, size, value } : { key, group, attr, size, vcpu, value };
}

/** Per-IRQ distributor words covering SPIs 32..nrIrqs-1 for a register family. */
function spiWords(base: number, bpi: number, nrIrqs: number): number[] {
  const out: number[] = [];
  const start = base + (32 * bpi) / 8;
  const end = base + (nrIrqs * bpi) / 8;
  for (let o = start; o < end; o += 4) out.push(o);
  return out;
}

const V3_REDIST_ORDER: readonly number[] = [
  U.GICR_STATUSR,
  U.GICR_WAKER,
  U.GICR_PROPBASER,
  U.GICR_PROPBASER + 4,
  U.GICR_PENDBASER,
  U.GICR_PENDBASER + 4,
  U.GICR_CTLR,
  U.GICR_IGROUPR0,
  U.GICR_ISENABLER0,
  U.GICR_ICFGR0,
  U.GICR_ICFGR1,
  U.GICR_ISPENDR0,
  U.GICR_ISACTIVER0,
  ...[0, 4, 8, 12, 16, 20, 24, 28].map((i) => U.GICR_IPRIORITYR0 + i),
];
const V3_DIST_FAMILIES: readonly [number, number][] = [
  [U.GICD_IGROUPR, 1],
  [U.GICD_ISENABLER, 1],
  [U.GICD_IROUTER, 64],
  [U.GICD_ICFGR, 2],
  [U.GICD_ISPENDR, 1],
  [U.GICD_ISACTIVER, 1],
  [U.GICD_IPRIORITYR, 8],
];
const V3_ICC_MAIN: readonly number[] = [
  U.ICC_SRE_EL1,
  U.ICC_CTLR_EL1,
  U.ICC_IGRPEN0_EL1,
  U.ICC_IGRPEN1_EL1,
  U.ICC_PMR_EL1,
  U.ICC_BPR0_EL1,
  U.ICC_BPR1_EL1,
];

function nrIrqsOf(io: DeviceStateIo): number {
  return Number(io.getAttr(U.KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0n, 4));
}

/**
 * The keys and attrs of a GICv3's entries, made once and reused by every save and restore (a
 * save then allocates only its entries and values; a restore looks entries up by strings whose
 * hashes are already computed). They depend on nothing but the INTID count and the vCPU id.
 */
interface V3DistLayout {
  /** The distributor words of each family (by base offset), with their keys and attrs. */
  readonly words: Map<number, { readonly keys: readonly string[]; readonly attrs: readonly bigint[] }>;
  /** `level.spi.<intid>` keys and attrs. */
  readonly levelKeys: readonly string[];
  readonly levelAttrs: readonly bigint[];
}

interface V3VcpuLayout {
  readonly m: bigint;
  /** Keys and attrs of V3_REDIST_ORDER, by offset. */
  readonly redistKey: Map<number, string>;
  readonly redistAttr: Map<number, bigint>;
  readonly levelKey: string;
  readonly iccKeys: readonly string[];
  readonly iccAttrs: readonly bigint[];
  readonly ctlrAttr: bigint;
  /** ICC_AP0Rn_EL1 / ICC_AP1Rn_EL1 for n = 0..3: keys and attrs, AP0R0, AP1R0, AP0R1, ... */
  readonly apKeys: readonly string[];
  readonly apAttrs: readonly bigint[];
  readonly clearEnable: bigint;
  readonly clearPending: bigint;
  readonly clearActive: bigint;
}

const DIST_CLEAR_BASES: readonly number[] = [U.GICD_ICENABLER, U.GICD_ICPENDR, U.GICD_ICACTIVER];
const distLayouts = new Map<number, V3DistLayout>();
const vcpuLayouts = new Map<number, V3VcpuLayout>();
/** Bound on the cached layouts (vCPU ids seen); past it the cache starts over. */
const LAYOUT_CACHE_MAX = 8192;

function distLayout(nr: number): V3DistLayout {
  let l = distLayouts.get(nr);
  if (l !== undefined) return l;
  const words = new Map<number, { keys: string[]; attrs: bigint[] }>();
  const family = (base: number, bpi: number): void => {
    const offs = spiWords(base, bpi, nr);
    words.set(base, { keys: offs.map((o) => `dist.${hex(o)}`), attrs: offs.map((o) => BigInt(o)) });
  };
  for (const [base, bpi] of V3_DIST_FAMILIES) family(base, bpi);
  for (const base of DIST_CLEAR_BASES) family(base, 1);
  const levelKeys: string[] = [];
  const levelAttrs: bigint[] = [];
  for (let intid = 32; intid < nr; intid += 32) {
    levelKeys.push(`level.spi.${intid}`);
    levelAttrs.push(BigInt(intid));
  }
  if (distLayouts.size >= 64) distLayouts.clear();
  l = { words, levelKeys, levelAttrs };
  distLayouts.set(nr, l);
  return l;
}

function vcpuLayout(id: number): V3VcpuLayout {
  let l = vcpuLayouts.get(id);
  if (l !== undefined) return l;
  const m = U.vgicMpidrAttr(id);
  const redistKey = new Map<number, string>();
  const redistAttr = new Map<number, bigint>();
  for (const o of V3_REDIST_ORDER) {
    redistKey.set(o, `redist.${id}.${hex(o)}`);
    redistAttr.set(o, m | BigInt(o));
  }
  const apKeys: string[] = [];
  const apAttrs: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    for (const base of [U.ICC_AP0R0_EL1, U.ICC_AP1R0_EL1]) {
      apKeys.push(`icc.${id}.${hex(base + i)}`);
      apAttrs.push(m | BigInt(base + i));
    }
  }
  if (vcpuLayouts.size >= LAYOUT_CACHE_MAX) vcpuLayouts.clear();
  l = {
    m,
    redistKey,
    redistAttr,
    levelKey: `level.${id}.0`,
    iccKeys: V3_ICC_MAIN.map((r) => `icc.${id}.${hex(r)}`),
    iccAttrs: V3_ICC_MAIN.map((r) => m | BigInt(r)),
    ctlrAttr: m | BigInt(U.ICC_CTLR_EL1),
    apKeys,
    apAttrs,
    clearEnable: m | BigInt(U.GICR_ICENABLER0),
    clearPending: m | BigInt(U.GICR_ICPENDR0),
    clearActive: m | BigInt(U.GICR_ICACTIVER0),
  };
  vcpuLayouts.set(id, l);
  return l;
}

/** ICC_AP0Rn/AP1Rn pairs a vCPU has: 4, 2 or 1 by ICC_CTLR_EL1.PRIbits. */
function apPairs(ctlr: number): number {
  const pri = ((ctlr & U.ICC_CTLR_EL1_PRI_BITS_MASK) >>> U.ICC_CTLR_EL1_PRI_BITS_SHIFT) + 1;
  return pri === 7 ? 4 : pri === 6 ? 2 : 1;
}

/** A layout, its restore program and what it was made from. */
interface V3Shape {
  readonly nr: number;
  readonly ids: readonly number[];
  /** AP pairs of each vCPU. */
  readonly aps: Uint8Array;
  readonly layout: StateLayout;
  /** Restore ops, 4 words each: OP_PUT / OP_PUT_CHANGED (layout index), OP_CLEAR (group, attr halves). */
  readonly program: Uint32Array;
}
const OP_PUT = 0;
const OP_PUT_CHANGED = 1;
const OP_CLEAR = 2;
/** The shape last made for each device (a save and a restore of the same composition reuse it). */
const shapes = new WeakMap<object, V3Shape>();
const programs = new WeakMap<StateLayout, Uint32Array>();

/** The numeric attr calls, through getAttr / setAttr when the io has none of its own. */
type NumIo = Required<Pick<DeviceStateIo, 'readAttr' | 'writeAttr'>>;
function numIo(io: DeviceStateIo): NumIo {
  if (io.readAttr !== undefined && io.writeAttr !== undefined) return io as NumIo;
  const attr = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);
  return {
    readAttr(group, lo, hi, size, out, index) {
      const v = io.getAttr(group, attr(lo, hi), size);
      out.lo[index] = Number(BigInt.asUintN(32, v));
      out.hi[index] = Number(BigInt.asUintN(32, v >> 32n));
    },
    writeAttr: (group, lo, hi, size, vlo, vhi) => io.setAttr(group, attr(lo, hi), size, size === 8 ? attr(vlo >>> 0, vhi >>> 0) : BigInt(vlo >>> 0)),
  };
}

/** Where a GICv3 restore writes what, in QEMU's order (one description for both restore paths). */
interface V3Sink {
  /** The entry `key`, when there is one. */
  put(key: string): void;
  /** The entry `key`, when there is one and the register does not already hold its value. */
  putChanged(key: string): void;
  /** All-ones to a clear register. */
  clear(group: number, attr: bigint): void;
}

function restoreOrderV3(nr: number, ids: readonly number[], s: V3Sink): void {
  const dl = distLayout(nr);
  s.put('dist.0x0');
  for (const id of ids) {
    const vl = vcpuLayout(id);
    const r = (o: number): void => s.put(vl.redistKey.get(o)!);
    // A write of PROPBASER/PENDBASER is sanitised (vgic_sanitise_*: nC inner cacheability becomes
    // RaWb), so writing back the reset value 0 would read 0x180. Skip the halves that already
    // hold the saved value, so that save -> restore -> save is identical.
    for (const o of [U.GICR_PROPBASER, U.GICR_PROPBASER + 4, U.GICR_PENDBASER, U.GICR_PENDBASER + 4]) s.putChanged(vl.redistKey.get(o)!);
    r(U.GICR_CTLR);
    r(U.GICR_STATUSR);
    r(U.GICR_WAKER);
    r(U.GICR_IGROUPR0);
    s.clear(REDIST, vl.clearEnable);
    r(U.GICR_ISENABLER0);
    r(U.GICR_ICFGR1); // config before pending
    s.put(vl.levelKey);
    s.clear(REDIST, vl.clearPending);
    r(U.GICR_ISPENDR0);
    s.clear(REDIST, vl.clearActive);
    r(U.GICR_ISACTIVER0);
    for (let i = 0; i < 32; i += 4) r(U.GICR_IPRIORITYR0 + i);
  }
  const clearWords = (b: number): void => {
    for (const a of dl.words.get(b)!.attrs) s.clear(DIST, a);
  };
  const putWords = (b: number): void => {
    for (const k of dl.words.get(b)!.keys) s.put(k);
  };
  s.put('dist.0x10');
  clearWords(U.GICD_ICENABLER);
  putWords(U.GICD_ISENABLER);
  putWords(U.GICD_IGROUPR);
  putWords(U.GICD_IROUTER);
  putWords(U.GICD_ICFGR);
  for (const k of dl.levelKeys) s.put(k);
  clearWords(U.GICD_ICPENDR);
  putWords(U.GICD_ISPENDR);
  clearWords(U.GICD_ICACTIVER);
  putWords(U.GICD_ISACTIVER);
  putWords(U.GICD_IPRIORITYR);
  for (const id of ids) {
    const vl = vcpuLayout(id);
    for (const k of vl.iccKeys) s.put(k);
    for (const k of vl.apKeys) s.put(k);
  }
}

const lo32 = (a: bigint): number => Number(BigInt.asUintN(32, a));
const hi32 = (a: bigint): number => Number(BigInt.asUintN(32, a >> 32n));

/** Builds the layout (saveV3's entries, in save order) and its restore program. */
function makeShape(nr: number, ids: readonly number[], aps: Uint8Array): V3Shape {
  const keys: string[] = [];
  const rows: [number, bigint, 4 | 8, number][] = [];
  const add = (key: string, group: number, attr: bigint, size: 4 | 8, vcpu = -1): void => {
    keys.push(key);
    rows.push([group, attr, size, vcpu]);
  };
  const dl = distLayout(nr);
  add('dist.0x0', DIST, 0n, 4);
  add('dist.0x10', DIST, 0x10n, 4);
  for (const [base] of V3_DIST_FAMILIES) {
    const w = dl.words.get(base)!;
    for (let k = 0; k < w.keys.length; k++) add(w.keys[k]!, DIST, w.attrs[k]!, 4);
  }
  for (let k = 0; k < dl.levelKeys.length; k++) add(dl.levelKeys[k]!, LEVEL, dl.levelAttrs[k]!, 4);
  ids.forEach((id, i) => {
    const vl = vcpuLayout(id);
    for (const o of V3_REDIST_ORDER) add(vl.redistKey.get(o)!, REDIST, vl.redistAttr.get(o)!, 4, id);
    add(vl.levelKey, LEVEL, vl.m, 4, id);
    for (let k = 0; k < V3_ICC_MAIN.length; k++) add(vl.iccKeys[k]!, SYS, vl.iccAttrs[k]!, 8, id);
    for (let k = 0; k < 2 * aps[i]!; k++) add(vl.apKeys[k]!, SYS, vl.apAttrs[k]!, 8, id);
  });
  const n = keys.length;
  const layout = { keys, groups: new Int32Array(n), attrLo: new Uint32Array(n), attrHi: new Uint32Array(n), sizes: new Uint8Array(n), vcpus: new Int32Array(n) };
  const index = new Map<string, number>();
  rows.forEach(([group, attr, size, vcpu], k) => {
    layout.groups[k] = group;
    layout.attrLo[k] = lo32(attr);
    layout.attrHi[k] = hi32(attr);
    layout.sizes[k] = size;
    layout.vcpus[k] = vcpu;
    index.set(keys[k]!, k);
  });
  const ops: number[] = [];
  const at = (op: number) => (key: string) => {
    const k = index.get(key);
    if (k !== undefined) ops.push(op, k, 0, 0);
  };
  restoreOrderV3(nr, ids, { put: at(OP_PUT), putChanged: at(OP_PUT_CHANGED), clear: (g, a) => ops.push(OP_CLEAR, g, lo32(a), hi32(a)) });
  const program = Uint32Array.from(ops);
  programs.set(layout, program);
  return { nr, ids: [...ids], aps, layout, program };
}

/** This device's layout now: the cached one while the INTID count, vCPUs and AP counts are the same. */
function layoutV3(dev: object, io: DeviceStateIo): V3Shape {
  const nr = nrIrqsOf(io);
  const ids = io.vcpuIds;
  const nio = numIo(io);
  const aps = new Uint8Array(ids.length);
  const ctlr: StateValues = { lo: new Uint32Array(1), hi: new Uint32Array(1) };
  for (let i = 0; i < ids.length; i++) {
    nio.readAttr(SYS, lo32(vcpuLayout(ids[i]!).ctlrAttr), hi32(vcpuLayout(ids[i]!).ctlrAttr), 8, ctlr, 0);
    aps[i] = apPairs(ctlr.lo[0]!);
  }
  const c = shapes.get(dev);
  if (c !== undefined && c.nr === nr && c.ids.length === ids.length && c.ids.every((x, i) => x === ids[i]) && c.aps.every((x, i) => x === aps[i])) return c;
  const s = makeShape(nr, ids, aps);
  shapes.set(dev, s);
  return s;
}

function saveV3(dev: object, io: DeviceStateIo): StateEntry[] {
  const l = layoutV3(dev, io).layout;
  const out: StateEntry[] = [];
  for (let k = 0; k < l.keys.length; k++) {
    const attr = (BigInt(l.attrHi[k]!) << 32n) | BigInt(l.attrLo[k]!);
    const size = l.sizes[k] as 4 | 8;
    const v = l.vcpus[k]!;
    out.push(entry(l.keys[k]!, l.groups[k]!, attr, size, io.getAttr(l.groups[k]!, attr, size), v < 0 ? undefined : v));
  }
  return out;
}

function restoreV3(io: DeviceStateIo, entries: readonly StateEntry[]): void {
  const by = new Map<string, StateEntry>();
  for (const e of entries) by.set(e.key, e);
  restoreOrderV3(nrIrqsOf(io), io.vcpuIds, {
    put(key) {
      const e = by.get(key);
      if (e) io.setAttr(e.group, e.attr, e.size, e.value);
    },
    putChanged(key) {
      const e = by.get(key);
      if (e && io.getAttr(e.group, e.attr, 4) !== e.value) io.setAttr(e.group, e.attr, e.size, e.value);
    },
    clear: (group, attr) => io.setAttr(group, attr, 4, 0xffffffffn),
  });
}

/** restoreV3 of the layout's entries marked present (all when `present` is null), without StateEntry objects. */
function restoreV3Values(io: DeviceStateIo, l: StateLayout, v: StateValues, present: Uint8Array | null): void {
  const prog = programs.get(l);
  if (prog === undefined) throw new KvmError(ENXIO, 'GICv3 restore: a layout this spec did not make');
  const nio = numIo(io);
  const { groups, attrLo, attrHi, sizes } = l;
  const cur: StateValues = { lo: new Uint32Array(1), hi: new Uint32Array(1) };
  for (let p = 0; p < prog.length; p += 4) {
    const op = prog[p]!;
    if (op === OP_CLEAR) {
      nio.writeAttr(prog[p + 1]!, prog[p + 2]!, prog[p + 3]!, 4, 0xffffffff, 0);
      continue;
    }
    const k = prog[p + 1]!;
    if (present !== null && present[k] === 0) continue;
    if (op === OP_PUT_CHANGED) {
      nio.readAttr(groups[k]!, attrLo[k]!, attrHi[k]!, 4, cur, 0);
      if (cur.lo[0] === v.lo[k]) continue;
    }
    nio.writeAttr(groups[k]!, attrLo[k]!, attrHi[k]!, sizes[k] as 4 | 8, v.lo[k]!, v.hi[k]!);
  }
}

const V2_CPU_ORDER: readonly number[] = [0x0, 0x4, 0x8, 0x1c, 0xd0, 0xd4, 0xd8, 0xdc];
const V2_DIST_FAMILIES: readonly [number, number][] = [
  [U.GIC_DIST_IGROUP, 1],
  [U.GIC_DIST_ENABLE_SET, 1],
  [U.GIC_DIST_TARGET, 8],
  [U.GIC_DIST_CONFIG, 2],
  [U.GIC_DIST_PENDING_SET, 1],
  [U.GIC_DIST_ACTIVE_SET, 1],
  [U.GIC_DIST_PRI, 8],
];

function v2Attr(index: number, off: number): bigint {
  return (BigInt(index) << 32n) | BigInt(off);
}

function saveV2(io: DeviceStateIo): StateEntry[] {
  const out: StateEntry[] = [];
  const nr = nrIrqsOf(io);
  const iidr = io.getAttr(DIST, BigInt(U.GIC_DIST_IIDR), 4);
  out.push(entry('dist.0x8', DIST, BigInt(U.GIC_DIST_IIDR), 4, iidr));
  out.push(entry('dist.0x0', DIST, 0n, 4, io.getAttr(DIST, 0n, 4)));
  for (const [base, bpi] of V2_DIST_FAMILIES) {
    for (const o of spiWords(base, bpi, nr)) out.push(entry(`dist.${hex(o)}`, DIST, BigInt(o), 4, io.getAttr(DIST, BigInt(o), 4)));
  }
  for (const id of io.vcpuIds) {
    // banked: SGI/PPI words, SGI sources
    const banked = [U.GIC_DIST_IGROUP, U.GIC_DIST_ENABLE_SET, U.GIC_DIST_PENDING_SET, U.GIC_DIST_ACTIVE_SET];
    for (const o of banked) out.push(entry(`dist.${id}.${hex(o)}`, DIST, v2Attr(id, o), 4, io.getAttr(DIST, v2Attr(id, o), 4), id));
    for (let o = U.GIC_DIST_PRI; o < U.GIC_DIST_PRI + 32; o += 4)
      out.push(entry(`dist.${id}.${hex(o)}`, DIST, v2Attr(id, o), 4, io.getAttr(DIST, v2Attr(id, o), 4), id));
    for (let o = U.GIC_DIST_SGI_PENDING_SET; o < U.GIC_DIST_SGI_PENDING_SET + 16; o += 4)
      out.push(entry(`dist.${id}.${hex(o)}`, DIST, v2Attr(id, o), 4, io.getAttr(DIST, v2Attr(id, o), 4), id));
    for (const o of V2_CPU_ORDER) out.push(entry(`cpu.${id}.${hex(o)}`, CPU, v2Attr(id, o), 4, io.getAttr(CPU, v2Attr(id, o), 4), id));
  }
  return out;
}

function restoreV2(io: DeviceStateIo, entries: readonly StateEntry[]): void {
  const by = new Map(entries.map((e) => [e.key, e]));
  const put = (key: string): void => {
    const e = by.get(key);
    if (e) io.setAttr(e.group, e.attr, e.size, e.value);
  };
  const all = (attr: bigint): void => io.setAttr(DIST, attr, 4, 0xffffffffn);
  const nr = nrIrqsOf(io);
  put('dist.0x8'); // IIDR first: makes IGROUPR writable
  put('dist.0x0');
  for (const id of io.vcpuIds) {
    all(v2Attr(id, U.GIC_DIST_ENABLE_CLEAR));
    all(v2Attr(id, U.GIC_DIST_PENDING_CLEAR));
    all(v2Attr(id, U.GIC_DIST_ACTIVE_CLEAR));
    for (let o = U.GIC_DIST_SGI_PENDING_CLEAR; o < U.GIC_DIST_SGI_PENDING_CLEAR + 16; o += 4) io.setAttr(DIST, v2Attr(id, o), 4, 0xffffffffn);
    put(`dist.${id}.${hex(U.GIC_DIST_IGROUP)}`);
    put(`dist.${id}.${hex(U.GIC_DIST_ENABLE_SET)}`);
    for (let o = U.GIC_DIST_PRI; o < U.GIC_DIST_PRI + 32; o += 4) put(`dist.${id}.${hex(o)}`);
    for (let o = U.GIC_DIST_SGI_PENDING_SET; o < U.GIC_DIST_SGI_PENDING_SET + 16; o += 4) put(`dist.${id}.${hex(o)}`);
    put(`dist.${id}.${hex(U.GIC_DIST_PENDING_SET)}`);
    put(`dist.${id}.${hex(U.GIC_DIST_ACTIVE_SET)}`);
  }
  for (const o of spiWords(U.GIC_DIST_ENABLE_CLEAR, 1, nr)) all(BigInt(o));
  for (const o of spiWords(U.GIC_DIST_IGROUP, 1, nr)) put(`dist.${hex(o)}`);
  for (const o of spiWords(U.GIC_DIST_ENABLE_SET, 1, nr)) put(`dist.${hex(o)}`);
  for (const o of spiWords(U.GIC_DIST_TARGET, 8, nr)) put(`dist.${hex(o)}`);
  for (const o of spiWords(U.GIC_DIST_CONFIG, 2, nr)) put(`dist.${hex(o)}`);
  for (const o of spiWords(U.GIC_DIST_PENDING_CLEAR, 1, nr)) all(BigInt(o));
  for (const o of spiWords(U.GIC_DIST_PENDING_SET, 1, nr)) put(`dist.${hex(o)}`);
  for (const o of spiWords(U.GIC_DIST_ACTIVE_CLEAR, 1, nr)) all(BigInt(o));
  for (const o of spiWords(U.GIC_DIST_ACTIVE_SET, 1, nr)) put(`dist.${hex(o)}`);
  for (const o of spiWords(U.GIC_DIST_PRI, 8, nr)) put(`dist.${hex(o)}`);
  for (const id of io.vcpuIds) for (const o of V2_CPU_ORDER) put(`cpu.${id}.${hex(o)}`);
}

/** The register family (name, base, bits per IRQ) an offset belongs to. */
const FAMILIES: readonly [string, number, number][] = [
  ['group', 0x80, 1],
  ['enabled', 0x100, 1],
  ['pending', 0x200, 1],
  ['active', 0x300, 1],
  ['priority', 0x400, 8],
  ['targets', 0x800, 8],
  ['edge', 0xc00, 2],
  ['route', 0x6000, 64],
];

function describeEntry(e: StateEntry, before: bigint, after: bigint): string[] {
  if (before === after) return [];
  const who = e.vcpu === undefined ? '' : `vCPU ${e.vcpu} `;
  if (e.group === LEVEL) {
    const base = Number(e.attr & 0x3ffn);
    const out: string[] = [];
    for (let i = 0; i < 32; i++) {
      const b = Number((before >> BigInt(i)) & 1n);
      const a = Number((after >> BigInt(i)) & 1n);
      if (a !== b) out.push(`${base + i < 32 ? 'PPI/SGI' : 'SPI'} ${base + i}: line level ${b} -> ${a}`);
    }
    return out;
  }
  if (e.group === DIST || e.group === REDIST) {
    let off = Number(e.attr & 0xffffffffn);
    if (e.group === REDIST && off >= U.GICR_SGI_BASE) off -= U.GICR_SGI_BASE;
    else if (e.group === REDIST) return [`${who}GICR ${hex(off)}: ${hex(Number(before))} -> ${hex(Number(after))}`];
    for (const [name, base, bpi] of FAMILIES) {
      const span = (bpi * 1024) / 8;
      if (off < base || off >= base + span) continue;
      if (name === 'route') {
        const intid = ((off - base) / 8) | 0;
        return [`SPI ${intid}: IROUTER${off & 4 ? '[63:32]' : '[31:0]'} ${hex(Number(before))} -> ${hex(Number(after))}`];
      }
      const first = ((off - base) * 8) / bpi;
      const out: string[] = [];
      const per = 32 / bpi;
      const mask = bpi === 32 ? 0xffffffffn : (1n << BigInt(bpi)) - 1n;
      for (let i = 0; i < per; i++) {
        const sh = BigInt(i * bpi);
        let b = Number((before >> sh) & mask);
        let a = Number((after >> sh) & mask);
        if (a === b) continue;
        if (name === 'edge') {
          b >>= 1;
          a >>= 1;
        }
        const id = first + i;
        const kind = id < 16 ? 'SGI' : id < 32 ? 'PPI' : 'SPI';
        const fmt = (x: number): string => (bpi === 8 ? hex(x) : String(x));
        out.push(`${who}${kind} ${id}: ${name} ${fmt(b)} -> ${fmt(a)}`);
      }
      return out;
    }
    return [`${who}${e.group === DIST ? 'GICD' : 'GICR'} ${hex(off)}: ${hex(Number(before))} -> ${hex(Number(after))}`];
  }
  if (e.group === CPU) return [`${who}GICC ${hex(Number(e.attr & 0xffffffffn))}: ${hex(Number(before))} -> ${hex(Number(after))}`];
  if (e.group === SYS) {
    const names: Record<number, string> = {
      [U.ICC_SRE_EL1]: 'ICC_SRE_EL1',
      [U.ICC_CTLR_EL1]: 'ICC_CTLR_EL1',
      [U.ICC_IGRPEN0_EL1]: 'ICC_IGRPEN0_EL1',
      [U.ICC_IGRPEN1_EL1]: 'ICC_IGRPEN1_EL1',
      [U.ICC_PMR_EL1]: 'ICC_PMR_EL1',
      [U.ICC_BPR0_EL1]: 'ICC_BPR0_EL1',
      [U.ICC_BPR1_EL1]: 'ICC_BPR1_EL1',
    };
    const r = Number(e.attr & 0xffffn);
    const n = names[r] ?? (r >= U.ICC_AP1R0_EL1 ? `ICC_AP1R${r - U.ICC_AP1R0_EL1}_EL1` : `ICC_AP0R${r - U.ICC_AP0R0_EL1}_EL1`);
    return [`${who}${n} ${hex(Number(before))} -> ${hex(Number(after))}`];
  }
  return [`${e.key}: ${hex(Number(before))} -> ${hex(Number(after))}`];
}

/**
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES when the VM stops (QEMU's GICv3 VM-state handler,
 * Firecracker's save_device): every LPI's pending bit into its redistributor's pending table in
 * guest memory. Before vgic_init the kernel answers ENXIO (nothing to save).
 */
function savePendingTables(io: DeviceStateIo): void {
  try {
    io.setAttr(U.KVM_DEV_ARM_VGIC_GRP_CTRL, BigInt(U.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES), 0, 0n);
  } catch (e) {
    if (!(e instanceof KvmError && e.errno === ENXIO)) throw e;
  }
}

/** Snapshot spec of KVM_DEV_TYPE_ARM_VGIC_V3. */
export const vgicV3Snapshot: DeviceSnapshotSpec<Vgic> = {
  params: (_dev, io) => ({ model: 'gicv3', nrIrqs: nrIrqsOf(io), vcpus: io.vcpuIds.length }),
  prepare: (_dev, io) => savePendingTables(io),
  save: (dev, io) => saveV3(dev, io),
  restore: (_dev, io, entries) => restoreV3(io, entries),
  describe: describeEntry,
  layout: (dev, io) => layoutV3(dev, io).layout,
  restoreValues: (_dev, io, layout, values, present) => restoreV3Values(io, layout, values, present),
};

/** Snapshot spec of KVM_DEV_TYPE_ARM_VGIC_V2. */
export const vgicV2Snapshot: DeviceSnapshotSpec<Vgic> = {
  params: (_dev, io) => ({ model: 'gicv2', nrIrqs: nrIrqsOf(io), vcpus: io.vcpuIds.length }),
  save: (_dev, io) => saveV2(io),
  restore: (_dev, io, entries) => restoreV2(io, entries),
  describe: describeEntry,
};
