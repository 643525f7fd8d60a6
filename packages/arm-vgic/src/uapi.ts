/**
 * ARM vGIC uapi: the constants of `arch/arm64/include/uapi/asm/kvm.h` and of
 * `include/uapi/linux/kvm.h` that the GICv2/GICv3 devices use, with the kernel's names and values,
 * plus the register offsets and the ICC_* system-register encodings.
 * @packageDocumentation
 */
import { _IOR, _IOW } from '@kvmdev/core';

// ---- device types ----
/** `KVM_DEV_TYPE_ARM_VGIC_V2`. */
export const KVM_DEV_TYPE_ARM_VGIC_V2 = 5;
/** `KVM_DEV_TYPE_ARM_VGIC_V3`. */
export const KVM_DEV_TYPE_ARM_VGIC_V3 = 7;
/** `KVM_DEV_TYPE_ARM_VGIC_ITS`. */
export const KVM_DEV_TYPE_ARM_VGIC_ITS = 8;

// ---- attribute groups ----
/** `KVM_DEV_ARM_VGIC_GRP_ADDR` (0): base addresses of the distributor, CPU interface, redistributors and ITS frame (a u64 at `addr`). */
export const KVM_DEV_ARM_VGIC_GRP_ADDR = 0;
/** `KVM_DEV_ARM_VGIC_GRP_DIST_REGS` (1): distributor registers by offset (u32), the vCPU in the attr's upper bits. */
export const KVM_DEV_ARM_VGIC_GRP_DIST_REGS = 1;
/** `KVM_DEV_ARM_VGIC_GRP_CPU_REGS` (2): GICv2 CPU interface registers by offset (u32), the vCPU in the attr's upper bits. */
export const KVM_DEV_ARM_VGIC_GRP_CPU_REGS = 2;
/** `KVM_DEV_ARM_VGIC_GRP_NR_IRQS` (3): the number of interrupts (a u32, 64..1024, a multiple of 32), settable once before init. */
export const KVM_DEV_ARM_VGIC_GRP_NR_IRQS = 3;
/** `KVM_DEV_ARM_VGIC_GRP_CTRL` (4): control operations (init, ITS save/restore tables, save pending tables, ITS reset); no payload. */
export const KVM_DEV_ARM_VGIC_GRP_CTRL = 4;
/** `KVM_DEV_ARM_VGIC_GRP_REDIST_REGS` (5): GICv3 redistributor registers by offset (u32), the vCPU's MPIDR affinity in the attr's upper bits. */
export const KVM_DEV_ARM_VGIC_GRP_REDIST_REGS = 5;
/** `KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS` (6): GICv3 CPU interface system registers (u64) by 16-bit `instr` encoding, the vCPU's MPIDR affinity in the upper bits. */
export const KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS = 6;
/** `KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO` (7): the line level of level-sensitive interrupts, 32 INTIDs per u32. */
export const KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO = 7;
/** `KVM_DEV_ARM_VGIC_GRP_ITS_REGS` (8): the ITS registers (GITS_*) by offset, u64 accesses. */
export const KVM_DEV_ARM_VGIC_GRP_ITS_REGS = 8;
/** `KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ` (9): the maintenance interrupt's INTID (a PPI), for nested virtualisation. */
export const KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ = 9;

// ---- attr encodings ----
/** `KVM_DEV_ARM_VGIC_CPUID_SHIFT`: the vCPU index's bit position in a GICv2 DIST_REGS/CPU_REGS attr. */
export const KVM_DEV_ARM_VGIC_CPUID_SHIFT = 32;
/** `0xff << 32`, as a bigint (the attr is a u64). */
export const KVM_DEV_ARM_VGIC_CPUID_MASK = 0xffn << 32n;
/** `KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT`: the MPIDR affinity's bit position in a GICv3 attr. */
export const KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT = 32;
/** `0xffffffff << 32`. */
export const KVM_DEV_ARM_VGIC_V3_MPIDR_MASK = 0xffffffffn << 32n;
/** `KVM_DEV_ARM_VGIC_OFFSET_SHIFT`: the register offset's bit position in a register attr. */
export const KVM_DEV_ARM_VGIC_OFFSET_SHIFT = 0;
/** `KVM_DEV_ARM_VGIC_OFFSET_MASK`: the register offset's mask in a register attr. */
export const KVM_DEV_ARM_VGIC_OFFSET_MASK = 0xffffffff;
/** `KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK`: the 16-bit system-register `instr` in a CPU_SYSREGS attr. */
export const KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK = 0xffff;
/** `KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT`: the info type's bit position in a LEVEL_INFO attr. */
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT = 10;
/** `KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK`: the info type's mask in a LEVEL_INFO attr (bits 31:10). */
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK = 0xfffffc00;
/** `KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK`: the first INTID's mask in a LEVEL_INFO attr (bits 9:0, a multiple of 32). */
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK = 0x3ff;
/** `VGIC_LEVEL_INFO_LINE_LEVEL` (0): the only LEVEL_INFO type: the input line levels. */
export const VGIC_LEVEL_INFO_LINE_LEVEL = 0;

