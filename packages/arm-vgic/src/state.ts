/**
 * The vGIC state as plain typed arrays: one {@link IrqBank} per vCPU for its 32 private IRQs
 * and one for the SPIs, the per-vCPU CPU interface ({@link CpuIf}), the per-vCPU pending
 * structure used by delivery ({@link PendingSet}), and the VM-wide {@link Vgic}.
 * @packageDocumentation
 */
import type { Vcpu, Vm } from '@kvmdev/core/plugin';
import { ARM_VCPU, affinityKey } from './arm64/vcpu-state.js';
import type { ArmVm } from './arm64/vm-state.js';
import {
  KVM_DEV_TYPE_ARM_VGIC_V2,
  KVM_DEV_TYPE_ARM_VGIC_V3,
  KVM_VGIC_IMP_REV_LATEST,
  VGIC_NR_PRIVATE_IRQS,
  VGIC_NR_SGIS,
} from './uapi.js';

/** Interrupt state of `n` consecutive INTIDs starting at `base`. */
export class IrqBank {
  readonly n: number;
  /** INTID of index 0 (0 for private banks, 32 for the SPI bank). */
  readonly base: number;
  /** Priority, already masked to 5 bits (`& 0xf8`). */
  readonly priority: Uint8Array;
  readonly group: Uint8Array;
  /** 1 = level-sensitive, 0 = edge (KVM's VGIC_CONFIG_EDGE is 0). */
  readonly level: Uint8Array;
  readonly enabled: Uint8Array;
  /** The pending latch (edge events, ISPENDR writes). */
  readonly latch: Uint8Array;
  /** The input line level (level-sensitive IRQs). */
  readonly line: Uint8Array;
  readonly active: Uint8Array;
  /** GICv2 ITARGETSR byte. */
  readonly targets: Uint8Array;
  /** GICv3 IROUTER Aff2.Aff1.Aff0 (bits 23:0). */
  readonly mpidr: Uint32Array;
  /** vCPU index the IRQ is delivered to, -1 for none. */
  readonly target: Int16Array;
  /** GICv2 SGI source-CPU bitmaps (private banks only). */
  readonly sources: Uint8Array;
  /** GICv2 SGI source of the active instance. */
  readonly activeSource: Uint8Array;
  /** Delivery bookkeeping: the vCPU index whose pending set holds the IRQ (-1 none), its group and level there. */
  readonly inV: Int16Array;
  readonly inG: Uint8Array;
  readonly inL: Uint8Array;

  constructor(n: number, base: number) {
    this.n = n;
    this.base = base;
    const ns = base === 0 ? VGIC_NR_SGIS : 0;
    // every field is a view on one buffer (u32 first, then i16, then u8: each view aligned)
    const buf = new ArrayBuffer(4 * n + 2 * 2 * n + 12 * n + 2 * ns);
    let o = 0;
    const u32 = (): Uint32Array => {
      const a = new Uint32Array(buf, o, n);
      o += 4 * n;
      return a;
    };
    const i16 = (): Int16Array => {
      const a = new Int16Array(buf, o, n);
      o += 2 * n;
      return a;
    };
    const u8 = (len: number): Uint8Array => {
      const a = new Uint8Array(buf, o, len);
      o += len;
      return a;
    };
    this.mpidr = u32();
    this.target = i16().fill(-1);
    this.inV = i16().fill(-1);
    this.priority = u8(n);
    this.group = u8(n);
    this.level = u8(n);
    this.enabled = u8(n);
    this.latch = u8(n);
    this.line = u8(n);
    this.active = u8(n);
    this.targets = u8(n);
    this.inG = u8(n);
    this.inL = u8(n);
    this.sources = u8(ns);
    this.activeSource = u8(ns);
  }
}

/** The virtual CPU interface (KVM's VMCR plus SRE, priority bits and active priorities). */
export class CpuIf {
  grpen0 = 0;
  grpen1 = 0;
  ackctl = 0;
  fiqen = 0;
  cbpr = 0;
  eoim = 0;
  /** Priority mask, 8-bit register format. */
  pmr = 0;
  /** BPR (v2) / ICC_BPR0_EL1 (v3). */
  bpr = 0;
  /** ABPR (v2) / ICC_BPR1_EL1 (v3). */
  abpr = 0;
  sre = 0;
  numPriBits: number;
  numIdBits: number;
  /** The host's ICH_VTR_EL2.SEIS and A3V (ICC_CTLR_EL1 reports them; a restore must match). */
  readonly seis: number;
  readonly a3v: number;
  /** Active priorities: AP0R0..3 and AP1R0..3 (v2 APRn live in ap1r). */
  readonly ap0r = new Uint32Array(4);
  readonly ap1r = new Uint32Array(4);
  private readonly hostPriBits: number;
  private readonly hostIdBits: number;

