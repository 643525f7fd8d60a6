/**
 * The register-table machinery shared by every frame (the kernel's `vgic_register_region`):
 * one entry holds the offset, length, allowed access widths, the guest read/write handlers and
 * optional userspace (uaccess) handlers. Per-IRQ registers declare their bits per IRQ, so the
 * INTID comes from the offset and one entry covers all 1024 INTIDs. The same table serves guest
 * MMIO and the DIST/CPU/REDIST_REGS attribute groups. Also the per-IRQ handlers both GIC
 * versions share (vgic-mmio.c).
 * @packageDocumentation
 */
import { ENXIO } from '@kvmdev/core';
import { update } from '../delivery.js';
import type { Vgic, VcpuGic } from '../state.js';
import { VGIC_NR_PRIVATE_IRQS, VGIC_NR_SGIS } from '../uapi.js';

export const ACC_8 = 1;
export const ACC_32 = 4;
export const ACC_64 = 8;

/** Read handler: `intid` is the first INTID covered (per-IRQ registers), `off` the frame offset. */
export type RegRead = (g: Vgic, v: VcpuGic | null, intid: number, off: number, len: number) => number;
/** Write handler. */
export type RegWrite = (g: Vgic, v: VcpuGic | null, intid: number, off: number, len: number, val: number) => void;
/** Userspace write handler: 0 or -errno. */
export type RegUWrite = (g: Vgic, v: VcpuGic | null, intid: number, off: number, len: number, val: number) => number;

/** One register region. */
export interface Reg {
  readonly name: string;
  readonly off: number;
  readonly len: number;
  /** Bits per IRQ for the INTID computation (0: not per-IRQ). */
  readonly bpi: number;
  /** Offset where INTID 0 of this register family sits. */
  readonly fam: number;
  /** True when the INTID must be < nr_irqs for the access to exist (kernel: bits_per_irq set). */
  readonly checkIrq: boolean;
  readonly acc: number;
  readonly read: RegRead;
  readonly write: RegWrite;
  readonly uread?: RegRead;
  readonly uwrite?: RegUWrite;
}

/** A fixed-length register (REGISTER_DESC_WITH_LENGTH[_UACCESS]). `bpi` only for INTID math. */
export function lenReg(
  name: string,
  off: number,
  len: number,
  acc: number,
  read: RegRead,
  write: RegWrite,
  extra: { uread?: RegRead; uwrite?: RegUWrite; bpi?: number } = {},
): Reg {
  return { name, off, len, bpi: extra.bpi ?? 0, fam: off, checkIrq: false, acc, read, write, uread: extra.uread, uwrite: extra.uwrite };
}

/** A per-IRQ register family over 1024 INTIDs (REGISTER_DESC_WITH_BITS_PER_IRQ). */
export function irqReg(
  name: string,
  off: number,
  bpi: number,
  acc: number,
  read: RegRead,
  write: RegWrite,
  extra: { uread?: RegRead; uwrite?: RegUWrite } = {},
): Reg {
  return { name, off, len: (bpi * 1024) / 8, bpi, fam: off, checkIrq: true, acc, read, write, uread: extra.uread, uwrite: extra.uwrite };
}

/**
 * REGISTER_DESC_WITH_BITS_PER_IRQ_SHARED (GICv3 distributor): the first 32 INTIDs are RAZ/WI,
 * the rest use the handlers.
 */
export function sharedIrqReg(
  name: string,
  off: number,
  bpi: number,
  acc: number,
  read: RegRead,
  write: RegWrite,
  extra: { uread?: RegRead; uwrite?: RegUWrite } = {},
): Reg[] {
  const first = (bpi * VGIC_NR_PRIVATE_IRQS) / 8;
  return [
    { name: `${name} (private, RAZ/WI)`, off, len: first, bpi, fam: off, checkIrq: true, acc, read: raz, write: wi, uread: undefined, uwrite: undefined },
    { name, off: off + first, len: (bpi * (1024 - VGIC_NR_PRIVATE_IRQS)) / 8, bpi, fam: off, checkIrq: true, acc, read, write, uread: extra.uread, uwrite: extra.uwrite },
  ];
}

/** How a {@link RegTable} keeps its entries. */
export interface RegTableOptions {
  /**
   * Keep the entries in the order given (the kernel's array order) instead of sorting them by
   * offset. The kernel looks regions up with a binary search that assumes a sorted array; an
   * array that is not sorted makes it miss some entries, and this reproduces which ones.
   */
  readonly kernelOrder?: boolean;
}

/**
 * A frame's register table, sorted by offset unless it keeps the kernel's order.
 *
 * Every region starts and ends on a 4-byte boundary, so every byte of a 32-bit word falls in the
 * same region: the table resolves each word of the frame once, at construction, with the
 * kernel's binary search ({@link RegTable.search}), and an access looks its word up in that
 * index ({@link RegTable.find}) instead of searching again.
 */
