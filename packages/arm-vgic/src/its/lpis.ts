/**
 * The VM's LPIs (`dist->lpi_xa` and the LPI side of struct vgic_irq): one entry per INTID in
 * typed arrays indexed by the INTID, grown as higher INTIDs are mapped. An LPI exists while an
 * ITE maps it; its priority and enable come from the property table in guest memory (read when it
 * is mapped and on INV/INVALL), its pending bit from the pending table of its target (read when it
 * is mapped, and on EnableLPIs). Delivery is `updateLpi` in the vGIC's delivery code.
 * @packageDocumentation
 */
import { EEXIST } from '@kvmdev/core';
import { updateLpi } from '../delivery.js';
import type { LpiState, Vgic } from '../state.js';
import { GIC_LPI_OFFSET, LPI_INTID_LIMIT, LPI_PROP_ENABLED, LPI_PROP_PRIORITY_MASK } from './defs.js';

const TWO32 = 4294967296;

/** The LPI state of a VM. */
export class LpiTable implements LpiState {
  /** Entries allocated (a power of two, at most 65536). */
  cap = 0;
  /** ITEs mapping the LPI (0: the LPI does not exist). */
  refs = new Uint32Array(0);
  /** Priority from the property byte (`& 0xfc`). */
  priority = new Uint8Array(0);
  enabled = new Uint8Array(0);
  /** The pending latch (LPIs are edge-triggered). */
  latch = new Uint8Array(0);
  /** vCPU index the LPI targets (`irq->target_vcpu`), -1 for none (unmapped collection). */
  target = new Int16Array(0);
  /** Delivery bookkeeping: the vCPU whose pending set holds the LPI (-1 none) and the level there. */
  inV = new Int16Array(0);
  inL = new Uint8Array(0);
  /** Number of LPIs that exist. */
  count = 0;
  /** One past the highest INTID ever mapped (iteration bound). */
  hi = GIC_LPI_OFFSET;

