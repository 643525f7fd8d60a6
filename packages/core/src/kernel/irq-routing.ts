/**
 * GSI routing (KVM_SET_GSI_ROUTING) and injection through it (kvm_set_irq): the generic part.
 * The irqchip supplies the pin count and the set functions.
 * @packageDocumentation
 */
import type { IrqChip } from './ops.js';
import type { KvmIrqRoutingEntry } from '../uapi/structs.js';
import { EAGAIN, EINVAL } from '../uapi/errno.js';
import {
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_MAX_IRQ_ROUTES,
  KVM_MSI_VALID_DEVID,
} from '../uapi/kvm.js';

/** The empty table's arrays, shared (zero-length typed arrays cannot be written). */
const NO_GSI = new Int32Array(1);
const NO_ROWS = new Uint32Array(0);
const NO_TYPES = new Uint8Array(0);

/**
 * The VM's routing table, stored compactly (compressed rows by GSI over typed arrays: a few bytes
 * per route, no object per route) and read without allocating on injection.
 */
export class IrqRouting {
  /** Routes of GSI g are rows first[g] .. first[g+1]-1. */
  private first: Int32Array = NO_GSI;
  /** Route types (KVM_IRQ_ROUTING_IRQCHIP 1, KVM_IRQ_ROUTING_MSI 2: a byte each). */
  private type: Uint8Array = NO_TYPES;
  private a: Uint32Array = NO_ROWS; // irqchip | address_lo
  private b: Uint32Array = NO_ROWS; // pin | address_hi
  // MSI routes only: read for rows of type MSI; a table without one keeps them empty
  private c: Uint32Array = NO_ROWS; // data
  private d: Uint32Array = NO_ROWS; // devid
  private fl: Uint32Array = NO_ROWS; // flags
  private count = 0;
  /** `rt->chip[0][pin]`: the GSI an irqchip-0 pin was last routed from, -1 for none (GSIs are < KVM_MAX_IRQ_ROUTES, 4096). */
  private pinGsi: Int16Array = new Int16Array(0);

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
    let maxGsi = -1;
    let msis = 0;
    for (const e of entries) {
      if (!(e.gsi >= 0) || e.gsi >= KVM_MAX_IRQ_ROUTES) return -EINVAL;
      if ('pin' in e && e.type === KVM_IRQ_ROUTING_IRQCHIP) {
        if (e.flags !== 0 || !chip) return -EINVAL;
        if (e.irqchip >= (chip.numIrqchips ?? 1) || e.pin >= chip.numPins) return -EINVAL;
      } else if ('data' in e && e.type === KVM_IRQ_ROUTING_MSI) {
        if (!chip?.msi) return -EINVAL;
        if (e.flags & ~KVM_MSI_VALID_DEVID) return -EINVAL;
        if (e.flags & KVM_MSI_VALID_DEVID && !chip.msiDevid) return -EINVAL;
        msis++;
      } else {
        return -EINVAL;
      }
      if (e.gsi > maxGsi) maxGsi = e.gsi;
    }
    const n = entries.length;
    if (n === 0) {
      this.clear();
      return 0;
    }
    // rows sorted by GSI, stable within a GSI (counting sort)
    const first = new Int32Array(maxGsi + 2);
    for (const e of entries) first[e.gsi + 1]!++;
    for (let g = 0; g <= maxGsi; g++) first[g + 1]! += first[g]!;
    const pos = first.slice(0, Math.max(maxGsi + 1, 0));
    const type = new Uint8Array(n);
    const a = new Uint32Array(n);
    const b = new Uint32Array(n);
    const c = msis === 0 ? NO_ROWS : new Uint32Array(n);
    const d = msis === 0 ? NO_ROWS : new Uint32Array(n);
    const fl = msis === 0 ? NO_ROWS : new Uint32Array(n);
    for (const e of entries) {
      const i = pos[e.gsi]!++;
      // setup_routing_entry: one pin per irqchip for a GSI, and a non-irqchip route is the GSI's only one
      for (let j = first[e.gsi]!; j < i; j++)
        if (type[j] !== KVM_IRQ_ROUTING_IRQCHIP || e.type !== KVM_IRQ_ROUTING_IRQCHIP || ('pin' in e && a[j] === e.irqchip)) return -EINVAL;
      type[i] = e.type;
      if ('pin' in e && e.type === KVM_IRQ_ROUTING_IRQCHIP) {
        a[i] = e.irqchip;
        b[i] = e.pin;
      } else if ('data' in e) {
        a[i] = e.addressLo;
        b[i] = e.addressHi;
        c[i] = e.data;
        d[i] = e.devid;
        fl[i] = e.flags;
      }
    }
    const pinGsi = new Int16Array(chip?.numPins ?? 0).fill(-1);
    for (const e of entries) if ('pin' in e && e.type === KVM_IRQ_ROUTING_IRQCHIP && e.irqchip === 0) pinGsi[e.pin] = e.gsi;
    this.pinGsi = pinGsi;
    this.first = first;
    this.type = type;
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    this.fl = fl;
    this.count = n;
    return 0;
  }

  /** Drops every route. */
  clear(): void {
    this.first = NO_GSI;
    this.type = NO_TYPES;
    this.a = this.b = this.c = this.d = this.fl = NO_ROWS;
    this.count = 0;
    this.pinGsi = new Int16Array(0);
  }

  /** kvm_irq_map_chip_pin: the GSI routed to pin `pin` of irqchip `irqchip`, or -1. */
  gsiOfPin(irqchip: number, pin: number): number {
    if (irqchip !== 0 || !(pin >= 0) || pin >= this.pinGsi.length) return -1;
    return this.pinGsi[pin]!;
  }

  /**
   * kvm_arch_set_irq_inatomic for an irqfd: when `gsi` has exactly one route, the chip's atomic
   * injection of it (level 1); -EWOULDBLOCK (-EAGAIN) when there is none, the chip has no atomic
   * path for that route type, or it declines. No allocation.
   */
  fireInatomic(chip: IrqChip, gsi: number): number {
    const first = this.first;
    if (!(gsi >= 0) || gsi + 1 >= first.length) return -EAGAIN;
    const i = first[gsi]!;
    if (first[gsi + 1]! - i !== 1) return -EAGAIN;
    if (this.type[i] === KVM_IRQ_ROUTING_IRQCHIP) return chip.setPinInatomic ? chip.setPinInatomic(this.a[i]!, this.b[i]!) : -EAGAIN;
    return chip.setMsiInatomic ? chip.setMsiInatomic(this.a[i]!, this.b[i]!, this.c[i]!, this.fl[i]!, this.d[i]!) : -EAGAIN;
  }

  /** Whether any route exists for `gsi`. */
  has(gsi: number): boolean {
    return gsi >= 0 && gsi + 1 < this.first.length && this.first[gsi + 1]! > this.first[gsi]!;
  }

  /**
   * kvm_set_irq: fires every route of `gsi`. Returns -1 when the GSI has no route, else the
   * largest result of the routes (>0 delivered, 0 coalesced).
   */
  fire(chip: IrqChip, gsi: number, level: number): number {
    const first = this.first;
    if (!(gsi >= 0) || gsi + 1 >= first.length) return -1;
    const end = first[gsi + 1]!;
    let ret = -1;
    for (let i = first[gsi]!; i < end; i++) {
      let v: number;
      if (this.type[i] === KVM_IRQ_ROUTING_IRQCHIP) v = chip.setPin ? chip.setPin(this.a[i]!, this.b[i]!, level) : -1;
      else if (level) v = chip.setMsi ? chip.setMsi(this.a[i]!, this.b[i]!, this.c[i]!, this.fl[i]!, this.d[i]!) : -1;
      else v = -1; // MSIs fire on the rising edge only
      if (v > ret || (v >= 0 && ret < 0)) ret = v;
    }
    return ret;
  }
}
