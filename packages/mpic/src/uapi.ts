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
/** KVM_INTERRUPT_SET (-1U): KVM_INTERRUPT / KVM_IRQ_LINE level that raises the vCPU's external interrupt. */
export const KVM_INTERRUPT_SET = 0xffffffff;
/** KVM_INTERRUPT_UNSET (-2U): lowers the vCPU's external interrupt. */
export const KVM_INTERRUPT_UNSET = 0xfffffffe;
/** KVM_INTERRUPT_SET_LEVEL (-3U): raises the external interrupt level-triggered (stays up until UNSET). */
export const KVM_INTERRUPT_SET_LEVEL = 0xfffffffd;
/** KVM_NR_IRQCHIPS on powerpc. */
export const KVM_NR_IRQCHIPS = 1;
/** KVM_IRQCHIP_NUM_PINS on powerpc: one pin per SRC source. */
export const KVM_IRQCHIP_NUM_PINS = 256;

/** ONE_REG id of the vCPU's External Proxy Register (KVM_REG_PPC | KVM_REG_SIZE_U32 | 0x86; 0x85 is KVM_REG_PPC_EPCR). */
export const KVM_REG_PPC_EPR = 0x1020000000000086n;

// ---- model limits (mpic.c) ----
/** Most CPUs (per-CPU pages) an MPIC serves. */
export const MAX_CPU = 32;
/** Number of interrupt sources (SRC register blocks, IRQ 0..255). */
export const MAX_SRC = 256;
/** Number of global timers. */
export const MAX_TMR = 4;
/** Number of IPIs (IPIDR0..3). */
export const MAX_IPI = 4;
/** Number of MSI banks (MSIR0..7). */
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
/** Size of the MPIC register window at BASE_ADDR (256 KiB). */
export const OPENPIC_REG_SIZE = 0x40000;
/** Start of the global registers (BRR1, FRR, GCR, VIR, PIR, IPI IVPRs, SPVE). */
export const OPENPIC_GLB_REG_START = 0x0;
/** Size of the global register region. */
export const OPENPIC_GLB_REG_SIZE = 0x10f0;
/** Start of the global timer registers (TFRR, then timers 0..3). */
export const OPENPIC_TMR_REG_START = 0x10f0;
/** Size of the timer region. */
export const OPENPIC_TMR_REG_SIZE = 0x220;
/** Start of the MSI registers (MSIR0..7, MSISR, MSIIR). */
export const OPENPIC_MSI_REG_START = 0x1600;
/** Size of the MSI region. */
export const OPENPIC_MSI_REG_SIZE = 0x200;
/** Start of the summary registers (read as 0). */
export const OPENPIC_SUMMARY_REG_START = 0x3800;
/** Size of the summary region. */
export const OPENPIC_SUMMARY_REG_SIZE = 0x800;
/** Start of the per-source registers (IVPR, IDR, ILR), 0x20 bytes per source. */
export const OPENPIC_SRC_REG_START = 0x10000;
/** Size of the source region: MAX_SRC blocks of 0x20 bytes. */
export const OPENPIC_SRC_REG_SIZE = MAX_SRC * 0x20;
/** Start of the per-CPU pages (CTPR, WHOAMI, IACK, EOI), 0x1000 bytes per CPU. */
export const OPENPIC_CPU_REG_START = 0x20000;
/** Size of the per-CPU region: MAX_CPU pages. */
export const OPENPIC_CPU_REG_SIZE = 0x100 + (MAX_CPU - 1) * 0x1000;

