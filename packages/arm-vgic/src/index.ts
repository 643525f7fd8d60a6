/**
 * `@kvmdev/arm-vgic`: the ARM GICv2, GICv3 and GICv3 ITS (KVM_DEV_TYPE_ARM_VGIC_V2/V3/ITS) as
 * kvmdev device plugins, with the arm64 VM/vCPU ioctls they need, the guest-visible distributor,
 * redistributors, ITS frames, GICv2 CPU interface and ICC_* system registers, and interrupt
 * delivery (SPIs, PPIs, SGIs and LPIs).
 *
 * ```ts
 * import { createHost } from '@kvmdev/core';
 * import { armVgic } from '@kvmdev/arm-vgic';
 * const host = createHost({ plugins: [armVgic] });
 * ```
 * @packageDocumentation
 */
export * from './uapi.js';
export { armVgic, createArmVgic, vgicDevicesFor, VGIC_V2_ATTRS, VGIC_V3_ATTRS } from './plugin.js';
export type { ArmVgicOptions, ArmVgicPlugin } from './plugin.js';
export {
  ARM64_HOSTS,
  DEFAULT_ARM64_HOST,
  canEmulateGicv2,
  checkHostProfile,
  defaultMaxVcpus,
  gicv2AprsKept,
  gicv2Host,
  gicv3Server,
  hostIccCtlr,
  qemuTcgMax,
  qemuTcgMaxGicv2,
  vcpuMmapSize,
} from './arm64/host-profile.js';
export type { Arm64HostProfile, IchVtr } from './arm64/host-profile.js';
export {
  ARM64_REG_ELR_EL1,
  ARM64_REG_FPCR,
  ARM64_REG_FPSR,
  ARM64_REG_PC,
  ARM64_REG_PSTATE,
  ARM64_REG_SP,
  ARM64_REG_SP_EL1,
  CPACR_EL1,
  KVM_CAP_ARM_USER_IRQ,
  KVM_CAP_MSI_DEVID,
  KVM_CORE_OFF_ELR_EL1,
  KVM_CORE_OFF_FPCR,
  KVM_CORE_OFF_FPSR,
  KVM_CORE_OFF_PC,
  KVM_CORE_OFF_PSTATE,
  KVM_CORE_OFF_REGS,
  KVM_CORE_OFF_SP,
  KVM_CORE_OFF_SPSR,
  KVM_CORE_OFF_SP_EL1,
  KVM_CORE_OFF_VREGS,
  KVM_CORE_WORDS,
  KVM_GET_REG_LIST,
  KVM_NR_SPSR,
  KVM_REG_ARM64_SVE,
  KVM_REG_ARM64_SVE_VLS,
  KVM_REG_ARM64_SYSREG,
  KVM_REG_ARM_COPROC_MASK,
  KVM_REG_ARM_COPROC_SHIFT,
  KVM_REG_ARM_CORE,
  KVM_REG_ARM_DEMUX,
  KVM_REG_ARM_FW,
  KVM_REG_ARM_FW_FEAT_BMAP,
  KVM_REG_SIZE_U2048,
  KVM_REG_SIZE_U256,
  KVM_REG_SIZE_U512,
  MPIDR_EL1,
  SCTLR_EL1,
  SIZEOF_KVM_REG_LIST,
  VBAR_EL1,
  VCPU_RESET_PSTATE_EL1,
  VCPU_RESET_PSTATE_SVC,
  arm64CoreReg,
  arm64RegSpsr,
  arm64RegV,
  arm64RegX,
  arm64SveFfr,
  arm64SvePreg,
  arm64SveZreg,
  arm64SysReg,
} from './arm64/reg-ids.js';
export { ARM64_REG_LIST } from './arm64/one-reg.js';
export { Arm64GuestSysregs, UNDEF_ESR, arm64GuestSysregs } from './arm64/guest-sysreg.js';
export type { SysregResult } from './arm64/guest-sysreg.js';
export { VGIC_ITS_ATTRS } from './its/attrs.js';
export * from './its/defs.js';

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
    KVM_DEV_TYPE_ARM_VGIC_ITS: {
      type: 8;
      groups: {
        0: { attr: 4; value: bigint };
        4: { attr: 0 | 1 | 2 | 4; value: undefined };
        8: { attr: number; value: bigint };
      };
    };
  }
}
export {
  ARM_VGIC_PROFILES,
  ARM_VGIC_SETUPS,
  GICV2_SETTINGS,
  GICV3_SETTINGS,
  ITS_SETTINGS,
  arm64Profile,
  arm64ProfileFor,
  gicv2Setup,
  gicv3RedistBase,
  gicv3Setup,
  itsSetup,
} from './setup.js';
