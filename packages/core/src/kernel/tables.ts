/**
 * The kernel's dispatch tables of one host: the device ops table indexed by type (the kernel's
 * `kvm_device_ops_table`, plus the vendor range for device types the kernel does not have) and
 * the hooks of every registered plugin, flattened into arrays in registration order so that a
 * dispatch is a plain loop.
 * @packageDocumentation
 */
import { EEXIST, ENOSPC } from '../uapi/errno.js';
import type { IoctlEncoding } from '../uapi/ioctl.js';
import { KVM_DEV_TYPE_MAX } from '../uapi/kvm.js';
import { KVM_IOCTLS, type KvmIoctls } from '../uapi/requests.js';
import { VFS_IOCTLS_GENERIC, VFS_IOCTLS_POWERPC, type VfsIoctlNumbers } from '../uapi/vfs.js';
import type { DeviceOps, KvmHooks } from './ops.js';

/**
 * The architecture a host's kernel is built for, as far as the core needs to know it: its name
 * and its ioctl encoding. A plugin that models a whole host (an architecture profile such as
 * `@kvmdev/xics`'s ppc64 hosts) declares it as `KvmPlugin.hostArch`.
 */
export interface HostArch {
  /** The architecture's name, e.g. `'ppc64'`. */
  readonly name: string;
  /** How the architecture encodes ioctl request numbers (`'powerpc'` on ppc64). */
  readonly ioctlEncoding: IoctlEncoding;
  /**
   * Whether the kernel has GSI routing (CONFIG_HAVE_KVM_IRQ_ROUTING; default true). Without it
   * `kvm_vm_ioctl` has no KVM_SET_GSI_ROUTING, so the arch's VM ioctl answers it (ENOTTY on every
   * arch), and KVM_CAP_IRQ_ROUTING is 0 on /dev/kvm and on every VM. book3s powerpc (XICS) has none.
   */
  readonly irqRouting?: boolean;
  /**
   * Whether the kernel injects MSIs (CONFIG_HAVE_KVM_MSI; default true). Without it KVM_SIGNAL_MSI
   * is ENOTTY on every VM fd and KVM_CAP_SIGNAL_MSI is 0. book3s powerpc has none.
   */
  readonly msi?: boolean;
}

/**
 * First type number of the vendor range. Third-party device types are assigned from
 * `[KVM_DEV_TYPE_VENDOR_BASE, KVM_DEV_TYPE_VENDOR_BASE + KVM_DEV_TYPE_VENDOR_MAX)` by the host at
 * registration, keyed by their namespaced key, so they can never collide with a kernel type
 * (all < KVM_DEV_TYPE_MAX) or with each other. The kernel itself answers ENODEV for any type
 * at or above KVM_DEV_TYPE_MAX.
 */
export const KVM_DEV_TYPE_VENDOR_BASE = 0x10000;
/** Capacity of the vendor range per host. */
export const KVM_DEV_TYPE_VENDOR_MAX = 0x1000;

/** The name of a hook in {@link KvmHooks}. */
export type HookName = keyof KvmHooks;
type HookFn<N extends HookName> = NonNullable<KvmHooks[N]>;

/** The device ops table and hook lists of one host's kernel. */
export class KernelTables {
  private readonly table: (DeviceOps | null)[] = new Array<DeviceOps | null>(KVM_DEV_TYPE_MAX).fill(null);
  private readonly vendor: (DeviceOps | null)[] = [];
  private arch: HostArch | null = null;
  private archOwner: string | null = null;
  /** The request numbers the kernel matches (its architecture's; the generic ones by default). */
  ioctls: KvmIoctls = KVM_IOCTLS.generic;
  /** The VFS request numbers (do_vfs_ioctl) of the same architecture. */
  vfsIoctls: VfsIoctlNumbers = VFS_IOCTLS_GENERIC;
  /** Whether the kernel has GSI routing ({@link HostArch.irqRouting}; true without a declared architecture). */
  irqRouting = true;
  /** Whether the kernel injects MSIs ({@link HostArch.msi}; true without a declared architecture). */
  msi = true;

