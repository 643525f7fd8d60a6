/**
 * The AArch64 system registers the model keeps per vCPU (a subset of arch/arm64/kvm/sys_regs.c's
 * `sys_reg_descs`): MPIDR_EL1 (the affinity the GICv3 addresses a vCPU by), and SCTLR_EL1,
 * CPACR_EL1 and VBAR_EL1, which have fixed reset values. All are reset by KVM_ARM_VCPU_INIT
 * (kvm_reset_sys_regs) and are plain storage for userspace: a SET stores any value.
 *
 * Userspace access follows `kvm_sys_reg_get_user` / `kvm_sys_reg_set_user`: an id that is not a
 * 64-bit KVM_REG_ARM64_SYSREG id, has bits outside Op0..Op2, or names a register the model does
 * not keep is ENOENT; SET reads the u64 first (EFAULT before ENOENT), GET looks up first.
 * @packageDocumentation
 */
import { EFAULT, ENOENT, type UserMemory } from '@kvmdev/core';
import { defaultMpidr } from '../uapi.js';
import * as R from './reg-ids.js';

/** One kept register. */
export interface SysRegDesc {
  readonly name: string;
  /** The 16-bit Op0<<14|Op1<<11|CRn<<7|CRm<<3|Op2 encoding. */
  readonly enc: number;
  /** The value KVM_ARM_VCPU_INIT gives it, as u32 halves, for the vCPU id. */
  readonly reset: (vcpuId: number) => readonly [number, number];
}

const zero = (): readonly [number, number] => [0, 0];

/** The kept registers, in encoding order (the order KVM_GET_REG_LIST walks `sys_reg_descs`). */
export const SYS_REGS: readonly SysRegDesc[] = Object.freeze([
  { name: 'MPIDR_EL1', enc: 0xc005, reset: (id: number) => [defaultMpidr(id), 0] as const },
  { name: 'SCTLR_EL1', enc: 0xc080, reset: () => [0x00c50078, 0] as const },
  { name: 'CPACR_EL1', enc: 0xc082, reset: zero },
  { name: 'VBAR_EL1', enc: 0xc600, reset: zero },
]);

/** Index of MPIDR_EL1 in {@link SYS_REGS}. */
export const SYS_REG_MPIDR = 0;
/** Index of VBAR_EL1 in {@link SYS_REGS}. */
export const SYS_REG_VBAR = 3;

const BY_ENC = new Map<number, number>(SYS_REGS.map((d, i) => [d.enc, i]));

/** The ONE_REG ids of the kept registers. */
export const SYS_REG_IDS: readonly bigint[] = Object.freeze(SYS_REGS.map((d) => R.KVM_REG_ARM64 | R.KVM_REG_SIZE_U64 | R.KVM_REG_ARM64_SYSREG | BigInt(d.enc)));

/** Bits an AArch64 sysreg id may have (index_to_params). */
const SYSREG_ID_BITS = 0xff00000000000000n | R.KVM_REG_SIZE_MASK | R.KVM_REG_ARM_COPROC_MASK | 0xffffn;

/** The table index an id names, or -1 (id_to_sys_reg_desc finds nothing: ENOENT). */
export function sysRegIndex(id: bigint): number {
  if ((id & R.KVM_REG_ARM_COPROC_MASK) !== R.KVM_REG_ARM64_SYSREG) return -1;
  if ((id & R.KVM_REG_SIZE_MASK) !== R.KVM_REG_SIZE_U64) return -1;
  if (id & ~SYSREG_ID_BITS) return -1;
  return BY_ENC.get(Number(id & 0xffffn)) ?? -1;
}

/** The table index of a 16-bit encoding, or -1. */
export function sysRegIndexOfEncoding(enc: number): number {
  return BY_ENC.get(enc & 0xffff) ?? -1;
}

/** The kept registers of one vCPU, as u32 halves (lo at 2i, hi at 2i + 1). */
export class SysRegs {
  readonly v = new Uint32Array(2 * SYS_REGS.length);

  /** kvm_reset_sys_regs for the kept registers. */
  reset(vcpuId: number): void {
    for (let i = 0; i < SYS_REGS.length; i++) {
      const [lo, hi] = SYS_REGS[i]!.reset(vcpuId);
      this.v[2 * i] = lo;
      this.v[2 * i + 1] = hi;
    }
  }

  lo(i: number): number {
    return this.v[2 * i]!;
  }
  hi(i: number): number {
    return this.v[2 * i + 1]!;
  }
  set(i: number, lo: number, hi: number): void {
    this.v[2 * i] = lo >>> 0;
    this.v[2 * i + 1] = hi >>> 0;
  }
}

/** kvm_sys_reg_get_user for the kept registers. */
export function getSysReg(regs: SysRegs, mem: UserMemory, id: bigint, addr: number): number {
  const i = sysRegIndex(id);
  if (i < 0) return -ENOENT;
  if (!mem.okWrite(addr, 8)) return -EFAULT;
  mem.setU64Parts(addr, regs.lo(i), regs.hi(i));
  return 0;
}

/** kvm_sys_reg_set_user for the kept registers: the u64 is read before the lookup. */
export function setSysReg(regs: SysRegs, mem: UserMemory, id: bigint, addr: number): number {
  if (!mem.ok(addr, 8)) return -EFAULT;
  const lo = mem.getU64Lo(addr);
  const hi = mem.getU64Hi(addr);
  const i = sysRegIndex(id);
  if (i < 0) return -ENOENT;
  regs.set(i, lo, hi);
  return 0;
}