export class RegTable {
  readonly regs: readonly Reg[];
  /** Per 32-bit word of the frame up to the end of the last region: 1 + the index in `regs` of the region found there, 0 for none. */
  private readonly byWord: Uint8Array;
  constructor(regs: readonly Reg[], opts: RegTableOptions = {}) {
    this.regs = opts.kernelOrder ? [...regs] : [...regs].sort((a, b) => a.off - b.off);
    if (this.regs.length > 255) throw new RangeError('RegTable: at most 255 regions');
    let end = 0;
    for (const r of this.regs) {
      if ((r.off & 3) !== 0 || (r.len & 3) !== 0) throw new RangeError(`RegTable: ${r.name} is not 4-byte aligned`);
      end = Math.max(end, r.off + r.len);
    }
    this.byWord = new Uint8Array(end >>> 2);
    for (let w = 0; w < this.byWord.length; w++) {
      this.byWord[w] = this.search(w << 2) + 1;
    }
  }

  /**
   * vgic_find_mmio_region: the kernel's bsearch (lib/bsearch.c) with match_region. On a sorted
   * table it finds what any binary search finds; on one in the kernel's unsorted order it misses
   * the same entries the kernel misses. Used to build the word index: the index in `regs` of the
   * region found, -1 for none.
   */
  private search(off: number): number {
    const rs = this.regs;
    let base = 0;
    let num = rs.length;
    while (num > 0) {
      const pivot = base + (num >>> 1);
      const r = rs[pivot]!;
      if (off < r.off) {
        num >>>= 1;
      } else if (off >= r.off + r.len) {
        base = pivot + 1;
        num = (num - 1) >>> 1;
      } else {
        return pivot;
      }
    }
    return -1;
  }

  /** The region {@link RegTable.search} finds for byte offset `off` (an integer in 0 .. 2^32-1), from the word index. */
  find(off: number): Reg | null {
    const w = off >>> 2;
    const k = w < this.byWord.length ? this.byWord[w]! : 0;
    return k === 0 ? null : this.regs[k - 1]!;
  }

  /** vgic_get_mmio_region: the region when the access is allowed (width, alignment, INTID < nr_irqs). */
  get(g: Vgic, off: number, len: number): Reg | null {
    const r = this.find(off);
    if (r === null) return null;
    // the access flags are the widths (ACC_8 1, ACC_32 4, ACC_64 8: tested with literals, an imported
    // constant being a load and a check per use on this per-access path); 2 bytes or any width that
    // is not a power of two matches none
    if ((len & (len - 1)) !== 0 || len === 2 || (r.acc & len) === 0 || (off & (len - 1)) !== 0) return null;
    if (r.checkIrq && intidOf(r, off) >= g.nrIrqs) return null;
    return r;
  }

  /** Guest load of 1/4 bytes: unknown or disallowed accesses read 0. */
  read(g: Vgic, v: VcpuGic | null, off: number, len: number): number {
    const r = this.get(g, off, len);
    return r === null ? 0 : r.read(g, v, intidOf(r, off), off, len) >>> 0;
  }

  /** Guest store of 1/4 bytes: unknown or disallowed accesses are ignored. */
  write(g: Vgic, v: VcpuGic | null, off: number, len: number, val: number): void {
    const r = this.get(g, off, len);
    if (r !== null) r.write(g, v, intidOf(r, off), off, len, val >>> 0);
  }

  /** Whether a 64-bit guest access is allowed at `off`. */
  has64(g: Vgic, off: number): boolean {
    return this.get(g, off, 8) !== null;
  }

  /** vgic_uaccess_read: 32-bit, 0 for an unknown offset. */
  uread(g: Vgic, v: VcpuGic, off: number): number {
    const r = this.get(g, off, 4);
    if (r === null) return 0;
    const fn = r.uread ?? r.read;
    return fn(g, v, intidOf(r, off), off, 4) >>> 0;
  }

  /** vgic_uaccess_write: 0 (also for an unknown offset) or the handler's -errno. */
  uwrite(g: Vgic, v: VcpuGic, off: number, val: number): number {
    const r = this.get(g, off, 4);
    if (r === null) return 0;
    if (r.uwrite) return r.uwrite(g, v, intidOf(r, off), off, 4, val >>> 0);
    r.write(g, v, intidOf(r, off), off, 4, val >>> 0);
    return 0;
  }

  /** HAS_ATTR: 0 for an aligned 32-bit access to a known register, else -ENXIO. */
  has(g: Vgic, off: number): number {
    if (off & 3) return -ENXIO;
    return this.get(g, off, 4) === null ? -ENXIO : 0;
  }
}