// ---- CTRL ----
/** `KVM_DEV_ARM_VGIC_CTRL_INIT` (0): initialise the vGIC (or the ITS) now; required before the first KVM_RUN with a userspace-created vGIC. */
export const KVM_DEV_ARM_VGIC_CTRL_INIT = 0;
/** `KVM_DEV_ARM_ITS_SAVE_TABLES` (1): write the ITS device, collection and interrupt translation tables to guest memory. */
export const KVM_DEV_ARM_ITS_SAVE_TABLES = 1;
/** `KVM_DEV_ARM_ITS_RESTORE_TABLES` (2): read the ITS tables back from guest memory. */
export const KVM_DEV_ARM_ITS_RESTORE_TABLES = 2;
/** `KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES` (3): write the LPIs' pending bits to the redistributors' pending tables. */
export const KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES = 3;
/** `KVM_DEV_ARM_ITS_CTRL_RESET` (4): reset the ITS to its initial state (tables unmapped, registers reset). */
export const KVM_DEV_ARM_ITS_CTRL_RESET = 4;

// ---- address types ----
/** `KVM_VGIC_V2_ADDR_TYPE_DIST` (0): GRP_ADDR attr of the GICv2 distributor base (4 KiB aligned). */
export const KVM_VGIC_V2_ADDR_TYPE_DIST = 0;
/** `KVM_VGIC_V2_ADDR_TYPE_CPU` (1): GRP_ADDR attr of the GICv2 CPU interface base (4 KiB aligned). */
export const KVM_VGIC_V2_ADDR_TYPE_CPU = 1;
/** `KVM_VGIC_V3_ADDR_TYPE_DIST` (2): GRP_ADDR attr of the GICv3 distributor base (64 KiB aligned). */
export const KVM_VGIC_V3_ADDR_TYPE_DIST = 2;
/** `KVM_VGIC_V3_ADDR_TYPE_REDIST` (3): GRP_ADDR attr of the legacy single redistributor region's base (64 KiB aligned). */
export const KVM_VGIC_V3_ADDR_TYPE_REDIST = 3;
/** `KVM_VGIC_ITS_ADDR_TYPE` (4): GRP_ADDR attr of the ITS frame base (64 KiB aligned). */
export const KVM_VGIC_ITS_ADDR_TYPE = 4;
/** `KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION` (5): GRP_ADDR attr of one redistributor region (index, flags, base and count packed in the u64). */
export const KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION = 5;

/** `KVM_VGIC_V2_DIST_SIZE`: size of the GICv2 distributor frame (4 KiB). */
export const KVM_VGIC_V2_DIST_SIZE = 0x1000;
/** `KVM_VGIC_V2_CPU_SIZE`: size of the GICv2 CPU interface frame (8 KiB). */
export const KVM_VGIC_V2_CPU_SIZE = 0x2000;
/** `KVM_VGIC_V3_DIST_SIZE`: size of the GICv3 distributor frame (64 KiB). */
export const KVM_VGIC_V3_DIST_SIZE = 0x10000;
/** `KVM_VGIC_V3_REDIST_SIZE`: size of one redistributor (RD_base + SGI_base, 128 KiB). */
export const KVM_VGIC_V3_REDIST_SIZE = 2 * 0x10000;
/** `KVM_VGIC_V3_ITS_SIZE`: size of the ITS frame (128 KiB). */
export const KVM_VGIC_V3_ITS_SIZE = 2 * 0x10000;

/** REDIST_REGION u64 fields. */
export const KVM_VGIC_V3_RDIST_INDEX_MASK = 0xfffn;
/** `KVM_VGIC_V3_RDIST_FLAGS_MASK`: the flags in a REDIST_REGION u64 (bits 15:12, must be 0). */
export const KVM_VGIC_V3_RDIST_FLAGS_MASK = 0xf000n;
/** `KVM_VGIC_V3_RDIST_BASE_MASK`: the base address in a REDIST_REGION u64 (bits 51:16). */
export const KVM_VGIC_V3_RDIST_BASE_MASK = 0x000fffffffff0000n;
/** `KVM_VGIC_V3_RDIST_COUNT_MASK`: the redistributor count in a REDIST_REGION u64 (bits 63:52). */
export const KVM_VGIC_V3_RDIST_COUNT_MASK = 0xfff0000000000000n;
/** `KVM_VGIC_V3_RDIST_COUNT_SHIFT`: bit position of the count in a REDIST_REGION u64. */
export const KVM_VGIC_V3_RDIST_COUNT_SHIFT = 52;

/** An address that was never set reads back as all-ones. */
export const VGIC_ADDR_UNDEF = 0xffffffffffffffffn;

// ---- legacy VM ioctls ----
/** `KVM_ARM_DEVICE_VGIC_V2` (0): the device id of the GICv2 in the legacy KVM_ARM_SET_DEVICE_ADDR. */
export const KVM_ARM_DEVICE_VGIC_V2 = 0;
/** `KVM_ARM_DEVICE_ID_SHIFT`: bit position of the device id in KVM_ARM_SET_DEVICE_ADDR's `id`. */
export const KVM_ARM_DEVICE_ID_SHIFT = 16;
/** `KVM_ARM_DEVICE_ID_MASK`: the device id in KVM_ARM_SET_DEVICE_ADDR's `id`. */
export const KVM_ARM_DEVICE_ID_MASK = 0xffff0000;
/** `KVM_ARM_DEVICE_TYPE_SHIFT`: bit position of the address type in KVM_ARM_SET_DEVICE_ADDR's `id`. */
export const KVM_ARM_DEVICE_TYPE_SHIFT = 0;
/** `KVM_ARM_DEVICE_TYPE_MASK`: the address type in KVM_ARM_SET_DEVICE_ADDR's `id`. */
export const KVM_ARM_DEVICE_TYPE_MASK = 0xffff;
export {
  KVM_CREATE_IRQCHIP,
  KVM_ARM_SET_DEVICE_ADDR,
  KVM_ARM_VCPU_INIT,
  KVM_ARM_PREFERRED_TARGET,
} from '@kvmdev/core';
/** KVM_ARM_PREFERRED_TARGET's answer and the only target KVM_ARM_VCPU_INIT accepts. */
export const KVM_ARM_TARGET_GENERIC_V8 = 5;
/** Number of vCPU feature bits (KVM_VCPU_MAX_FEATURES). */
export const KVM_VCPU_MAX_FEATURES = 7;
/** `_IOR(KVMIO, 0xaf, struct kvm_vcpu_init)` recomputed, for the record. */
export const KVM_ARM_PREFERRED_TARGET_NR = _IOR(0xae, 0xaf, 32);
/** `_IOW(KVMIO, 0xae, struct kvm_vcpu_init)` recomputed. */
export const KVM_ARM_VCPU_INIT_NR = _IOW(0xae, 0xae, 32);