  // flattened hooks, in registration order
  checkExtensionHooks: HookFn<'checkExtension'>[] = [];
  vcpuMmapSizeHooks: HookFn<'vcpuMmapSize'>[] = [];
  pageSizeHooks: HookFn<'pageSize'>[] = [];
  vmTypeHooks: HookFn<'vmType'>[] = [];
  vmCreatedHooks: HookFn<'vmCreated'>[] = [];
  vmIoctlHooks: HookFn<'vmIoctl'>[] = [];
  vmIrqLineHooks: HookFn<'vmIrqLine'>[] = [];
  vcpuPrecreateHooks: HookFn<'vcpuPrecreate'>[] = [];
  vcpuCreatedHooks: HookFn<'vcpuCreated'>[] = [];
  vcpuDestroyHooks: HookFn<'vcpuDestroy'>[] = [];
  vcpuIoctlHooks: HookFn<'vcpuIoctl'>[] = [];
  vcpuRunHooks: HookFn<'vcpuRun'>[] = [];
  vcpuEnableCapHooks: HookFn<'vcpuEnableCap'>[] = [];
  getOneRegHooks: HookFn<'getOneReg'>[] = [];
  setOneRegHooks: HookFn<'setOneReg'>[] = [];
  vmAttrIoctlHooks: HookFn<'vmAttrIoctl'>[] = [];
  vcpuAttrIoctlHooks: HookFn<'vcpuAttrIoctl'>[] = [];
  vmEnableCapHooks: HookFn<'vmEnableCap'>[] = [];
  vmSetAttrHooks: HookFn<'vmSetAttr'>[] = [];
  vmGetAttrHooks: HookFn<'vmGetAttr'>[] = [];
  vmHasAttrHooks: HookFn<'vmHasAttr'>[] = [];
  vcpuSetAttrHooks: HookFn<'vcpuSetAttr'>[] = [];
  vcpuGetAttrHooks: HookFn<'vcpuGetAttr'>[] = [];
  vcpuHasAttrHooks: HookFn<'vcpuHasAttr'>[] = [];
  hypercallHooks: HookFn<'hypercall'>[] = [];
  sysregReadHooks: HookFn<'sysregRead'>[] = [];
  sysregWriteHooks: HookFn<'sysregWrite'>[] = [];
  sysregRead32Hooks: HookFn<'sysregRead32'>[] = [];
  sysregWrite32Hooks: HookFn<'sysregWrite32'>[] = [];
  vcpuTakeInterruptHooks: HookFn<'vcpuTakeInterrupt'>[] = [];
  vmDestroyedHooks: HookFn<'vmDestroyed'>[] = [];
  irqfdCheckHooks: HookFn<'irqfdCheck'>[] = [];

  /**
   * kvm_register_device_ops: 0, -ENOSPC for a type past the table, -EEXIST for a taken slot.
   * Vendor-range types are accepted too.
   */
  registerDeviceOps(ops: DeviceOps, type: number): number {
    if (type >= KVM_DEV_TYPE_VENDOR_BASE) {
      const i = type - KVM_DEV_TYPE_VENDOR_BASE;
      if (i >= KVM_DEV_TYPE_VENDOR_MAX) return -ENOSPC;
      if (this.vendor[i]) return -EEXIST;
      this.vendor[i] = ops;
      return 0;
    }
    if (!(type >= 0) || type >= KVM_DEV_TYPE_MAX) return -ENOSPC;
    if (this.table[type]) return -EEXIST;
    this.table[type] = ops;
    return 0;
  }

  /** kvm_unregister_device_ops: clears the slot; live devices keep their ops. */
  unregisterDeviceOps(type: number): void {
    if (type >= KVM_DEV_TYPE_VENDOR_BASE) {
      const i = type - KVM_DEV_TYPE_VENDOR_BASE;
      if (i < this.vendor.length) this.vendor[i] = null;
    } else if (type >= 0 && type < KVM_DEV_TYPE_MAX) this.table[type] = null;
  }

