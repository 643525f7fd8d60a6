/**
 * The arm64 core registers (`KVM_REG_ARM_CORE`, arch/arm64/kvm/guest.c): an image of
 * `struct kvm_regs` as 216 u32 words, so an id's offset is the word index. GET/SET_ONE_REG
 * check, in the kernel's order: an offset or end past the struct (ENOENT), an offset that is
 * not the start of a register or an id size that is not the register's (EINVAL), the user
 * buffer (EFAULT), and on SET a PSTATE mode the vCPU cannot be in (EINVAL). A SET that leaves
 * PSTATE in an AArch32 mode narrows the general registers and the PC to 32 bits.
 * @packageDocumentation
 */
import { EFAULT, EINVAL, ENOENT, type UserMemory } from '@kvmdev/core';
import * as R from './reg-ids.js';

/** `core_reg_size_from_offset` (no SVE): the register size at word offset `off`, or -EINVAL. */
export function coreRegSize(off: number): number {
  let size: number;
  if (off >= 0 && off <= R.KVM_CORE_OFF_REGS + 60) size = 8;
  else if (off === R.KVM_CORE_OFF_SP || off === R.KVM_CORE_OFF_PC || off === R.KVM_CORE_OFF_PSTATE) size = 8;
  else if (off === R.KVM_CORE_OFF_SP_EL1 || off === R.KVM_CORE_OFF_ELR_EL1) size = 8;
  else if (off >= R.KVM_CORE_OFF_SPSR && off <= R.KVM_CORE_OFF_SPSR + 2 * (R.KVM_NR_SPSR - 1)) size = 8;
  else if (off >= R.KVM_CORE_OFF_VREGS && off <= R.KVM_CORE_OFF_VREGS + 4 * 31) size = 16;
  else if (off === R.KVM_CORE_OFF_FPSR || off === R.KVM_CORE_OFF_FPCR) size = 4;
  else return -EINVAL;
  return off % (size / 4) === 0 ? size : -EINVAL;
}

/** The payload size an id announces (`KVM_REG_SIZE`). */
export function regSize(id: bigint): number {
  return 2 ** Number((id & R.KVM_REG_SIZE_MASK) >> R.KVM_REG_SIZE_SHIFT_N);
}

/** What SET of PSTATE needs to know about the vCPU and the host. */
export interface PstateRules {
  /** The vCPU was initialised with KVM_ARM_VCPU_EL1_32BIT. */
  readonly el1Is32: boolean;
  /** The host runs AArch32 at EL0. */
  readonly aarch32El0: boolean;
}

/** `struct kvm_regs` of one vCPU. */
export class CoreRegs {
  /** The struct image, little-endian words. */
  readonly w = new Uint32Array(R.KVM_CORE_WORDS);

  /** kvm_reset_vcpu's core part: everything 0, PSTATE EL1h (or SVC for an AArch32 EL1) with DAIF masked. */
  reset(el1Is32: boolean): void {
    this.w.fill(0);
    this.w[R.KVM_CORE_OFF_PSTATE] = el1Is32 ? R.VCPU_RESET_PSTATE_SVC : R.VCPU_RESET_PSTATE_EL1;
  }

  /** A 64-bit register at word offset `off`, as a bigint. */
  get64(off: number): bigint {
    return (BigInt(this.w[off + 1]!) << 32n) | BigInt(this.w[off]!);
  }

  /** Sets a 64-bit register at word offset `off`. */
  set64(off: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.w[off] = Number(u & 0xffffffffn);
    this.w[off + 1] = Number(u >> 32n);
  }
}

/** The checks GET and SET share: -ENOENT, -EINVAL, or the word offset. */
function locate(id: bigint): number {
  const off = (Number(id & 0xffffffffn) & ~0x00100000) >>> 0;
  const size = regSize(id);
  if (off >= R.KVM_CORE_WORDS || off + Math.floor(size / 4) >= R.KVM_CORE_WORDS) return -ENOENT;
  const want = coreRegSize(off);
  if (want < 0 || want !== size) return -EINVAL;
  return off;
}

/** get_core_reg: copies the register to `addr`. */
export function getCoreReg(regs: CoreRegs, mem: UserMemory, id: bigint, addr: number): number {
  const off = locate(id);
  if (off < 0) return off;
  const words = regSize(id) / 4;
  if (!mem.okWrite(addr, words * 4)) return -EFAULT;
  for (let i = 0; i < words; i++) mem.setU32(addr + 4 * i, regs.w[off + i]!);
  return 0;
}

/** Whether a PSTATE value names a mode this vCPU may be put in (set_core_reg). */
function pstateAllowed(lo: number, rules: PstateRules): boolean {
  switch (lo & R.PSR_AA32_MODE_MASK) {
    case R.PSR_AA32_MODE_USR:
      return rules.aarch32El0;
    case R.PSR_AA32_MODE_FIQ:
    case R.PSR_AA32_MODE_IRQ:
    case R.PSR_AA32_MODE_SVC:
    case R.PSR_AA32_MODE_ABT:
    case R.PSR_AA32_MODE_UND:
      return rules.el1Is32;
    case R.PSR_MODE_EL2h:
    case R.PSR_MODE_EL2t:
      return false; // no nested virtualisation in the model
    case R.PSR_MODE_EL0t:
    case R.PSR_MODE_EL1t:
    case R.PSR_MODE_EL1h:
      return !rules.el1Is32;
    default:
      return false;
  }
}

/** set_core_reg: reads the register from `addr`, checks a new PSTATE, stores, narrows for AArch32. */
export function setCoreReg(regs: CoreRegs, mem: UserMemory, id: bigint, addr: number, rules: PstateRules): number {
  const off = locate(id);
  if (off < 0) return off;
  const words = regSize(id) / 4;
  if (!mem.ok(addr, words * 4)) return -EFAULT;
  const lo = mem.getU32(addr);
  if (off === R.KVM_CORE_OFF_PSTATE && !pstateAllowed(lo, rules)) return -EINVAL;
  for (let i = 0; i < words; i++) regs.w[off + i] = mem.getU32(addr + 4 * i);
  const w = regs.w;
  const pl = w[R.KVM_CORE_OFF_PSTATE]!;
  if (pl & R.PSR_MODE32_BIT) {
    // the whole PSTATE is compared, as the kernel's switch does: only a bare USR or SYS keeps x15..x30
    const bare = w[R.KVM_CORE_OFF_PSTATE + 1] === 0 && (pl === R.PSR_AA32_MODE_USR || pl === R.PSR_AA32_MODE_SYS);
    const n = bare ? 15 : 31;
    for (let i = 0; i < n; i++) w[R.KVM_CORE_OFF_REGS + 2 * i + 1] = 0;
    w[R.KVM_CORE_OFF_PC + 1] = 0;
  }
  return 0;
}

/** copy_core_reg_indices: every core register id, in offset order (75 without SVE). */
export function coreRegIds(): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < R.KVM_CORE_WORDS; i++) {
    const s = coreRegSize(i);
    if (s > 0) out.push(R.arm64CoreReg(i, s as 4 | 8 | 16));
  }
  return out;
}