// ---- KVM_CREATE_VM machine type ----
/** `KVM_VM_TYPE_ARM_IPA_SIZE_MASK`: the IPA size in bits in KVM_CREATE_VM's type (0 means 40). */
export const KVM_VM_TYPE_ARM_IPA_SIZE_MASK = 0xff;
/** `KVM_VM_TYPE_ARM_PROTECTED`: the protected-VM (pKVM) flag in KVM_CREATE_VM's type. */
export const KVM_VM_TYPE_ARM_PROTECTED = 0x80000000;
/** The IPA size of a VM created with type 0 (KVM_PHYS_SHIFT). */
export const KVM_PHYS_SHIFT = 40;
/** Smallest IPA size a VM may ask for (ARM64_MIN_PARANGE_BITS). */
export const ARM64_MIN_PARANGE_BITS = 32;

// ---- KVM_IRQ_LINE irq field ----
/** `KVM_ARM_IRQ_VCPU2_SHIFT`: bit position of the `VCPU2` field in the KVM_IRQ_LINE `irq` word. */
export const KVM_ARM_IRQ_VCPU2_SHIFT = 28;
/** `KVM_ARM_IRQ_VCPU2_MASK`: mask of the `VCPU2` field in the KVM_IRQ_LINE `irq` word (after shifting). */
export const KVM_ARM_IRQ_VCPU2_MASK = 0xf;
/** `KVM_ARM_IRQ_TYPE_SHIFT`: bit position of the `TYPE` field in the KVM_IRQ_LINE `irq` word. */
export const KVM_ARM_IRQ_TYPE_SHIFT = 24;
/** `KVM_ARM_IRQ_TYPE_MASK`: mask of the `TYPE` field in the KVM_IRQ_LINE `irq` word (after shifting). */
export const KVM_ARM_IRQ_TYPE_MASK = 0xf;
/** `KVM_ARM_IRQ_VCPU_SHIFT`: bit position of the `VCPU` field in the KVM_IRQ_LINE `irq` word. */
export const KVM_ARM_IRQ_VCPU_SHIFT = 16;
/** `KVM_ARM_IRQ_VCPU_MASK`: mask of the `VCPU` field in the KVM_IRQ_LINE `irq` word (after shifting). */
export const KVM_ARM_IRQ_VCPU_MASK = 0xff;
/** `KVM_ARM_IRQ_NUM_SHIFT`: bit position of the `NUM` field in the KVM_IRQ_LINE `irq` word. */
export const KVM_ARM_IRQ_NUM_SHIFT = 0;
/** `KVM_ARM_IRQ_NUM_MASK`: mask of the `NUM` field in the KVM_IRQ_LINE `irq` word (after shifting). */
export const KVM_ARM_IRQ_NUM_MASK = 0xffff;
/** `KVM_ARM_IRQ_TYPE_CPU` (0): KVM_IRQ_LINE drives a vCPU's IRQ or FIQ line directly (no in-kernel GIC). */
export const KVM_ARM_IRQ_TYPE_CPU = 0;
/** `KVM_ARM_IRQ_TYPE_SPI` (1): KVM_IRQ_LINE drives an SPI of the in-kernel GIC. */
export const KVM_ARM_IRQ_TYPE_SPI = 1;
/** `KVM_ARM_IRQ_TYPE_PPI` (2): KVM_IRQ_LINE drives a PPI of one vCPU of the in-kernel GIC. */
export const KVM_ARM_IRQ_TYPE_PPI = 2;
/** `KVM_ARM_IRQ_CPU_IRQ` (0): the vCPU's IRQ line (KVM_ARM_IRQ_TYPE_CPU). */
export const KVM_ARM_IRQ_CPU_IRQ = 0;
/** `KVM_ARM_IRQ_CPU_FIQ` (1): the vCPU's FIQ line (KVM_ARM_IRQ_TYPE_CPU). */
export const KVM_ARM_IRQ_CPU_FIQ = 1;
/** `KVM_ARM_IRQ_GIC_MAX`: highest SPI INTID + 1 in the legacy encoding doc. */
export const KVM_ARM_IRQ_GIC_MAX = 127;

/** Builds the KVM_IRQ_LINE `irq` field. */
export function kvmArmIrq(type: number, vcpu: number, num: number): number {
  const v2 = (vcpu >>> 8) & KVM_ARM_IRQ_VCPU2_MASK;
  return (
    ((v2 << KVM_ARM_IRQ_VCPU2_SHIFT) |
      ((type & KVM_ARM_IRQ_TYPE_MASK) << KVM_ARM_IRQ_TYPE_SHIFT) |
      ((vcpu & KVM_ARM_IRQ_VCPU_MASK) << KVM_ARM_IRQ_VCPU_SHIFT) |
      (num & KVM_ARM_IRQ_NUM_MASK)) >>>
    0
  );
}