  /** The ops for a type number, or null (ENODEV). */
  lookup(type: number): DeviceOps | null {
    if (type >= KVM_DEV_TYPE_VENDOR_BASE) return this.vendor[type - KVM_DEV_TYPE_VENDOR_BASE] ?? null;
    if (!(type >= 0) || type >= KVM_DEV_TYPE_MAX) return null;
    return this.table[type] ?? null;
  }

  /** The host architecture a plugin declared, or null (the generic-encoding default). */
  get hostArch(): HostArch | null {
    return this.arch;
  }

  /** The plugin that declared the host architecture, or null. */
  get hostArchOwner(): string | null {
    return this.archOwner;
  }

  /** Makes the kernel one of `arch` (null: back to the default); its requests follow the encoding. */
  setHostArch(arch: HostArch | null, owner: string | null = null): void {
    this.arch = arch;
    this.archOwner = arch === null ? null : owner;
    this.ioctls = KVM_IOCTLS[arch?.ioctlEncoding ?? 'generic'];
    this.vfsIoctls = arch?.ioctlEncoding === 'powerpc' ? VFS_IOCTLS_POWERPC : VFS_IOCTLS_GENERIC;
    this.irqRouting = arch?.irqRouting ?? true;
    this.msi = arch?.msi ?? true;
  }

  /** How many vendor-range slots have been handed out (the next free index). */
  get vendorUsed(): number {
    return this.vendor.length;
  }

  /** Whether a hook name is one the kernel dispatches. */
  isHook(name: string): name is HookName {
    return this.hookLists().some(([n]) => n === name);
  }

  /** Adds every hook of `h` at the end of its list. */
  addHooks(h: KvmHooks): void {
    for (const [k, list] of this.hookLists()) {
      const fn = h[k];
      if (typeof fn === 'function') (list as unknown[]).push(fn);
    }
  }

  /** Removes the hooks of `h` (the same function objects). */
  removeHooks(h: KvmHooks): void {
    for (const [k, list] of this.hookLists()) {
      const fn = h[k];
      const i = (list as unknown[]).indexOf(fn);
      if (i >= 0) (list as unknown[]).splice(i, 1);
    }
  }

  private hookLists(): [HookName, unknown[]][] {
    return [
      ['checkExtension', this.checkExtensionHooks],
      ['vcpuMmapSize', this.vcpuMmapSizeHooks],
      ['pageSize', this.pageSizeHooks],
      ['vmType', this.vmTypeHooks],
      ['vmCreated', this.vmCreatedHooks],
      ['vmIoctl', this.vmIoctlHooks],
      ['vmIrqLine', this.vmIrqLineHooks],
      ['vcpuPrecreate', this.vcpuPrecreateHooks],
      ['vcpuCreated', this.vcpuCreatedHooks],
      ['vcpuDestroy', this.vcpuDestroyHooks],
      ['vcpuIoctl', this.vcpuIoctlHooks],
      ['vcpuRun', this.vcpuRunHooks],
      ['vcpuEnableCap', this.vcpuEnableCapHooks],
      ['getOneReg', this.getOneRegHooks],
      ['setOneReg', this.setOneRegHooks],
      ['vmAttrIoctl', this.vmAttrIoctlHooks],
      ['vcpuAttrIoctl', this.vcpuAttrIoctlHooks],
      ['vmEnableCap', this.vmEnableCapHooks],
      ['vmSetAttr', this.vmSetAttrHooks],
      ['vmGetAttr', this.vmGetAttrHooks],
      ['vmHasAttr', this.vmHasAttrHooks],
      ['vcpuSetAttr', this.vcpuSetAttrHooks],
      ['vcpuGetAttr', this.vcpuGetAttrHooks],
      ['vcpuHasAttr', this.vcpuHasAttrHooks],
      ['hypercall', this.hypercallHooks],
      ['sysregRead', this.sysregReadHooks],
      ['sysregWrite', this.sysregWriteHooks],
      ['sysregRead32', this.sysregRead32Hooks],
      ['sysregWrite32', this.sysregWrite32Hooks],
      ['vcpuTakeInterrupt', this.vcpuTakeInterruptHooks],
      ['vmDestroyed', this.vmDestroyedHooks],
      ['irqfdCheck', this.irqfdCheckHooks],
    ];
  }
}
