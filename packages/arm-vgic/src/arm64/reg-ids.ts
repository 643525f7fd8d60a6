/**
 * arm64 ONE_REG ids (`arch/arm64/include/uapi/asm/kvm.h`, Documentation/virt/kvm/api.rst
 * "ARM64 registers"): the coprocessor field, the core-register offsets into `struct kvm_regs`
 * (counted in u32 words, as `KVM_REG_ARM_CORE_REG()` does), the system-register encoding, the
 * SVE ranges, KVM_GET_REG_LIST and the PSTATE mode values SET_ONE_REG checks.
 * @packageDocumentation
 */
import { KVM_REG_ARM64, KVM_REG_SIZE_MASK, KVM_REG_SIZE_U128, KVM_REG_SIZE_U32, KVM_REG_SIZE_U64, _IOWR } from '@kvmdev/core';

// the generic id fields come from the core; re-exported here for this package's modules only
export { KVM_REG_ARM64, KVM_REG_SIZE_MASK, KVM_REG_SIZE_U128, KVM_REG_SIZE_U32, KVM_REG_SIZE_U64 };
/** KVM_REG_SIZE_SHIFT as a bigint. */
export const KVM_REG_SIZE_SHIFT_N = 52n;
/** ONE_REG size field: 256 bits. */
export const KVM_REG_SIZE_U256 = 0x0050000000000000n;
/** ONE_REG size field: 512 bits. */
export const KVM_REG_SIZE_U512 = 0x0060000000000000n;
/** ONE_REG size field: 2048 bits (SVE vector registers at the largest VL). */
export const KVM_REG_SIZE_U2048 = 0x0080000000000000n;

/** Bits 27:16 of an arm64 id: which register space. */
export const KVM_REG_ARM_COPROC_MASK = 0x000000000fff0000n;
/** Bit position of the class field of an arm64 ONE_REG id. */
export const KVM_REG_ARM_COPROC_SHIFT = 16n;
/** Core registers: the id's low bits are a u32-word offset into `struct kvm_regs`. */
export const KVM_REG_ARM_CORE = 0x0010n << 16n;
/** Demultiplexed registers (CCSIDR). */
export const KVM_REG_ARM_DEMUX = 0x0011n << 16n;
/** AArch64 system registers (Op0..Op2 in bits 15:0). */
export const KVM_REG_ARM64_SYSREG = 0x0013n << 16n;
/** Firmware pseudo-registers (PSCI version, SMCCC workarounds). */
export const KVM_REG_ARM_FW = 0x0014n << 16n;
/** SVE registers. */
export const KVM_REG_ARM64_SVE = 0x0015n << 16n;
/** Firmware feature bitmaps. */
export const KVM_REG_ARM_FW_FEAT_BMAP = 0x0016n << 16n;

/** `KVM_REG_ARM64_SYSREG_OP0_SHIFT`: bit position of the OP0 field in a KVM_REG_ARM64_SYSREG register id (and in CPU_SYSREGS' `instr`). */
export const KVM_REG_ARM64_SYSREG_OP0_SHIFT = 14;
/** `KVM_REG_ARM64_SYSREG_OP1_SHIFT`: bit position of the OP1 field in a KVM_REG_ARM64_SYSREG register id (and in CPU_SYSREGS' `instr`). */
export const KVM_REG_ARM64_SYSREG_OP1_SHIFT = 11;
/** `KVM_REG_ARM64_SYSREG_CRN_SHIFT`: bit position of the CRN field in a KVM_REG_ARM64_SYSREG register id (and in CPU_SYSREGS' `instr`). */
export const KVM_REG_ARM64_SYSREG_CRN_SHIFT = 7;
/** `KVM_REG_ARM64_SYSREG_CRM_SHIFT`: bit position of the CRM field in a KVM_REG_ARM64_SYSREG register id (and in CPU_SYSREGS' `instr`). */
export const KVM_REG_ARM64_SYSREG_CRM_SHIFT = 3;
/** `KVM_REG_ARM64_SYSREG_OP2_SHIFT`: bit position of the OP2 field in a KVM_REG_ARM64_SYSREG register id (and in CPU_SYSREGS' `instr`). */
export const KVM_REG_ARM64_SYSREG_OP2_SHIFT = 0;

/** The ONE_REG id of an AArch64 system register (`ARM64_SYS_REG()` in the selftests and QEMU). */
export function arm64SysReg(op0: number, op1: number, crn: number, crm: number, op2: number): bigint {
  const enc =
    (op0 << KVM_REG_ARM64_SYSREG_OP0_SHIFT) |
    (op1 << KVM_REG_ARM64_SYSREG_OP1_SHIFT) |
    (crn << KVM_REG_ARM64_SYSREG_CRN_SHIFT) |
    (crm << KVM_REG_ARM64_SYSREG_CRM_SHIFT) |
    (op2 << KVM_REG_ARM64_SYSREG_OP2_SHIFT);
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | BigInt(enc);
}

