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
export const KVM_DEV_ARM_VGIC_GRP_ADDR = 0;
export const KVM_DEV_ARM_VGIC_GRP_DIST_REGS = 1;
export const KVM_DEV_ARM_VGIC_GRP_CPU_REGS = 2;
export const KVM_DEV_ARM_VGIC_GRP_NR_IRQS = 3;
export const KVM_DEV_ARM_VGIC_GRP_CTRL = 4;
export const KVM_DEV_ARM_VGIC_GRP_REDIST_REGS = 5;
export const KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS = 6;
export const KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO = 7;
export const KVM_DEV_ARM_VGIC_GRP_ITS_REGS = 8;
export const KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ = 9;

// ---- attr encodings ----
export const KVM_DEV_ARM_VGIC_CPUID_SHIFT = 32;
/** `0xff << 32`, as a bigint (the attr is a u64). */
export const KVM_DEV_ARM_VGIC_CPUID_MASK = 0xffn << 32n;
export const KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT = 32;
/** `0xffffffff << 32`. */
export const KVM_DEV_ARM_VGIC_V3_MPIDR_MASK = 0xffffffffn << 32n;
export const KVM_DEV_ARM_VGIC_OFFSET_SHIFT = 0;
export const KVM_DEV_ARM_VGIC_OFFSET_MASK = 0xffffffff;
export const KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK = 0xffff;
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT = 10;
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK = 0x3fffff << 10;
export const KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK = 0x3ff;
export const VGIC_LEVEL_INFO_LINE_LEVEL = 0;

// ---- CTRL ----
export const KVM_DEV_ARM_VGIC_CTRL_INIT = 0;
export const KVM_DEV_ARM_ITS_SAVE_TABLES = 1;
export const KVM_DEV_ARM_ITS_RESTORE_TABLES = 2;
export const KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES = 3;
export const KVM_DEV_ARM_ITS_CTRL_RESET = 4;

// ---- address types ----
export const KVM_VGIC_V2_ADDR_TYPE_DIST = 0;
export const KVM_VGIC_V2_ADDR_TYPE_CPU = 1;
export const KVM_VGIC_V3_ADDR_TYPE_DIST = 2;
export const KVM_VGIC_V3_ADDR_TYPE_REDIST = 3;
export const KVM_VGIC_ITS_ADDR_TYPE = 4;
export const KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION = 5;

export const KVM_VGIC_V2_DIST_SIZE = 0x1000;
export const KVM_VGIC_V2_CPU_SIZE = 0x2000;
export const KVM_VGIC_V3_DIST_SIZE = 0x10000;
export const KVM_VGIC_V3_REDIST_SIZE = 2 * 0x10000;
export const KVM_VGIC_V3_ITS_SIZE = 2 * 0x10000;

/** REDIST_REGION u64 fields. */
export const KVM_VGIC_V3_RDIST_INDEX_MASK = 0xfffn;
export const KVM_VGIC_V3_RDIST_FLAGS_MASK = 0xf000n;
export const KVM_VGIC_V3_RDIST_BASE_MASK = 0x000fffffffff0000n;
export const KVM_VGIC_V3_RDIST_COUNT_MASK = 0xfff0000000000000n;
export const KVM_VGIC_V3_RDIST_COUNT_SHIFT = 52;

/** An address that was never set reads back as all-ones. */
export const VGIC_ADDR_UNDEF = 0xffffffffffffffffn;

// ---- legacy VM ioctls ----
export const KVM_ARM_DEVICE_VGIC_V2 = 0;
export const KVM_ARM_DEVICE_ID_SHIFT = 16;
export const KVM_ARM_DEVICE_ID_MASK = 0xffff << 16;
export const KVM_ARM_DEVICE_TYPE_SHIFT = 0;
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
export const KVM_VM_TYPE_ARM_IPA_SIZE_MASK = 0xff;
export const KVM_VM_TYPE_ARM_PROTECTED = 0x80000000;
/** The IPA size of a VM created with type 0 (KVM_PHYS_SHIFT). */
export const KVM_PHYS_SHIFT = 40;
/** Smallest IPA size a VM may ask for (ARM64_MIN_PARANGE_BITS). */
export const ARM64_MIN_PARANGE_BITS = 32;

