/**
 * Generic KVM uapi (include/uapi/linux/kvm.h), with the kernel's names and values.
 *
 * Pinned kernel: the 2026 uapi header (Linux 7.0 era) in which the device type enum ends with
 * KVM_DEV_TYPE_LOONGARCH_DMSINTC = 15 and KVM_DEV_TYPE_ARM_VGIC_V5 = 16, so KVM_DEV_TYPE_MAX = 17.
 * @packageDocumentation
 */
import { _IO, _IOR, _IOW, _IOWR } from './ioctl.js';

/** The ioctl type byte of every KVM request. */
export const KVMIO = 0xae;
/** What KVM_GET_API_VERSION returns. */
export const KVM_API_VERSION = 12;

/** The uapi header version this model is pinned to. */
export const KVM_UAPI_VERSION = 'linux-7.0';

// ---- struct sizes ----
export const SIZEOF_KVM_CREATE_DEVICE = 12;
export const SIZEOF_KVM_DEVICE_ATTR = 24;
export const SIZEOF_KVM_IRQ_LEVEL = 8;
export const SIZEOF_KVM_ENABLE_CAP = 104;
export const SIZEOF_KVM_ONE_REG = 16;
export const SIZEOF_KVM_MSI = 32;
export const SIZEOF_KVM_IRQ_ROUTING = 8;
export const SIZEOF_KVM_IRQ_ROUTING_ENTRY = 48;
export const SIZEOF_KVM_IRQFD = 32;
export const SIZEOF_KVM_VCPU_INIT = 32;
export const SIZEOF_KVM_ARM_DEVICE_ADDR = 16;
export const SIZEOF_KVM_INTERRUPT = 4;
export const SIZEOF_KVM_USERSPACE_MEMORY_REGION = 32;
export const SIZEOF_KVM_USERSPACE_MEMORY_REGION2 = 160;

// ---- /dev/kvm ioctls ----
export const KVM_GET_API_VERSION = _IO(KVMIO, 0x00);
export const KVM_CREATE_VM = _IO(KVMIO, 0x01);
export const KVM_CHECK_EXTENSION = _IO(KVMIO, 0x03);
export const KVM_GET_VCPU_MMAP_SIZE = _IO(KVMIO, 0x04);

// ---- VM ioctls ----
export const KVM_CREATE_VCPU = _IO(KVMIO, 0x41);
export const KVM_SET_USER_MEMORY_REGION = _IOW(KVMIO, 0x46, SIZEOF_KVM_USERSPACE_MEMORY_REGION);
export const KVM_SET_USER_MEMORY_REGION2 = _IOW(KVMIO, 0x49, SIZEOF_KVM_USERSPACE_MEMORY_REGION2);
export const KVM_CREATE_IRQCHIP = _IO(KVMIO, 0x60);
export const KVM_IRQ_LINE = _IOW(KVMIO, 0x61, SIZEOF_KVM_IRQ_LEVEL);
export const KVM_IRQ_LINE_STATUS = _IOWR(KVMIO, 0x67, SIZEOF_KVM_IRQ_LEVEL);
export const KVM_SET_GSI_ROUTING = _IOW(KVMIO, 0x6a, SIZEOF_KVM_IRQ_ROUTING);
export const KVM_IRQFD = _IOW(KVMIO, 0x76, SIZEOF_KVM_IRQFD);
export const KVM_SIGNAL_MSI = _IOW(KVMIO, 0xa5, SIZEOF_KVM_MSI);
export const KVM_ARM_SET_DEVICE_ADDR = _IOW(KVMIO, 0xab, SIZEOF_KVM_ARM_DEVICE_ADDR);
export const KVM_PPC_RTAS_DEFINE_TOKEN = _IOW(KVMIO, 0xac, 128);
export const KVM_CREATE_DEVICE = _IOWR(KVMIO, 0xe0, SIZEOF_KVM_CREATE_DEVICE);

// ---- device, VM and vCPU attribute ioctls (GET is _IOW on purpose: the struct is only read) ----
export const KVM_SET_DEVICE_ATTR = _IOW(KVMIO, 0xe1, SIZEOF_KVM_DEVICE_ATTR);
export const KVM_GET_DEVICE_ATTR = _IOW(KVMIO, 0xe2, SIZEOF_KVM_DEVICE_ATTR);
export const KVM_HAS_DEVICE_ATTR = _IOW(KVMIO, 0xe3, SIZEOF_KVM_DEVICE_ATTR);

