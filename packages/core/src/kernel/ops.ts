/**
 * The contracts the kernel calls into: `DeviceOps` (the kernel's `struct kvm_device_ops`), the
 * VM's in-kernel interrupt controller (`IrqChip`) and the per-request hooks arch and device code
 * add to VMs and vCPUs (`KvmHooks`). Plugins implement them; the kernel layer only calls them.
 * @packageDocumentation
 */
import type { KvmDeviceAttr } from './attr.js';
import type { KvmDevice } from './device.js';
import type { Kernel } from './kernel.js';
import type { Vcpu } from './vcpu.js';
import type { Vm } from './vm.js';

/**
 * The return value a hook gives when a request is not its own, so the next plugin (or the core's
 * default) gets it. Equal to the kernel's `-ENOIOCTLCMD`.
 */
export const KVM_HOOK_PASS = -515;

/**
 * `struct kvm_device_ops`. Every op that returns a number returns 0 (or a positive result) on
 * success and a negative errno on failure, like the kernel. An op may also throw a `KvmError`
 * (e.g. from `host.mem` on a bad user pointer): the core turns it into `-errno`. Any other
 * exception is a bug in the plugin: the call fails with EIO and the VM is marked bugged.
 */
export interface DeviceOps<P = unknown> {
  /** Name of the device's anon inode, e.g. `'kvm-mpic'`. */
  readonly name: string;
  /** Called with the VM lock held. Set `dev.private`. A negative return fails the create; nothing else runs. */
  create(dev: KvmDevice<P>, type: number): number;
  /** Optional, cannot fail, called after a successful create, outside the lock, before the fd exists. */
  init?(dev: KvmDevice<P>): void;
  /** Frees the device at VM teardown (destroy-style devices), after the vCPUs. */
  destroy?(dev: KvmDevice<P>): void;
  /** Frees the device when the last reference to its fd goes (release-style devices). */
  release?(dev: KvmDevice<P>): void;
  /** KVM_SET_DEVICE_ATTR (absent: EPERM before the struct is read). */
  setAttr?(dev: KvmDevice<P>, attr: KvmDeviceAttr): number;
  /** KVM_GET_DEVICE_ATTR (absent: EPERM). */
  getAttr?(dev: KvmDevice<P>, attr: KvmDeviceAttr): number;
  /** KVM_HAS_DEVICE_ATTR (absent: EPERM). */
  hasAttr?(dev: KvmDevice<P>, attr: KvmDeviceAttr): number;
  /** Any other ioctl on the device fd. */
  ioctl?(dev: KvmDevice<P>, request: number, arg: number): number;
}

/** The VM's in-kernel interrupt controller, as KVM_IRQ_LINE, GSI routing and MSIs see it. */
export interface IrqChip {
  /** The irqchip's name. */
  readonly name: string;
  /**
   * KVM_IRQ_LINE handled by arch code (arm64, ppc). Returns the ioctl result: the status (>= 0)
   * or -errno. A chip whose ioctl succeeds with a negative status (ppc writes -EINVAL into
   * `kvm_irq_level.status` and returns 0) sets `vm.irqLineStatus` before returning 0.
   * When absent, the core routes `irq` as a GSI through the routing table (kvm_set_irq).
   */
  irqLine?(irq: number, level: number): number;
  /** Pins of irqchip 0 (KVM_IRQCHIP_NUM_PINS); routing entries with pin >= numPins are EINVAL. */
  readonly numPins: number;
  /** Number of irqchips (KVM_NR_IRQCHIPS), default 1. */
  readonly numIrqchips?: number;
  /** Whether MSI routing entries / KVM_SIGNAL_MSI are accepted. */
  readonly msi: boolean;
  /**
   * Whether the kernel serving this irqchip has GSI routing at all (CONFIG_HAVE_KVM_IRQ_ROUTING;
   * default true). When false, KVM_SET_GSI_ROUTING and KVM_SIGNAL_MSI are ENOTTY and
   * KVM_CAP_IRQ_ROUTING / KVM_CAP_SIGNAL_MSI report 0 (the emulated XICS is such a case).
   */
  readonly routing?: boolean;
  /** Whether MSI entries may carry KVM_MSI_VALID_DEVID. */
  readonly msiDevid?: boolean;
  /** An IRQCHIP route fired. Returns >0 delivered, 0 coalesced/masked, <0 error. */
  setPin?(irqchip: number, pin: number, level: number): number;
  /** An MSI route fired, or KVM_SIGNAL_MSI. */
  setMsi?(addressLo: number, addressHi: number, data: number, flags: number, devid: number): number;
  /**
   * kvm_arch_set_irq_inatomic for the only route of an irqfd's GSI when it is an IRQCHIP route:
   * inject level 1 now and return the result, or return -EAGAIN (-EWOULDBLOCK) to take the
   * deferred path (kvm_set_irq with level 1 then 0). Absent: always deferred.
   */
  setPinInatomic?(irqchip: number, pin: number): number;
  /** The same for an MSI route (arm64: the ITS translation cache only). */
  setMsiInatomic?(addressLo: number, addressHi: number, data: number, flags: number, devid: number): number;
  /** Extra checks when a routing table is installed (-EINVAL rejects it). */
  canSetRouting?(): boolean;
}