// ---- KVM_IRQ_LINE irq field ----
export const KVM_ARM_IRQ_VCPU2_SHIFT = 28;
export const KVM_ARM_IRQ_VCPU2_MASK = 0xf;
export const KVM_ARM_IRQ_TYPE_SHIFT = 24;
export const KVM_ARM_IRQ_TYPE_MASK = 0xf;
export const KVM_ARM_IRQ_VCPU_SHIFT = 16;
export const KVM_ARM_IRQ_VCPU_MASK = 0xff;
export const KVM_ARM_IRQ_NUM_SHIFT = 0;
export const KVM_ARM_IRQ_NUM_MASK = 0xffff;
export const KVM_ARM_IRQ_TYPE_CPU = 0;
export const KVM_ARM_IRQ_TYPE_SPI = 1;
export const KVM_ARM_IRQ_TYPE_PPI = 2;
export const KVM_ARM_IRQ_CPU_IRQ = 0;
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
export const VGIC_NR_SGIS = 16;
export const VGIC_NR_PPIS = 16;
export const VGIC_NR_PRIVATE_IRQS = 32;
export const VGIC_NR_IRQS_LEGACY = 256;
export const VGIC_MAX_SPI = 1019;
export const VGIC_MAX_RESERVED = 1023;
export const VGIC_MIN_LPI = 8192;
export const VGIC_V2_MAX_CPUS = 8;
export const VGIC_V3_MAX_CPUS = 512;
/** GSI routing pins (KVM_IRQCHIP_NUM_PINS = VGIC_MAX_SPI - VGIC_NR_PRIVATE_IRQS + 1). */
export const KVM_IRQCHIP_NUM_PINS = 988;
export const VGIC_PRI_BITS = 5;
export const PRODUCT_ID_KVM = 0x4b;
export const IMPLEMENTER_ARM = 0x43b;
export const INTERRUPT_ID_BITS_SPIS = 10;
export const INTERRUPT_ID_BITS_ITS = 16;
export const KVM_VGIC_IMP_REV_2 = 2;
export const KVM_VGIC_IMP_REV_3 = 3;
export const KVM_VGIC_IMP_REV_LATEST = 3;
/** Spurious INTID. */
export const ICC_IAR1_EL1_SPURIOUS = 0x3ff;
export const GIC_SPURIOUS = 1023;
export const GIC_SPURIOUS_OTHER_GROUP = 1022;

// ---- GICv2 distributor offsets ----
export const GIC_DIST_CTRL = 0x000;
export const GIC_DIST_CTR = 0x004;
export const GIC_DIST_IIDR = 0x008;
export const GIC_DIST_IGROUP = 0x080;
export const GIC_DIST_ENABLE_SET = 0x100;
export const GIC_DIST_ENABLE_CLEAR = 0x180;
export const GIC_DIST_PENDING_SET = 0x200;
export const GIC_DIST_PENDING_CLEAR = 0x280;
export const GIC_DIST_ACTIVE_SET = 0x300;
export const GIC_DIST_ACTIVE_CLEAR = 0x380;
export const GIC_DIST_PRI = 0x400;
export const GIC_DIST_TARGET = 0x800;
export const GIC_DIST_CONFIG = 0xc00;
export const GIC_DIST_SOFTINT = 0xf00;
export const GIC_DIST_SGI_PENDING_CLEAR = 0xf10;
export const GIC_DIST_SGI_PENDING_SET = 0xf20;