  constructor(priBits: number, idBits: number, seis = 0, a3v = 1) {
    this.numPriBits = this.hostPriBits = priBits;
    this.numIdBits = this.hostIdBits = idBits;
    this.seis = seis;
    this.a3v = a3v;
  }

  /** kvm_vgic_vcpu_enable / vgic_v3_reset: VMCR := 0, SRE := 7 on v3, the host's priority and ID bits. */
  reset(v3: boolean): void {
    this.grpen0 = this.grpen1 = this.ackctl = this.fiqen = this.cbpr = this.eoim = 0;
    this.pmr = this.bpr = this.abpr = 0;
    this.sre = v3 ? 0x7 : 0;
    this.numPriBits = this.hostPriBits;
    this.numIdBits = this.hostIdBits;
  }
}

/** PendingSet.data layout: [group] level masks, then [group][level] slot numbers (0 = none), then the slots. */
export const PENDING_SLOT_OF = 2;
/** PendingSet.data: where the slots start (after the level masks and the slot table). */
export const PENDING_SLOTS = 2 + 64;

/**
 * The IRQs that can currently be signalled to one vCPU (pending, enabled, not active, targeted
 * here), bucketed by group (2) and priority level (32 levels of the 5-bit priority), as
 * bitmaps over the vGIC's INTIDs with a two-level summary. Insert, remove and "highest" are O(1).
 *
 * Memory: a (group, level) gets its bitmap (a slot: one non-empty-word mask, then `words` u32
 * words) the first time an IRQ is filed there, so an idle vCPU holds no bitmap at all and a
 * busy one only those of the priorities it has seen; `words` is 1 (the private INTIDs) until
 * vgic_init fixes nr_irqs ({@link PendingSet.resize}: SPIs exist only after vgic_init). All of
 * it is one Uint32Array.
 */
export class PendingSet {
  /** u32 words per bitmap. */
  words = 1;
  /** Slots in use. */
  slots = 0;
  /** The level masks, the slot table, then the slots (`words + 1` u32 each). */
  data = new Uint32Array(PENDING_SLOTS);

  /** Grows the bitmaps to cover `nrIrqs` INTIDs (vgic_init), keeping their contents. */
  resize(nrIrqs: number): void {
    const words = Math.max(1, (nrIrqs + 31) >>> 5);
    if (words <= this.words) return;
    this.relayout(words, this.slots);
    this.words = words;
  }

  private relayout(words: number, cap: number): void {
    const old = this.data;
    const os = this.words + 1;
    const ns = words + 1;
    const d = new Uint32Array(PENDING_SLOTS + cap * ns);
    d.set(old.subarray(0, PENDING_SLOTS));
    for (let k = 0; k < this.slots; k++) d.set(old.subarray(PENDING_SLOTS + k * os, PENDING_SLOTS + (k + 1) * os), PENDING_SLOTS + k * ns);
    this.data = d;
  }

  /** Allocates (g, l)'s slot (`gl` = g * 32 + l) on its first use; returns its number. Off the per-event path (add inlines without it). */
  newSlot(gl: number): number {
    const ns = this.words + 1;
    if (PENDING_SLOTS + (this.slots + 1) * ns > this.data.length) this.relayout(this.words, Math.min(64, Math.max(2, this.slots * 2)));
    const k = ++this.slots;
    this.data[PENDING_SLOT_OF + gl] = k;
    return k;
  }

  add(g: number, l: number, intid: number): void {
    const gl = g * 32 + l;
    let k = this.data[PENDING_SLOT_OF + gl]!;
    if (k === 0) k = this.newSlot(gl);
    const d = this.data;
    const o = PENDING_SLOTS + (k - 1) * (this.words + 1);
    const w = intid >>> 5;
    d[o + 1 + w] |= 1 << (intid & 31);
    d[o] |= 1 << w;
    d[g] |= 1 << l;
  }

  remove(g: number, l: number, intid: number): void {
    const d = this.data;
    const k = d[PENDING_SLOT_OF + g * 32 + l]!;
    if (k === 0) return;
    const o = PENDING_SLOTS + (k - 1) * (this.words + 1);
    const w = intid >>> 5;
    const i = o + 1 + w;
    const nv = d[i]! & ~(1 << (intid & 31));
    d[i] = nv;
    if (nv === 0) {
      const s = d[o]! & ~(1 << w);
      d[o] = s;
      if (s === 0) d[g] = d[g]! & ~(1 << l);
    }
  }