// ---- global registers ----
/** BRR1 offset: Block Revision Register 1 (read-only, the model's id and revision). */
export const MPIC_BRR1 = 0x0000;
/** IPI dispatch registers of the current CPU (alias of the per-CPU page). */
export const MPIC_IPIDR0 = 0x0040;
/** CTPR offset: Current Task Priority Register of a CPU. */
export const MPIC_CTPR = 0x0080;
/** WHOAMI offset: reads the index of the accessing CPU. */
export const MPIC_WHOAMI = 0x0090;
/** IACK offset: Interrupt Acknowledge (a read returns the highest pending vector and makes it in service). */
export const MPIC_IACK = 0x00a0;
/** EOI offset: End Of Interrupt (a write retires the highest in-service interrupt). */
export const MPIC_EOI = 0x00b0;
/** FRR offset: Feature Reporting Register (NIRQ, NCPU, VID; read-only). */
export const MPIC_FRR = 0x1000;
/** GCR offset: Global Configuration Register (RESET, mode). */
export const MPIC_GCR = 0x1020;
/** VIR offset: Vendor Identification Register (read-only). */
export const MPIC_VIR = 0x1080;
/** PIR offset: Processor Initialization Register. */
export const MPIC_PIR = 0x1090;
/** IVPR of IPI 0 (IPI k at + 0x10·k). */
export const MPIC_IPI_IVPR0 = 0x10a0;
/** SPVE offset: Spurious Vector Register (the vector IACK returns when nothing is pending). */
export const MPIC_SPVE = 0x10e0;
// ---- timers ----
/** TFRR offset: Timer Frequency Reporting Register. */
export const MPIC_TFRR = 0x10f0;
/** Timer i registers at MPIC_TIMER0 + 0x40·i + {TCCR, TBCR, TVPR, TDR}. */
export const MPIC_TIMER0 = 0x1100;
/** TCCR offset in a timer's block: Timer Current Count Register (read-only to the guest). */
export const MPIC_TCCR = 0x00;
/** TBCR offset in a timer's block: Timer Base Count Register. */
export const MPIC_TBCR = 0x10;
/** TVPR offset in a timer's block: Timer Vector/Priority Register. */
export const MPIC_TVPR = 0x20;
/** TDR offset in a timer's block: Timer Destination Register. */
export const MPIC_TDR = 0x30;
// ---- MSI ----
/** MSIR of bank srs at MPIC_MSIR0 + 0x10·srs (clear on read). */
export const MPIC_MSIR0 = 0x1600;
/** MSISR offset: Shared Message Signaled Interrupt Status Register (which MSIRs are non-zero). */
export const MPIC_MSISR = 0x1720;
/** MSIIR offset: Shared Message Signaled Interrupt Index Register (a write sets bit IBS of MSIR SRS). */
export const MPIC_MSIIR = 0x1740;
/** MSIIR offset inside the MSI sub-region. */
export const MSIIR_OFFSET = 0x140;
/** Shift of MSIIR's SRS field (shared register select: the MSIR bank). */
export const MSIIR_SRS_SHIFT = 29;
/** MSIIR's SRS field: bits 31:29. */
export const MSIIR_SRS_MASK = 0x7 << MSIIR_SRS_SHIFT;
/** Shift of MSIIR's IBS field (interrupt bit select in the MSIR). */
export const MSIIR_IBS_SHIFT = 24;
/** MSIIR's IBS field: bits 28:24. */
export const MSIIR_IBS_MASK = 0x1f << MSIIR_IBS_SHIFT;
// ---- sources ----
/** Bytes between two sources' register blocks. */
export const MPIC_SRC_STRIDE = 0x20;
/** IVPR offset in a source's block: Interrupt Vector/Priority Register. */
export const MPIC_SRC_IVPR = 0x00;
/** IDR offset in a source's block: Interrupt Destination Register. */
export const MPIC_SRC_IDR = 0x10;
/** ILR offset in a source's block: Interrupt Level Register (v4.2 only). */
export const MPIC_SRC_ILR = 0x18;
// ---- per-CPU pages ----
/** Bytes between two CPUs' per-CPU pages. */
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
/** IVPR MSK (bit 31): the source is masked. */
export const IVPR_MASK_MASK = 0x80000000;
/** IVPR A (bit 30, read-only): the interrupt is pending or in service. */
export const IVPR_ACTIVITY_MASK = 0x40000000;
/** IVPR mode bit (bit 29). */
export const IVPR_MODE_MASK = 0x20000000;
/** IVPR POLARITY (bit 23): active-high / rising edge when set. */
export const IVPR_POLARITY_MASK = 0x00800000;
/** IVPR SENSE (bit 22): level-sensitive when set, edge when clear. */
export const IVPR_SENSE_MASK = 0x00400000;
/** IVPR PRIORITY field (bits 19:16). */
export const IVPR_PRIORITY_MASK = 0x000f0000;
/** Shift of the IVPR PRIORITY field. */
export const IVPR_PRIORITY_SHIFT = 16;
/** vector_mask of both FSL models. */
export const MPIC_VECTOR_MASK = 0xffff;