// ---- GICv2 CPU interface offsets ----
export const GIC_CPU_CTRL = 0x00;
export const GIC_CPU_PRIMASK = 0x04;
export const GIC_CPU_BINPOINT = 0x08;
export const GIC_CPU_INTACK = 0x0c;
export const GIC_CPU_EOI = 0x10;
export const GIC_CPU_RUNNINGPRI = 0x14;
export const GIC_CPU_HIGHPRI = 0x18;
export const GIC_CPU_ALIAS_BINPOINT = 0x1c;
export const GIC_CPU_AIAR = 0x20;
export const GIC_CPU_AEOIR = 0x24;
export const GIC_CPU_AHPPIR = 0x28;
export const GIC_CPU_ACTIVEPRIO = 0xd0;
export const GIC_CPU_NSAPR = 0xe0;
export const GIC_CPU_IDENT = 0xfc;
export const GIC_CPU_DEACTIVATE = 0x1000;
/** GICC_CTLR bits KVM keeps. */
export const GIC_CPU_CTRL_EnableGrp0 = 1 << 0;
export const GIC_CPU_CTRL_EnableGrp1 = 1 << 1;
export const GIC_CPU_CTRL_AckCtl = 1 << 2;
export const GIC_CPU_CTRL_FIQEn = 1 << 3;
export const GIC_CPU_CTRL_CBPR = 1 << 4;
export const GIC_CPU_CTRL_EOImodeNS = 1 << 9;
/** GICC_IIDR as KVM reports it. */
export const GICC_IIDR_KVM = ((PRODUCT_ID_KVM << 20) | (0x2 << 16) | IMPLEMENTER_ARM) >>> 0;

// ---- GICv3 distributor offsets ----
export const GICD_CTLR = 0x0000;
export const GICD_TYPER = 0x0004;
export const GICD_IIDR = 0x0008;
export const GICD_TYPER2 = 0x000c;
export const GICD_STATUSR = 0x0010;
export const GICD_IGROUPR = 0x0080;
export const GICD_ISENABLER = 0x0100;
export const GICD_ICENABLER = 0x0180;
export const GICD_ISPENDR = 0x0200;
export const GICD_ICPENDR = 0x0280;
export const GICD_ISACTIVER = 0x0300;
export const GICD_ICACTIVER = 0x0380;
export const GICD_IPRIORITYR = 0x0400;
export const GICD_ITARGETSR = 0x0800;
export const GICD_ICFGR = 0x0c00;
export const GICD_IGRPMODR = 0x0d00;
export const GICD_IROUTER = 0x6000;
export const GICD_IDREGS = 0xffd0;
export const GICD_PIDR2 = 0xffe8;
export const GICD_CTLR_ENABLE_SS_G0 = 1 << 0;
export const GICD_CTLR_ENABLE_SS_G1 = 1 << 1;
export const GICD_CTLR_ARE_NS = 1 << 4;
export const GICD_CTLR_DS = 1 << 6;
export const GICD_CTLR_nASSGIreq = 1 << 8;
export const GICD_TYPER_LPIS = 1 << 17;
/** GICD_TYPER2.nASSGIcap: SGIs without an active state can be offered (GICv4.1 hosts only). */
export const GICD_TYPER2_nASSGIcap = 1 << 8;
export const GICD_IIDR_REVISION_SHIFT = 12;
export const GICD_IIDR_REVISION_MASK = 0xf << 12;

// ---- GICv3 redistributor offsets (RD_base; SGI_base = +0x10000) ----
export const GICR_CTLR = 0x0000;
export const GICR_IIDR = 0x0004;
export const GICR_TYPER = 0x0008;
export const GICR_STATUSR = 0x0010;
export const GICR_WAKER = 0x0014;
export const GICR_PROPBASER = 0x0070;
export const GICR_PENDBASER = 0x0078;
export const GICR_INVLPIR = 0x00a0;
export const GICR_INVALLR = 0x00b0;
export const GICR_SYNCR = 0x00c0;
export const GICR_IDREGS = 0xffd0;
export const GICR_PIDR2 = 0xffe8;
export const GICR_SGI_BASE = 0x10000;
export const GICR_IGROUPR0 = GICR_SGI_BASE + 0x0080;
export const GICR_ISENABLER0 = GICR_SGI_BASE + 0x0100;
export const GICR_ICENABLER0 = GICR_SGI_BASE + 0x0180;
export const GICR_ISPENDR0 = GICR_SGI_BASE + 0x0200;
export const GICR_ICPENDR0 = GICR_SGI_BASE + 0x0280;
export const GICR_ISACTIVER0 = GICR_SGI_BASE + 0x0300;
export const GICR_ICACTIVER0 = GICR_SGI_BASE + 0x0380;
export const GICR_IPRIORITYR0 = GICR_SGI_BASE + 0x0400;
export const GICR_ICFGR0 = GICR_SGI_BASE + 0x0c00;
export const GICR_ICFGR1 = GICR_SGI_BASE + 0x0c04;
export const GICR_IGRPMODR0 = GICR_SGI_BASE + 0x0d00;
export const GICR_NSACR = GICR_SGI_BASE + 0x0e00;
export const GICR_CTLR_ENABLE_LPIS = 1 << 0;
export const GICR_CTLR_CES = 1 << 1;
export const GICR_CTLR_IR = 1 << 2;
export const GICR_TYPER_PLPIS = 1 << 0;
export const GICR_TYPER_LAST = 1 << 4;

