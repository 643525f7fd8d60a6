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
/** GITS_CTLR offset (ITS control: Enabled, Quiescent). */
export const GITS_CTLR = 0x0000;
/** GITS_IIDR offset (ITS identification; its revision selects the table ABI). */
export const GITS_IIDR = 0x0004;
/** GITS_TYPER offset (a u64: ITT entry size, EventID and DeviceID bits). */
export const GITS_TYPER = 0x0008;
/** GITS_CBASER offset (command queue base, u64). */
export const GITS_CBASER = 0x0080;
/** GITS_CWRITER offset (command queue write pointer, u64). */
export const GITS_CWRITER = 0x0088;
/** GITS_CREADR offset (command queue read pointer, u64). */
export const GITS_CREADR = 0x0090;
/** GITS_BASER0 offset (the first of the table base registers, u64). */
export const GITS_BASER = 0x0100;
/** Eight GITS_BASER<n>, 8 bytes each. */
export const GITS_BASER_NR_REGS = 8;
/** Start of the ITS identification registers. */
export const GITS_IDREGS_BASE = 0xffd0;
/** `GITS_PIDR4`: offset of the ITS identification register PIDR4. */
export const GITS_PIDR4 = 0xffd0;
/** `GITS_PIDR0`: offset of the ITS identification register PIDR0. */
export const GITS_PIDR0 = 0xffe0;
/** `GITS_PIDR1`: offset of the ITS identification register PIDR1. */
export const GITS_PIDR1 = 0xffe4;
/** `GITS_PIDR2`: offset of the ITS identification register PIDR2. */
export const GITS_PIDR2 = 0xffe8;
/** `GITS_CIDR0`: offset of the ITS identification register CIDR0. */
export const GITS_CIDR0 = 0xfff0;
/** `GITS_CIDR1`: offset of the ITS identification register CIDR1. */
export const GITS_CIDR1 = 0xfff4;
/** `GITS_CIDR2`: offset of the ITS identification register CIDR2. */
export const GITS_CIDR2 = 0xfff8;
/** `GITS_CIDR3`: offset of the ITS identification register CIDR3. */
export const GITS_CIDR3 = 0xfffc;
/** The doorbell (second page). KVM has no register there: devices' MSIs arrive through KVM_SIGNAL_MSI or irqfds. */
export const GITS_TRANSLATER = 0x10040;

/** GITS_CTLR.Enabled. */
export const GITS_CTLR_ENABLE = 1 << 0;
/** GITS_CTLR.Quiescent (bit 31): no command in progress; KVM reads it as 1. */
export const GITS_CTLR_QUIESCENT = 1 << 31;

/** Bit position of the revision in GITS_IIDR. */
export const GITS_IIDR_REV_SHIFT = 12;
/** The revision in GITS_IIDR (bits 15:12). */
export const GITS_IIDR_REV_MASK = 0xf << 12;
/** Bit position of the product id in GITS_IIDR. */
export const GITS_IIDR_PRODUCTID_SHIFT = 24;

/** GITS_TYPER.Physical: physical LPIs are supported. */
export const GITS_TYPER_PLPIS = 1 << 0;
/** Bit position of GITS_TYPER.ITT_entry_size (bytes - 1). */
export const GITS_TYPER_ITT_ENTRY_SIZE_SHIFT = 4;
/** Bit position of GITS_TYPER.ID_bits (EventID bits - 1). */
export const GITS_TYPER_IDBITS_SHIFT = 8;
/** Bit position of GITS_TYPER.Devbits (DeviceID bits - 1). */
export const GITS_TYPER_DEVBITS_SHIFT = 13;

