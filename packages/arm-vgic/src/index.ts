/**
 * `@kvmdev/arm-vgic`: the ARM GICv2 and GICv3 (KVM_DEV_TYPE_ARM_VGIC_V2/V3) as kvmdev device
 * plugins, with the arm64 VM/vCPU ioctls they need, the guest-visible distributor,
 * redistributors, GICv2 CPU interface and ICC_* system registers, and interrupt delivery.
 *
 * ```ts
 * import { createHost } from '@kvmdev/core';
 * import { armVgic } from '@kvmdev/arm-vgic';
 * const host = createHost({ plugins: [armVgic] });
 * ```
 * @packageDocumentation
 */
export * from './uapi.js';
export { armVgic, VGIC_V2_ATTRS, VGIC_V3_ATTRS } from './plugin.js';

/** attr of a register group: a number, or a bigint when the vCPU/mpidr half is used. */
type RegAttr = number | bigint;

declare module '@kvmdev/core' {
  interface KvmDeviceRegistry {
    KVM_DEV_TYPE_ARM_VGIC_V2: {
      type: 5;
      groups: {
        0: { attr: 0 | 1; value: bigint };
        1: { attr: RegAttr; value: number };
        2: { attr: RegAttr; value: number };
        3: { attr: number; value: number };
        4: { attr: 0; value: undefined };
      };
    };
    KVM_DEV_TYPE_ARM_VGIC_V3: {
      type: 7;
      groups: {
        0: { attr: 2 | 3 | 5; value: bigint };
        1: { attr: RegAttr; value: number };
        3: { attr: number; value: number };
        4: { attr: 0 | 3; value: undefined };
        5: { attr: RegAttr; value: number };
        6: { attr: RegAttr; value: bigint };
        7: { attr: RegAttr; value: number };
        9: { attr: RegAttr; value: number };
      };
    };
  }
}
export { ARM_VGIC_PROFILES, ARM_VGIC_SETUPS, GICV2_SETTINGS, GICV3_SETTINGS, arm64Profile, gicv2Setup, gicv3RedistBase, gicv3Setup } from './setup.js';
