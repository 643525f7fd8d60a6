/**
 * The MPIC's constants with the kernel's names: the device attribute groups of
 * arch/powerpc/include/uapi/asm/kvm.h, the PPC interrupt levels, the register map of
 * arch/powerpc/kvm/mpic.c and the bit fields of its registers, and the two models' parameters.
 * @packageDocumentation
 */
export {
  KVM_CAP_IRQ_MPIC,
  KVM_DEV_TYPE_FSL_MPIC_20,
  KVM_DEV_TYPE_FSL_MPIC_42,
} from '@kvmdev/core';

// ---- device attribute groups (uapi asm/kvm.h) ----
/** Group of miscellaneous attributes (only BASE_ADDR). */
export const KVM_DEV_MPIC_GRP_MISC = 1;
/** u64 attr in GRP_MISC: base address of the 256 KiB register window (0 = unmapped). */
export const KVM_DEV_MPIC_BASE_ADDR = 0;
/** u32 register access as if from the guest; attr = byte offset in the window. */
export const KVM_DEV_MPIC_GRP_REGISTER = 2;
/** u32 input line of a source (0 inactive, 1 active); attr = IRQ number. */
export const KVM_DEV_MPIC_GRP_IRQ_ACTIVE = 3;

// ---- PPC KVM_IRQ_LINE / KVM_INTERRUPT levels (uapi asm/kvm.h) ----
export const KVM_INTERRUPT_SET = 0xffffffff;
export const KVM_INTERRUPT_UNSET = 0xfffffffe;
export const KVM_INTERRUPT_SET_LEVEL = 0xfffffffd;
/** KVM_NR_IRQCHIPS on powerpc. */
export const KVM_NR_IRQCHIPS = 1;
/** KVM_IRQCHIP_NUM_PINS on powerpc: one pin per SRC source. */
export const KVM_IRQCHIP_NUM_PINS = 256;

/** ONE_REG id of the vCPU's External Proxy Register (KVM_REG_PPC | KVM_REG_SIZE_U32 | 0x85). */
export const KVM_REG_PPC_EPR = 0x1020000000000085n;

// ---- model limits (mpic.c) ----
export const MAX_CPU = 32;
export const MAX_SRC = 256;
export const MAX_TMR = 4;
export const MAX_IPI = 4;
export const MAX_MSI = 8;
/** Internal IRQs: 256 sources, 4 IPIs, 4 timers. */
export const MAX_IRQ = MAX_SRC + MAX_IPI + MAX_TMR;
/** Internal IRQ of IPI 0. */
export const MPIC_IRQ_IPI0 = MAX_SRC;
/** Internal IRQ of global timer 0. */
export const MPIC_IRQ_TIM0 = MAX_SRC + MAX_IPI;
/** Internal IRQ of MSI bank 0 (banks 0..7 are IRQs 224..231). */
export const MPIC_IRQ_MSI = 224;
/** Number of "external" sources whose sense is programmable (max_ext). */
export const MPIC_MAX_EXT = 12;

// ---- window and sub-regions (offsets from BASE_ADDR) ----
export const OPENPIC_REG_SIZE = 0x40000;
export const OPENPIC_GLB_REG_START = 0x0;
export const OPENPIC_GLB_REG_SIZE = 0x10f0;
export const OPENPIC_TMR_REG_START = 0x10f0;
export const OPENPIC_TMR_REG_SIZE = 0x220;
export const OPENPIC_MSI_REG_START = 0x1600;
export const OPENPIC_MSI_REG_SIZE = 0x200;
export const OPENPIC_SUMMARY_REG_START = 0x3800;
export const OPENPIC_SUMMARY_REG_SIZE = 0x800;
export const OPENPIC_SRC_REG_START = 0x10000;
export const OPENPIC_SRC_REG_SIZE = MAX_SRC * 0x20;
export const OPENPIC_CPU_REG_START = 0x20000;
export const OPENPIC_CPU_REG_SIZE = 0x100 + (MAX_CPU - 1) * 0x1000;

// ---- global registers ----
export const MPIC_BRR1 = 0x0000;
/** IPI dispatch registers of the current CPU (alias of the per-CPU page). */
export const MPIC_IPIDR0 = 0x0040;
export const MPIC_CTPR = 0x0080;
export const MPIC_WHOAMI = 0x0090;
export const MPIC_IACK = 0x00a0;
export const MPIC_EOI = 0x00b0;
export const MPIC_FRR = 0x1000;
export const MPIC_GCR = 0x1020;
export const MPIC_VIR = 0x1080;
export const MPIC_PIR = 0x1090;
/** IVPR of IPI 0 (IPI k at + 0x10·k). */
export const MPIC_IPI_IVPR0 = 0x10a0;
export const MPIC_SPVE = 0x10e0;
// ---- timers ----
export const MPIC_TFRR = 0x10f0;
/** Timer i registers at MPIC_TIMER0 + 0x40·i + {TCCR, TBCR, TVPR, TDR}. */
export const MPIC_TIMER0 = 0x1100;
export const MPIC_TCCR = 0x00;
export const MPIC_TBCR = 0x10;
export const MPIC_TVPR = 0x20;
export const MPIC_TDR = 0x30;
// ---- MSI ----
/** MSIR of bank srs at MPIC_MSIR0 + 0x10·srs (clear on read). */
export const MPIC_MSIR0 = 0x1600;
export const MPIC_MSISR = 0x1720;
export const MPIC_MSIIR = 0x1740;
/** MSIIR offset inside the MSI sub-region. */
export const MSIIR_OFFSET = 0x140;
export const MSIIR_SRS_SHIFT = 29;
export const MSIIR_SRS_MASK = 0x7 << MSIIR_SRS_SHIFT;
export const MSIIR_IBS_SHIFT = 24;
export const MSIIR_IBS_MASK = 0x1f << MSIIR_IBS_SHIFT;
// ---- sources ----
export const MPIC_SRC_STRIDE = 0x20;
export const MPIC_SRC_IVPR = 0x00;
export const MPIC_SRC_IDR = 0x10;
export const MPIC_SRC_ILR = 0x18;
// ---- per-CPU pages ----
export const MPIC_CPU_STRIDE = 0x1000;