// ---- model bounds ----
/** Number of SGIs per vCPU (INTIDs 0-15). */
export const VGIC_NR_SGIS = 16;
/** Number of PPIs per vCPU (INTIDs 16-31). */
export const VGIC_NR_PPIS = 16;
/** Number of private interrupts per vCPU (SGIs + PPIs). */
export const VGIC_NR_PRIVATE_IRQS = 32;
/** The number of interrupts a vGIC has when NR_IRQS was never set (`VGIC_NR_IRQS_LEGACY`). */
export const VGIC_NR_IRQS_LEGACY = 256;
/** Highest SPI INTID KVM supports. */
export const VGIC_MAX_SPI = 1019;
/** Highest INTID below the LPI range (1020-1023 are special). */
export const VGIC_MAX_RESERVED = 1023;
/** First LPI INTID. */
export const VGIC_MIN_LPI = 8192;
/** The most vCPUs a GICv2 can serve. */
export const VGIC_V2_MAX_CPUS = 8;
/** The most vCPUs KVM lets a GICv3 VM have. */
export const VGIC_V3_MAX_CPUS = 512;
/** GSI routing pins (KVM_IRQCHIP_NUM_PINS = VGIC_MAX_SPI - VGIC_NR_PRIVATE_IRQS + 1). */
export const KVM_IRQCHIP_NUM_PINS = 988;
/** Priority bits the emulated distributor implements (GICD_IPRIORITYR keeps the top 5 bits). */
export const VGIC_PRI_BITS = 5;
/** The product id of KVM's GIC in GICD_IIDR/GICR_IIDR/GITS_IIDR (bits 31:24). */
export const PRODUCT_ID_KVM = 0x4b;
/** The implementer code (ARM) in the IIDR registers (bits 11:0). */
export const IMPLEMENTER_ARM = 0x43b;
/** INTID bits reported in GICD_TYPER without an ITS (SPIs only). */
export const INTERRUPT_ID_BITS_SPIS = 10;
/** INTID bits reported in GICD_TYPER with an ITS (LPIs). */
export const INTERRUPT_ID_BITS_ITS = 16;
/** GICD_IIDR revision 2: interrupt groups are configurable by the guest. */
export const KVM_VGIC_IMP_REV_2 = 2;
/** GICD_IIDR revision 3: GICR_CTLR.IR/CES (invalidate and clear-enable support). */
export const KVM_VGIC_IMP_REV_3 = 3;
/** The GICD_IIDR revision a new vGIC reports. */
export const KVM_VGIC_IMP_REV_LATEST = 3;
/** Spurious INTID. */
export const ICC_IAR1_EL1_SPURIOUS = 0x3ff;
/** The spurious INTID (1023): nothing pending. */
export const GIC_SPURIOUS = 1023;
/** INTID 1022: the highest pending interrupt is in the other group. */
export const GIC_SPURIOUS_OTHER_GROUP = 1022;

// ---- GICv2 distributor offsets ----
/** GICv2 GICD_CTLR offset (distributor control). */
export const GIC_DIST_CTRL = 0x000;
/** GICv2 GICD_TYPER offset (interrupt controller type). */
export const GIC_DIST_CTR = 0x004;
/** GICv2 GICD_IIDR offset (implementer identification). */
export const GIC_DIST_IIDR = 0x008;
/** GICv2 GICD_IGROUPRn offset (interrupt group, 1 bit per INTID). */
export const GIC_DIST_IGROUP = 0x080;
/** GICv2 GICD_ISENABLERn offset (set-enable, 1 bit per INTID). */
export const GIC_DIST_ENABLE_SET = 0x100;
/** GICv2 GICD_ICENABLERn offset (clear-enable). */
export const GIC_DIST_ENABLE_CLEAR = 0x180;
/** GICv2 GICD_ISPENDRn offset (set-pending). */
export const GIC_DIST_PENDING_SET = 0x200;
/** GICv2 GICD_ICPENDRn offset (clear-pending). */
export const GIC_DIST_PENDING_CLEAR = 0x280;
/** GICv2 GICD_ISACTIVERn offset (set-active). */
export const GIC_DIST_ACTIVE_SET = 0x300;
/** GICv2 GICD_ICACTIVERn offset (clear-active). */
export const GIC_DIST_ACTIVE_CLEAR = 0x380;
/** GICv2 GICD_IPRIORITYRn offset (1 byte per INTID). */
export const GIC_DIST_PRI = 0x400;
/** GICv2 GICD_ITARGETSRn offset (CPU targets, 1 byte per INTID). */
export const GIC_DIST_TARGET = 0x800;
/** GICv2 GICD_ICFGRn offset (edge/level, 2 bits per INTID). */
export const GIC_DIST_CONFIG = 0xc00;
/** GICv2 GICD_SGIR offset (software-generated interrupts, write-only). */
export const GIC_DIST_SOFTINT = 0xf00;
/** GICv2 GICD_CPENDSGIRn offset (SGI clear-pending, 1 byte per SGI). */
export const GIC_DIST_SGI_PENDING_CLEAR = 0xf10;
/** GICv2 GICD_SPENDSGIRn offset (SGI set-pending). */
export const GIC_DIST_SGI_PENDING_SET = 0xf20;