/** Per-request hooks a plugin adds to the VM and vCPU objects. Each returns KVM_HOOK_PASS when the request is not its own. */
export interface KvmHooks {
  /** KVM_CHECK_EXTENSION on /dev/kvm (`vm` null) or a VM fd. */
  checkExtension?(host: Kernel, vm: Vm | null, cap: number): number;
  /**
   * KVM_GET_VCPU_MMAP_SIZE: the bytes of the vCPU's `kvm_run` mapping on this architecture (the
   * run page and the coalesced-MMIO ring page, plus the PIO page on x86 only), or KVM_HOOK_PASS
   * for the core's x86 default of 3 pages of 4 KiB.
   */
  vcpuMmapSize?(host: Kernel): number;
  /**
   * PAGE_SIZE of the host kernel the architecture runs (what FIGETBSZ reports for KVM's files,
   * and the unit of FIDEDUPERANGE's size limit), or KVM_HOOK_PASS for the core's 4096.
   */
  pageSize?(host: Kernel): number;
  /** KVM_CREATE_VM with a nonzero machine type; 0 accepts it (the VM then exists), -errno rejects. */
  vmType?(host: Kernel, type: number): number;
  /** Called right after a VM object is created (set VM defaults such as the IPA size). */
  vmCreated?(vm: Vm): void;
  /**
   * KVM_IRQ_LINE before the irqchip sees it (arch code such as arm64's, which also serves VMs
   * without an in-kernel irqchip). Returns the status (>= 0), -errno, or KVM_HOOK_PASS.
   */
  vmIrqLine?(vm: Vm, irq: number, level: number): number;
  /** Arch VM ioctls (KVM_CREATE_IRQCHIP, KVM_ARM_SET_DEVICE_ADDR, ...). */
  vmIoctl?(vm: Vm, request: number, arg: number): number;
  /** KVM_CREATE_VCPU, before the vCPU exists (kvm_arch_vcpu_precreate): 0 or -errno. */
  vcpuPrecreate?(vm: Vm, id: number): number;
  /** After the vCPU object exists (private IRQs, redistributor slot...). */
  vcpuCreated?(vcpu: Vcpu): void;
  /** At VM teardown, for each vCPU (before the devices are destroyed). */
  vcpuDestroy?(vcpu: Vcpu): void;
  /** Arch vCPU ioctls (KVM_ARM_VCPU_INIT, ...). */
  vcpuIoctl?(vcpu: Vcpu, request: number, arg: number): number;
  /** KVM_RUN checks, in plugin order: 0 to continue, -errno to fail the run. */
  vcpuRun?(vcpu: Vcpu): number;
  /** KVM_ENABLE_CAP on a vCPU. `args` are the four u64 args. */
  vcpuEnableCap?(vcpu: Vcpu, cap: number, args: readonly bigint[]): number;
  /** KVM_GET_ONE_REG: write the register to user address `addr`. */
  getOneReg?(vcpu: Vcpu, id: bigint, addr: number): number;
  /** KVM_SET_ONE_REG: read the register from user address `addr`. */
  setOneReg?(vcpu: Vcpu, id: bigint, addr: number): number;
  /**
   * What the architecture's `kvm_arch_vm_ioctl` does with a device-attr request on a VM fd
   * (`request` is KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR or KVM_HAS_DEVICE_ATTR), before the
   * struct is read: 0 when it serves the request (the struct is copied, EFAULT for a bad pointer,
   * then the `vmSetAttr`/`vmGetAttr`/`vmHasAttr` hooks, and ENXIO for a group no hook serves);
   * a negative errno the arch answers without reading the struct (ENOTTY: no VM attributes;
   * arm64's GET: EINVAL); KVM_HOOK_PASS when the VM is not this architecture's. When no hook
   * answers, the request is served if some plugin has a hook for it, else ENOTTY (x86 without
   * VM attribute groups).
   */
  vmAttrIoctl?(vm: Vm, request: number): number;
  /**
   * The same for a vCPU fd (`kvm_arch_vcpu_ioctl`): 0 serves (copy, then the `vcpu*Attr` hooks,
   * ENXIO for a group no hook serves), a negative errno answers before the struct is read
   * (powerpc has no vCPU attributes: EINVAL), KVM_HOOK_PASS when not this arch's vCPU. When no
   * hook answers, the request is served (x86 and arm64 have vCPU attribute groups).
   */
  vcpuAttrIoctl?(vcpu: Vcpu, request: number): number;
  /**
   * KVM_ENABLE_CAP on a VM fd, for a capability the generic code does not enable
   * (kvm_vm_ioctl_enable_cap): 0 or -errno, KVM_HOOK_PASS when not this plugin's (the core's
   * answer is then EINVAL). `flags` is 0 (the core refuses others with EINVAL).
   */
  vmEnableCap?(vm: Vm, cap: number, args: readonly bigint[]): number;
  /** KVM_SET_DEVICE_ATTR on a VM fd (the VM attribute groups of vm.rst). */
  vmSetAttr?(vm: Vm, attr: KvmDeviceAttr): number;
  /** KVM_GET_DEVICE_ATTR on a VM fd. */
  vmGetAttr?(vm: Vm, attr: KvmDeviceAttr): number;
  /** KVM_HAS_DEVICE_ATTR on a VM fd. */
  vmHasAttr?(vm: Vm, attr: KvmDeviceAttr): number;
  /** KVM_SET_DEVICE_ATTR on a vCPU fd (the vCPU attribute groups of vcpu.rst). */
  vcpuSetAttr?(vcpu: Vcpu, attr: KvmDeviceAttr): number;
  /** KVM_GET_DEVICE_ATTR on a vCPU fd. */
  vcpuGetAttr?(vcpu: Vcpu, attr: KvmDeviceAttr): number;
  /** KVM_HAS_DEVICE_ATTR on a vCPU fd. */
  vcpuHasAttr?(vcpu: Vcpu, attr: KvmDeviceAttr): number;
  /**
   * A guest hypercall. `args` are the argument registers; write results to `out` (reused).
   * Returns the hypercall's return code, or KVM_HOOK_PASS.
   */
  hypercall?(vcpu: Vcpu, nr: number, args: ArrayLike<number>, out: number[]): number;
  /** A guest system-register read: the value, or null when not this plugin's register. */
  sysregRead?(vcpu: Vcpu, encoding: number): bigint | null;
  /**
   * The no-bigint fast path of a system-register read, for registers whose value fits 32 bits
   * (the GIC's ICC_* registers): the value as a u32, or KVM_HOOK_PASS. The guest port tries it
   * before `sysregRead` and serves `sysregRead` from it too, so a plugin may implement only this.
   */
  sysregRead32?(vcpu: Vcpu, encoding: number): number;
  /** The no-bigint fast path of a system-register write (`hi` = bits 63:32): true when handled. */
  sysregWrite32?(vcpu: Vcpu, encoding: number, lo: number, hi: number): boolean;
  /** A guest system-register write: true when handled. */
  sysregWrite?(vcpu: Vcpu, encoding: number, value: bigint): boolean;
  /**
   * The vCPU takes the interrupt its output line signals (the CPU's exception entry). An
   * irqchip that acknowledges on the guest's behalf (MPIC proxy/EPR mode) does it here and
   * returns the value the guest finds (e.g. EPR), else KVM_HOOK_PASS.
   */
  vcpuTakeInterrupt?(vcpu: Vcpu, line: number): number;
  /** At VM teardown, after the devices are destroyed. */
  vmDestroyed?(vm: Vm): void;
  /**
   * KVM_IRQFD assign, before the fds are looked at: kvm_arch_intc_initialized (-EAGAIN while the
   * irqchip is not ready) and kvm_arch_irqfd_allowed (-EINVAL). 0 allows, KVM_HOOK_PASS defers
   * to the next plugin (and finally allows).
   */
  irqfdCheck?(vm: Vm, flags: number): number;
}

