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
/** Size of `struct kvm_create_device` (type, fd, flags: three u32): 12 bytes. */
export const SIZEOF_KVM_CREATE_DEVICE = 12;
/** Size of `struct kvm_device_attr` (flags and group u32, attr and addr u64): 24 bytes. */
export const SIZEOF_KVM_DEVICE_ATTR = 24;
/** Size of `struct kvm_irq_level` (irq, or status on the way back, and level: two u32): 8 bytes. */
export const SIZEOF_KVM_IRQ_LEVEL = 8;
/** Size of `struct kvm_enable_cap` (cap and flags u32, four u64 args, 64 bytes of padding): 104 bytes. */
export const SIZEOF_KVM_ENABLE_CAP = 104;
/** Size of `struct kvm_one_reg` (the register id and the user address of its value, two u64): 16 bytes. */
export const SIZEOF_KVM_ONE_REG = 16;
/** Size of `struct kvm_msi` (address_lo, address_hi, data, flags, devid: u32 each, 12 bytes of padding): 32 bytes. */
export const SIZEOF_KVM_MSI = 32;
/** Size of the header of `struct kvm_irq_routing` (nr and flags, two u32); the entries follow it. */
export const SIZEOF_KVM_IRQ_ROUTING = 8;
/** Size of one `struct kvm_irq_routing_entry` (gsi, type, flags, pad: u32 each, then a 32-byte union): 48 bytes. */
export const SIZEOF_KVM_IRQ_ROUTING_ENTRY = 48;
/** Size of `struct kvm_irqfd` (fd, gsi, flags, resamplefd: u32 each, 16 bytes of padding): 32 bytes. */
export const SIZEOF_KVM_IRQFD = 32;
/** Size of `struct kvm_vcpu_init` (target u32 and seven u32 feature words): 32 bytes. */
export const SIZEOF_KVM_VCPU_INIT = 32;
/** Size of `struct kvm_arm_device_addr` (id and addr, two u64): 16 bytes. */
export const SIZEOF_KVM_ARM_DEVICE_ADDR = 16;
/** Size of `struct kvm_interrupt` (one u32 irq): 4 bytes. */
export const SIZEOF_KVM_INTERRUPT = 4;
/** Size of `struct kvm_userspace_memory_region` (slot and flags u32; guest_phys_addr, memory_size, userspace_addr u64): 32 bytes. */
export const SIZEOF_KVM_USERSPACE_MEMORY_REGION = 32;
/** Size of `struct kvm_userspace_memory_region2` (the v1 fields, guest_memfd_offset, guest_memfd and padding): 160 bytes. */
export const SIZEOF_KVM_USERSPACE_MEMORY_REGION2 = 160;

// ---- /dev/kvm ioctls ----
/** /dev/kvm: the KVM API version (`KVM_API_VERSION`, 12). */
export const KVM_GET_API_VERSION = _IO(KVMIO, 0x00);
/** /dev/kvm: creates a VM and returns its fd; the argument is the machine type (0, or an arch-specific type such as arm64's IPA size). */
export const KVM_CREATE_VM = _IO(KVMIO, 0x01);
/** /dev/kvm and VM fds: whether a capability (`KVM_CAP_*`, the argument) is available: 0 when not, else 1 or a capability-specific value. */
export const KVM_CHECK_EXTENSION = _IO(KVMIO, 0x03);
/** /dev/kvm: the size of the region a vCPU fd maps (`struct kvm_run` and what follows it), in bytes. */
export const KVM_GET_VCPU_MMAP_SIZE = _IO(KVMIO, 0x04);