// ---- GICv2 CPU interface offsets ----
/** GICv2 GICC_CTLR offset (CPU interface control). */
export const GIC_CPU_CTRL = 0x00;
/** GICv2 GICC_PMR offset (priority mask). */
export const GIC_CPU_PRIMASK = 0x04;
/** GICv2 GICC_BPR offset (binary point). */
export const GIC_CPU_BINPOINT = 0x08;
/** GICv2 GICC_IAR offset (interrupt acknowledge, read-only). */
export const GIC_CPU_INTACK = 0x0c;
/** GICv2 GICC_EOIR offset (end of interrupt, write-only). */
export const GIC_CPU_EOI = 0x10;
/** GICv2 GICC_RPR offset (running priority). */
export const GIC_CPU_RUNNINGPRI = 0x14;
/** GICv2 GICC_HPPIR offset (highest priority pending interrupt). */
export const GIC_CPU_HIGHPRI = 0x18;
/** GICv2 GICC_ABPR offset (aliased binary point, Group 1). */
export const GIC_CPU_ALIAS_BINPOINT = 0x1c;
/** GICv2 GICC_AIAR offset (aliased interrupt acknowledge, Group 1). */
export const GIC_CPU_AIAR = 0x20;
/** GICv2 GICC_AEOIR offset (aliased end of interrupt, Group 1). */
export const GIC_CPU_AEOIR = 0x24;
/** GICv2 GICC_AHPPIR offset (aliased highest priority pending, Group 1). */
export const GIC_CPU_AHPPIR = 0x28;
/** GICv2 GICC_APRn offset (active priorities). */
export const GIC_CPU_ACTIVEPRIO = 0xd0;
/** GICv2 GICC_NSAPRn offset (non-secure active priorities). */
export const GIC_CPU_NSAPR = 0xe0;
/** GICv2 GICC_IIDR offset (CPU interface identification). */
export const GIC_CPU_IDENT = 0xfc;
/** GICv2 GICC_DIR offset (deactivate interrupt, in the second 4 KiB page). */
export const GIC_CPU_DEACTIVATE = 0x1000;
/** GICC_CTLR bits KVM keeps. */
export const GIC_CPU_CTRL_EnableGrp0 = 1 << 0;
/** GICC_CTLR.EnableGrp1: Group 1 interrupts are signalled. */
export const GIC_CPU_CTRL_EnableGrp1 = 1 << 1;
/** GICC_CTLR.AckCtl: GICC_IAR may acknowledge Group 1 interrupts. */
export const GIC_CPU_CTRL_AckCtl = 1 << 2;
/** GICC_CTLR.FIQEn: Group 0 interrupts are signalled as FIQs. */
export const GIC_CPU_CTRL_FIQEn = 1 << 3;
/** GICC_CTLR.CBPR: GICC_BPR controls both groups. */
export const GIC_CPU_CTRL_CBPR = 1 << 4;
/** GICC_CTLR.EOImodeNS: EOI drops priority only; GICC_DIR deactivates. */
export const GIC_CPU_CTRL_EOImodeNS = 1 << 9;
/** GICC_IIDR as KVM reports it. */
export const GICC_IIDR_KVM = ((PRODUCT_ID_KVM << 20) | (0x2 << 16) | IMPLEMENTER_ARM) >>> 0;

// ---- GICv3 distributor offsets ----
/** GICv3 GICD_CTLR offset (distributor control). */
export const GICD_CTLR = 0x0000;
/** GICv3 GICD_TYPER offset (interrupt controller type). */
export const GICD_TYPER = 0x0004;
/** GICv3 GICD_IIDR offset (implementer identification; its revision is writable before init). */
export const GICD_IIDR = 0x0008;
/** GICv3 GICD_TYPER2 offset (type register 2; nASSGIcap writable before init). */
export const GICD_TYPER2 = 0x000c;
/** GICv3 GICD_STATUSR offset (error reporting; KVM reads 0). */
export const GICD_STATUSR = 0x0010;
/** GICv3 GICD_IGROUPRn offset (interrupt group, 1 bit per INTID). */
export const GICD_IGROUPR = 0x0080;
/** GICv3 GICD_ISENABLERn offset (set-enable). */
export const GICD_ISENABLER = 0x0100;
/** GICv3 GICD_ICENABLERn offset (clear-enable). */
export const GICD_ICENABLER = 0x0180;
/** GICv3 GICD_ISPENDRn offset (set-pending). */
export const GICD_ISPENDR = 0x0200;
/** GICv3 GICD_ICPENDRn offset (clear-pending). */
export const GICD_ICPENDR = 0x0280;
/** GICv3 GICD_ISACTIVERn offset (set-active). */
export const GICD_ISACTIVER = 0x0300;
/** GICv3 GICD_ICACTIVERn offset (clear-active). */
export const GICD_ICACTIVER = 0x0380;
/** GICv3 GICD_IPRIORITYRn offset (1 byte per INTID). */
export const GICD_IPRIORITYR = 0x0400;
/** GICv3 GICD_ITARGETSRn offset (RAZ/WI with affinity routing). */
export const GICD_ITARGETSR = 0x0800;
/** GICv3 GICD_ICFGRn offset (edge/level, 2 bits per INTID). */
export const GICD_ICFGR = 0x0c00;
/** GICv3 GICD_IGRPMODRn offset (group modifier; RAZ/WI in KVM's single security state). */
export const GICD_IGRPMODR = 0x0d00;
/** GICv3 GICD_IROUTERn offset (SPI affinity routing, 8 bytes per SPI from INTID 32). */
export const GICD_IROUTER = 0x6000;
/** Start of the distributor's identification registers (PIDR4..CIDR3). */
export const GICD_IDREGS = 0xffd0;
/** GICv3 GICD_PIDR2 offset (architecture revision in bits 7:4). */
export const GICD_PIDR2 = 0xffe8;
/** GICD_CTLR.EnableGrp0. */
export const GICD_CTLR_ENABLE_SS_G0 = 1 << 0;
/** GICD_CTLR.EnableGrp1. */
export const GICD_CTLR_ENABLE_SS_G1 = 1 << 1;
/** GICD_CTLR.ARE: affinity routing enabled (always 1 in KVM's GICv3). */
export const GICD_CTLR_ARE_NS = 1 << 4;
/** GICD_CTLR.DS: single security state (always 1 in KVM's GICv3). */
export const GICD_CTLR_DS = 1 << 6;
/** GICD_CTLR.nASSGIreq: SGIs without an active state (needs TYPER2.nASSGIcap). */
export const GICD_CTLR_nASSGIreq = 1 << 8;
/** GICD_TYPER.LPIS: LPIs are supported (an ITS exists). */
export const GICD_TYPER_LPIS = 1 << 17;
/** GICD_TYPER2.nASSGIcap: SGIs without an active state can be offered (GICv4.1 hosts only). */
export const GICD_TYPER2_nASSGIcap = 1 << 8;
/** Bit position of the revision field in GICD_IIDR. */
export const GICD_IIDR_REVISION_SHIFT = 12;
/** The revision field in GICD_IIDR (bits 15:12). */
export const GICD_IIDR_REVISION_MASK = 0xf << 12;