// ---- struct kvm_regs, in u32 words (KVM_REG_ARM_CORE_REG(name)) ----
/** `regs.regs[0]`; X<n> is at 2n. */
export const KVM_CORE_OFF_REGS = 0;
/** `regs.sp` (SP_EL0). */
export const KVM_CORE_OFF_SP = 62;
/** `regs.pc`. */
export const KVM_CORE_OFF_PC = 64;
/** `regs.pstate`. */
export const KVM_CORE_OFF_PSTATE = 66;
/** `sp_el1`. */
export const KVM_CORE_OFF_SP_EL1 = 68;
/** `elr_el1`. */
export const KVM_CORE_OFF_ELR_EL1 = 70;
/** `spsr[0]` (KVM_SPSR_EL1); `spsr[i]` is at 72 + 2i. */
export const KVM_CORE_OFF_SPSR = 72;
/** `KVM_NR_SPSR`: EL1, ABT, UND, IRQ, FIQ. */
export const KVM_NR_SPSR = 5;
/** `fp_regs.vregs[0]` (16-byte aligned, so two words of padding follow `spsr[4]`); V<n> at 84 + 4n. */
export const KVM_CORE_OFF_VREGS = 84;
/** `fp_regs.fpsr`. */
export const KVM_CORE_OFF_FPSR = 212;
/** `fp_regs.fpcr`. */
export const KVM_CORE_OFF_FPCR = 213;
/** `sizeof(struct kvm_regs) / sizeof(__u32)`. */
export const KVM_CORE_WORDS = 216;

/** The ONE_REG id of a core register at word offset `off` with payload `size` bytes (4, 8 or 16). */
export function arm64CoreReg(off: number, size: 4 | 8 | 16): bigint {
  const s = size === 4 ? KVM_REG_SIZE_U32 : size === 8 ? KVM_REG_SIZE_U64 : KVM_REG_SIZE_U128;
  return KVM_REG_ARM64 | s | KVM_REG_ARM_CORE | BigInt(off);
}
/** X0..X30. */
export const arm64RegX = (n: number): bigint => arm64CoreReg(KVM_CORE_OFF_REGS + 2 * n, 8);
/** V0..V31 (128-bit). */
export const arm64RegV = (n: number): bigint => arm64CoreReg(KVM_CORE_OFF_VREGS + 4 * n, 16);
/** ONE_REG id of SP_EL0 (`regs.sp`). */
export const ARM64_REG_SP = arm64CoreReg(KVM_CORE_OFF_SP, 8);
/** ONE_REG id of the PC (`regs.pc`); a VMM sets it to the kernel entry point before the first KVM_RUN. */
export const ARM64_REG_PC = arm64CoreReg(KVM_CORE_OFF_PC, 8);
/** ONE_REG id of PSTATE (`regs.pstate`). */
export const ARM64_REG_PSTATE = arm64CoreReg(KVM_CORE_OFF_PSTATE, 8);
/** ONE_REG id of SP_EL1. */
export const ARM64_REG_SP_EL1 = arm64CoreReg(KVM_CORE_OFF_SP_EL1, 8);
/** ONE_REG id of ELR_EL1. */
export const ARM64_REG_ELR_EL1 = arm64CoreReg(KVM_CORE_OFF_ELR_EL1, 8);
/** spsr[i], i < KVM_NR_SPSR. */
export const arm64RegSpsr = (i: number): bigint => arm64CoreReg(KVM_CORE_OFF_SPSR + 2 * i, 8);
/** ONE_REG id of FPSR (32 bits). */
export const ARM64_REG_FPSR = arm64CoreReg(KVM_CORE_OFF_FPSR, 4);
/** ONE_REG id of FPCR (32 bits). */
export const ARM64_REG_FPCR = arm64CoreReg(KVM_CORE_OFF_FPCR, 4);

// ---- system registers the model keeps per vCPU ----
/** ONE_REG id of MPIDR_EL1 (a VMM reads it for its device tree; 0 until KVM_ARM_VCPU_INIT). */
export const MPIDR_EL1 = arm64SysReg(3, 0, 0, 0, 5);
/** ONE_REG id of SCTLR_EL1. */
export const SCTLR_EL1 = arm64SysReg(3, 0, 1, 0, 0);
/** ONE_REG id of CPACR_EL1. */
export const CPACR_EL1 = arm64SysReg(3, 0, 1, 0, 2);
/** ONE_REG id of VBAR_EL1. */
export const VBAR_EL1 = arm64SysReg(3, 0, 12, 0, 0);

