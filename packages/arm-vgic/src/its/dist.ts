/**
 * The VM-wide ITS side (the LPI and ITS fields of `struct vgic_dist`): the LPIs, the ITSes, MSI
 * translation and injection (vgic-its.c: vgic_its_resolve_lpi, vgic_its_trigger_msi,
 * vgic_its_inject_msi, the translation cache), and the redistributor's LPI registers
 * (GICR_CTLR.EnableLPIs, GICR_INVLPIR/INVALLR) and pending tables (SAVE_PENDING_TABLES).
 * @packageDocumentation
 */
import { EAGAIN, EBUSY, EINVAL, KVM_MSI_VALID_DEVID } from '@kvmdev/core';
import type { Vm } from '@kvmdev/core/plugin';
import { ARM_VM } from '../arm64/vm-state.js';
import type { MsiController, Vgic, VcpuGic } from '../state.js';
import {
  E_ITS_INT_UNMAPPED_INTERRUPT,
  GIC_LPI_OFFSET,
  GICR_PENDBASER_PTZ_BIT,
} from './defs.js';
import { LpiTable, type LpiHost, pendbaseAddress, refileLpi, updateLpiConfig } from './lpis.js';
import { type VgicIts, type ItsRegion, cacheKey, collectionMapped } from './state.js';

const TWO32 = 4294967296;
const GICR_CTLR_ENABLE_LPIS = 1;

/** The ITS side of one VM. */
export class ItsDist implements MsiController, LpiHost {
  readonly vm: Vm;
  readonly lpis = new LpiTable();
  /** The VM's ITSes, in creation order. */
  readonly itses: VgicIts[] = [];
  /** The VM's GICv3 once one exists (`vgic_has_its` needs a GICv3). */
  private g: Vgic | null = null;
  /** Scratch for a first-level table entry (vgic_its_check_id). */
  readonly l1Scratch = new Uint32Array(2);

  constructor(vm: Vm) {
    this.vm = vm;
  }

  // ------------------------------------------------------------------ LpiHost

  vgic(): Vgic | undefined {
    return this.g ?? undefined;
  }
  propbaserLo(): number {
    return this.vm.slot(ARM_VM)?.propbaserLo ?? 0;
  }
  propbaserHi(): number {
    return this.vm.slot(ARM_VM)?.propbaserHi ?? 0;
  }
  readU8(gpa: number): number {
    return this.vm.memory.readU8(gpa);
  }
  writeU8(gpa: number, value: number): number {
    return this.vm.memory.writeU8(gpa, value);
  }

  /** An ITS was created (vgicItsCreated did the VM-wide part): the VM's GICv3, if any, gets the MSI and LPI side. */
  itsCreated(g: Vgic | undefined): void {
    if (g !== undefined) this.attachVgic(g);
  }

  /** A vGIC exists (created now, or before the ITS): a GICv3 gets the MSI and LPI side (`vgic_has_its`). */
  attachVgic(g: Vgic): void {
    if (!g.v3) return;
    this.g = g;
    g.msi = this;
    g.lpis = this.lpis;
  }

  // ------------------------------------------------------------------ translation

  /** __vgic_doorbell_to_its: the ITS whose frame holds the address, or null. */
  doorbell(addressLo: number, addressHi: number): VgicIts | null {
    const r = this.vm.mmio.find(addressHi * TWO32 + (addressLo >>> 0), 1) as ItsRegion | null;
    return r === null || r.its === undefined ? null : r.its;
  }

  /** vgic_lpis_enabled of vCPU index `vcpu`. */
  lpisEnabled(vcpu: number): boolean {
    const v = this.vgic()?.cpus[vcpu];
    return v !== undefined && (v.gicrCtlr & GICR_CTLR_ENABLE_LPIS) !== 0;
  }

  /**
   * vgic_its_resolve_lpi + the pending latch (vgic_its_trigger_msi): 0 (made pending), -EBUSY
   * (ITS disabled, or LPIs off at the target), or a positive E_ITS_* (no mapping). A resolved
   * translation is cached.
   */
  trigger(its: VgicIts, devid: number, eventId: number): number {
    if (!its.enabled) return -EBUSY;
    const ite = its.ite(devid, eventId);
    if (ite === undefined || !collectionMapped(ite.coll)) return E_ITS_INT_UNMAPPED_INTERRUPT;
    const vcpu = ite.coll.target;
    if (vcpu >= this.vm.vcpus.length) return E_ITS_INT_UNMAPPED_INTERRUPT;
    if (!this.lpisEnabled(vcpu)) return -EBUSY;
    its.cache.set(cacheKey(devid, eventId), ite.intid);
    this.lpis.latch[ite.intid] = 1;
    refileLpi(this, ite.intid);
    return 0;
  }

  /** vgic_its_inject_cached_translation: 0 (made pending) or -EAGAIN (-EWOULDBLOCK: no cached translation). No allocation. */
  injectCached(addressLo: number, addressHi: number, data: number, devid: number): number {
    if (devid >>> 0 > 0xffff || data >>> 0 > 0xffff) return -EAGAIN;
    const its = this.doorbell(addressLo, addressHi);
    if (its === null) return -EAGAIN;
    const intid = its.cache.get(cacheKey(devid, data));
    if (intid === undefined) return -EAGAIN;
    this.lpis.latch[intid] = 1;
    refileLpi(this, intid);
    return 0;
  }

