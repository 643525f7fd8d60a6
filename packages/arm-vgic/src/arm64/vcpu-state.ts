/**
 * The arm64 state of one vCPU (`vcpu->arch`): whether KVM_ARM_VCPU_INIT ran, the feature bits it
 * was given, the core registers and the kept system registers. Until the first
 * KVM_ARM_VCPU_INIT every register is 0, MPIDR_EL1 included: the vGIC sees affinity 0 for every
 * such vCPU, as the kernel does (kvm_vcpu_get_mpidr_aff reads the vCPU's MPIDR_EL1).
 * @packageDocumentation
 */
import { defineSlot } from '@kvmdev/core/plugin';
import { CoreRegs } from './core-regs.js';
import * as R from './reg-ids.js';
import { SYS_REG_MPIDR, SysRegs } from './sys-regs.js';

/** Per-vCPU arm64 state. */
export class ArmVcpu {
  /** The vCPU id. */
  readonly id: number;
  /** KVM_ARM_VCPU_INIT done (`vcpu_initialized`). */
  init = false;
  /** features[0] of the last successful KVM_ARM_VCPU_INIT, without the ephemeral POWER_OFF bit. */
  features = 0;
  readonly core = new CoreRegs();
  readonly sys = new SysRegs();

  constructor(id: number) {
    this.id = id;
  }

  /** The vCPU runs AArch32 at EL1 (KVM_ARM_VCPU_EL1_32BIT). */
  get el1Is32(): boolean {
    return ((this.features >>> R.KVM_ARM_VCPU_EL1_32BIT) & 1) === 1;
  }

  /** MPIDR_EL1 bits 31:0 (Aff2.Aff1.Aff0, bit 31 RES1 once reset). */
  get mpidrLo(): number {
    return this.sys.lo(SYS_REG_MPIDR);
  }

  /** MPIDR_EL1 bits 63:32 (Aff3 in 7:0). */
  get mpidrHi(): number {
    return this.sys.hi(SYS_REG_MPIDR);
  }

  /** kvm_reset_vcpu: core registers, then the system registers. */
  reset(): void {
    this.core.reset(this.el1Is32);
    this.sys.reset(this.id);
  }
}

/** The affinity key of an MPIDR_EL1 value: Aff3.Aff2.Aff1.Aff0 (the upper half of a GICv3 attr). */
export function affinityKey(mpidrLo: number, mpidrHi: number): number {
  return (((mpidrHi & 0xff) << 24) | (mpidrLo & 0xffffff)) >>> 0;
}

/** Slot of the per-vCPU arm64 state. */
export const ARM_VCPU = defineSlot<ArmVcpu>('@kvmdev/arm-vgic:vcpu');