/** GITS_CBASER / GITS_BASER<n> fields (bit positions in the u64; the high word's are minus 32). */
export const GITS_CBASER_VALID_BIT = 63;
/** GITS_BASER<n>.Valid (bit 63). */
export const GITS_BASER_VALID_BIT = 63;
/** GITS_BASER<n>.Indirect (bit 62): a two-level table. */
export const GITS_BASER_INDIRECT_BIT = 62;
/** Bit position of GITS_BASER<n>.InnerCache. */
export const GITS_BASER_INNER_CACHEABILITY_SHIFT = 59;
/** Bit position of GITS_BASER<n>.Type (read-only). */
export const GITS_BASER_TYPE_SHIFT = 56;
/** Bit position of GITS_BASER<n>.OuterCache. */
export const GITS_BASER_OUTER_CACHEABILITY_SHIFT = 53;
/** Bit position of GITS_BASER<n>.Entry_Size (bytes - 1, read-only). */
export const GITS_BASER_ENTRY_SIZE_SHIFT = 48;
/** Bit position of GITS_BASER<n>.Shareability. */
export const GITS_BASER_SHAREABILITY_SHIFT = 10;
/** Bit position of GITS_BASER<n>.Page_Size. */
export const GITS_BASER_PAGE_SIZE_SHIFT = 8;
/** GITS_BASER<n>.Page_Size = 64 KiB. */
export const GITS_BASER_PAGE_SIZE_64K = 2 << 8;
/** GITS_BASER<n>.Type: unimplemented. */
export const GITS_BASER_TYPE_NONE = 0;
/** GITS_BASER<n>.Type: the device table. */
export const GITS_BASER_TYPE_DEVICE = 1;
/** GITS_BASER<n>.Type: the collection table. */
export const GITS_BASER_TYPE_COLLECTION = 4;
/** The first-level entry of an indirect table (GITS_LVL1_ENTRY_SIZE). */
export const GITS_LVL1_ENTRY_SIZE = 8;

/** GIC_BASER cacheability and shareability encodings. */
export const GIC_BASER_CACHE_nCnB = 0;
/** `GIC_BASER_CACHE_nC`: the GIC_BASER cacheability encoding `nC` (GITS_BASER, GICR_PROPBASER, GICR_PENDBASER). */
export const GIC_BASER_CACHE_nC = 1;
/** `GIC_BASER_CACHE_RaWb`: the GIC_BASER cacheability encoding `RaWb` (GITS_BASER, GICR_PROPBASER, GICR_PENDBASER). */
export const GIC_BASER_CACHE_RaWb = 3;
/** `GIC_BASER_CACHE_SameAsInner`: the GIC_BASER cacheability encoding `SameAsInner` (GITS_BASER, GICR_PROPBASER, GICR_PENDBASER). */
export const GIC_BASER_CACHE_SameAsInner = 0;
/** GIC_BASER shareability: non-shareable. */
export const GIC_BASER_NonShareable = 0;
/** GIC_BASER shareability: inner shareable. */
export const GIC_BASER_InnerShareable = 1;
/** GIC_BASER shareability: outer shareable. */
export const GIC_BASER_OuterShareable = 2;

// ---- commands ----
/** Size of one ITS command in the queue (32 bytes). */
export const ITS_CMD_SIZE = 32;
/** `GITS_CMD_MOVI`: the opcode of the ITS `MOVI` command (byte 0 of the 32-byte command). */
export const GITS_CMD_MOVI = 0x01;
/** `GITS_CMD_INT`: the opcode of the ITS `INT` command (byte 0 of the 32-byte command). */
export const GITS_CMD_INT = 0x03;
/** `GITS_CMD_CLEAR`: the opcode of the ITS `CLEAR` command (byte 0 of the 32-byte command). */
export const GITS_CMD_CLEAR = 0x04;
/** `GITS_CMD_SYNC`: the opcode of the ITS `SYNC` command (byte 0 of the 32-byte command). */
export const GITS_CMD_SYNC = 0x05;
/** `GITS_CMD_MAPD`: the opcode of the ITS `MAPD` command (byte 0 of the 32-byte command). */
export const GITS_CMD_MAPD = 0x08;
/** `GITS_CMD_MAPC`: the opcode of the ITS `MAPC` command (byte 0 of the 32-byte command). */
export const GITS_CMD_MAPC = 0x09;
/** `GITS_CMD_MAPTI`: the opcode of the ITS `MAPTI` command (byte 0 of the 32-byte command). */
export const GITS_CMD_MAPTI = 0x0a;
/** `GITS_CMD_MAPI`: the opcode of the ITS `MAPI` command (byte 0 of the 32-byte command). */
export const GITS_CMD_MAPI = 0x0b;
/** `GITS_CMD_INV`: the opcode of the ITS `INV` command (byte 0 of the 32-byte command). */
export const GITS_CMD_INV = 0x0c;
/** `GITS_CMD_INVALL`: the opcode of the ITS `INVALL` command (byte 0 of the 32-byte command). */
export const GITS_CMD_INVALL = 0x0d;
/** `GITS_CMD_MOVALL`: the opcode of the ITS `MOVALL` command (byte 0 of the 32-byte command). */
export const GITS_CMD_MOVALL = 0x0e;
/** `GITS_CMD_DISCARD`: the opcode of the ITS `DISCARD` command (byte 0 of the 32-byte command). */
export const GITS_CMD_DISCARD = 0x0f;