  /**
   * vgic_its_inject_msi (KVM_SIGNAL_MSI, MSI routes): the cache first (any flags), then the
   * doorbell (KVM_MSI_VALID_DEVID needed: EINVAL; an address outside every ITS frame: EINVAL)
   * and the full translation. 1 delivered (also to a disabled LPI), 0 when the pair maps nothing,
   * or -errno (EBUSY: the ITS or the target's LPIs are off).
   */
  injectMsi(addressLo: number, addressHi: number, data: number, flags: number, devid: number): number {
    if (this.injectCached(addressLo, addressHi, data, devid) === 0) return 1;
    if (!(flags & KVM_MSI_VALID_DEVID)) return -EINVAL;
    const its = this.doorbell(addressLo, addressHi);
    if (its === null) return -EINVAL;
    const r = this.trigger(its, devid >>> 0, data >>> 0);
    if (r < 0) return r;
    return r ? 0 : 1;
  }

  /** vgic_its_invalidate_all_caches. */
  invalidateAllCaches(): void {
    for (const its of this.itses) its.cache.clear();
  }

  // ------------------------------------------------------------------ redistributors

  /**
   * vgic_mmio_write_v3r_ctlr with an ITS: EnableLPIs 1 → 0 drops the vCPU's pending LPIs from
   * delivery and every translation cache; 0 → 1 reads the pending table (unless PTZ) for the
   * LPIs that target it. Writes that do not change EnableLPIs do nothing.
   */
  writeGicrCtlr(v: VcpuGic, val: number): void {
    if (!(val & GICR_CTLR_ENABLE_LPIS)) {
      if (v.gicrCtlr !== GICR_CTLR_ENABLE_LPIS) return;
      v.gicrCtlr = 0;
      // vgic_flush_pending_lpis: the LPIs stay latched but are no longer deliverable here
      for (const intid of this.lpis.list(v.index)) refileLpi(this, intid);
      this.invalidateAllCaches();
      return;
    }
    if (v.gicrCtlr !== 0) return;
    v.gicrCtlr = GICR_CTLR_ENABLE_LPIS;
    if (!((v.pendbaserHi >>> (GICR_PENDBASER_PTZ_BIT - 32)) & 1)) this.syncPendingTable(v);
    for (const intid of this.lpis.list(v.index)) refileLpi(this, intid);
  }

  /** its_sync_lpi_pending_table: the pending state of the vCPU's LPIs from its table (no write back). Stops at a fault. */
  private syncPendingTable(v: VcpuGic): void {
    const base = pendbaseAddress(v.pendbaserLo, v.pendbaserHi);
    let lastOff = -1;
    let mask = 0;
    for (const intid of this.lpis.list(v.index)) {
      const off = intid >>> 3;
      if (off !== lastOff) {
        mask = this.readU8(base + off);
        if (mask < 0) return;
        lastOff = off;
      }
      this.lpis.latch[intid] = (mask >>> (intid & 7)) & 1;
      refileLpi(this, intid);
    }
  }

  /** GICR_INVLPIR (32-bit low half only, LPIs enabled): INV of one LPI. */
  invLpi(v: VcpuGic, intid: number): void {
    if (!this.lpisEnabled(v.index) || intid < GIC_LPI_OFFSET || !this.lpis.exists(intid)) return;
    updateLpiConfig(this, intid, -1);
  }

  /** GICR_INVALLR / the INVALL command: vgic_its_invall of the vCPU. */
  invAll(v: VcpuGic | number): void {
    const idx = typeof v === 'number' ? v : v.index;
    for (const intid of this.lpis.list(idx)) updateLpiConfig(this, intid, idx);
  }

  /**
   * vgic_v3_save_pending_tables (the LPI part): each LPI's pending state into its target's
   * pending table, in INTID order, writing only bytes whose bit differs. 0 or -EFAULT.
   */
  savePendingTables(): number {
    const t = this.lpis;
    const g = this.vgic();
    let lastPtr = -1;
    let val = 0;
    for (let intid = GIC_LPI_OFFSET; intid < t.hi; intid++) {
      if (t.refs[intid] === 0) continue;
      const vcpu = t.target[intid]!;
      if (vcpu < 0) continue;
      const v = g?.cpus[vcpu];
      const ptr = (v === undefined ? 0 : pendbaseAddress(v.pendbaserLo, v.pendbaserHi)) + (intid >>> 3);
      if (ptr !== lastPtr) {
        val = this.readU8(ptr);
        if (val < 0) return val;
        lastPtr = ptr;
      }
      const bit = 1 << (intid & 7);
      const stored = (val & bit) !== 0;
      const pending = t.latch[intid] === 1;
      if (stored === pending) continue;
      val = pending ? val | bit : val & ~bit;
      const r = this.writeU8(ptr, val);
      if (r < 0) return r;
    }
    return 0;
  }
}
