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
}
