/**
 * The VM's MMIO bus: address ranges claimed by in-kernel devices, looked up by guest physical
 * address. An access nobody claims is an MMIO exit to userspace.
 * @packageDocumentation
 */
import type { Vcpu } from './vcpu.js';
import { EEXIST, EINVAL, ENOENT } from '../uapi/errno.js';

/**
 * A region on the bus. Handlers get the offset from `base`. A read returns the value
 * (a u32, `>= 0`) or a negative errno meaning "not handled here" (the access exits to userspace).
 * A write returns 0, or a negative errno with the same meaning. 8-byte accesses use
 * `read64`/`write64` when present, else they are not handled.
 */
export interface MmioRegion {
  /** The region's name (for traces and bug reports). */
  readonly name: string;
  /** Guest-physical base address. */
  readonly base: number;
  /** Length in bytes. */
  readonly size: number;
  /** A load at `offset`: the value, or a negative value when the access is not claimed. */
  read(vcpu: Vcpu | null, offset: number, size: 1 | 2 | 4): number;
  /** A store at `offset`: 0, or a negative value when the access is not claimed. */
  write(vcpu: Vcpu | null, offset: number, size: 1 | 2 | 4, value: number): number;
  /** An 8-byte load, or null when not claimed. */
  read64?(vcpu: Vcpu | null, offset: number): bigint | null;
  /** An 8-byte store: 0, or negative when not claimed. */
  write64?(vcpu: Vcpu | null, offset: number, value: bigint): number;
}

/** Sorted, non-overlapping set of regions with binary-search lookup. */
export class MmioBus {
  private regions: MmioRegion[] = [];

  /** Adds a region; -EEXIST when it overlaps one already there, -EINVAL for a bad range. */
  register(r: MmioRegion): number {
    if (!(r.size > 0) || !(r.base >= 0) || !Number.isSafeInteger(r.base + r.size)) return -EINVAL;
    let i = 0;
    while (i < this.regions.length && this.regions[i]!.base < r.base) i++;
    const prev = this.regions[i - 1];
    const next = this.regions[i];
    if (prev && prev.base + prev.size > r.base) return -EEXIST;
    if (next && r.base + r.size > next.base) return -EEXIST;
    this.regions.splice(i, 0, r);
    return 0;
  }

  /** Removes a region (by identity); -ENOENT when it is not on the bus. */
  unregister(r: MmioRegion): number {
    const i = this.regions.indexOf(r);
    if (i < 0) return -ENOENT;
    this.regions.splice(i, 1);
    return 0;
  }

  /** The region containing `[gpa, gpa+len)`, or null. */
  find(gpa: number, len: number): MmioRegion | null {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = rs[mid]!;
      if (gpa < r.base) hi = mid - 1;
      else if (gpa >= r.base + r.size) lo = mid + 1;
      else return gpa + len <= r.base + r.size ? r : null;
    }
    return null;
  }

  /** Number of regions on the bus. */
  get size(): number {
    return this.regions.length;
  }

  /** A snapshot of the regions, in address order. */
  list(): readonly MmioRegion[] {
    return this.regions.slice();
  }

  /** Drops every region (VM teardown). */
  clear(): void {
    this.regions = [];
  }
}
