/**
 * The KVM request numbers of each architecture. The `KVM_*` request constants of `uapi/kvm.ts`
 * are the generic encoding's (x86 and arm64); a powerpc kernel compiles the same `_IOC` triples
 * with its own encoding (arch/powerpc/include/uapi/asm/ioctl.h), so every request has another number there (`_IO` ones gain bit 29; KVM_SET_DEVICE_ATTR is
 * 0x4018aee1 on x86 and arm64, 0x8018aee1 on powerpc). A host answers the numbers of its architecture
 * (`host.ioctls`), chosen by the host architecture a plugin declares (`KvmPlugin.hostArch`).
 * @packageDocumentation
 */
import { type IoctlEncoding, ioctlFor } from './ioctl.js';
import * as K from './kvm.js';

/** Every KVM request the core serves or exports, by its uapi name, as one architecture numbers it. */
export interface KvmIoctls {
  /** `_IO(KVMIO, 0x00)`. */
  readonly KVM_GET_API_VERSION: number;
  /** `_IO(KVMIO, 0x01)`. */
  readonly KVM_CREATE_VM: number;
  /** `_IO(KVMIO, 0x03)`. */
  readonly KVM_CHECK_EXTENSION: number;
  /** `_IO(KVMIO, 0x04)`. */
  readonly KVM_GET_VCPU_MMAP_SIZE: number;
  /** `_IO(KVMIO, 0x41)`. */
  readonly KVM_CREATE_VCPU: number;
  /** `_IOW(KVMIO, 0x46, struct kvm_userspace_memory_region)`. */
  readonly KVM_SET_USER_MEMORY_REGION: number;
  /** `_IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)`. */
  readonly KVM_SET_USER_MEMORY_REGION2: number;
  /** `_IO(KVMIO, 0x60)`. */
  readonly KVM_CREATE_IRQCHIP: number;
  /** `_IOW(KVMIO, 0x61, struct kvm_irq_level)`. */
  readonly KVM_IRQ_LINE: number;
  /** `_IOWR(KVMIO, 0x67, struct kvm_irq_level)`. */
  readonly KVM_IRQ_LINE_STATUS: number;
  /** `_IOW(KVMIO, 0x6a, struct kvm_irq_routing)`. */
  readonly KVM_SET_GSI_ROUTING: number;
  /** `_IOW(KVMIO, 0x76, struct kvm_irqfd)`. */
  readonly KVM_IRQFD: number;
  /** `_IOW(KVMIO, 0xa5, struct kvm_msi)`. */
  readonly KVM_SIGNAL_MSI: number;
  /** `_IOW(KVMIO, 0xab, struct kvm_arm_device_addr)` (arm64). */
  readonly KVM_ARM_SET_DEVICE_ADDR: number;
  /** `_IOW(KVMIO, 0xac, struct kvm_rtas_token_args)` (book3s). */
  readonly KVM_PPC_RTAS_DEFINE_TOKEN: number;
  /** `_IOWR(KVMIO, 0xe0, struct kvm_create_device)`. */
  readonly KVM_CREATE_DEVICE: number;
  /** `_IOW(KVMIO, 0xe1, struct kvm_device_attr)`. */
  readonly KVM_SET_DEVICE_ATTR: number;
  /** `_IOW(KVMIO, 0xe2, struct kvm_device_attr)`. */
  readonly KVM_GET_DEVICE_ATTR: number;
  /** `_IOW(KVMIO, 0xe3, struct kvm_device_attr)`. */
  readonly KVM_HAS_DEVICE_ATTR: number;
  /** `_IO(KVMIO, 0x80)`. */
  readonly KVM_RUN: number;
  /** `_IOW(KVMIO, 0x86, struct kvm_interrupt)`. */
  readonly KVM_INTERRUPT: number;
  /** `_IOW(KVMIO, 0xa3, struct kvm_enable_cap)`. */
  readonly KVM_ENABLE_CAP: number;
  /** `_IOW(KVMIO, 0xab, struct kvm_one_reg)`. */
  readonly KVM_GET_ONE_REG: number;
  /** `_IOW(KVMIO, 0xac, struct kvm_one_reg)`. */
  readonly KVM_SET_ONE_REG: number;
  /** `_IOW(KVMIO, 0xae, struct kvm_vcpu_init)` (arm64). */
  readonly KVM_ARM_VCPU_INIT: number;
  /** `_IOR(KVMIO, 0xaf, struct kvm_vcpu_init)` (arm64). */
  readonly KVM_ARM_PREFERRED_TARGET: number;
}