/** Offset of source n's IVPR. */
export function mpicIvpr(n: number): number {
  return OPENPIC_SRC_REG_START + n * MPIC_SRC_STRIDE + MPIC_SRC_IVPR;
}
/** Offset of source n's IDR. */
export function mpicIdr(n: number): number {
  return OPENPIC_SRC_REG_START + n * MPIC_SRC_STRIDE + MPIC_SRC_IDR;
}
/** Offset of source n's ILR (v4.2). */
export function mpicIlr(n: number): number {
  return OPENPIC_SRC_REG_START + n * MPIC_SRC_STRIDE + MPIC_SRC_ILR;
}
/** Offset of a per-CPU register (MPIC_CTPR, MPIC_IACK, ...) on CPU `cpu`'s page. */
export function mpicCpuReg(cpu: number, reg: number): number {
  return OPENPIC_CPU_REG_START + cpu * MPIC_CPU_STRIDE + reg;
}
/** Offset of timer i's register (MPIC_TCCR, MPIC_TBCR, MPIC_TVPR, MPIC_TDR) for writes. */
export function mpicTimerReg(i: number, reg: number): number {
  return MPIC_TIMER0 + 0x40 * i + reg;
}

// ---- IVPR bits ----
export const IVPR_MASK_MASK = 0x80000000;
export const IVPR_ACTIVITY_MASK = 0x40000000;
export const IVPR_MODE_MASK = 0x20000000;
export const IVPR_POLARITY_MASK = 0x00800000;
export const IVPR_SENSE_MASK = 0x00400000;
export const IVPR_PRIORITY_MASK = 0x000f0000;
export const IVPR_PRIORITY_SHIFT = 16;
/** vector_mask of both FSL models. */
export const MPIC_VECTOR_MASK = 0xffff;

// ---- IDR bits (v2.0, IDR_CRIT) ----
export const IDR_EP = 0x80000000;
export const IDR_CI0_SHIFT = 30;

// ---- ILR (v4.2) output select ----
export const ILR_INTTGT_MASK = 0xff;
export const ILR_INTTGT_INT = 0;
export const ILR_INTTGT_CINT = 1;
export const ILR_INTTGT_MCP = 2;
export const NUM_OUTPUTS = 3;

// ---- GCR ----
export const GCR_RESET = 0x80000000;
export const GCR_MODE_PASS = 0x00000000;
export const GCR_MODE_MIXED = 0x20000000;
export const GCR_MODE_PROXY = 0x60000000;

// ---- timers ----
export const TBCR_CI = 0x80000000;
export const TCCR_TOG = 0x80000000;

// ---- FRR ----
export const FRR_NIRQ_SHIFT = 16;
export const FRR_NCPU_SHIFT = 8;
export const VID_REVISION_1_2 = 2;

// ---- model parameters ----
/** OPENPIC_FLAG_IDR_CRIT: IDR carries EP and per-CPU critical bits (v2.0). */
export const OPENPIC_FLAG_IDR_CRIT = 1;
/** OPENPIC_FLAG_ILR: per-source ILR selects the output (v4.2). */
export const OPENPIC_FLAG_ILR = 2;

/** The per-model constants of mpic_create. */
export interface MpicModel {
  readonly type: 1 | 2;
  readonly name: string;
  readonly brr1: number;
  readonly flags: number;
  readonly nbIrqs: number;
  readonly modeMask: number;
}
export const MPIC_MODEL_20: MpicModel = Object.freeze({
  type: 1,
  name: 'FSL MPIC v2.0',
  brr1: 0x00400200,
  flags: OPENPIC_FLAG_IDR_CRIT,
  nbIrqs: 80,
  modeMask: GCR_MODE_MIXED,
});
export const MPIC_MODEL_42: MpicModel = Object.freeze({
  type: 2,
  name: 'FSL MPIC v4.2',
  brr1: 0x00400402,
  flags: OPENPIC_FLAG_ILR,
  nbIrqs: 196,
  modeMask: GCR_MODE_PROXY,
});

/** Source types (enum irq_type). */
export const IRQ_TYPE_NORMAL = 0;
export const IRQ_TYPE_FSLINT = 1;
export const IRQ_TYPE_FSLSPECIAL = 2;