// ---- VM ioctls ----
/** VM fd: creates the vCPU whose id is the argument and returns its fd. */
export const KVM_CREATE_VCPU = _IO(KVMIO, 0x41);
/** VM fd: creates, moves, resizes or deletes a memory slot (`struct kvm_userspace_memory_region`). */
export const KVM_SET_USER_MEMORY_REGION = _IOW(KVMIO, 0x46, SIZEOF_KVM_USERSPACE_MEMORY_REGION);
/** VM fd: the same with `struct kvm_userspace_memory_region2` (adds guest_memfd backing; `KVM_CAP_USER_MEMORY2`). */
export const KVM_SET_USER_MEMORY_REGION2 = _IOW(KVMIO, 0x49, SIZEOF_KVM_USERSPACE_MEMORY_REGION2);
/** VM fd: creates the architecture's default in-kernel interrupt controller (x86: the PICs and the IOAPIC; arm64: a GICv2). */
export const KVM_CREATE_IRQCHIP = _IO(KVMIO, 0x60);
/** VM fd: sets an input line of the in-kernel interrupt controller to a level (`struct kvm_irq_level`). */
export const KVM_IRQ_LINE = _IOW(KVMIO, 0x61, SIZEOF_KVM_IRQ_LEVEL);
/** VM fd: `KVM_IRQ_LINE` that writes back whether the interrupt was delivered (the struct's `status`). */
export const KVM_IRQ_LINE_STATUS = _IOWR(KVMIO, 0x67, SIZEOF_KVM_IRQ_LEVEL);
/** VM fd: replaces the whole GSI routing table (`struct kvm_irq_routing` and its entries). */
export const KVM_SET_GSI_ROUTING = _IOW(KVMIO, 0x6a, SIZEOF_KVM_IRQ_ROUTING);
/** VM fd: binds an eventfd to a GSI so that a write to it injects the interrupt, or unbinds it (`struct kvm_irqfd`). */
export const KVM_IRQFD = _IOW(KVMIO, 0x76, SIZEOF_KVM_IRQFD);
/** VM fd: injects one MSI (`struct kvm_msi`) without a routing entry. */
export const KVM_SIGNAL_MSI = _IOW(KVMIO, 0xa5, SIZEOF_KVM_MSI);
/** VM fd, arm64: the guest address of a GICv2 distributor or CPU interface (`struct kvm_arm_device_addr`), the pre-device-API way. */
export const KVM_ARM_SET_DEVICE_ADDR = _IOW(KVMIO, 0xab, SIZEOF_KVM_ARM_DEVICE_ADDR);
/** VM fd, book3s powerpc: binds an RTAS call name to the token the guest uses for it (`struct kvm_rtas_token_args`: a 120-byte name and a u64 token). */
export const KVM_PPC_RTAS_DEFINE_TOKEN = _IOW(KVMIO, 0xac, 128);
/** VM fd: creates a device of a type (`struct kvm_create_device`); its fd comes back in the struct (with `KVM_CREATE_DEVICE_TEST`: only checks the type). */
export const KVM_CREATE_DEVICE = _IOWR(KVMIO, 0xe0, SIZEOF_KVM_CREATE_DEVICE);

// ---- device, VM and vCPU attribute ioctls (GET is _IOW on purpose: the struct is only read) ----
/** Device, VM and vCPU fds: writes one attribute (group and attr of `struct kvm_device_attr`) from the user buffer at `addr`. */
export const KVM_SET_DEVICE_ATTR = _IOW(KVMIO, 0xe1, SIZEOF_KVM_DEVICE_ATTR);
/** Device, VM and vCPU fds: reads one attribute into the user buffer at `addr` (an `_IOW` request: the struct itself is only read). */
export const KVM_GET_DEVICE_ATTR = _IOW(KVMIO, 0xe2, SIZEOF_KVM_DEVICE_ATTR);
/** Device, VM and vCPU fds: whether the attribute exists (0 when it does, ENXIO when it does not). */
export const KVM_HAS_DEVICE_ATTR = _IOW(KVMIO, 0xe3, SIZEOF_KVM_DEVICE_ATTR);

