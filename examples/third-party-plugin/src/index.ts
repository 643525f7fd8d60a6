/**
 * `@acme/kvmdev-vfio`: the KVM-VFIO pseudo-device (Documentation/virt/kvm/devices/vfio.rst) as a
 * third-party kvmdev plugin, registered under the key `'@acme/kvmdev-vfio:vfio'` and the kernel's number
 * KVM_DEV_TYPE_VFIO (4).
 * @packageDocumentation
 */
export * from './uapi.js';
export * from './files.js';
export * from './device.js';
export * from './plugin.js';
export * from './setup.js';
export * from './introspect.js';

declare module '@kvmdev/core' {
  interface KvmDeviceRegistry {
    /** KVM-VFIO: group 1 (KVM_DEV_VFIO_FILE); ADD/DEL take an int32 fd, SET_SPAPR_TCE a u64 {groupfd, tablefd}. */
    '@acme/kvmdev-vfio:vfio': {
      type: number;
      groups: { 1: { attr: 1 | 2 | 3; value: number | bigint } };
    };
  }
}

/** The SET_SPAPR_TCE payload as the u64 the typed API writes: groupfd in the low half, tablefd in the high. */
export function spaprTcePayload(groupfd: number, tablefd: number): bigint {
  return (BigInt(tablefd >>> 0) << 32n) | BigInt(groupfd >>> 0);
}
