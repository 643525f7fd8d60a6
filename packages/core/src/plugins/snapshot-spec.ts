/**
 * How a plugin describes its device state for snapshots: which attributes (and vCPU ONE_REGs)
 * carry state, in which order they are saved and restored, and how a change reads in device
 * terms. The snapshot engine drives it only through the attribute operations a VMM would use.
 * @packageDocumentation
 */
import type { KvmDevice } from '../kernel/device.js';

/** Attribute and ONE_REG access for a snapshot, through the same paths a VMM uses. Throws KvmError. */
export interface DeviceStateIo {
  /** KVM_GET_DEVICE_ATTR with a `size`-byte payload, as an unsigned bigint. */
  getAttr(group: number, attr: bigint, size: 4 | 8): bigint;
  /** KVM_SET_DEVICE_ATTR with a `size`-byte payload. */
  setAttr(group: number, attr: bigint, size: 0 | 4 | 8, value: bigint): void;
  /** KVM_HAS_DEVICE_ATTR. */
  hasAttr(group: number, attr: bigint): boolean;
  /** KVM_GET_ONE_REG on the vCPU with this id. */
  getOneReg(vcpuId: number, id: bigint): bigint;
  /** KVM_SET_ONE_REG on the vCPU with this id. */
  setOneReg(vcpuId: number, id: bigint, value: bigint): void;
  /** Ids of the VM's vCPUs, in creation order. */
  readonly vcpuIds: readonly number[];
  /**
   * Optional (the snapshot engine's io has it): KVM_GET_DEVICE_ATTR of the attr whose low and high
   * 32 bits are `attrLo` / `attrHi`, with a `size`-byte payload, stored as two u32 halves in
   * `out.lo[index]` / `out.hi[index]` (hi is 0 for size 4). No bigint is made. Throws the KvmError
   * `getAttr` throws.
   */
  readAttr?(group: number, attrLo: number, attrHi: number, size: 4 | 8, out: StateValues, index: number): void;
  /**
   * Optional (the snapshot engine's io has it): KVM_SET_DEVICE_ATTR with the value whose low and
   * high 32 bits are `lo` / `hi` (hi ignored for size 4). Throws the KvmError `setAttr` throws.
   */
  writeAttr?(group: number, attrLo: number, attrHi: number, size: 4 | 8, lo: number, hi: number): void;
}

/**
 * The shape of a device's saved state, as columns: entry `k` is the k-th entry `save` would return
 * now, without its value. Attrs (and ONE_REG ids) are split into u32 halves. A spec that provides
 * one lets the engine save, check and restore without a {@link StateEntry} or a bigint per entry.
 */
export interface StateLayout {
  /** `StateEntry.key` of each entry; unique. */
  readonly keys: readonly string[];
  /** `StateEntry.group` of each entry (-1: a vCPU ONE_REG). */
  readonly groups: Int32Array;
  /** Low 32 bits of `StateEntry.attr`. */
  readonly attrLo: Uint32Array;
  /** High 32 bits of `StateEntry.attr`. */
  readonly attrHi: Uint32Array;
  /** `StateEntry.size` of each entry (4 or 8). */
  readonly sizes: Uint8Array;
  /** `StateEntry.vcpu` of each entry, or -1 when it has none. */
  readonly vcpus: Int32Array;
}

/** Values of a {@link StateLayout}'s entries by index, as u32 halves (`hi` is 0 for a 4-byte entry). */
export interface StateValues {
  /** Low 32 bits of each value. */
  readonly lo: Uint32Array;
  /** High 32 bits of each value. */
  readonly hi: Uint32Array;
}

/** One saved value. `key` is stable and unique within the device (e.g. `'dist.0x104'`, `'icp.2'`). */
export interface StateEntry {
  /** Stable key of the entry (see the type's doc). */
  readonly key: string;
  /** Attribute group, or -1 for a vCPU ONE_REG. */
  readonly group: number;
  /** Attribute id (or ONE_REG id when group is -1). */
  readonly attr: bigint;
  /** Payload size in bytes. */
  readonly size: 4 | 8;
  /** vCPU id the entry belongs to, when it is per-vCPU. */
  readonly vcpu?: number;
  /** The saved value. */
  value: bigint;
}

/** A plugin's snapshot description for one device type. */
export interface DeviceSnapshotSpec<P = unknown> {
  /** Shape parameters that must match between the saved and the target VM (e.g. `{ nrIrqs: 128 }`). */
  params(dev: KvmDevice<P>, io: DeviceStateIo): Record<string, number | string | boolean>;
  /**
   * Optional: moves state the device keeps in guest memory into that memory, before any device is
   * saved and before the guest memory image is taken (what a VMM does when it stops the VM: QEMU's
   * and Firecracker's KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES and KVM_DEV_ARM_ITS_SAVE_TABLES). Called
   * for every device, in creation order.
   */
  prepare?(dev: KvmDevice<P>, io: DeviceStateIo): void;
  /**
   * Optional restore phase (default 0): devices restore in phase order, then creation order, so a
   * device that needs another restored first (the ITS after the GICv3) restores after it whatever
   * the creation order. The guest memory image is always loaded before every phase.
   */
  readonly restorePhase?: number;
  /** Reads every state value, in save order. */
  save(dev: KvmDevice<P>, io: DeviceStateIo): StateEntry[];
  /** Writes the values back in the device's restore order (e.g. clear-then-set, config before pending). */
  restore(dev: KvmDevice<P>, io: DeviceStateIo, entries: readonly StateEntry[]): void;
  /** What changed between two values of one entry, in device terms (e.g. `'SPI 40: pending 0 -> 1'`). */
  describe(entry: StateEntry, before: bigint, after: bigint): string[];
  /**
   * Optional, with {@link DeviceSnapshotSpec.restoreValues}: the layout of what `save` returns now
   * (same keys, groups, attrs, sizes and vCPUs, same order). The spec may return the same object
   * while the shape stays the same (the engine keeps what it derives from a layout, such as its
   * attr strings, per object); a layout must not change once returned. With both members the
   * engine saves through the layout (each entry read with `getAttr` / `getOneReg`, unless
   * {@link DeviceSnapshotSpec.saveValues} is given), checks a snapshot's entries against it, and
   * restores (and rolls back) through `restoreValues`.
   */
  layout?(dev: KvmDevice<P>, io: DeviceStateIo): StateLayout;
  /**
   * Optional: reads every entry of `layout` (from `layout` on this device, just before) into `out`;
   * by default the engine reads each entry's attr (or ONE_REG) itself.
   */
  saveValues?(dev: KvmDevice<P>, io: DeviceStateIo, layout: StateLayout, out: StateValues): void;
  /**
   * Optional, with {@link DeviceSnapshotSpec.layout}: what `restore` does with the entries `k` of
   * `layout` for which `present` is nonzero (every entry when `present` is null), entry k's value
   * being `values.lo[k]` / `values.hi[k]`. It must have the same effect (the same writes in the same
   * order) as `restore` given those entries as StateEntry objects.
   */
  restoreValues?(dev: KvmDevice<P>, io: DeviceStateIo, layout: StateLayout, values: StateValues, present: Uint8Array | null): void;
}
