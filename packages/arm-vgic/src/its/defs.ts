/**
 * The GICv3 ITS as KVM models it: register offsets and fields (include/linux/irqchip/arm-gic-v3.h),
 * command opcodes and fields, the table ABI rev 0 entry layouts (arch/arm64/include/uapi/asm/kvm.h's
 * KVM_ITS_*), KVM's limits (16 DeviceID bits, 16 EventID bits, 8-byte entries) and the reset values.
 * @packageDocumentation
 */

// ---- frame ----
/** The ITS frame is 128 KiB: the control page and the translation page. */
export const ITS_FRAME_SIZE = 0x20000;

// ---- registers (offsets in the ITS frame) ----
export const GITS_CTLR = 0x0000;
export const GITS_IIDR = 0x0004;
export const GITS_TYPER = 0x0008;
export const GITS_CBASER = 0x0080;
export const GITS_CWRITER = 0x0088;
export const GITS_CREADR = 0x0090;
export const GITS_BASER = 0x0100;
/** Eight GITS_BASER<n>, 8 bytes each. */
export const GITS_BASER_NR_REGS = 8;
export const GITS_IDREGS_BASE = 0xffd0;
export const GITS_PIDR4 = 0xffd0;
export const GITS_PIDR0 = 0xffe0;
export const GITS_PIDR1 = 0xffe4;
export const GITS_PIDR2 = 0xffe8;
export const GITS_CIDR0 = 0xfff0;
export const GITS_CIDR1 = 0xfff4;
export const GITS_CIDR2 = 0xfff8;
export const GITS_CIDR3 = 0xfffc;
/** The doorbell (second page). KVM has no register there: devices' MSIs arrive through KVM_SIGNAL_MSI or irqfds. */
export const GITS_TRANSLATER = 0x10040;

export const GITS_CTLR_ENABLE = 1 << 0;
export const GITS_CTLR_QUIESCENT = 1 << 31;

export const GITS_IIDR_REV_SHIFT = 12;
export const GITS_IIDR_REV_MASK = 0xf << 12;
export const GITS_IIDR_PRODUCTID_SHIFT = 24;

export const GITS_TYPER_PLPIS = 1 << 0;
export const GITS_TYPER_ITT_ENTRY_SIZE_SHIFT = 4;
export const GITS_TYPER_IDBITS_SHIFT = 8;
export const GITS_TYPER_DEVBITS_SHIFT = 13;

/** GITS_CBASER / GITS_BASER<n> fields (bit positions in the u64; the high word's are minus 32). */
export const GITS_CBASER_VALID_BIT = 63;
export const GITS_BASER_VALID_BIT = 63;
export const GITS_BASER_INDIRECT_BIT = 62;
export const GITS_BASER_INNER_CACHEABILITY_SHIFT = 59;
export const GITS_BASER_TYPE_SHIFT = 56;
export const GITS_BASER_OUTER_CACHEABILITY_SHIFT = 53;
export const GITS_BASER_ENTRY_SIZE_SHIFT = 48;
export const GITS_BASER_SHAREABILITY_SHIFT = 10;
export const GITS_BASER_PAGE_SIZE_SHIFT = 8;
export const GITS_BASER_PAGE_SIZE_64K = 2 << 8;
export const GITS_BASER_TYPE_NONE = 0;
export const GITS_BASER_TYPE_DEVICE = 1;
export const GITS_BASER_TYPE_COLLECTION = 4;
/** The first-level entry of an indirect table (GITS_LVL1_ENTRY_SIZE). */
export const GITS_LVL1_ENTRY_SIZE = 8;

/** GIC_BASER cacheability and shareability encodings. */
export const GIC_BASER_CACHE_nCnB = 0;
export const GIC_BASER_CACHE_nC = 1;
export const GIC_BASER_CACHE_RaWb = 3;
export const GIC_BASER_CACHE_SameAsInner = 0;
export const GIC_BASER_NonShareable = 0;
export const GIC_BASER_InnerShareable = 1;
export const GIC_BASER_OuterShareable = 2;

// ---- commands ----
export const ITS_CMD_SIZE = 32;
export const GITS_CMD_MOVI = 0x01;
export const GITS_CMD_INT = 0x03;
export const GITS_CMD_CLEAR = 0x04;
export const GITS_CMD_SYNC = 0x05;
export const GITS_CMD_MAPD = 0x08;
export const GITS_CMD_MAPC = 0x09;
export const GITS_CMD_MAPTI = 0x0a;
export const GITS_CMD_MAPI = 0x0b;
export const GITS_CMD_INV = 0x0c;
export const GITS_CMD_INVALL = 0x0d;
export const GITS_CMD_MOVALL = 0x0e;
export const GITS_CMD_DISCARD = 0x0f;

/**
 * The ITS command errors KVM detects (positive, vgic.h E_ITS_*). They are not visible to the guest
 * (no GITS_STATUSR, CREADR moves on, no stall): the command just has no effect.
 */