  /** Highest-priority level of group g, or -1. */
  topLevel(g: number): number {
    const m = this.data[g]!;
    return m === 0 ? -1 : 31 - Math.clz32(m & -m); // ctz, written out
  }

  /** Lowest INTID at (g, l); the level must be non-empty. */
  first(g: number, l: number): number {
    const d = this.data;
    const o = PENDING_SLOTS + (d[PENDING_SLOT_OF + g * 32 + l]! - 1) * (this.words + 1);
    const s = d[o]!;
    const w = 31 - Math.clz32(s & -s);
    const x = d[o + 1 + w]!;
    return (w << 5) | (31 - Math.clz32(x & -x));
  }

  /** Empties the set (the slots stay allocated). */
  clear(): void {
    const d = this.data;
    d[0] = 0;
    d[1] = 0;
    d.fill(0, PENDING_SLOTS);
  }
}

/**
 * The VM's LPIs as delivery sees them (the ITS code's LpiTable implements it): per INTID, whether
 * the LPI exists, its priority, enable, pending latch and target vCPU index, and the delivery
 * bookkeeping (the vCPU and level whose pending set holds it).
 */
export interface LpiState {
  readonly refs: Uint32Array;
  readonly priority: Uint8Array;
  readonly enabled: Uint8Array;
  readonly latch: Uint8Array;
  readonly target: Int16Array;
  readonly inV: Int16Array;
  readonly inL: Uint8Array;
}

/** Words of one LPI level bitmap: 2 top words, 64 summary words, 2048 words (65536 INTIDs). */
const LPI_TOP = 0;
const LPI_MID = 2;
const LPI_LOW = 2 + 64;
const LPI_SLOT = 2 + 64 + 2048;

/**
 * The LPIs that can be signalled to one vCPU (group 1 always), bucketed by the 32 levels of the
 * 5-bit priority, each level a three-level bitmap over the INTID space of the ITS (16 bits), so
 * insert, remove and "lowest INTID of the highest level" are O(1). A level's bitmap (8 KiB) is
 * allocated the first time an LPI of that priority is filed; nothing is allocated after that.
 */
export class LpiPendingSet {
  /** Bit l: level l is non-empty. */
  levels = 0;
  /** Slot number + 1 of each level (0 = none yet). */
  private readonly slotOf = new Uint8Array(32);
  private data = new Uint32Array(0);
  private slots = 0;

  private slot(l: number): number {
    let k = this.slotOf[l]!;
    if (k === 0) {
      const d = new Uint32Array((this.slots + 1) * LPI_SLOT);
      d.set(this.data);
      this.data = d;
      k = ++this.slots;
      this.slotOf[l] = k;
    }
    return (k - 1) * LPI_SLOT;
  }

  add(l: number, intid: number): void {
    const o = this.slot(l);
    const d = this.data;
    const w = intid >>> 5;
    const m = w >>> 5;
    d[o + LPI_LOW + w] |= 1 << (intid & 31);
    d[o + LPI_MID + m] |= 1 << (w & 31);
    d[o + LPI_TOP + (m >>> 5)] |= 1 << (m & 31);
    this.levels |= 1 << l;
  }

  remove(l: number, intid: number): void {
    const k = this.slotOf[l]!;
    if (k === 0) return;
    const o = (k - 1) * LPI_SLOT;
    const d = this.data;
    const w = intid >>> 5;
    const lw = d[o + LPI_LOW + w]! & ~(1 << (intid & 31));
    d[o + LPI_LOW + w] = lw;
    if (lw !== 0) return;
    const m = w >>> 5;
    const mw = d[o + LPI_MID + m]! & ~(1 << (w & 31));
    d[o + LPI_MID + m] = mw;
    if (mw !== 0) return;
    const t = m >>> 5;
    const tw = d[o + LPI_TOP + t]! & ~(1 << (m & 31));
    d[o + LPI_TOP + t] = tw;
    if (tw === 0 && d[o + LPI_TOP + (t ^ 1)] === 0) this.levels &= ~(1 << l);
  }

  /** Highest-priority non-empty level, or -1. */
  topLevel(): number {
    const m = this.levels;
    return m === 0 ? -1 : ctz(m);
  }