// ---- vCPU ioctls ----
export const KVM_RUN = _IO(KVMIO, 0x80);
export const KVM_INTERRUPT = _IOW(KVMIO, 0x86, SIZEOF_KVM_INTERRUPT);
export const KVM_ENABLE_CAP = _IOW(KVMIO, 0xa3, SIZEOF_KVM_ENABLE_CAP);
export const KVM_GET_ONE_REG = _IOW(KVMIO, 0xab, SIZEOF_KVM_ONE_REG);
export const KVM_SET_ONE_REG = _IOW(KVMIO, 0xac, SIZEOF_KVM_ONE_REG);
export const KVM_ARM_VCPU_INIT = _IOW(KVMIO, 0xae, SIZEOF_KVM_VCPU_INIT);
export const KVM_ARM_PREFERRED_TARGET = _IOR(KVMIO, 0xaf, SIZEOF_KVM_VCPU_INIT);

// ---- KVM_CREATE_DEVICE ----
/** `kvm_create_device.flags`: probe for the type, create nothing. */
export const KVM_CREATE_DEVICE_TEST = 1;

/** enum kvm_device_type. */
export const KVM_DEV_TYPE_FSL_MPIC_20 = 1;
export const KVM_DEV_TYPE_FSL_MPIC_42 = 2;
export const KVM_DEV_TYPE_XICS = 3;
export const KVM_DEV_TYPE_VFIO = 4;
export const KVM_DEV_TYPE_ARM_VGIC_V2 = 5;
export const KVM_DEV_TYPE_FLIC = 6;
export const KVM_DEV_TYPE_ARM_VGIC_V3 = 7;
export const KVM_DEV_TYPE_ARM_VGIC_ITS = 8;
export const KVM_DEV_TYPE_XIVE = 9;
export const KVM_DEV_TYPE_ARM_PV_TIME = 10;
export const KVM_DEV_TYPE_RISCV_AIA = 11;
export const KVM_DEV_TYPE_LOONGARCH_IPI = 12;
export const KVM_DEV_TYPE_LOONGARCH_EIOINTC = 13;
export const KVM_DEV_TYPE_LOONGARCH_PCHPIC = 14;
export const KVM_DEV_TYPE_LOONGARCH_DMSINTC = 15;
export const KVM_DEV_TYPE_ARM_VGIC_V5 = 16;
/** Size of the kernel's ops table; not a type. */
export const KVM_DEV_TYPE_MAX = 17;

// ---- capabilities (KVM_CHECK_EXTENSION / KVM_ENABLE_CAP) ----
export const KVM_CAP_IRQCHIP = 0;
export const KVM_CAP_USER_MEMORY = 3;
export const KVM_CAP_NR_VCPUS = 9;
export const KVM_CAP_NR_MEMSLOTS = 10;
export const KVM_CAP_IRQ_ROUTING = 25;
export const KVM_CAP_IRQ_INJECT_STATUS = 26;
export const KVM_CAP_IRQFD = 32;
export const KVM_CAP_ENABLE_CAP = 54;
export const KVM_CAP_MAX_VCPUS = 66;
export const KVM_CAP_ONE_REG = 70;
export const KVM_CAP_SIGNAL_MSI = 77;
export const KVM_CAP_READONLY_MEM = 81;
export const KVM_CAP_IRQFD_RESAMPLE = 82;
export const KVM_CAP_ARM_PSCI = 87;
export const KVM_CAP_ARM_SET_DEVICE_ADDR = 88;
export const KVM_CAP_DEVICE_CTRL = 89;
export const KVM_CAP_IRQ_MPIC = 90;
export const KVM_CAP_PPC_RTAS = 91;
export const KVM_CAP_IRQ_XICS = 92;
export const KVM_CAP_ARM_EL1_32BIT = 93;
export const KVM_CAP_ENABLE_CAP_VM = 98;
export const KVM_CAP_VM_ATTRIBUTES = 101;
export const KVM_CAP_ARM_PSCI_0_2 = 102;
export const KVM_CAP_CHECK_EXTENSION_VM = 105;
export const KVM_CAP_MULTI_ADDRESS_SPACE = 118;
export const KVM_CAP_VCPU_ATTRIBUTES = 127;
export const KVM_CAP_MAX_VCPU_ID = 128;
export const KVM_CAP_MSI_DEVID = 131;
export const KVM_CAP_ARM_VM_IPA_SIZE = 165;
export const KVM_CAP_ARM_IRQ_LINE_LAYOUT_2 = 174;
export const KVM_CAP_HALT_POLL = 182;
export const KVM_CAP_SYS_ATTRIBUTES = 209;
export const KVM_CAP_USER_MEMORY2 = 231;