// ---- GICv3 redistributor offsets (RD_base; SGI_base = +0x10000) ----
/** GICR_CTLR offset (redistributor control: EnableLPIs, CES, IR, RWP). */
export const GICR_CTLR = 0x0000;
/** GICR_IIDR offset (redistributor identification; no revision field). */
export const GICR_IIDR = 0x0004;
/** GICR_TYPER offset (a u64: affinity, processor number, Last, PLPIS). */
export const GICR_TYPER = 0x0008;
/** GICR_STATUSR offset (error reporting; reads 0). */
export const GICR_STATUSR = 0x0010;
/** GICR_WAKER offset (ProcessorSleep/ChildrenAsleep; RAZ/WI in KVM). */
export const GICR_WAKER = 0x0014;
/** GICR_PROPBASER offset (LPI configuration table base, u64). */
export const GICR_PROPBASER = 0x0070;
/** GICR_PENDBASER offset (LPI pending table base, u64). */
export const GICR_PENDBASER = 0x0078;
/** GICR_INVLPIR offset (invalidate one LPI's cached configuration). */
export const GICR_INVLPIR = 0x00a0;
/** GICR_INVALLR offset (invalidate all cached LPI configuration). */
export const GICR_INVALLR = 0x00b0;
/** GICR_SYNCR offset (busy bit of the direct invalidation registers). */
export const GICR_SYNCR = 0x00c0;
/** Start of the redistributor's identification registers. */
export const GICR_IDREGS = 0xffd0;
/** GICR_PIDR2 offset (architecture revision in bits 7:4). */
export const GICR_PIDR2 = 0xffe8;
/** Offset of the SGI_base frame inside a redistributor (the second 64 KiB). */
export const GICR_SGI_BASE = 0x10000;
/** GICR_IGROUPR0 offset (group of the vCPU's SGIs and PPIs). */
export const GICR_IGROUPR0 = GICR_SGI_BASE + 0x0080;
/** GICR_ISENABLER0 offset (set-enable of the private interrupts). */
export const GICR_ISENABLER0 = GICR_SGI_BASE + 0x0100;
/** GICR_ICENABLER0 offset (clear-enable of the private interrupts). */
export const GICR_ICENABLER0 = GICR_SGI_BASE + 0x0180;
/** GICR_ISPENDR0 offset (set-pending of the private interrupts). */
export const GICR_ISPENDR0 = GICR_SGI_BASE + 0x0200;
/** GICR_ICPENDR0 offset (clear-pending of the private interrupts). */
export const GICR_ICPENDR0 = GICR_SGI_BASE + 0x0280;
/** GICR_ISACTIVER0 offset (set-active of the private interrupts). */
export const GICR_ISACTIVER0 = GICR_SGI_BASE + 0x0300;
/** GICR_ICACTIVER0 offset (clear-active of the private interrupts). */
export const GICR_ICACTIVER0 = GICR_SGI_BASE + 0x0380;
/** GICR_IPRIORITYRn offset (priorities of the private interrupts, 1 byte each). */
export const GICR_IPRIORITYR0 = GICR_SGI_BASE + 0x0400;
/** GICR_ICFGR0 offset (SGI configuration, read-only edge). */
export const GICR_ICFGR0 = GICR_SGI_BASE + 0x0c00;
/** GICR_ICFGR1 offset (PPI configuration). */
export const GICR_ICFGR1 = GICR_SGI_BASE + 0x0c04;
/** GICR_IGRPMODR0 offset (group modifier of the private interrupts). */
export const GICR_IGRPMODR0 = GICR_SGI_BASE + 0x0d00;
/** GICR_NSACR offset (non-secure access control; RAZ/WI). */
export const GICR_NSACR = GICR_SGI_BASE + 0x0e00;
/** GICR_CTLR.EnableLPIs. */
export const GICR_CTLR_ENABLE_LPIS = 1 << 0;
/** GICR_CTLR.CES: clearing EnableLPIs is supported (IIDR revision 3 and later). */
export const GICR_CTLR_CES = 1 << 1;
/** GICR_CTLR.IR: direct LPI invalidation is supported (IIDR revision 3 and later). */
export const GICR_CTLR_IR = 1 << 2;
/** GICR_TYPER.PLPIS: physical LPIs are supported. */
export const GICR_TYPER_PLPIS = 1 << 0;
/** GICR_TYPER.Last: the last redistributor of its region. */
export const GICR_TYPER_LAST = 1 << 4;