// ---- vCPU ioctls ----
/** vCPU fd: runs the vCPU until it exits to userspace; the exit is described in its `struct kvm_run`. */
export const KVM_RUN = _IO(KVMIO, 0x80);
/** vCPU fd: x86 without an in-kernel irqchip: queues an interrupt vector; powerpc: raises or lowers the external interrupt (`KVM_INTERRUPT_SET` / `_UNSET`) (`struct kvm_interrupt`). */
export const KVM_INTERRUPT = _IOW(KVMIO, 0x86, SIZEOF_KVM_INTERRUPT);
/** vCPU fd (and VM fd with `KVM_CAP_ENABLE_CAP_VM`): enables a capability with arguments (`struct kvm_enable_cap`). */
export const KVM_ENABLE_CAP = _IOW(KVMIO, 0xa3, SIZEOF_KVM_ENABLE_CAP);
/** vCPU fd: reads one register, named by its 64-bit id, into the user buffer at `addr` (`struct kvm_one_reg`). */
export const KVM_GET_ONE_REG = _IOW(KVMIO, 0xab, SIZEOF_KVM_ONE_REG);
/** vCPU fd: writes one register from the user buffer at `addr` (`struct kvm_one_reg`). */
export const KVM_SET_ONE_REG = _IOW(KVMIO, 0xac, SIZEOF_KVM_ONE_REG);
/** vCPU fd, arm64: initialises (or resets) the vCPU for a target and feature set (`struct kvm_vcpu_init`); most vCPU ioctls need it first. */
export const KVM_ARM_VCPU_INIT = _IOW(KVMIO, 0xae, SIZEOF_KVM_VCPU_INIT);
/** VM fd, arm64: the target and features the host prefers for `KVM_ARM_VCPU_INIT` (`struct kvm_vcpu_init`, written back). */
export const KVM_ARM_PREFERRED_TARGET = _IOR(KVMIO, 0xaf, SIZEOF_KVM_VCPU_INIT);

// ---- KVM_CREATE_DEVICE ----
/** `kvm_create_device.flags`: probe for the type, create nothing. */
export const KVM_CREATE_DEVICE_TEST = 1;

/** `enum kvm_device_type` (KVM_CREATE_DEVICE's type): Freescale MPIC version 2.0 (e500 PowerPC). */
export const KVM_DEV_TYPE_FSL_MPIC_20 = 1;
/** Freescale MPIC version 4.2 (e500 PowerPC). */
export const KVM_DEV_TYPE_FSL_MPIC_42 = 2;
/** The POWER XICS interrupt controller, emulated by book3s KVM. */
export const KVM_DEV_TYPE_XICS = 3;
/** The KVM-VFIO pseudo device: tells KVM which VFIO groups/files the VM uses. */
export const KVM_DEV_TYPE_VFIO = 4;
/** An emulated GICv2 (distributor and CPU interface). */
export const KVM_DEV_TYPE_ARM_VGIC_V2 = 5;
/** s390's floating interrupt controller. */
export const KVM_DEV_TYPE_FLIC = 6;
/** An emulated GICv3 (distributor and redistributors; the CPU interface is system registers). */
export const KVM_DEV_TYPE_ARM_VGIC_V3 = 7;
/** An emulated GICv3 Interrupt Translation Service (MSIs to LPIs). */
export const KVM_DEV_TYPE_ARM_VGIC_ITS = 8;
/** The POWER9 XIVE interrupt controller in native (exploitation) mode. */
export const KVM_DEV_TYPE_XIVE = 9;
/** Reserved for arm64 paravirtualised stolen time; no device is registered under it (stolen time is a vCPU attribute group). */
export const KVM_DEV_TYPE_ARM_PV_TIME = 10;
/** The RISC-V Advanced Interrupt Architecture (APLIC and IMSICs). */
export const KVM_DEV_TYPE_RISCV_AIA = 11;
/** LoongArch's inter-processor interrupt device. */
export const KVM_DEV_TYPE_LOONGARCH_IPI = 12;
/** LoongArch's extended I/O interrupt controller. */
export const KVM_DEV_TYPE_LOONGARCH_EIOINTC = 13;
/** LoongArch's platform controller hub PIC. */
export const KVM_DEV_TYPE_LOONGARCH_PCHPIC = 14;
/** LoongArch's DMSINTC: delivers message-signalled interrupts straight to vCPUs (QEMU's DINTC, the AVEC); set up with a message address base and size. */
export const KVM_DEV_TYPE_LOONGARCH_DMSINTC = 15;
/** An emulated GICv5. */
export const KVM_DEV_TYPE_ARM_VGIC_V5 = 16;
/** Size of the kernel's ops table; not a type. */
export const KVM_DEV_TYPE_MAX = 17;