// ---- ICC system registers: instr = Op0<<14 | Op1<<11 | CRn<<7 | CRm<<3 | Op2 ----
/** The 16-bit `instr` encoding used by CPU_SYSREGS and by the guest port's sysreg calls. */
export function sysregInstr(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}
export const KVM_REG_ARM64_SYSREG_OP0_MASK = 0xc000;
export const KVM_REG_ARM64_SYSREG_OP1_MASK = 0x3800;
export const KVM_REG_ARM64_SYSREG_CRN_MASK = 0x0780;
export const KVM_REG_ARM64_SYSREG_CRM_MASK = 0x0078;
export const KVM_REG_ARM64_SYSREG_OP2_MASK = 0x0007;
export const ICC_PMR_EL1 = 0xc230;
export const ICC_IAR0_EL1 = 0xc640;
export const ICC_EOIR0_EL1 = 0xc641;
export const ICC_HPPIR0_EL1 = 0xc642;
export const ICC_BPR0_EL1 = 0xc643;
export const ICC_AP0R0_EL1 = 0xc644;
export const ICC_AP0R1_EL1 = 0xc645;
export const ICC_AP0R2_EL1 = 0xc646;
export const ICC_AP0R3_EL1 = 0xc647;
export const ICC_AP1R0_EL1 = 0xc648;
export const ICC_AP1R1_EL1 = 0xc649;
export const ICC_AP1R2_EL1 = 0xc64a;
export const ICC_AP1R3_EL1 = 0xc64b;
export const ICC_DIR_EL1 = 0xc659;
export const ICC_RPR_EL1 = 0xc65b;
export const ICC_SGI1R_EL1 = 0xc65d;
export const ICC_ASGI1R_EL1 = 0xc65e;
export const ICC_SGI0R_EL1 = 0xc65f;
export const ICC_IAR1_EL1 = 0xc660;
export const ICC_EOIR1_EL1 = 0xc661;
export const ICC_HPPIR1_EL1 = 0xc662;
export const ICC_BPR1_EL1 = 0xc663;
export const ICC_CTLR_EL1 = 0xc664;
export const ICC_SRE_EL1 = 0xc665;
export const ICC_IGRPEN0_EL1 = 0xc666;
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
export const ICC_CTLR_EL1_CBPR = 1 << 0;
export const ICC_CTLR_EL1_EOImode = 1 << 1;
export const ICC_CTLR_EL1_PRI_BITS_SHIFT = 8;
export const ICC_CTLR_EL1_PRI_BITS_MASK = 0x7 << 8;
export const ICC_CTLR_EL1_ID_BITS_SHIFT = 11;
export const ICC_CTLR_EL1_ID_BITS_MASK = 0x7 << 11;
export const ICC_CTLR_EL1_SEIS = 1 << 14;
export const ICC_CTLR_EL1_A3V = 1 << 15;
export const ICC_SRE_EL1_SRE = 1 << 0;
export const ICC_SRE_EL1_DFB = 1 << 1;
export const ICC_SRE_EL1_DIB = 1 << 2;
/** ICC_SGI1R_EL1 fields. */
export const ICC_SGI1R_TARGET_LIST_MASK = 0xffff;
export const ICC_SGI1R_AFFINITY_1_SHIFT = 16;
export const ICC_SGI1R_SGI_ID_SHIFT = 24;
export const ICC_SGI1R_AFFINITY_2_SHIFT = 32;
export const ICC_SGI1R_IRQ_ROUTING_MODE_BIT = 40;
export const ICC_SGI1R_RS_SHIFT = 44;
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