// ---- ICC system registers: instr = Op0<<14 | Op1<<11 | CRn<<7 | CRm<<3 | Op2 ----
/** The 16-bit `instr` encoding used by CPU_SYSREGS and by the guest port's sysreg calls. */
export function sysregInstr(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}
/** `KVM_REG_ARM64_SYSREG_OP0_MASK`: mask of the OP0 field in the 16-bit system-register `instr` encoding. */
export const KVM_REG_ARM64_SYSREG_OP0_MASK = 0xc000;
/** `KVM_REG_ARM64_SYSREG_OP1_MASK`: mask of the OP1 field in the 16-bit system-register `instr` encoding. */
export const KVM_REG_ARM64_SYSREG_OP1_MASK = 0x3800;
/** `KVM_REG_ARM64_SYSREG_CRN_MASK`: mask of the CRN field in the 16-bit system-register `instr` encoding. */
export const KVM_REG_ARM64_SYSREG_CRN_MASK = 0x0780;
/** `KVM_REG_ARM64_SYSREG_CRM_MASK`: mask of the CRM field in the 16-bit system-register `instr` encoding. */
export const KVM_REG_ARM64_SYSREG_CRM_MASK = 0x0078;
/** `KVM_REG_ARM64_SYSREG_OP2_MASK`: mask of the OP2 field in the 16-bit system-register `instr` encoding. */
export const KVM_REG_ARM64_SYSREG_OP2_MASK = 0x0007;
/** `instr` encoding of ICC_PMR_EL1 (priority mask). */
export const ICC_PMR_EL1 = 0xc230;
/** `instr` encoding of ICC_IAR0_EL1 (Group 0 acknowledge). */
export const ICC_IAR0_EL1 = 0xc640;
/** `instr` encoding of ICC_EOIR0_EL1 (Group 0 end of interrupt). */
export const ICC_EOIR0_EL1 = 0xc641;
/** `instr` encoding of ICC_HPPIR0_EL1 (Group 0 highest priority pending). */
export const ICC_HPPIR0_EL1 = 0xc642;
/** `instr` encoding of ICC_BPR0_EL1 (Group 0 binary point). */
export const ICC_BPR0_EL1 = 0xc643;
/** `ICC_AP0R0_EL1`: the `instr` encoding of the Group 0 active-priorities register 0 (CPU_SYSREGS). */
export const ICC_AP0R0_EL1 = 0xc644;
/** `ICC_AP0R1_EL1`: the `instr` encoding of the Group 0 active-priorities register 1 (CPU_SYSREGS). */
export const ICC_AP0R1_EL1 = 0xc645;
/** `ICC_AP0R2_EL1`: the `instr` encoding of the Group 0 active-priorities register 2 (CPU_SYSREGS). */
export const ICC_AP0R2_EL1 = 0xc646;
/** `ICC_AP0R3_EL1`: the `instr` encoding of the Group 0 active-priorities register 3 (CPU_SYSREGS). */
export const ICC_AP0R3_EL1 = 0xc647;
/** `ICC_AP1R0_EL1`: the `instr` encoding of the Group 1 active-priorities register 0 (CPU_SYSREGS). */
export const ICC_AP1R0_EL1 = 0xc648;
/** `ICC_AP1R1_EL1`: the `instr` encoding of the Group 1 active-priorities register 1 (CPU_SYSREGS). */
export const ICC_AP1R1_EL1 = 0xc649;
/** `ICC_AP1R2_EL1`: the `instr` encoding of the Group 1 active-priorities register 2 (CPU_SYSREGS). */
export const ICC_AP1R2_EL1 = 0xc64a;
/** `ICC_AP1R3_EL1`: the `instr` encoding of the Group 1 active-priorities register 3 (CPU_SYSREGS). */
export const ICC_AP1R3_EL1 = 0xc64b;
/** `instr` encoding of ICC_DIR_EL1 (deactivate interrupt). */
export const ICC_DIR_EL1 = 0xc659;
/** `instr` encoding of ICC_RPR_EL1 (running priority). */
export const ICC_RPR_EL1 = 0xc65b;
/** `instr` encoding of ICC_SGI1R_EL1 (generate a Group 1 SGI). */
export const ICC_SGI1R_EL1 = 0xc65d;
/** `instr` encoding of ICC_ASGI1R_EL1 (generate an SGI for the other security state). */
export const ICC_ASGI1R_EL1 = 0xc65e;
/** `instr` encoding of ICC_SGI0R_EL1 (generate a Group 0 SGI). */
export const ICC_SGI0R_EL1 = 0xc65f;
/** `instr` encoding of ICC_IAR1_EL1 (Group 1 acknowledge). */
export const ICC_IAR1_EL1 = 0xc660;
/** `instr` encoding of ICC_EOIR1_EL1 (Group 1 end of interrupt). */
export const ICC_EOIR1_EL1 = 0xc661;
/** `instr` encoding of ICC_HPPIR1_EL1 (Group 1 highest priority pending). */
export const ICC_HPPIR1_EL1 = 0xc662;
/** `instr` encoding of ICC_BPR1_EL1 (Group 1 binary point). */
export const ICC_BPR1_EL1 = 0xc663;
/** `instr` encoding of ICC_CTLR_EL1 (CPU interface control: CBPR, EOImode, PRIbits, IDbits, SEIS, A3V). */
export const ICC_CTLR_EL1 = 0xc664;
/** `instr` encoding of ICC_SRE_EL1 (system register enable; SRE reads 1). */
export const ICC_SRE_EL1 = 0xc665;
/** `instr` encoding of ICC_IGRPEN0_EL1 (Group 0 enable). */
export const ICC_IGRPEN0_EL1 = 0xc666;
/** `instr` encoding of ICC_IGRPEN1_EL1 (Group 1 enable). */
export const ICC_IGRPEN1_EL1 = 0xc667;
/** The 15 registers CPU_SYSREGS exposes, in the kernel's table order. */
export const ICC_UACCESS_REGS: readonly number[] = [
  ICC_PMR_EL1,
  ICC_BPR0_EL1,
  ICC_AP0R0_EL1,
  ICC_AP0R1_EL1,
  ICC_AP0R2_EL1,
  ICC_AP0R3_EL1,
  ICC_AP1R0_EL1,
  ICC_AP1R1_EL1,
  ICC_AP1R2_EL1,
  ICC_AP1R3_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_SRE_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
];
/** ICC_CTLR_EL1.CBPR: ICC_BPR0_EL1 controls both groups. */
export const ICC_CTLR_EL1_CBPR = 1 << 0;
/** ICC_CTLR_EL1.EOImode: EOI drops priority only; ICC_DIR_EL1 deactivates. */
export const ICC_CTLR_EL1_EOImode = 1 << 1;
/** Bit position of ICC_CTLR_EL1.PRIbits (priority bits - 1, read-only). */
export const ICC_CTLR_EL1_PRI_BITS_SHIFT = 8;
/** ICC_CTLR_EL1.PRIbits (bits 10:8). */
export const ICC_CTLR_EL1_PRI_BITS_MASK = 0x7 << 8;
/** Bit position of ICC_CTLR_EL1.IDbits (0: 16 INTID bits, 1: 24). */
export const ICC_CTLR_EL1_ID_BITS_SHIFT = 11;
/** ICC_CTLR_EL1.IDbits (bits 13:11). */
export const ICC_CTLR_EL1_ID_BITS_MASK = 0x7 << 11;
/** ICC_CTLR_EL1.SEIS: local SError generation is supported (the host's value). */
export const ICC_CTLR_EL1_SEIS = 1 << 14;
/** ICC_CTLR_EL1.A3V: affinity level 3 is supported (the host's value). */
export const ICC_CTLR_EL1_A3V = 1 << 15;
/** ICC_SRE_EL1.SRE: the system-register interface is enabled. */
export const ICC_SRE_EL1_SRE = 1 << 0;
/** ICC_SRE_EL1.DFB: FIQ bypass disabled. */
export const ICC_SRE_EL1_DFB = 1 << 1;
/** ICC_SRE_EL1.DIB: IRQ bypass disabled. */
export const ICC_SRE_EL1_DIB = 1 << 2;
/** ICC_SGI1R_EL1 fields. */
export const ICC_SGI1R_TARGET_LIST_MASK = 0xffff;
/** `ICC_SGI1R_AFFINITY_1_SHIFT`: bit position of the `AFFINITY_1` field in ICC_SGI1R_EL1 (a u64 written by the guest). */
export const ICC_SGI1R_AFFINITY_1_SHIFT = 16;
/** `ICC_SGI1R_SGI_ID_SHIFT`: bit position of the `SGI_ID` field in ICC_SGI1R_EL1 (a u64 written by the guest). */
export const ICC_SGI1R_SGI_ID_SHIFT = 24;
/** `ICC_SGI1R_AFFINITY_2_SHIFT`: bit position of the `AFFINITY_2` field in ICC_SGI1R_EL1 (a u64 written by the guest). */
export const ICC_SGI1R_AFFINITY_2_SHIFT = 32;
/** Bit position of ICC_SGI1R_EL1.IRM (1: every vCPU but self). */
export const ICC_SGI1R_IRQ_ROUTING_MODE_BIT = 40;
/** `ICC_SGI1R_RS_SHIFT`: bit position of the `RS` field in ICC_SGI1R_EL1 (a u64 written by the guest). */
export const ICC_SGI1R_RS_SHIFT = 44;
/** `ICC_SGI1R_AFFINITY_3_SHIFT`: bit position of the `AFFINITY_3` field in ICC_SGI1R_EL1 (a u64 written by the guest). */
export const ICC_SGI1R_AFFINITY_3_SHIFT = 48;