const GENERIC: KvmIoctls = Object.freeze({
  KVM_GET_API_VERSION: K.KVM_GET_API_VERSION,
  KVM_CREATE_VM: K.KVM_CREATE_VM,
  KVM_CHECK_EXTENSION: K.KVM_CHECK_EXTENSION,
  KVM_GET_VCPU_MMAP_SIZE: K.KVM_GET_VCPU_MMAP_SIZE,
  KVM_CREATE_VCPU: K.KVM_CREATE_VCPU,
  KVM_SET_USER_MEMORY_REGION: K.KVM_SET_USER_MEMORY_REGION,
  KVM_SET_USER_MEMORY_REGION2: K.KVM_SET_USER_MEMORY_REGION2,
  KVM_CREATE_IRQCHIP: K.KVM_CREATE_IRQCHIP,
  KVM_IRQ_LINE: K.KVM_IRQ_LINE,
  KVM_IRQ_LINE_STATUS: K.KVM_IRQ_LINE_STATUS,
  KVM_SET_GSI_ROUTING: K.KVM_SET_GSI_ROUTING,
  KVM_IRQFD: K.KVM_IRQFD,
  KVM_SIGNAL_MSI: K.KVM_SIGNAL_MSI,
  KVM_ARM_SET_DEVICE_ADDR: K.KVM_ARM_SET_DEVICE_ADDR,
  KVM_PPC_RTAS_DEFINE_TOKEN: K.KVM_PPC_RTAS_DEFINE_TOKEN,
  KVM_CREATE_DEVICE: K.KVM_CREATE_DEVICE,
  KVM_SET_DEVICE_ATTR: K.KVM_SET_DEVICE_ATTR,
  KVM_GET_DEVICE_ATTR: K.KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR: K.KVM_HAS_DEVICE_ATTR,
  KVM_RUN: K.KVM_RUN,
  KVM_INTERRUPT: K.KVM_INTERRUPT,
  KVM_ENABLE_CAP: K.KVM_ENABLE_CAP,
  KVM_GET_ONE_REG: K.KVM_GET_ONE_REG,
  KVM_SET_ONE_REG: K.KVM_SET_ONE_REG,
  KVM_ARM_VCPU_INIT: K.KVM_ARM_VCPU_INIT,
  KVM_ARM_PREFERRED_TARGET: K.KVM_ARM_PREFERRED_TARGET,
});

function reencode(encoding: IoctlEncoding): KvmIoctls {
  const out: Record<string, number> = {};
  for (const [name, req] of Object.entries(GENERIC)) out[name] = ioctlFor(encoding, req);
  return Object.freeze(out as unknown as KvmIoctls);
}

/**
 * The KVM request numbers per ioctl encoding: `KVM_IOCTLS.generic` are the `KVM_*` constants
 * (x86, arm64), `KVM_IOCTLS.powerpc` what a ppc64 or ppc32 kernel answers
 * (`KVM_IOCTLS.powerpc.KVM_SET_DEVICE_ATTR === 0x8018aee1`).
 */
export const KVM_IOCTLS: Readonly<Record<IoctlEncoding, KvmIoctls>> = Object.freeze({
  generic: GENERIC,
  powerpc: reencode('powerpc'),
});

/** The KVM request numbers of one encoding (`kvmIoctls('powerpc')`). */
export function kvmIoctls(encoding: IoctlEncoding): KvmIoctls {
  const t = KVM_IOCTLS[encoding];
  if (t === undefined) throw new TypeError(`unknown ioctl encoding ${JSON.stringify(encoding)}`);
  return t;
}
