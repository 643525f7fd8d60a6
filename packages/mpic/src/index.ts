/**
 * `@kvmdev/mpic`: the Freescale MPIC v2.0 and v4.2 (KVM_DEV_TYPE_FSL_MPIC_20 / _42) as a kvmdev
 * device plugin, modelled on arch/powerpc/kvm/mpic.c: the attribute API, the guest register
 * window, the delivery logic and the vCPU connection.
 *
 * ```ts
 * import { createHost } from '@kvmdev/core';
 * import { mpic } from '@kvmdev/mpic';
 * const host = createHost({ plugins: [mpic] });
 * ```
 * @packageDocumentation
 */
export * from './uapi.js';
export { mpic, MPIC_ATTRS, MPIC_PLUGIN_VERSION } from './plugin.js';
/** The MPIC's attribute groups, by group number: the attr and the value type of each (for the typed device handle). */
export interface MpicGroups {
  /** KVM_DEV_MPIC_GRP_MISC: BASE_ADDR (u64). */
  1: { attr: 0; value: bigint };
  /** KVM_DEV_MPIC_GRP_REGISTER: window byte offset → u32. */
  2: { attr: number; value: number };
  /** KVM_DEV_MPIC_GRP_IRQ_ACTIVE: IRQ number → u32 0/1. */
  3: { attr: number; value: number };
}

declare module '@kvmdev/core' {
  interface KvmDeviceRegistry {
    KVM_DEV_TYPE_FSL_MPIC_20: { type: 1; groups: MpicGroups };
    KVM_DEV_TYPE_FSL_MPIC_42: { type: 2; groups: MpicGroups };
  }
}
export { MPIC_PROFILES, MPIC_SETTINGS, MPIC_SETUPS, mpicSetup, ppcE500Profile } from './setup.js';