// ---- IDR bits (v2.0, IDR_CRIT) ----
/** IDR EP (bit 31): route the source to the external pin (v2.0). */
export const IDR_EP = 0x80000000;
/** Shift of IDR's CI bit for CPU 0 (critical interrupt; CPU n's bit is 30 - n) (v2.0). */
export const IDR_CI0_SHIFT = 30;

// ---- ILR (v4.2) output select ----
/** ILR INTTGT field: which output of the CPU the source drives. */
export const ILR_INTTGT_MASK = 0xff;
/** ILR INTTGT value: the normal interrupt output (int). */
export const ILR_INTTGT_INT = 0;
/** ILR INTTGT value: the critical interrupt output (cint). */
export const ILR_INTTGT_CINT = 1;
/** ILR INTTGT value: the machine check output (mcp). */
export const ILR_INTTGT_MCP = 2;
/** Outputs per CPU (int, cint, mcp). */
export const NUM_OUTPUTS = 3;

// ---- GCR ----
/** GCR RESET (bit 31): a write with it set resets the controller. */
export const GCR_RESET = 0x80000000;
/** GCR mode value: pass-through mode. */
export const GCR_MODE_PASS = 0x00000000;
/** GCR mode value: mixed mode (the only mode of v2.0). */
export const GCR_MODE_MIXED = 0x20000000;
/** GCR mode value: external proxy mode (v4.2: the vector is delivered through EPR). */
export const GCR_MODE_PROXY = 0x60000000;

// ---- timers ----
/** TBCR CI (bit 31): count inhibit (the timer is stopped). */
export const TBCR_CI = 0x80000000;
/** TCCR TOG (bit 31): toggles each time the count reaches zero. */
export const TCCR_TOG = 0x80000000;

// ---- FRR ----
/** Shift of FRR's NIRQ field (number of IRQs minus 1). */
export const FRR_NIRQ_SHIFT = 16;
/** Shift of FRR's NCPU field (number of CPUs minus 1). */
export const FRR_NCPU_SHIFT = 8;
/** FRR VID value: OpenPIC specification revision 1.2. */
export const VID_REVISION_1_2 = 2;

// ---- model parameters ----
/** OPENPIC_FLAG_IDR_CRIT: IDR carries EP and per-CPU critical bits (v2.0). */
export const OPENPIC_FLAG_IDR_CRIT = 1;
/** OPENPIC_FLAG_ILR: per-source ILR selects the output (v4.2). */
export const OPENPIC_FLAG_ILR = 2;

/** The per-model constants of mpic_create. */
export interface MpicModel {
  /** The KVM_DEV_TYPE_FSL_MPIC_20 / _42 number the model answers to. */
  readonly type: 1 | 2;
  /** The model's name (for messages and views). */
  readonly name: string;
  /** The model's BRR1 value. */
  readonly brr1: number;
  /** OPENPIC_FLAG_* of the model (IDR_CRIT or ILR). */
  readonly flags: number;
  /** Number of sources the model implements (FRR NIRQ + 1). */
  readonly nbIrqs: number;
  /** The GCR mode bits the model keeps (mode_mask). */
  readonly modeMask: number;
}
/** KVM_DEV_TYPE_FSL_MPIC_20: FSL MPIC v2.0 (80 sources, mixed mode, IDR critical bits). */
export const MPIC_MODEL_20: MpicModel = Object.freeze({
  type: 1,
  name: 'FSL MPIC v2.0',
  brr1: 0x00400200,
  flags: OPENPIC_FLAG_IDR_CRIT,
  nbIrqs: 80,
  modeMask: GCR_MODE_MIXED,
});
/** KVM_DEV_TYPE_FSL_MPIC_42: FSL MPIC v4.2 (196 sources, proxy mode, per-source ILR). */
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
/** Source type of an FSL internal source. */
export const IRQ_TYPE_FSLINT = 1;
/** Source type of an FSL special source (IPIs, timers). */
export const IRQ_TYPE_FSLSPECIAL = 2;