export const E_ITS_MOVI_UNMAPPED_INTERRUPT = 0x010107;
export const E_ITS_MOVI_UNMAPPED_COLLECTION = 0x010109;
export const E_ITS_INT_UNMAPPED_INTERRUPT = 0x010307;
export const E_ITS_CLEAR_UNMAPPED_INTERRUPT = 0x010507;
export const E_ITS_MAPD_DEVICE_OOR = 0x010801;
export const E_ITS_MAPD_ITTSIZE_OOR = 0x010802;
export const E_ITS_MAPC_PROCNUM_OOR = 0x010902;
export const E_ITS_MAPC_COLLECTION_OOR = 0x010903;
export const E_ITS_MAPTI_UNMAPPED_DEVICE = 0x010a04;
export const E_ITS_MAPTI_ID_OOR = 0x010a05;
export const E_ITS_MAPTI_PHYSICALID_OOR = 0x010a06;
export const E_ITS_INV_UNMAPPED_INTERRUPT = 0x010c07;
export const E_ITS_INVALL_UNMAPPED_COLLECTION = 0x010d09;
export const E_ITS_MOVALL_PROCNUM_OOR = 0x010e01;
export const E_ITS_DISCARD_UNMAPPED_INTERRUPT = 0x010f07;

// ---- KVM's ITS limits ----
export const VITS_TYPER_IDBITS = 16;
export const VITS_TYPER_DEVBITS = 16;
export const VITS_DTE_MAX_DEVID_OFFSET = (1 << 14) - 1;
export const VITS_ITE_MAX_EVENTID_OFFSET = (1 << 16) - 1;
/** A collection that exists but is not mapped to a redistributor. */
export const COLLECTION_NOT_MAPPED = 0xffffffff;
/** Table ABI revisions this kernel knows (NR_ITS_ABIS): only rev 0. */
export const NR_ITS_ABIS = 1;
/** Entry size of every table in ABI rev 0. */
export const ABI_0_ESZ = 8;

// ---- table ABI rev 0 (arm-vgic-its.rst; uapi KVM_ITS_*) ----
export const KVM_ITS_CTE_VALID_SHIFT = 63;
export const KVM_ITS_CTE_RDBASE_SHIFT = 16;
export const KVM_ITS_CTE_ICID_MASK = 0xffff;
export const KVM_ITS_ITE_NEXT_SHIFT = 48;
export const KVM_ITS_ITE_PINTID_SHIFT = 16;
export const KVM_ITS_ITE_ICID_MASK = 0xffff;
export const KVM_ITS_DTE_VALID_SHIFT = 63;
export const KVM_ITS_DTE_NEXT_SHIFT = 49;
export const KVM_ITS_DTE_ITTADDR_SHIFT = 5;
export const KVM_ITS_DTE_SIZE_MASK = 0x1f;
export const KVM_ITS_L1E_VALID_SHIFT = 63;

// ---- LPIs ----
/** First LPI INTID (GIC_LPI_OFFSET, VGIC_MIN_LPI). */
export const GIC_LPI_OFFSET = 8192;
/** INTERRUPT_ID_BITS_ITS: LPIs end below 2^16. */
export const LPI_INTID_LIMIT = 1 << 16;
/** Property byte: bit 0 enable, bits 7:2 priority. */
export const LPI_PROP_ENABLED = 1 << 0;
export const LPI_PROP_PRIORITY_MASK = 0xfc;
/** GICR_PENDBASER.PTZ (bit 62): the pending table is zero, do not read it on EnableLPIs. */
export const GICR_PENDBASER_PTZ_BIT = 62;
/** GICR_CTLR.RWP (bit 3): an EnableLPIs 1 → 0 is in progress. */
export const GICR_CTLR_RWP = 1 << 3;

// ---- reset values ----
/** INITIAL_BASER_VALUE: inner RaWb, outer SameAsInner, InnerShareable, 64 KiB pages (without type and entry size). */
export const INITIAL_BASER_LO = 0x600;
export const INITIAL_BASER_HI = 0x18000000;
/** INITIAL_PROPBASER_VALUE: inner RaWb, outer SameAsInner, InnerShareable (set for every redistributor by ITS create). */
export const INITIAL_PROPBASER_LO = 0x580;
export const INITIAL_PROPBASER_HI = 0;
/** GITS_TYPER as KVM reports it: PLPIS, ITT entry 8 bytes, 16 EventID bits, 16 DeviceID bits. */
export const GITS_TYPER_VALUE =
  GITS_TYPER_PLPIS | ((ABI_0_ESZ - 1) << GITS_TYPER_ITT_ENTRY_SIZE_SHIFT) | ((VITS_TYPER_IDBITS - 1) << GITS_TYPER_IDBITS_SHIFT) | ((VITS_TYPER_DEVBITS - 1) << GITS_TYPER_DEVBITS_SHIFT);