  /** Lowest INTID at level `l` (which must be non-empty). */
  first(l: number): number {
    const o = (this.slotOf[l]! - 1) * LPI_SLOT;
    const d = this.data;
    const t = d[o + LPI_TOP] !== 0 ? 0 : 1;
    const m = (t << 5) | ctz(d[o + LPI_TOP + t]!);
    const w = (m << 5) | ctz(d[o + LPI_MID + m]!);
    return (w << 5) | ctz(d[o + LPI_LOW + w]!);
  }
}

/** Index of the lowest set bit of a non-zero u32. */
export function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** A redistributor region (GICv3). `count` 0 = the legacy single region sized by the vCPU count. */
export interface RdistRegion {
  readonly index: number;
  readonly base: number;
  readonly count: number;
  freeIndex: number;
}

/** Per-vCPU vGIC state. */
export class VcpuGic {
  readonly vcpu: Vcpu;
  readonly priv = new IrqBank(VGIC_NR_PRIVATE_IRQS, 0);
  readonly cpu: CpuIf;
  readonly pend = new PendingSet();
  /** MPIDR_EL1 bits 31:0 as the vGIC last saw it (0 until KVM_ARM_VCPU_INIT resets it). */
  mpidr = 0;
  /** Aff2.Aff1.Aff0 (bits 23:0) of the MPIDR (GICR_TYPER[55:32]). */
  aff = 0;
  /** Aff3.Aff2.Aff1.Aff0: the key a GICv3 attr's upper half looks the vCPU up by. */
  affKey = 0;
  /** GICv3: assigned redistributor region and slot in it. */
  rdreg: RdistRegion | null = null;
  rdregIndex = 0;
  /** GICR_PENDBASER halves. */
  pendbaserLo = 0;
  pendbaserHi = 0;
  /** GICR_CTLR stored bits (EnableLPIs, needs an ITS). */
  gicrCtlr = 0;
  /** The LPIs deliverable to this vCPU (made when the first one is filed). */
  lpi: LpiPendingSet | null = null;
  /** KVM_ARM_VCPU_INIT done. */
  armInit = false;

  constructor(vcpu: Vcpu, priBits: number, idBits: number, seis = 0, a3v = 1) {
    this.vcpu = vcpu;
    this.cpu = new CpuIf(priBits, idBits, seis, a3v);
    this.syncAffinity();
  }

  /** Re-reads the vCPU's MPIDR_EL1 (kvm_vcpu_get_mpidr_aff). */
  syncAffinity(): void {
    const a = this.vcpu.slot(ARM_VCPU);
    const lo = a?.mpidrLo ?? 0;
    const hi = a?.mpidrHi ?? 0;
    this.mpidr = lo;
    this.aff = lo & 0xffffff;
    this.affKey = affinityKey(lo, hi);
  }

  get index(): number {
    return this.vcpu.index;
  }
}

/**
 * What the vGIC asks of the VM's ITSes (`vgic_has_its`): MSI injection for GSI routing and
 * KVM_SIGNAL_MSI, and the LPI side of the redistributors. Null on a vGIC without an ITS (or a
 * GICv2), where MSIs are ENODEV and GICR_CTLR.EnableLPIs is RAZ/WI.
 */
export interface MsiController {
  /** vgic_its_inject_msi: 1 delivered, 0 blocked, or -errno. */
  injectMsi(addressLo: number, addressHi: number, data: number, flags: number, devid: number): number;
  /** vgic_its_inject_cached_translation: 0 (made pending) or -EAGAIN (not cached: take the slow path). */
  injectCached(addressLo: number, addressHi: number, data: number, devid: number): number;
  /** A GICR_CTLR write (EnableLPIs). */
  writeGicrCtlr(v: VcpuGic, val: number): void;
  /** A GICR_INVLPIR write (the INTID). */
  invLpi(v: VcpuGic, intid: number): void;
  /** A GICR_INVALLR write. */
  invAll(v: VcpuGic): void;
  /** KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, the LPI part: 0 or -errno. */
  savePendingTables(): number;
}

