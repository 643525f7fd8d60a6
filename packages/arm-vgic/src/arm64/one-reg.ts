/**
 * KVM_GET_ONE_REG, KVM_SET_ONE_REG and KVM_GET_REG_LIST on an arm64 vCPU (`kvm_arm_get_reg`,
 * `kvm_arm_set_reg`, `kvm_arm_copy_reg_indices` in arch/arm64/kvm/guest.c, the vCPU ioctl in
 * arm.c). Order: ENOEXEC before KVM_ARM_VCPU_INIT; an id whose bits 63:32 (size aside) are not
 * KVM_REG_ARM64's is EINVAL; then by register space: core registers, firmware pseudo-registers
 * and SVE (the model has none: ENOENT, or EINVAL for an SVE id outside the Z/P/FFR ranges),
 * demultiplexed CCSIDR (not kept: ENOENT), and the system registers.
 * @packageDocumentation
 */
import { E2BIG, EFAULT, EINVAL, ENOENT, ENOEXEC, type UserMemory } from '@kvmdev/core';
import { coreRegIds, getCoreReg, setCoreReg } from './core-regs.js';
import * as R from './reg-ids.js';
import { SYS_REG_IDS, SYS_REG_MPIDR, getSysReg, setSysReg, sysRegIndex } from './sys-regs.js';
import type { ArmVcpu } from './vcpu-state.js';

/** Every register KVM_GET_REG_LIST reports, in the kernel's order (core registers, then system registers). */
export const ARM64_REG_LIST: readonly bigint[] = Object.freeze([...coreRegIds(), ...SYS_REG_IDS]);

const ARM64_HI = R.KVM_REG_ARM64 >> 32n;

/** The register space an arm64 SVE id falls in without SVE (sve_reg_to_region, get_sve_vls). */
function sveWithoutSve(id: bigint): number {
  if (id === R.KVM_REG_ARM64_SVE_VLS) return -ENOENT;
  if (id >= R.arm64SveZreg(0, 0) && id <= R.arm64SveZreg(31, 31)) return -ENOENT;
  if (id >= R.arm64SvePreg(0, 0) && id <= R.arm64SveFfr(31)) return -ENOENT;
  return -EINVAL;
}

/** kvm_arm_get_reg. `v.init` must have been checked (ENOEXEC) by the caller. */
export function armGetReg(v: ArmVcpu, mem: UserMemory, id: bigint, addr: number): number {
  if ((id & ~R.KVM_REG_SIZE_MASK) >> 32n !== ARM64_HI) return -EINVAL;
  switch (id & R.KVM_REG_ARM_COPROC_MASK) {
    case R.KVM_REG_ARM_CORE:
      return getCoreReg(v.core, mem, id, addr);
    case R.KVM_REG_ARM_FW:
    case R.KVM_REG_ARM_FW_FEAT_BMAP:
      return -ENOENT; // the firmware pseudo-registers are not modelled
    case R.KVM_REG_ARM64_SVE:
      return sveWithoutSve(id);
    case R.KVM_REG_ARM_DEMUX:
      return -ENOENT; // CCSIDR values come from the host caches: not modelled
    default:
      return getSysReg(v.sys, mem, id, addr);
  }
}

/**
 * kvm_arm_set_reg. Returns 0 or -errno; `onMpidr` runs after a successful MPIDR_EL1 write (the
 * vGIC follows the vCPU's affinity).
 */
export function armSetReg(v: ArmVcpu, mem: UserMemory, id: bigint, addr: number, aarch32El0: boolean, onMpidr: () => void): number {
  if ((id & ~R.KVM_REG_SIZE_MASK) >> 32n !== ARM64_HI) return -EINVAL;
  switch (id & R.KVM_REG_ARM_COPROC_MASK) {
    case R.KVM_REG_ARM_CORE:
      return setCoreReg(v.core, mem, id, addr, { el1Is32: v.el1Is32, aarch32El0 });
    case R.KVM_REG_ARM_FW:
    case R.KVM_REG_ARM_FW_FEAT_BMAP:
      return -ENOENT;
    case R.KVM_REG_ARM64_SVE:
      return sveWithoutSve(id);
    case R.KVM_REG_ARM_DEMUX:
      return -ENOENT;
    default: {
      const r = setSysReg(v.sys, mem, id, addr);
      if (r === 0 && sysRegIndex(id) === SYS_REG_MPIDR) onMpidr();
      return r;
    }
  }
}

/** KVM_GET_ONE_REG on an arm64 vCPU: ENOEXEC before KVM_ARM_VCPU_INIT, then kvm_arm_get_reg. */
export function armGetOneReg(v: ArmVcpu, mem: UserMemory, id: bigint, addr: number): number {
  if (!v.init) return -ENOEXEC;
  return armGetReg(v, mem, id, addr);
}

/** KVM_SET_ONE_REG on an arm64 vCPU. */
export function armSetOneReg(v: ArmVcpu, mem: UserMemory, id: bigint, addr: number, aarch32El0: boolean, onMpidr: () => void): number {
  if (!v.init) return -ENOEXEC;
  return armSetReg(v, mem, id, addr, aarch32El0, onMpidr);
}

/**
 * KVM_GET_REG_LIST: ENOEXEC before KVM_ARM_VCPU_INIT; the header's `n` (read as a 32-bit
 * unsigned, as the kernel's `unsigned n` keeps it) is replaced by the register count, which is
 * copied back even when the list is too short (E2BIG); then the ids.
 */
export function armGetRegList(v: ArmVcpu, mem: UserMemory, arg: number): number {
  if (!v.init) return -ENOEXEC;
  if (!mem.ok(arg, R.SIZEOF_KVM_REG_LIST)) return -EFAULT;
  const n = mem.getU64Lo(arg);
  const list = ARM64_REG_LIST;
  if (!mem.okWrite(arg, R.SIZEOF_KVM_REG_LIST)) return -EFAULT;
  mem.setU64Parts(arg, list.length, 0);
  if (n < list.length) return -E2BIG;
  for (let i = 0; i < list.length; i++) {
    const p = arg + R.SIZEOF_KVM_REG_LIST + 8 * i;
    if (!mem.okWrite(p, 8)) return -EFAULT;
    mem.setU64(p, list[i]!);
  }
  return 0;
}