/** First INTID an access at `off` covers. */
export function intidOf(r: Reg, off: number): number {
  return r.bpi === 0 ? 0 : (((off - r.fam) * 8) / r.bpi) | 0;
}

// ------------------------------------------------------------------ generic handlers

export const raz: RegRead = () => 0;
export const rao: RegRead = () => 0xffffffff;
export const wi: RegWrite = () => {};
export const uwi: RegUWrite = () => 0;

/** vCPU used for banked state when the access has none (vCPU 0), or null. */
function cpuOf(g: Vgic, v: VcpuGic | null): VcpuGic | null {
  return v ?? g.cpus[0] ?? null;
}

export const readGroup: RegRead = (g, v, intid, _off, len) => {
  const c = cpuOf(g, v);
  let val = 0;
  for (let i = 0; i < len * 8; i++) {
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b?.group[intid + i - b.base]) val |= 1 << i;
  }
  return val >>> 0;
};

export const writeGroup: RegWrite = (g, v, intid, _off, len, val) => {
  const c = cpuOf(g, v);
  for (let i = 0; i < len * 8; i++) {
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b === null) continue;
    const k = intid + i - b.base;
    b.group[k] = (val >>> i) & 1;
    update(g, b, k);
  }
};

/** The one-bit-per-IRQ state flags that the set/clear register pairs (ISENABLER/ICENABLER, ISACTIVER/ICACTIVER) drive. */
type BitFlag = 'enabled' | 'active';

/** Reads `flag` for `len * 8` IRQs from `intid` (bit i = IRQ intid + i). */
function readFlags(g: Vgic, v: VcpuGic | null, intid: number, len: number, flag: BitFlag): number {
  const c = cpuOf(g, v);
  let val = 0;
  for (let i = 0; i < len * 8; i++) {
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b?.[flag][intid + i - b.base]) val |= 1 << i;
  }
  return val >>> 0;
}

/** Sets `flag` to `on` for the IRQs whose bit is set in `val` (a write-1-to-set or write-1-to-clear register). */
function setFlags(g: Vgic, v: VcpuGic | null, intid: number, len: number, val: number, flag: BitFlag, on: number): void {
  const c = cpuOf(g, v);
  let m = val >>> 0;
  if (len < 4) m &= (1 << (len * 8)) - 1;
  while (m) {
    const i = 31 - Math.clz32(m & -m);
    m &= m - 1;
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b === null) continue;
    const k = intid + i - b.base;
    b[flag][k] = on;
    update(g, b, k);
  }
}

export const readEnable: RegRead = (g, v, intid, _off, len) => readFlags(g, v, intid, len, 'enabled');
export const writeSEnable: RegWrite = (g, v, intid, _off, len, val) => setFlags(g, v, intid, len, val, 'enabled', 1);
export const writeCEnable: RegWrite = (g, v, intid, _off, len, val) => setFlags(g, v, intid, len, val, 'enabled', 0);

/** Guest view of pending: irq_is_pending (latch, or line for level IRQs). */
export const readPending: RegRead = (g, v, intid, _off, len) => {
  const c = cpuOf(g, v);
  let val = 0;
  for (let i = 0; i < len * 8; i++) {
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b === null) continue;
    const k = intid + i - b.base;
    if (b.latch[k] === 1 || (b.level[k] === 1 && b.line[k] === 1)) val |= 1 << i;
  }
  return val >>> 0;
};

/** Userspace view: the latch on GICv3 (line levels go through LEVEL_INFO), irq_is_pending on GICv2. */
export const ureadPending: RegRead = (g, v, intid, off, len) => {
  if (!g.v3) return readPending(g, v, intid, off, len);
  const c = cpuOf(g, v);
  let val = 0;
  for (let i = 0; i < len * 8; i++) {
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b?.latch[intid + i - b.base]) val |= 1 << i;
  }
  return val >>> 0;
};

/**
 * ISPENDR (on = 1) / ICPENDR (on = 0): sets or clears the pending latch of the IRQs whose bit is
 * set in `val`. GICv2 SGI bits are WI from the guest; from userspace a set adds the accessing
 * vCPU as a source and a clear drops every source, as KVM does.
 */
function writePendingLatch(g: Vgic, v: VcpuGic | null, intid: number, len: number, val: number, user: boolean, on: number): void {
  const c = cpuOf(g, v);
  let m = val >>> 0;
  if (len < 4) m &= (1 << (len * 8)) - 1;
  while (m) {
    const i = 31 - Math.clz32(m & -m);
    m &= m - 1;
    const id = intid + i;
    const b = c === null && id < 32 ? null : g.bank(c!, id);
    if (b === null) continue;
    const k = id - b.base;
    if (g.v2 && id < VGIC_NR_SGIS) {
      if (!user) continue;
      b.sources[k] = on ? (b.sources[k]! | (1 << c!.vcpu.id)) & 0xff : 0;
    }
    b.latch[k] = on;
    update(g, b, k);
  }
}
const setPending = (g: Vgic, v: VcpuGic | null, intid: number, len: number, val: number, user: boolean): void =>
  writePendingLatch(g, v, intid, len, val, user, 1);