// ---- SVE (KVM_REG_ARM64_SVE) ----
const SVE = KVM_REG_ARM64 | KVM_REG_ARM64_SVE;
/** `KVM_REG_ARM64_SVE_ZREG(n, i)`. */
export const arm64SveZreg = (n: number, i: number): bigint => SVE | KVM_REG_SIZE_U2048 | BigInt(((n & 0x1f) << 5) | (i & 0x1f));
/** `KVM_REG_ARM64_SVE_PREG(n, i)`. */
export const arm64SvePreg = (n: number, i: number): bigint => SVE | 0x400n | KVM_REG_SIZE_U256 | BigInt(((n & 0x1f) << 5) | (i & 0x1f));
/** `KVM_REG_ARM64_SVE_FFR(i)`. */
export const arm64SveFfr = (i: number): bigint => arm64SvePreg(16, i);
/** `KVM_REG_ARM64_SVE_VLS`. */
export const KVM_REG_ARM64_SVE_VLS = SVE | KVM_REG_SIZE_U512 | 0xffffn;

// ---- KVM_GET_REG_LIST ----
/** `struct kvm_reg_list { __u64 n; __u64 reg[]; }` header size. */
export const SIZEOF_KVM_REG_LIST = 8;
/** `_IOWR(KVMIO, 0xb0, struct kvm_reg_list)`. */
export const KVM_GET_REG_LIST = _IOWR(0xae, 0xb0, SIZEOF_KVM_REG_LIST);

// ---- PSTATE ----
/** PSTATE.M for AArch64 EL0t. */
export const PSR_MODE_EL0t = 0x0;
/** PSTATE.M for AArch64 EL1t. */
export const PSR_MODE_EL1t = 0x4;
/** PSTATE.M for AArch64 EL1h. */
export const PSR_MODE_EL1h = 0x5;
/** PSTATE.M for AArch64 EL2t. */
export const PSR_MODE_EL2t = 0x8;
/** PSTATE.M for AArch64 EL2h. */
export const PSR_MODE_EL2h = 0x9;
/** PSTATE.nRW: the vCPU runs in AArch32. */
export const PSR_MODE32_BIT = 0x10;
/** The AArch32 mode field of PSTATE. */
export const PSR_AA32_MODE_MASK = 0x1f;
/** PSTATE.M for the AArch32 USR mode. */
export const PSR_AA32_MODE_USR = 0x10;
/** PSTATE.M for the AArch32 FIQ mode. */
export const PSR_AA32_MODE_FIQ = 0x11;
/** PSTATE.M for the AArch32 IRQ mode. */
export const PSR_AA32_MODE_IRQ = 0x12;
/** PSTATE.M for the AArch32 SVC mode. */
export const PSR_AA32_MODE_SVC = 0x13;
/** PSTATE.M for the AArch32 ABT mode. */
export const PSR_AA32_MODE_ABT = 0x17;
/** PSTATE.M for the AArch32 HYP mode. */
export const PSR_AA32_MODE_HYP = 0x1a;
/** PSTATE.M for the AArch32 UND mode. */
export const PSR_AA32_MODE_UND = 0x1b;
/** PSTATE.M for the AArch32 SYS mode. */
export const PSR_AA32_MODE_SYS = 0x1f;
/** PSTATE.F: the F exception mask bit. */
export const PSR_F_BIT = 0x40;
/** PSTATE.I: the I exception mask bit. */
export const PSR_I_BIT = 0x80;
/** PSTATE.A: the A exception mask bit. */
export const PSR_A_BIT = 0x100;
/** PSTATE.D: the D exception mask bit. */
export const PSR_D_BIT = 0x200;
/** PSTATE after KVM_ARM_VCPU_INIT: EL1h with D, A, I, F masked. */
export const VCPU_RESET_PSTATE_EL1 = PSR_MODE_EL1h | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT | PSR_D_BIT;
/** PSTATE after KVM_ARM_VCPU_INIT with KVM_ARM_VCPU_EL1_32BIT: SVC with A, I, F masked. */
export const VCPU_RESET_PSTATE_SVC = PSR_AA32_MODE_SVC | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT;

// ---- vCPU features (struct kvm_vcpu_init) ----
/** vCPU feature bit: start powered off (secondary CPUs brought up by PSCI). */
export const KVM_ARM_VCPU_POWER_OFF = 0;
/** vCPU feature bit: run EL1 in AArch32. */
export const KVM_ARM_VCPU_EL1_32BIT = 1;
/** vCPU feature bit: PSCI v0.2 (and later) instead of v0.1. */
export const KVM_ARM_VCPU_PSCI_0_2 = 2;

// ---- capabilities this package answers that the core does not name ----
/** `KVM_CAP_MSI_DEVID` (131): KVM_SIGNAL_MSI and MSI routes carry a device id (1 on a VM with an ITS). */
export const KVM_CAP_MSI_DEVID = 131;
/** `KVM_CAP_ARM_USER_IRQ` (144): the timer and PMU lines can be reported to a userspace irqchip. */
export const KVM_CAP_ARM_USER_IRQ = 144;