/**
 * The default host profile's GIC (`gicv3Server`): what `ICH_VTR_EL2` tells KVM (5 priority
 * bits, 16 INTID bits, SEIS 0, A3V 1), so ICC_CTLR_EL1 reads 0x8400 after init.
 * @deprecated The host is a profile now: read `createArmVgic({ host }).host.ichVtr`.
 */
export const HOST_GIC = Object.freeze({ priBits: 5, idBits: 0, seis: 0, a3v: 1 });
/**
 * The default host profile's IPA limit (KVM_CAP_ARM_VM_IPA_SIZE).
 * @deprecated The host is a profile now: read `createArmVgic({ host }).host.ipaLimit`.
 */
export const HOST_IPA_LIMIT = 48;

/** KVM's default MPIDR_EL1 for a vCPU id (reset_mpidr): Aff0 = id & 0xf, Aff1 = (id >> 4) & 0xff, Aff2 = (id >> 12) & 0xff, plus RES1 bit 31. */
export function defaultMpidr(id: number): number {
  return ((id & 0xf) | (((id >> 4) & 0xff) << 8) | (((id >> 12) & 0xff) << 16) | 0x80000000) >>> 0;
}
/** The 32-bit affinity (Aff3.Aff2.Aff1.Aff0) KVM expects in the upper half of a V3 attr, for a vCPU id. */
export function vgicMpidrAttr(id: number): bigint {
  return BigInt(defaultMpidr(id) & 0xffffff) << 32n;
}