/** The VM-wide vGIC (`struct vgic_dist`). */
export class Vgic {
  readonly vm: Vm;
  /** KVM_DEV_TYPE_ARM_VGIC_V2 or _V3. */
  readonly model: number;
  initialized = false;
  ready = false;
  nrSpis = 0;
  implementationRev = KVM_VGIC_IMP_REV_LATEST;
  v2GroupsUserWritable = false;
  /** Distributor enable (GICD_CTLR Enable / EnableGrp1A). */
  enabled = 0;
  /** Addresses; -1 = VGIC_ADDR_UNDEF. */
  distBase = -1;
  cpuBase = -1;
  readonly rdRegions: RdistRegion[] = [];
  /** `kvm->arch` of the VM: host profile, ITS presence, the shared GICR_PROPBASER. */
  readonly arm: ArmVm;
  /** GICD_TYPER2.nASSGIcap (only a GICv4.1 host could set it; no profile has one). */
  nassgicap = 0;
  maintIrq = 0;
  /** SPI bank, allocated by vgic_init. */
  spis: IrqBank = new IrqBank(0, VGIC_NR_PRIVATE_IRQS);
  /** Per-vCPU state in vCPU index order. */
  readonly cpus: VcpuGic[] = [];
  /** GICv3 affinity → vCPU lookup. */
  readonly byAff = new Map<number, VcpuGic>();
  /** A device fd was created for this vGIC (as opposed to KVM_CREATE_IRQCHIP). */
  hasDevice = false;
  /** The ITSes' MSI and LPI side once an ITS exists on this GICv3 (`vgic_has_its`), else null. */
  msi: MsiController | null = null;
  /** The VM's LPIs (the `lpi_xa` of struct vgic_dist) once an ITS exists, else null. */
  lpis: LpiState | null = null;

  /** A GICv3 (`model` is KVM_DEV_TYPE_ARM_VGIC_V3). A field, not a getter: the delivery paths test it per event. */
  readonly v3: boolean;
  /** A GICv2 (`model` is KVM_DEV_TYPE_ARM_VGIC_V2). */
  readonly v2: boolean;

  constructor(vm: Vm, model: number, arm: ArmVm) {
    this.vm = vm;
    this.model = model;
    this.arm = arm;
    this.v3 = model === KVM_DEV_TYPE_ARM_VGIC_V3;
    this.v2 = model === KVM_DEV_TYPE_ARM_VGIC_V2;
  }

  /** GICR_PROPBASER halves (VM-wide, `kvm->arch.vgic.propbaser`). */
  get propbaserLo(): number {
    return this.arm.propbaserLo;
  }
  set propbaserLo(v: number) {
    this.arm.propbaserLo = v >>> 0;
  }
  get propbaserHi(): number {
    return this.arm.propbaserHi;
  }
  set propbaserHi(v: number) {
    this.arm.propbaserHi = v >>> 0;
  }
  /** vgic_has_its: a GICv3 on a VM with an ITS. */
  get hasIts(): boolean {
    return this.v3 && this.arm.hasIts;
  }

  /** Rebuilds the affinity → vCPU lookup after an MPIDR_EL1 change (the first vCPU with a key wins, as kvm_mpidr_to_vcpu's walk). */
  syncAffinities(): void {
    this.byAff.clear();
    for (const v of this.cpus) {
      v.syncAffinity();
      if (!this.byAff.has(v.affKey)) this.byAff.set(v.affKey, v);
    }
  }

  /** nr_spis + 32 (32 before anything is set). */
  get nrIrqs(): number {
    return this.nrSpis + 32; // VGIC_NR_PRIVATE_IRQS (a literal: read on every guest distributor access)
  }
  /** The bank holding `intid` as seen from vCPU `v`, or null for an INTID that does not exist. */
  bank(v: VcpuGic, intid: number): IrqBank | null {
    // 32 = VGIC_NR_PRIVATE_IRQS, as a literal: an imported constant is a load and a check per use in optimised code
    if (intid < 32) return v.priv;
    return intid - 32 < this.spis.n ? this.spis : null;
  }
}

/** Allocates and resets the private IRQs of a vCPU (vgic_allocate_private_irqs_locked). */
export function resetPrivateIrqs(g: Vgic, v: VcpuGic): void {
  const b = v.priv;
  for (let i = 0; i < VGIC_NR_PRIVATE_IRQS; i++) {
    b.priority[i] = 0;
    b.latch[i] = 0;
    b.line[i] = 0;
    b.active[i] = 0;
    b.mpidr[i] = 0;
    if (i < VGIC_NR_SGIS) {
      b.enabled[i] = 1;
      b.level[i] = 0;
    } else {
      b.enabled[i] = 0;
      b.level[i] = 1;
    }
    if (g.model === KVM_DEV_TYPE_ARM_VGIC_V3) {
      b.group[i] = 1;
      b.mpidr[i] = v.aff;
    } else {
      b.group[i] = 0;
      b.targets[i] = (1 << v.vcpu.id) & 0xff;
    }
    b.target[i] = v.index;
  }
  b.sources.fill(0);
  b.activeSource.fill(0);
}
