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
import type { DeviceSnapshotSpec, DeviceStateIo, StateEntry } from '@kvmdev/core/plugin';
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

function saveV3(io: DeviceStateIo): StateEntry[] {
  const out: StateEntry[] = [];
  const nr = nrIrqsOf(io);
  const dl = distLayout(nr);
  out.push(entry('dist.0x0', DIST, 0n, 4, io.getAttr(DIST, 0n, 4)));
  out.push(entry('dist.0x10', DIST, 0x10n, 4, io.getAttr(DIST, 0x10n, 4)));
  for (const [base] of V3_DIST_FAMILIES) {
    const w = dl.words.get(base)!;
    for (let k = 0; k < w.keys.length; k++) out.push(entry(w.keys[k]!, DIST, w.attrs[k]!, 4, io.getAttr(DIST, w.attrs[k]!, 4)));
  }
  for (let k = 0; k < dl.levelKeys.length; k++) out.push(entry(dl.levelKeys[k]!, LEVEL, dl.levelAttrs[k]!, 4, io.getAttr(LEVEL, dl.levelAttrs[k]!, 4)));
  for (const id of io.vcpuIds) {
    const vl = vcpuLayout(id);
    for (const o of V3_REDIST_ORDER) {
      const a = vl.redistAttr.get(o)!;
      out.push(entry(vl.redistKey.get(o)!, REDIST, a, 4, io.getAttr(REDIST, a, 4), id));
    }
    out.push(entry(vl.levelKey, LEVEL, vl.m, 4, io.getAttr(LEVEL, vl.m, 4), id));
    for (let k = 0; k < V3_ICC_MAIN.length; k++) out.push(entry(vl.iccKeys[k]!, SYS, vl.iccAttrs[k]!, 8, io.getAttr(SYS, vl.iccAttrs[k]!, 8), id));
    const ctlr = Number(io.getAttr(SYS, vl.ctlrAttr, 8));
    const pri = ((ctlr & U.ICC_CTLR_EL1_PRI_BITS_MASK) >>> U.ICC_CTLR_EL1_PRI_BITS_SHIFT) + 1;
    const n = pri === 7 ? 4 : pri === 6 ? 2 : 1;
    for (let k = 0; k < 2 * n; k++) out.push(entry(vl.apKeys[k]!, SYS, vl.apAttrs[k]!, 8, io.getAttr(SYS, vl.apAttrs[k]!, 8), id));
  }
  return out;
}

function restoreV3(io: DeviceStateIo, entries: readonly StateEntry[]): void {
  const by = new Map<string, StateEntry>();
  for (const e of entries) by.set(e.key, e);
  const put = (key: string): void => {
    const e = by.get(key);
    if (e) io.setAttr(e.group, e.attr, e.size, e.value);
  };
  const all = (group: number, attr: bigint): void => io.setAttr(group, attr, 4, 0xffffffffn);
  const nr = nrIrqsOf(io);
  const dl = distLayout(nr);
  put('dist.0x0');
  for (const id of io.vcpuIds) {
    const vl = vcpuLayout(id);
    const r = (o: number): void => put(vl.redistKey.get(o)!);
    // A write of PROPBASER/PENDBASER is sanitised (vgic_sanitise_*: nC inner cacheability becomes
    // RaWb), so writing back the reset value 0 would read 0x180. Skip the halves that already
    // hold the saved value, so that save -> restore -> save is identical.
    const base = (o: number): void => {
      const e = by.get(vl.redistKey.get(o)!);
      if (e && io.getAttr(e.group, e.attr, 4) !== e.value) io.setAttr(e.group, e.attr, e.size, e.value);
    };
    base(U.GICR_PROPBASER);
    base(U.GICR_PROPBASER + 4);
    base(U.GICR_PENDBASER);
    base(U.GICR_PENDBASER + 4);
    r(U.GICR_CTLR);
    r(U.GICR_STATUSR);
    r(U.GICR_WAKER);
    r(U.GICR_IGROUPR0);
    all(REDIST, vl.clearEnable);
    r(U.GICR_ISENABLER0);
    r(U.GICR_ICFGR1); // config before pending
    put(vl.levelKey);
    all(REDIST, vl.clearPending);
    r(U.GICR_ISPENDR0);
    all(REDIST, vl.clearActive);
    r(U.GICR_ISACTIVER0);
    for (let i = 0; i < 32; i += 4) r(U.GICR_IPRIORITYR0 + i);
  }
  const clearWords = (b: number): void => {
    for (const a of dl.words.get(b)!.attrs) all(DIST, a);
  };
  const putWords = (b: number): void => {
    for (const k of dl.words.get(b)!.keys) put(k);
  };
  put('dist.0x10');
  clearWords(U.GICD_ICENABLER);
  putWords(U.GICD_ISENABLER);
  putWords(U.GICD_IGROUPR);
  putWords(U.GICD_IROUTER);
  putWords(U.GICD_ICFGR);
  for (const k of dl.levelKeys) put(k);
  clearWords(U.GICD_ICPENDR);
  putWords(U.GICD_ISPENDR);
  clearWords(U.GICD_ICACTIVER);
  putWords(U.GICD_ISACTIVER);
  putWords(U.GICD_IPRIORITYR);
  for (const id of io.vcpuIds) {
    const vl = vcpuLayout(id);
    for (const k of vl.iccKeys) put(k);
    for (const k of vl.apKeys) put(k);
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
  save: (_dev, io) => saveV3(io),
  restore: (_dev, io, entries) => restoreV3(io, entries),
  describe: describeEntry,
};

/** Snapshot spec of KVM_DEV_TYPE_ARM_VGIC_V2. */
export const vgicV2Snapshot: DeviceSnapshotSpec<Vgic> = {
  params: (_dev, io) => ({ model: 'gicv2', nrIrqs: nrIrqsOf(io), vcpus: io.vcpuIds.length }),
  save: (_dev, io) => saveV2(io),
  restore: (_dev, io, entries) => restoreV2(io, entries),
  describe: describeEntry,
};