  /** Makes room for `intid`. */
  ensure(intid: number): void {
    if (intid < this.cap) return;
    let n = Math.max(this.cap, 16384);
    while (n <= intid) n *= 2;
    n = Math.min(n, LPI_INTID_LIMIT);
    const grow = <T extends Uint8Array | Uint32Array | Int16Array>(a: T, make: (n: number) => T, fill?: number): T => {
      const b = make(n);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.refs = grow(this.refs, (k) => new Uint32Array(k));
    this.priority = grow(this.priority, (k) => new Uint8Array(k));
    this.enabled = grow(this.enabled, (k) => new Uint8Array(k));
    this.latch = grow(this.latch, (k) => new Uint8Array(k));
    this.target = grow(this.target, (k) => new Int16Array(k), -1);
    this.inV = grow(this.inV, (k) => new Int16Array(k), -1);
    this.inL = grow(this.inL, (k) => new Uint8Array(k));
    this.cap = n;
  }

  /** Whether LPI `intid` exists. */
  exists(intid: number): boolean {
    return intid >= GIC_LPI_OFFSET && intid < this.cap && this.refs[intid] !== 0;
  }

  /** The existing LPIs, in INTID order, that target vCPU index `vcpu` (any target with -2). */
  list(vcpu: number): number[] {
    const out: number[] = [];
    for (let i = GIC_LPI_OFFSET; i < this.hi; i++) if (this.refs[i] !== 0 && (vcpu === -2 || this.target[i] === vcpu)) out.push(i);
    return out;
  }
}

/** What the LPI code needs from the VM: guest memory, the property table base and the vGIC. */
export interface LpiHost {
  readonly lpis: LpiTable;
  /** GICR_PROPBASER (shared by every redistributor) as halves. */
  propbaserLo(): number;
  propbaserHi(): number;
  /** The VM's GICv3, if any. */
  vgic(): Vgic | undefined;
  readU8(gpa: number): number;
  writeU8(gpa: number, value: number): number;
}

/** GICR_PROPBASER_ADDRESS: bits 51:12. */
export function propbaseAddress(lo: number, hi: number): number {
  return (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
}

/** GICR_PENDBASER_ADDRESS: bits 51:16. */
export function pendbaseAddress(lo: number, hi: number): number {
  return (hi & 0xfffff) * TWO32 + ((lo & 0xffff0000) >>> 0);
}

/** max_lpis_propbaser: 2^min(IDbits + 1, 16). */
export function maxLpis(propLo: number): number {
  return 2 ** Math.min((propLo & 0x1f) + 1, 16);
}

/** Re-files an LPI for delivery (no-op without a GICv3). */
export function refileLpi(h: LpiHost, intid: number): void {
  const g = h.vgic();
  if (g !== undefined) updateLpi(g, h.lpis, intid);
}

/**
 * update_lpi_config: reads the LPI's property byte and applies it (only when the LPI targets
 * `filter`, unless `filter` is -1). 0 or -EFAULT (nothing changes then).
 */
export function updateLpiConfig(h: LpiHost, intid: number, filter: number): number {
  const t = h.lpis;
  const prop = h.readU8(propbaseAddress(h.propbaserLo(), h.propbaserHi()) + intid - GIC_LPI_OFFSET);
  if (prop < 0) return prop;
  if (filter !== -1 && t.target[intid] !== filter) return 0;
  t.priority[intid] = prop & LPI_PROP_PRIORITY_MASK;
  t.enabled[intid] = prop & LPI_PROP_ENABLED;
  refileLpi(h, intid);
  return 0;
}

/** The pending table base of vCPU index `vcpu` (GICR_PENDBASER), or -1 without a vGIC vCPU. */
function pendbase(h: LpiHost, vcpu: number): number {
  const v = h.vgic()?.cpus[vcpu];
  return v === undefined ? 0 : pendbaseAddress(v.pendbaserLo, v.pendbaserHi);
}

/**
 * vgic_v3_lpi_sync_pending_status: the LPI's bit in its target's pending table becomes its
 * pending state, and a set bit is cleared in memory (consumed). 0 or -EFAULT.
 */
export function syncPendingStatus(h: LpiHost, intid: number): number {
  const t = h.lpis;
  const vcpu = t.target[intid]!;
  if (vcpu < 0) return 0;
  const ptr = pendbase(h, vcpu) + (intid >>> 3);
  const val = h.readU8(ptr);
  if (val < 0) return val;
  const bit = 1 << (intid & 7);
  t.latch[intid] = val & bit ? 1 : 0;
  refileLpi(h, intid);
  if (val & bit) return h.writeU8(ptr, val & ~bit);
  return 0;
}

/**
 * vgic_add_lpi for a new mapping: the LPI is created targeting `vcpu` (-1: unmapped collection),
 * its property byte and pending bit are read. 0, or -EEXIST when the LPI is already mapped (the
 * 7.x kernels refuse a second mapping of an LPI), or -EFAULT (the LPI is not created).
 */
export function addLpi(h: LpiHost, intid: number, vcpu: number): number {
  const t = h.lpis;
  if (t.exists(intid)) return -EEXIST;
  t.ensure(intid);
  t.refs[intid] = 1;
  t.latch[intid] = 0;
  t.enabled[intid] = 0;
  t.priority[intid] = 0;
  t.target[intid] = vcpu;
  t.count++;
  if (intid >= t.hi) t.hi = intid + 1;
  let r = updateLpiConfig(h, intid, -1);
  if (r === 0) r = syncPendingStatus(h, intid);
  if (r < 0) putLpi(h, intid);
  return r;
}

/** vgic_put_irq of an ITE's reference: the last one frees the LPI (and it stops being deliverable). */
export function putLpi(h: LpiHost, intid: number): void {
  const t = h.lpis;
  if (t.refs[intid] === 0) return;
  if (--t.refs[intid]! !== 0) return;
  t.count--;
  t.latch[intid] = 0;
  refileLpi(h, intid);
  t.target[intid] = -1;
}

/** update_affinity: the LPI now targets vCPU index `vcpu`. */
export function setLpiTarget(h: LpiHost, intid: number, vcpu: number): void {
  h.lpis.target[intid] = vcpu;
  refileLpi(h, intid);
}