// ---- memory slots (KVM_SET_USER_MEMORY_REGION / REGION2) ----
/** `kvm_userspace_memory_region.flags`: track dirty pages (KVM_GET_DIRTY_LOG). */
export const KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
/** Guest writes to the slot exit to userspace (where the arch has readonly memslots). */
export const KVM_MEM_READONLY = 1 << 1;
/** The slot is backed by a guest_memfd (REGION2 only; needs an arch with private memory). */
export const KVM_MEM_GUEST_MEMFD = 1 << 2;
/** The flags KVM_SET_USER_MEMORY_REGION (v1) accepts at all. */
export const KVM_SET_USER_MEMORY_REGION_V1_FLAGS = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
/** `KVM_MEM_SLOTS_NUM` (SHRT_MAX): slot ids per address space, internal slots included. */
export const KVM_MEM_SLOTS_NUM = 32767;
/** `KVM_MEM_MAX_NR_PAGES`: the largest user slot in pages (the dirty bitmap is indexed by an int). */
export const KVM_MEM_MAX_NR_PAGES = 2 ** 31 - 1;
/** The kernel's page size for memory slots (4 KiB pages). */
export const KVM_PAGE_SIZE = 4096;

// ---- irqfd (KVM_IRQFD) ----
/** `kvm_irqfd.flags`: remove the irqfd bound to (fd, gsi). */
export const KVM_IRQFD_FLAG_DEASSIGN = 1 << 0;
/** `kvm_irqfd.flags`: level-triggered: the line stays high until the guest EOIs, then `resamplefd` is signalled. */
export const KVM_IRQFD_FLAG_RESAMPLE = 1 << 1;


// ---- GSI routing ----
export const KVM_IRQ_ROUTING_IRQCHIP = 1;
export const KVM_IRQ_ROUTING_MSI = 2;
export const KVM_IRQ_ROUTING_S390_ADAPTER = 3;
export const KVM_IRQ_ROUTING_HV_SINT = 4;
export const KVM_IRQ_ROUTING_XEN_EVTCHN = 5;
/** Routing entry flag: `u.msi.devid` is valid. */
export const KVM_MSI_VALID_DEVID = 1 << 0;
/** Maximum number of routing entries (and GSIs) per VM. */
export const KVM_MAX_IRQ_ROUTES = 4096;

// ---- ONE_REG id encoding ----
export const KVM_REG_ARCH_MASK = 0xff00000000000000n;
export const KVM_REG_GENERIC = 0x0000000000000000n;
export const KVM_REG_PPC = 0x1000000000000000n;
export const KVM_REG_X86 = 0x2000000000000000n;
export const KVM_REG_ARM = 0x4000000000000000n;
export const KVM_REG_S390 = 0x5000000000000000n;
export const KVM_REG_ARM64 = 0x6000000000000000n;
export const KVM_REG_RISCV = 0x8000000000000000n;
export const KVM_REG_SIZE_SHIFT = 52;
export const KVM_REG_SIZE_MASK = 0x00f0000000000000n;
export const KVM_REG_SIZE_U8 = 0x0000000000000000n;
export const KVM_REG_SIZE_U16 = 0x0010000000000000n;
export const KVM_REG_SIZE_U32 = 0x0020000000000000n;
export const KVM_REG_SIZE_U64 = 0x0030000000000000n;
export const KVM_REG_SIZE_U128 = 0x0040000000000000n;
/** The payload size in bytes encoded in a ONE_REG id. */
export function kvmRegSize(id: bigint): number {
  return 1 << Number((id & KVM_REG_SIZE_MASK) >> BigInt(KVM_REG_SIZE_SHIFT));
}

/** Default limits of the modelled kernel (configurable per host). */
export const KVM_MAX_VCPUS_DEFAULT = 1024;
export const KVM_MAX_VCPU_IDS_DEFAULT = 4096;
