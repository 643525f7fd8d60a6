/**
 * `@kvmdev/xics`: the POWER XICS (KVM_DEV_TYPE_XICS, the emulated book3s_xics) as a kvmdev
 * device plugin: interrupt sources in lazily created ICS blocks, one presenter (ICP) per
 * connected vCPU, the PAPR hypercalls and in-kernel RTAS calls, and the ICP state via ONE_REG.
 *
 * ```ts
 * import { createHost } from '@kvmdev/core';
 * import { xics } from '@kvmdev/xics';
 * const host = createHost({ plugins: [xics] });
 * ```
 * @packageDocumentation
 */
export * from './uapi.js';
export { createXicsPlugin, xics, XICS_ATTRS, XICS_ON_XIVE_ATTRS, type XicsPlugin, type XicsPluginOptions } from './plugin.js';
export {
  PPC64_HOSTS,
  PPC64_HOST_ARCH,
  PPC_MAX_SMT_THREADS,
  pseriesHv,
  powernv9,
  xicsOnXive,
  checkPpc64HostProfile,
  maxVcpuIds,
  recommendedVcpus,
  vcpuMmapSize,
  type Ppc64HostProfile,
} from './ppc64/host-profile.js';
export { PPC_VCPU, PPC_VM, PpcVcpu, PpcVm, ppcVcpuOf, ppc64HostHooks } from './ppc64/host.js';
export type { XicsHcallOptions } from './hcalls.js';
export type { XicsIrqChipOptions } from './device.js';
export { XICS_IRQ_CONNECTION } from './hooks.js';
export { packVcpuId, setNrServers, type XiveVpBlock } from './xive-vp.js';
export { rtasTokens, type RtasToken, RTAS_HANDLER_NAMES } from './rtas.js';
export * from './helpers.js';
export * from './xive-native/index.js';

declare module '@kvmdev/core' {
  interface KvmDeviceRegistry {
    KVM_DEV_TYPE_XICS: {
      type: 3;
      groups: { 1: { attr: number; value: bigint }; 2: { attr: number; value: number } };
    };
    KVM_DEV_TYPE_XIVE: {
      type: 9;
      groups: {
        1: { attr: number; value: number };
        2: { attr: number; value: bigint };
        3: { attr: number; value: bigint };
        5: { attr: number; value: number };
      };
    };
  }
}
export { XICS_PROFILES, XICS_SETTINGS, XICS_SETUPS, ppcPseriesProfile, xicsHvSetup, xicsSetup } from './setup.js';