// ---- capabilities (KVM_CHECK_EXTENSION / KVM_ENABLE_CAP) ----
/** An in-kernel interrupt controller can be created (`KVM_CREATE_IRQCHIP` / a device). */
export const KVM_CAP_IRQCHIP = 0;
/** `KVM_SET_USER_MEMORY_REGION` is available. */
export const KVM_CAP_USER_MEMORY = 3;
/** The recommended maximum number of vCPUs (typically the host's online CPUs; `KVM_CAP_MAX_VCPUS` is the hard limit). */
export const KVM_CAP_NR_VCPUS = 9;
/** The number of user memory slots per address space. */
export const KVM_CAP_NR_MEMSLOTS = 10;
/** `KVM_SET_GSI_ROUTING` is available. */
export const KVM_CAP_IRQ_ROUTING = 25;
/** `KVM_IRQ_LINE_STATUS` is available. */
export const KVM_CAP_IRQ_INJECT_STATUS = 26;
/** `KVM_IRQFD` is available. */
export const KVM_CAP_IRQFD = 32;
/** `KVM_ENABLE_CAP` is available on vCPU fds. */
export const KVM_CAP_ENABLE_CAP = 54;
/** The maximum number of vCPUs of one VM. */
export const KVM_CAP_MAX_VCPUS = 66;
/** `KVM_GET_ONE_REG` / `KVM_SET_ONE_REG` are available. */
export const KVM_CAP_ONE_REG = 70;
/** `KVM_SIGNAL_MSI` is available. */
export const KVM_CAP_SIGNAL_MSI = 77;
/** Memory slots may be read-only (`KVM_MEM_READONLY`). */
export const KVM_CAP_READONLY_MEM = 81;
/** irqfds may be level-triggered with a resample eventfd (`KVM_IRQFD_FLAG_RESAMPLE`). */
export const KVM_CAP_IRQFD_RESAMPLE = 82;
/** arm64: the kernel implements PSCI 0.1 for the guest. */
export const KVM_CAP_ARM_PSCI = 87;
/** arm64: `KVM_ARM_SET_DEVICE_ADDR` is available. */
export const KVM_CAP_ARM_SET_DEVICE_ADDR = 88;
/** `KVM_CREATE_DEVICE` and the device attribute ioctls are available. */
export const KVM_CAP_DEVICE_CTRL = 89;
/** powerpc: a vCPU can be connected to an in-kernel MPIC (`KVM_ENABLE_CAP` on the vCPU). */
export const KVM_CAP_IRQ_MPIC = 90;
/** book3s powerpc: `KVM_PPC_RTAS_DEFINE_TOKEN` is available. */
export const KVM_CAP_PPC_RTAS = 91;
/** book3s powerpc: a vCPU can be connected to an in-kernel XICS (`KVM_ENABLE_CAP` on the vCPU). */
export const KVM_CAP_IRQ_XICS = 92;
/** arm64: vCPUs can run an AArch32 EL1 (the KVM_ARM_VCPU_EL1_32BIT feature). */
export const KVM_CAP_ARM_EL1_32BIT = 93;
/** `KVM_ENABLE_CAP` is available on VM fds. */
export const KVM_CAP_ENABLE_CAP_VM = 98;
/** The device attribute ioctls are served on VM fds. */
export const KVM_CAP_VM_ATTRIBUTES = 101;
/** arm64: the kernel implements PSCI 0.2 and later (the KVM_ARM_VCPU_PSCI_0_2 feature). */
export const KVM_CAP_ARM_PSCI_0_2 = 102;
/** `KVM_CHECK_EXTENSION` is available on VM fds (answers for that VM). */
export const KVM_CAP_CHECK_EXTENSION_VM = 105;
/** The number of memory address spaces (more than 1 on x86 with SMM). */
export const KVM_CAP_MULTI_ADDRESS_SPACE = 118;
/** The device attribute ioctls are served on vCPU fds. */
export const KVM_CAP_VCPU_ATTRIBUTES = 127;
/** The bound on vCPU ids: `KVM_CREATE_VCPU` takes ids below it. */
export const KVM_CAP_MAX_VCPU_ID = 128;
/** MSIs carry a device id (`devid` with `KVM_MSI_VALID_DEVID`), needed by the GICv3 ITS. */
export const KVM_CAP_MSI_DEVID = 131;
/** arm64: the largest guest physical address size, in bits, that `KVM_CREATE_VM`'s type can ask for. */
export const KVM_CAP_ARM_VM_IPA_SIZE = 165;
/** arm64: `KVM_IRQ_LINE`'s irq field has the vcpu2 bits, for vCPU indexes above 255. */
export const KVM_CAP_ARM_IRQ_LINE_LAYOUT_2 = 174;
/** The VM's halt-polling time can be set with `KVM_ENABLE_CAP`. */
export const KVM_CAP_HALT_POLL = 182;
/** The device attribute ioctls are served on /dev/kvm. */
export const KVM_CAP_SYS_ATTRIBUTES = 209;
/** `KVM_SET_USER_MEMORY_REGION2` is available. */
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
/** `kvm_irq_routing_entry.type`: the GSI goes to a pin of an in-kernel irqchip (`u.irqchip`). */
export const KVM_IRQ_ROUTING_IRQCHIP = 1;
/** `kvm_irq_routing_entry.type`: the GSI sends an MSI (`u.msi`). */
export const KVM_IRQ_ROUTING_MSI = 2;
/** `kvm_irq_routing_entry.type`: an s390 adapter interrupt (`u.adapter`). */
export const KVM_IRQ_ROUTING_S390_ADAPTER = 3;
/** `kvm_irq_routing_entry.type`: a Hyper-V synthetic interrupt (`u.hv_sint`, x86). */
export const KVM_IRQ_ROUTING_HV_SINT = 4;
/** `kvm_irq_routing_entry.type`: a Xen event channel (`u.xen_evtchn`, x86). */
export const KVM_IRQ_ROUTING_XEN_EVTCHN = 5;
/** Routing entry flag: `u.msi.devid` is valid. */
export const KVM_MSI_VALID_DEVID = 1 << 0;
/** Maximum number of routing entries (and GSIs) per VM. */
export const KVM_MAX_IRQ_ROUTES = 4096;