/**
 * The ITS command errors KVM detects (positive, vgic.h E_ITS_*). They are not visible to the guest
 * (no GITS_STATUSR, CREADR moves on, no stall): the command just has no effect.
 */
export const E_ITS_MOVI_UNMAPPED_INTERRUPT = 0x010107;
/** `E_ITS_MOVI_UNMAPPED_COLLECTION`: the ITS command error KVM records when a MOVI command hits UNMAPPED_COLLECTION (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MOVI_UNMAPPED_COLLECTION = 0x010109;
/** `E_ITS_INT_UNMAPPED_INTERRUPT`: the ITS command error KVM records when a INT command hits UNMAPPED_INTERRUPT (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_INT_UNMAPPED_INTERRUPT = 0x010307;
/** `E_ITS_CLEAR_UNMAPPED_INTERRUPT`: the ITS command error KVM records when a CLEAR command hits UNMAPPED_INTERRUPT (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_CLEAR_UNMAPPED_INTERRUPT = 0x010507;
/** `E_ITS_MAPD_DEVICE_OOR`: the ITS command error KVM records when a MAPD command hits DEVICE_OOR (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MAPD_DEVICE_OOR = 0x010801;
/** `E_ITS_MAPD_ITTSIZE_OOR`: the ITS command error KVM records when a MAPD command hits ITTSIZE_OOR (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MAPD_ITTSIZE_OOR = 0x010802;
/** `E_ITS_MAPC_PROCNUM_OOR`: the ITS command error KVM records when a MAPC command hits PROCNUM_OOR (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MAPC_PROCNUM_OOR = 0x010902;
/** `E_ITS_MAPC_COLLECTION_OOR`: the ITS command error KVM records when a MAPC command hits COLLECTION_OOR (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MAPC_COLLECTION_OOR = 0x010903;
/** `E_ITS_MAPTI_UNMAPPED_DEVICE`: the ITS command error KVM records when a MAPTI command hits UNMAPPED_DEVICE (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MAPTI_UNMAPPED_DEVICE = 0x010a04;
/** `E_ITS_MAPTI_ID_OOR`: the ITS command error KVM records when a MAPTI command hits ID_OOR (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MAPTI_ID_OOR = 0x010a05;
/** `E_ITS_MAPTI_PHYSICALID_OOR`: the ITS command error KVM records when a MAPTI command hits PHYSICALID_OOR (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MAPTI_PHYSICALID_OOR = 0x010a06;
/** `E_ITS_INV_UNMAPPED_INTERRUPT`: the ITS command error KVM records when a INV command hits UNMAPPED_INTERRUPT (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_INV_UNMAPPED_INTERRUPT = 0x010c07;
/** `E_ITS_INVALL_UNMAPPED_COLLECTION`: the ITS command error KVM records when a INVALL command hits UNMAPPED_COLLECTION (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_INVALL_UNMAPPED_COLLECTION = 0x010d09;
/** `E_ITS_MOVALL_PROCNUM_OOR`: the ITS command error KVM records when a MOVALL command hits PROCNUM_OOR (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_MOVALL_PROCNUM_OOR = 0x010e01;
/** `E_ITS_DISCARD_UNMAPPED_INTERRUPT`: the ITS command error KVM records when a DISCARD command hits UNMAPPED_INTERRUPT (`vgic.h`); the guest does not see it, the command has no effect. */
export const E_ITS_DISCARD_UNMAPPED_INTERRUPT = 0x010f07;

