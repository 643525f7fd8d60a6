/**
 * GSI routing (KVM_SET_GSI_ROUTING) and injection through it (kvm_set_irq): the generic part.
 * The irqchip supplies the pin count and the set functions.
 * @packageDocumentation
 */
import type { IrqChip } from './plugin.js';
import type { KvmIrqRoutingEntry } from './uapi/structs.js';
import { EINVAL } from './uapi/errno.js';
import {
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_MAX_IRQ_ROUTES,
  KVM_MSI_VALID_DEVID,
} from './uapi/kvm.js';

/** One installed route (flattened; no per-injection allocation). */
interface Route {
  type: number;
  a: number; // irqchip | address_lo
  b: number; // pin | address_hi
  c: number; // data
  d: number; // devid
  flags: number;
}

/** The VM's routing table: routes grouped by GSI. */
export class IrqRouting {
  private byGsi: (Route[] | undefined)[] = [];
  private count = 0;

  /** Number of installed entries. */
  get size(): number {
    return this.count;
  }

  /**
   * Validates and installs a whole table (kvm_set_irq_routing). Returns 0 or -EINVAL; on error
   * the old table stays.
   */
  set(chip: IrqChip | null, entries: readonly KvmIrqRoutingEntry[], flags: number): number {
    if (entries.length > KVM_MAX_IRQ_ROUTES || flags !== 0) return -EINVAL;
    if (entries.length > 0 && chip === null) return -EINVAL;
    if (chip?.canSetRouting && !chip.canSetRouting()) return -EINVAL;
    const next: (Route[] | undefined)[] = [];
    for (const e of entries) {
      if (e.gsi >= KVM_MAX_IRQ_ROUTES) return -EINVAL;
      let r: Route;
      if ('pin' in e && e.type === KVM_IRQ_ROUTING_IRQCHIP) {
        if (e.flags !== 0 || !chip) return -EINVAL;
        if (e.irqchip >= (chip.numIrqchips ?? 1) || e.pin >= chip.numPins) return -EINVAL;
        r = { type: e.type, a: e.irqchip, b: e.pin, c: 0, d: 0, flags: 0 };
        // a GSI may map to at most one pin per irqchip
        const same = next[e.gsi];
        if (same && same.some((x) => x.type === KVM_IRQ_ROUTING_IRQCHIP && x.a === e.irqchip)) return -EINVAL;
      } else if ('data' in e && e.type === KVM_IRQ_ROUTING_MSI) {
        if (!chip?.msi) return -EINVAL;
        if (e.flags & ~KVM_MSI_VALID_DEVID) return -EINVAL;
        if (e.flags & KVM_MSI_VALID_DEVID && !chip.msiDevid) return -EINVAL;
        r = { type: e.type, a: e.addressLo, b: e.addressHi, c: e.data, d: e.devid, flags: e.flags };
      } else {
        return -EINVAL;
      }
      (next[e.gsi] ??= []).push(r);
    }
    this.byGsi = next;
    this.count = entries.length;
    return 0;
  }

  /** Drops every route. */
  clear(): void {
    this.byGsi = [];
    this.count = 0;
  }

  /** Whether any route exists for `gsi`. */
  has(gsi: number): boolean {
    return (this.byGsi[gsi]?.length ?? 0) > 0;
  }

  /**
   * kvm_set_irq: fires every route of `gsi`. Returns -1 when the GSI has no route, else the
   * largest result of the routes (>0 delivered, 0 coalesced).
   */
  fire(chip: IrqChip, gsi: number, level: number): number {
    const rs = this.byGsi[gsi];
    if (rs === undefined || rs.length === 0) return -1;
    let ret = -1;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      let v: number;
      if (r.type === KVM_IRQ_ROUTING_IRQCHIP) v = chip.setPin ? chip.setPin(r.a, r.b, level) : -1;
      else if (level) v = chip.setMsi ? chip.setMsi(r.a, r.b, r.c, r.flags, r.d) : -1;
      else v = -1; // MSIs fire on the rising edge only
      if (v > ret || (v >= 0 && ret < 0)) ret = v;
    }
    return ret;
  }
}
