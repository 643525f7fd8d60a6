/**
 * The decoded `struct kvm_device_attr` that the core hands to a device's accessors, and the
 * declarative attribute table a plugin publishes for the kit, the typed API and snapshots.
 * @packageDocumentation
 */

/**
 * A decoded `struct kvm_device_attr`. The core reuses one object per host, so an accessor must
 * not keep it after it returns. The 64-bit `attr` is split into two u32 halves (no bigint on the
 * hot path); `addr` is the user pointer as a number (`-1` when it cannot be a mapped address).
 */
export interface KvmDeviceAttr {
  /** `kvm_device_attr.flags` (must be 0 for every device the kernel has). */
  flags: number;
  /** `kvm_device_attr.group`. */
  group: number;
  /** attr bits 31:0 */
  attrLo: number;
  /** attr bits 63:32 */
  attrHi: number;
  /** user address of the payload (ignored by HAS) */
  addr: number;
}

/** The 64-bit `attr` of a decoded attribute as a bigint. */
export function attrU64(a: KvmDeviceAttr): bigint {
  return (BigInt(a.attrHi >>> 0) << 32n) | BigInt(a.attrLo >>> 0);
}

/** Who may use an attribute: read (GET), write (SET), both, or neither (HAS-only / control). */
export type AttrAccess = 'r' | 'w' | 'rw' | 'none';

/** One entry of a plugin's attribute table. */
export interface AttrDecl {
  /** Group number (`kvm_device_attr.group`). */
  readonly group: number;
  /** The kernel's name of the group, e.g. `'KVM_DEV_ARM_VGIC_GRP_DIST_REGS'`. */
  readonly name: string;
  /** Payload size in bytes (4 or 8; 0 when the attribute takes no payload, e.g. CTRL_INIT). */
  readonly size: 0 | 1 | 2 | 4 | 8;
  /** Who may use the group's attributes. */
  readonly access: AttrAccess;
  /** True when the group carries device state that a save/restore must move. */
  readonly state: boolean;
  /**
   * The attributes of the group: a list of known ids, or a description of the encoding
   * (e.g. `'offset | vcpu index << 32'`) when the id space is computed.
   */
  readonly attrs: readonly AttrId[] | string;
  /** One line on what the group is for. */
  readonly doc?: string;
}

/** A named attribute id inside a group. */
export interface AttrId {
  /** The attribute id. */
  readonly attr: number | bigint;
  /** The kernel's name of the attribute. */
  readonly name: string;
  /** Payload size when it differs from the group's. */
  readonly size?: 0 | 1 | 2 | 4 | 8;
  /** Access when it differs from the group's. */
  readonly access?: AttrAccess;
}

/** A plugin device's attribute table. */
export type AttrTable = readonly AttrDecl[];