const clearPending = (g: Vgic, v: VcpuGic | null, intid: number, len: number, val: number, user: boolean): void =>
  writePendingLatch(g, v, intid, len, val, user, 0);

export const writeSPending: RegWrite = (g, v, intid, _off, len, val) => setPending(g, v, intid, len, val, false);
/**
 * Userspace ISPENDR write. GICv3: sets the latch to the written value (set and clear bits, see
 * arm-vgic-v3.rst); GICv2: sets only (an SGI gets the accessing vCPU as source).
 */
export const uwriteSPending: RegUWrite = (g, v, intid, _off, len, val) => {
  if (!g.v3) {
    setPending(g, v, intid, len, val, true);
    return 0;
  }
  const c = cpuOf(g, v);
  for (let i = 0; i < len * 8; i++) {
    const id = intid + i;
    const b = c === null && id < 32 ? null : g.bank(c!, id);
    if (b === null) continue;
    const k = id - b.base;
    b.latch[k] = (val >>> i) & 1;
    update(g, b, k);
  }
  return 0;
};
export const writeCPending: RegWrite = (g, v, intid, _off, len, val) => clearPending(g, v, intid, len, val, false);
export const uwriteCPending: RegUWrite = (g, v, intid, _off, len, val) => {
  clearPending(g, v, intid, len, val, true);
  return 0;
};

export const readActive: RegRead = (g, v, intid, _off, len) => readFlags(g, v, intid, len, 'active');

function setActive(g: Vgic, v: VcpuGic | null, intid: number, len: number, val: number, on: number): void {
  setFlags(g, v, intid, len, val, 'active', on);
}
export const writeSActive: RegWrite = (g, v, intid, _off, len, val) => setActive(g, v, intid, len, val, 1);
export const writeCActive: RegWrite = (g, v, intid, _off, len, val) => setActive(g, v, intid, len, val, 0);
export const uwriteSActive: RegUWrite = (g, v, intid, _off, len, val) => {
  setActive(g, v, intid, len, val, 1);
  return 0;
};
export const uwriteCActive: RegUWrite = (g, v, intid, _off, len, val) => {
  setActive(g, v, intid, len, val, 0);
  return 0;
};

export const readPriority: RegRead = (g, v, intid, _off, len) => {
  const c = cpuOf(g, v);
  let val = 0;
  for (let i = 0; i < len; i++) {
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b !== null) val |= b.priority[intid + i - b.base]! << (8 * i);
  }
  return val >>> 0;
};

/**
 * IPRIORITYR. The priority is not an input of whether an IRQ can be signalled (delivery.ts
 * `update`: enabled, not active, targeted, pending), only of the level a filed one sits at, so
 * only an IRQ filed in a pending set (`inV >= 0`) is re-filed; for any other one `update` has
 * nothing to do.
 */
export const writePriority: RegWrite = (g, v, intid, _off, len, val) => {
  const c = cpuOf(g, v);
  for (let i = 0; i < len; i++) {
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b === null) continue;
    const k = intid + i - b.base;
    b.priority[k] = (val >>> (8 * i)) & 0xf8;
    if (b.inV[k]! >= 0) update(g, b, k);
  }
};

/** ICFGR: 2 bits per IRQ, bit 2i+1 set = edge. */
export const readConfig: RegRead = (g, v, intid, _off, len) => {
  const c = cpuOf(g, v);
  let val = 0;
  for (let i = 0; i < len * 4; i++) {
    const b = c === null && intid + i < 32 ? null : g.bank(c!, intid + i);
    if (b !== null && b.level[intid + i - b.base] === 0) val |= 2 << (2 * i);
  }
  return val >>> 0;
};

/** SGI and PPI configuration is read-only (KVM keeps PPIs level for the arch timer). */
export const writeConfig: RegWrite = (g, v, intid, _off, len, val) => {
  const c = cpuOf(g, v);
  for (let i = 0; i < len * 4; i++) {
    const id = intid + i;
    if (id < VGIC_NR_PRIVATE_IRQS) continue;
    const b = g.bank(c!, id);
    if (b === null) continue;
    const k = id - b.base;
    b.level[k] = (val >>> (2 * i + 1)) & 1 ? 0 : 1;
    update(g, b, k);
  }
};