// ---- KVM's ITS limits ----
/** EventID bits KVM's ITS implements. */
export const VITS_TYPER_IDBITS = 16;
/** DeviceID bits KVM's ITS implements. */
export const VITS_TYPER_DEVBITS = 16;
/** The largest DeviceID offset a saved device table entry can encode (`next` field). */
export const VITS_DTE_MAX_DEVID_OFFSET = (1 << 14) - 1;
/** The largest EventID offset a saved ITT entry can encode (`next` field). */
export const VITS_ITE_MAX_EVENTID_OFFSET = (1 << 16) - 1;
/** A collection that exists but is not mapped to a redistributor. */
export const COLLECTION_NOT_MAPPED = 0xffffffff;
/** Table ABI revisions this kernel knows (NR_ITS_ABIS): only rev 0. */
export const NR_ITS_ABIS = 1;
/** Entry size of every table in ABI rev 0. */
export const ABI_0_ESZ = 8;

// ---- table ABI rev 0 (arm-vgic-its.rst; uapi KVM_ITS_*) ----
/** Saved collection table entry: bit position of Valid. */
export const KVM_ITS_CTE_VALID_SHIFT = 63;
/** Saved collection table entry: bit position of RDBase (the target vCPU id). */
export const KVM_ITS_CTE_RDBASE_SHIFT = 16;
/** Saved collection table entry: the collection id (bits 15:0). */
export const KVM_ITS_CTE_ICID_MASK = 0xffff;
/** Saved ITT entry: bit position of the offset to the next entry. */
export const KVM_ITS_ITE_NEXT_SHIFT = 48;
/** Saved ITT entry: bit position of the LPI INTID. */
export const KVM_ITS_ITE_PINTID_SHIFT = 16;
/** Saved ITT entry: the collection id (bits 15:0). */
export const KVM_ITS_ITE_ICID_MASK = 0xffff;
/** Saved device table entry: bit position of Valid. */
export const KVM_ITS_DTE_VALID_SHIFT = 63;
/** Saved device table entry: bit position of the offset to the next entry. */
export const KVM_ITS_DTE_NEXT_SHIFT = 49;
/** Saved device table entry: bit position of the ITT address (in 256-byte units). */
export const KVM_ITS_DTE_ITTADDR_SHIFT = 5;
/** Saved device table entry: the ITT size (EventID bits - 1). */
export const KVM_ITS_DTE_SIZE_MASK = 0x1f;
/** First-level entry of an indirect device table: bit position of Valid. */
export const KVM_ITS_L1E_VALID_SHIFT = 63;

// ---- LPIs ----
/** First LPI INTID (GIC_LPI_OFFSET, VGIC_MIN_LPI). */
export const GIC_LPI_OFFSET = 8192;
/** INTERRUPT_ID_BITS_ITS: LPIs end below 2^16. */
export const LPI_INTID_LIMIT = 1 << 16;
/** Property byte: bit 0 enable, bits 7:2 priority. */
export const LPI_PROP_ENABLED = 1 << 0;
/** Property byte: the priority bits (7:2). */
export const LPI_PROP_PRIORITY_MASK = 0xfc;
/** GICR_PENDBASER.PTZ (bit 62): the pending table is zero, do not read it on EnableLPIs. */
export const GICR_PENDBASER_PTZ_BIT = 62;
/** GICR_CTLR.RWP (bit 3): an EnableLPIs 1 → 0 is in progress. */
export const GICR_CTLR_RWP = 1 << 3;

// ---- reset values ----
/** INITIAL_BASER_VALUE: inner RaWb, outer SameAsInner, InnerShareable, 64 KiB pages (without type and entry size). */
export const INITIAL_BASER_LO = 0x600;
/** High word of INITIAL_BASER_VALUE (inner RaWb at bits 61:59 of the u64). */
export const INITIAL_BASER_HI = 0x18000000;
/** INITIAL_PROPBASER_VALUE: inner RaWb, outer SameAsInner, InnerShareable (set for every redistributor by ITS create). */
export const INITIAL_PROPBASER_LO = 0x580;
/** High word of INITIAL_PROPBASER_VALUE. */
export const INITIAL_PROPBASER_HI = 0;
/** GITS_TYPER as KVM reports it: PLPIS, ITT entry 8 bytes, 16 EventID bits, 16 DeviceID bits. */
export const GITS_TYPER_VALUE =
  GITS_TYPER_PLPIS | ((ABI_0_ESZ - 1) << GITS_TYPER_ITT_ENTRY_SIZE_SHIFT) | ((VITS_TYPER_IDBITS - 1) << GITS_TYPER_IDBITS_SHIFT) | ((VITS_TYPER_DEVBITS - 1) << GITS_TYPER_DEVBITS_SHIFT);