// ---- ONE_REG id encoding ----
/** ONE_REG id: the architecture field (bits 56-63). */
export const KVM_REG_ARCH_MASK = 0xff00000000000000n;
/** ONE_REG id architecture: generic (no architecture). */
export const KVM_REG_GENERIC = 0x0000000000000000n;
/** ONE_REG id architecture: powerpc. */
export const KVM_REG_PPC = 0x1000000000000000n;
/** ONE_REG id architecture: x86. */
export const KVM_REG_X86 = 0x2000000000000000n;
/** ONE_REG id architecture: 32-bit Arm (no longer supported by KVM). */
export const KVM_REG_ARM = 0x4000000000000000n;
/** ONE_REG id architecture: s390. */
export const KVM_REG_S390 = 0x5000000000000000n;
/** ONE_REG id architecture: arm64. */
export const KVM_REG_ARM64 = 0x6000000000000000n;
/** ONE_REG id architecture: RISC-V. */
export const KVM_REG_RISCV = 0x8000000000000000n;
/** ONE_REG id: bit position of the size field (the payload is `1 << size` bytes). */
export const KVM_REG_SIZE_SHIFT = 52;
/** ONE_REG id: the size field (bits 52-55). */
export const KVM_REG_SIZE_MASK = 0x00f0000000000000n;
/** ONE_REG id size: a 1-byte register. */
export const KVM_REG_SIZE_U8 = 0x0000000000000000n;
/** ONE_REG id size: a 2-byte register. */
export const KVM_REG_SIZE_U16 = 0x0010000000000000n;
/** ONE_REG id size: a 4-byte register. */
export const KVM_REG_SIZE_U32 = 0x0020000000000000n;
/** ONE_REG id size: an 8-byte register. */
export const KVM_REG_SIZE_U64 = 0x0030000000000000n;
/** ONE_REG id size: a 16-byte register. */
export const KVM_REG_SIZE_U128 = 0x0040000000000000n;
/** The payload size in bytes encoded in a ONE_REG id. */
export function kvmRegSize(id: bigint): number {
  return 1 << Number((id & KVM_REG_SIZE_MASK) >> BigInt(KVM_REG_SIZE_SHIFT));
}

/** The model's default `KVM_CAP_MAX_VCPUS` (configurable per host). */
export const KVM_MAX_VCPUS_DEFAULT = 1024;
/** The model's default bound on vCPU ids (`KVM_CAP_MAX_VCPU_ID`), configurable per host. */
export const KVM_MAX_VCPU_IDS_DEFAULT = 4096;
