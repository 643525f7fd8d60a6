/**
 * The kernel of one simulated process: its fd table, its user memory, its dispatch tables, and
 * every system call as a kernel return value (`>= 0` or `-errno`): open of /dev/kvm, close, dup
 * and the ioctls of /dev/kvm, VM, vCPU and device fds. Every kernel operation is written once
 * here (or in the device/VM objects); the faces (the syscall facade and the typed API) only
 * translate to and from it.
 * @packageDocumentation
 */
import type { KvmDeviceAttr } from './attr.js';
import {
  ATTR_GET,
  ATTR_HAS,
  ATTR_SET,
  CREATE_TESTED,
  attrAccessor,
  createDevice,
  deviceOtherIoctl,
  type AttrOp,
  type KvmDevice,
} from './device.js';
import { KvmError, isKvmError } from '../uapi/errors.js';
import { FdTable, KFile } from './files.js';
import { EventFd } from './eventfd.js';
import { UserMemory, type UserMemoryOptions } from './mem.js';
import { KVM_HOOK_PASS } from './ops.js';
import { vfsIoctl } from './vfs.js';
import type { VfsIoctlNumbers } from '../uapi/vfs.js';
import { KernelTables } from './tables.js';
import {
  EBADF,
  EEXIST,
  EFAULT,
  EINVAL,
  EIO,
  ENOENT,
  ENOTTY,
  ENXIO,
  EPERM,
} from '../uapi/errno.js';
import { EFD_CLOEXEC, EFD_FLAGS_SET, EVENTFD_COUNTER_SIZE } from '../uapi/eventfd.js';
import { O_NONBLOCK } from '../uapi/vfs.js';
import * as K from '../uapi/kvm.js';
import type { KvmIoctls } from '../uapi/requests.js';
import { kvm_irq_routing, type KvmIrqRoutingEntry } from '../uapi/structs.js';
import { Vcpu } from './vcpu.js';
import { Vm, type VmEvent } from './vm.js';
import type { GuestPort } from './guest-port.js';

/** Testing hooks that stand in for another thread of the process. */
export interface KernelTestHooks {
  /** Runs right after a device fd is installed, before KVM_CREATE_DEVICE returns (a racing thread). */
  afterFdInstall?(fd: number, file: KFile): void;
}

/** The limits and memory of a kernel (see {@link HostOptions} for the host's options). */
export interface KernelOptions {
  /** RLIMIT_NOFILE (default 1024). */
  fdLimit?: number;
  /** KVM_MAX_VCPUS of the modelled kernel (default 1024). */
  maxVcpus?: number;
  /** KVM_MAX_VCPU_IDS of the modelled kernel (default 4096). */
  maxVcpuIds?: number;
  /** User memory options (wrap an ArrayBuffer or WebAssembly.Memory). */
  memory?: UserMemoryOptions;
  /** Testing hooks. */
  hooks?: KernelTestHooks;
  /**
   * TASK_SIZE of the process: user addresses at or above it fail access_ok (a memory slot's
   * userspace_addr + size must stay below it). Default 2^48 (arm64 with 48-bit VAs).
   */
  taskSize?: number;
  /**
   * Whether the process has CAP_SYS_ADMIN (FIFREEZE/FITHAW check it before anything else: EPERM
   * without it). Default true, like the kernel oracle's probe, which runs as root.
   */
  capSysAdmin?: boolean;
}

const TWO32 = 4294967296;

/**
 * The kernel of one simulated process. VMM code uses its subclass, the `Host` of
 * `createHost`; plugins see it as `vm.host`.
 */
export class Kernel {
  /** The process's user address space. */
  readonly mem: UserMemory;
  /** The dispatch tables the plugins' device ops and hooks are installed into. */
  readonly tables = new KernelTables();
  /** The process's fd table. */
  readonly files: FdTable;
  /** Testing hooks (stand-ins for other threads). */
  readonly hooks: KernelTestHooks;
  /** KVM_MAX_VCPUS of the modelled kernel. */
  readonly maxVcpus: number;
  /**
   * The request numbers this kernel answers: its architecture's (`KVM_IOCTLS.powerpc` once a
   * plugin declared a ppc64 host, the generic `KVM_*` constants otherwise).
   */
  get ioctls(): KvmIoctls {
    return this.tables.ioctls;
  }
  /** KVM_MAX_VCPU_IDS of the modelled kernel. */
  readonly maxVcpuIds: number;
  /** TASK_SIZE of the process (the `taskSize` option). */
  readonly taskSize: bigint;
  /** Whether the process has CAP_SYS_ADMIN (the `capSysAdmin` option). */
  readonly capSysAdmin: boolean;
  /**
   * The request numbers of the VFS's own ioctls (FIOCLEX, FIONBIO, ...) on this host:
   * `VFS_IOCTLS_GENERIC` (x86, arm64), or `VFS_IOCTLS_POWERPC` on a host that speaks
   * powerpc's ioctl encoding (they follow the host architecture a plugin declares).
   */
  get vfsIoctls(): VfsIoctlNumbers {
    return this.tables.vfsIoctls;
  }
  set vfsIoctls(n: VfsIoctlNumbers) {
    this.tables.vfsIoctls = n;
  }
  /** VMs that exist (created and not yet freed). */
  readonly liveVms = new Set<Vm>();
  private listeners: ((e: VmEvent) => void)[] = [];
  private nextVmUid = 1;
  /** The counter of an eventfd read, reused. */
  private readonly counterScratch = new Uint32Array(2);
  /** One decoded attr struct, reused by every attr call (accessors must not keep it). */
  private readonly attrScratch: KvmDeviceAttr = { flags: 0, group: 0, attrLo: 0, attrHi: 0, addr: 0 };

  constructor(options: KernelOptions = {}) {
    this.mem = new UserMemory(options.memory);
    this.files = new FdTable(this, options.fdLimit ?? 1024);
    this.hooks = options.hooks ?? {};
    this.maxVcpus = options.maxVcpus ?? K.KVM_MAX_VCPUS_DEFAULT;
    this.maxVcpuIds = options.maxVcpuIds ?? K.KVM_MAX_VCPU_IDS_DEFAULT;
    this.taskSize = BigInt(options.taskSize ?? 2 ** 48);
    this.capSysAdmin = options.capSysAdmin ?? true;
  }

  // ------------------------------------------------------------------ events

  /** Subscribes to lifecycle events; returns the unsubscribe function. */
  on(listener: (e: VmEvent) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** @internal Sends a lifecycle event to every listener. */
  emit(e: VmEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** @internal Called by a VM when its last reference is gone. */
  onVmFreed(vm: Vm): void {
    this.liveVms.delete(vm);
    this.emit({ kind: 'vm-freed', vm });
  }

  // ------------------------------------------------------------------ system calls (kernel return values)

  /** open(2): only `/dev/kvm` exists; the new fd or -ENOENT / -EMFILE. */
  sysOpen(path: string): number {
    if (path !== '/dev/kvm') return -ENOENT;
    return this.files.install(new KFile(this, 'kvm', { kind: 'system' }, null));
  }

  /** close(2): 0 or -EBADF. The last close of a file runs its release. */
  sysClose(fd: number): number {
    return this.guardClose(fd);
  }

  /** dup(2): a new fd on the same open file, or -EBADF / -EMFILE. */
  sysDup(fd: number): number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    return this.files.install(f);
  }

  /** Installs an open file of another process here (SCM_RIGHTS): the new fd, or -EBADF / -EMFILE. */
  sysReceiveFd(from: Kernel, fd: number): number {
    const f = from.files.get(fd);
    if (f === null) return -EBADF;
    return this.files.install(f);
  }

  /** eventfd2(2): a new eventfd with counter `initval` (u32), or -EINVAL (unknown flags) / -EMFILE. */
  sysEventfd(initval: number, flags: number): number {
    if ((flags >>> 0) & ~EFD_FLAGS_SET) return -EINVAL;
    const ev = new EventFd(initval >>> 0, flags >>> 0);
    const file = new KFile(this, '[eventfd]', { kind: 'eventfd', eventfd: ev }, () => ev.release());
    file.statusFlags = flags & O_NONBLOCK; // EFD_NONBLOCK is O_NONBLOCK
    const fd = this.files.install(file);
    if (fd >= 0 && flags & EFD_CLOEXEC) this.files.setCloseOnExec(fd, true);
    return fd;
  }

  /**
   * read(2) of `count` bytes to user address `buf`: the bytes read or -errno. Only eventfds can
   * be read (KVM fds have no read: -EINVAL); an eventfd needs 8 bytes (-EINVAL) and a non-zero
   * counter (-EAGAIN).
   */
  sysRead(fd: number, buf: number, count: number): number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    if (f.target.kind !== 'eventfd') return -EINVAL;
    if (!this.accessOk(buf, count)) return -EFAULT;
    if (count < EVENTFD_COUNTER_SIZE) return -EINVAL;
    const out = this.counterScratch;
    const r = f.target.eventfd.read(out);
    if (r < 0) return r;
    // the counter is taken before the copy: a bad buffer loses it, as in the kernel
    if (!this.mem.okWrite(buf, 8)) return -EFAULT;
    this.mem.setU64Parts(buf, out[0]!, out[1]!);
    return EVENTFD_COUNTER_SIZE;
  }

  /**
   * write(2) of `count` bytes from user address `buf`: the bytes written or -errno. Only
   * eventfds take writes (-EINVAL otherwise); an eventfd needs 8 bytes (-EINVAL), a readable
   * buffer (-EFAULT), a value other than ULLONG_MAX (-EINVAL) and room in the counter (-EAGAIN).
   */
  sysWrite(fd: number, buf: number, count: number): number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    if (f.target.kind !== 'eventfd') return -EINVAL;
    if (!this.accessOk(buf, count)) return -EFAULT;
    if (count < EVENTFD_COUNTER_SIZE) return -EINVAL;
    if (!this.mem.ok(buf, 8)) return -EFAULT;
    return this.eventfdWrite(f.target.eventfd, this.mem.getU64Lo(buf), this.mem.getU64Hi(buf));
  }

  /** @internal An eventfd write of the u64 `hi:lo` (the typed API's path; no user buffer). */
  eventfdWrite(ev: EventFd, lo: number, hi: number): number {
    try {
      return ev.write(lo, hi);
    } catch (e) {
      return this.caught(e, null, 'eventfd write');
    }
  }

  /** access_ok: the range lies below TASK_SIZE. */
  private accessOk(addr: number, len: number): boolean {
    if (!(addr >= 0) || !(len >= 0) || !Number.isSafeInteger(addr) || !Number.isSafeInteger(len)) return false;
    return BigInt(len) <= this.taskSize && BigInt(addr) <= this.taskSize - BigInt(len);
  }

  /** ioctl(2) as a kernel return value (>= 0 or -errno). `req` is the full 32-bit request number. */
  sysIoctl(fd: number, req: number, arg: number): number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    const t = f.target;
    try {
      const v = vfsIoctl(this, fd, f, req, arg); // do_vfs_ioctl, before any driver
      if (v !== KVM_HOOK_PASS) return v;
      switch (t.kind) {
        case 'system':
          return this.kvmDevIoctl(req, arg);
        case 'vm':
          return this.vmIoctl(f, t.vm, req, arg);
        case 'vcpu':
          return this.vcpuIoctl(f, t.vcpu, req, arg);
        case 'device':
          return this.deviceIoctl(f, t.device, req, arg);
        default:
          return -ENOTTY;
      }
    } catch (e) {
      return this.caught(e, t.kind === 'vm' ? t.vm : t.kind === 'vcpu' ? t.vcpu.vm : t.kind === 'device' ? t.device.kvm : null, `ioctl 0x${req.toString(16)}`);
    }
  }

  private caught(e: unknown, vm: Vm | null, where: string): number {
    if (isKvmError(e)) return -e.errno;
    vm?.bug(e, where);
    return -EIO;
  }

  private guardClose(fd: number): number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    try {
      return this.files.close(fd);
    } catch (e) {
      const t = f.target;
      return this.caught(e, t.kind === 'vm' ? t.vm : t.kind === 'device' ? t.device.kvm : t.kind === 'vcpu' ? t.vcpu.vm : null, 'close');
    }
  }

  /** EIO for a call from another process than the VM's creator, or on a bugged VM. */
  private vmAccess(f: KFile, vm: Vm): number {
    if (f.owner !== this || vm.host !== this || vm.bugged) return -EIO;
    return 0;
  }

  // ------------------------------------------------------------------ /dev/kvm

  private kvmDevIoctl(req: number, arg: number): number {
    const R = this.tables.ioctls;
    switch (req) {
      case R.KVM_GET_API_VERSION:
        return arg ? -EINVAL : K.KVM_API_VERSION;
      case R.KVM_CREATE_VM:
        return this.kvmCreateVm(arg);
      case R.KVM_CHECK_EXTENSION:
        return this.checkExtension(null, arg);
      case R.KVM_GET_VCPU_MMAP_SIZE:
        return arg ? -EINVAL : this.vcpuMmapSize();
      default:
        return -EINVAL;
    }
  }

  /** PAGE_SIZE of the modelled kernel: the arch's answer, else 4096. */
  pageSize(): number {
    for (const h of this.tables.pageSizeHooks) {
      const r = h(this);
      if (r !== KVM_HOOK_PASS) return r;
    }
    return 4096;
  }

  /** KVM_GET_VCPU_MMAP_SIZE: the arch's answer, else x86's 3 pages (run, PIO, coalesced MMIO). */
  vcpuMmapSize(): number {
    for (const h of this.tables.vcpuMmapSizeHooks) {
      const r = h(this);
      if (r !== KVM_HOOK_PASS) return r;
    }
    return 3 * 4096;
  }

  /** KVM_CHECK_EXTENSION on /dev/kvm (`vm` null) or a VM. */
  checkExtension(vm: Vm | null, cap: number): number {
    for (const h of this.tables.checkExtensionHooks) {
      const r = h(this, vm, cap);
      if (r !== KVM_HOOK_PASS) return r;
    }
    switch (cap) {
      case K.KVM_CAP_DEVICE_CTRL:
      case K.KVM_CAP_USER_MEMORY:
      case K.KVM_CAP_USER_MEMORY2:
      case K.KVM_CAP_ONE_REG:
      case K.KVM_CAP_CHECK_EXTENSION_VM:
      case K.KVM_CAP_ENABLE_CAP_VM:
      case K.KVM_CAP_HALT_POLL:
      case K.KVM_CAP_IRQFD:
      case K.KVM_CAP_IRQFD_RESAMPLE:
        return 1;
      case K.KVM_CAP_NR_MEMSLOTS:
        return vm ? vm.memslots.userSlots : K.KVM_MEM_SLOTS_NUM;
      case K.KVM_CAP_READONLY_MEM:
        return vm?.memslots.config.readonlyMem ? 1 : 0;
      case K.KVM_CAP_IRQ_ROUTING:
        // CONFIG_HAVE_KVM_IRQ_ROUTING: a kernel without it (book3s powerpc) answers 0 everywhere
        return !this.tables.irqRouting || vm?.irqchip?.routing === false ? 0 : K.KVM_MAX_IRQ_ROUTES;
      case K.KVM_CAP_SIGNAL_MSI:
        // generic, CONFIG_HAVE_KVM_MSI (x86 and arm64 have it, with or without an irqchip); a
        // kernel without it answers 0, as does a kernel without GSI routing
        return !this.tables.msi || vm?.irqchip?.routing === false ? 0 : 1;
      case K.KVM_CAP_NR_VCPUS:
      case K.KVM_CAP_MAX_VCPUS:
        return vm ? vm.maxVcpus : this.maxVcpus;
      case K.KVM_CAP_MAX_VCPU_ID:
        return this.maxVcpuIds;
      default:
        return 0;
    }
  }

  /** KVM_CREATE_VM: the VM fd or -errno. */
  kvmCreateVm(type: number): number {
    let accepted = type === 0;
    for (const h of this.tables.vmTypeHooks) {
      const r = h(this, type);
      if (r === KVM_HOOK_PASS) continue;
      if (r < 0) return r;
      accepted = true;
      break;
    }
    if (!accepted) return -EINVAL;
    const vm = new Vm(this, this.nextVmUid++, type, this.maxVcpus);
    this.liveVms.add(vm);
    for (const h of this.tables.vmCreatedHooks) h(vm);
    // kvm_vm_release: the irqfds go with the VM fd, the VM with its last holder
    const file = new KFile(this, 'kvm-vm', { kind: 'vm', vm }, () => {
      vm.irqfds.releaseAll();
      vm.put();
    });
    const fd = this.files.install(file);
    if (fd < 0) vm.put();
    return fd;
  }

  // ------------------------------------------------------------------ VM fd

  private vmIoctl(f: KFile, vm: Vm, req: number, arg: number): number {
    const acc = this.vmAccess(f, vm);
    if (acc < 0) return acc;
    const mem = this.mem;
    const R = this.tables.ioctls;
    switch (req) {
      case R.KVM_CREATE_VCPU:
        return this.createVcpu(vm, arg);
      case R.KVM_CHECK_EXTENSION:
        return this.checkExtension(vm, arg);
      case R.KVM_CREATE_DEVICE: {
        if (!mem.ok(arg, 12)) return -EFAULT;
        const type = mem.getU32(arg);
        const flags = mem.getU32(arg + 8);
        const r = createDevice(this, vm, type, flags);
        // kvm_vm_ioctl copies the struct back after any 0 return, TEST included (unchanged then)
        if (r === CREATE_TESTED) return mem.okWrite(arg, 12) ? 0 : -EFAULT;
        if (r < 0) return r;
        if (!mem.okWrite(arg, 12)) return -EFAULT; // fd stays installed and the device alive, as in the kernel
        mem.setU32(arg + 4, r);
        return 0;
      }
      case R.KVM_IRQ_LINE:
      case R.KVM_IRQ_LINE_STATUS: {
        if (!mem.ok(arg, 8)) return -EFAULT;
        vm.irqLineStatus = null;
        const r = this.irqLine(vm, mem.getU32(arg), mem.getU32(arg + 4));
        if (r < 0) return r;
        if (req === R.KVM_IRQ_LINE_STATUS) {
          if (!mem.okWrite(arg, 8)) return -EFAULT;
          mem.setU32(arg, (vm.irqLineStatus ?? r) >>> 0); // s32 status
        }
        return 0;
      }
      case R.KVM_SET_GSI_ROUTING: {
        // not in kvm_vm_ioctl without CONFIG_HAVE_KVM_IRQ_ROUTING: the arch's default, ENOTTY
        if (!this.tables.irqRouting || vm.irqchip?.routing === false) return -ENOTTY;
        if (!mem.ok(arg, 8)) return -EFAULT;
        const nr = mem.getU32(arg);
        const flags = mem.getU32(arg + 4);
        if (nr > K.KVM_MAX_IRQ_ROUTES || flags) return -EINVAL;
        if (!mem.ok(arg + 8, 48 * nr)) return -EFAULT;
        const entries: KvmIrqRoutingEntry[] = [];
        for (let i = 0; i < nr; i++) entries.push(kvm_irq_routing.readEntry(mem, arg + 8 + 48 * i));
        return this.setGsiRouting(vm, entries, flags);
      }
      case R.KVM_SET_USER_MEMORY_REGION:
      case R.KVM_SET_USER_MEMORY_REGION2: {
        const v2 = req === R.KVM_SET_USER_MEMORY_REGION2;
        if (!mem.ok(arg, v2 ? K.SIZEOF_KVM_USERSPACE_MEMORY_REGION2 : K.SIZEOF_KVM_USERSPACE_MEMORY_REGION)) return -EFAULT;
        const flags = mem.getU32(arg + 4);
        if (!v2 && flags & ~K.KVM_SET_USER_MEMORY_REGION_V1_FLAGS) return -EINVAL;
        return vm.memslots.set({
          slot: mem.getU32(arg),
          flags,
          guestPhysAddr: mem.getU64(arg + 8),
          memorySize: mem.getU64(arg + 16),
          userspaceAddr: mem.getU64(arg + 24),
          guestMemfdOffset: v2 ? mem.getU64(arg + 32) : 0n,
          guestMemfd: v2 ? mem.getU32(arg + 40) : 0,
        });
      }
      case R.KVM_IRQFD: {
        if (!mem.ok(arg, K.SIZEOF_KVM_IRQFD)) return -EFAULT;
        return this.irqfd(vm, mem.getU32(arg), mem.getU32(arg + 4), mem.getU32(arg + 8), mem.getU32(arg + 12));
      }
      case R.KVM_SIGNAL_MSI: {
        // not in kvm_vm_ioctl without CONFIG_HAVE_KVM_MSI: ENOTTY before the struct is read
        if (!this.tables.msi || vm.irqchip?.routing === false) return -ENOTTY;
        if (!mem.ok(arg, 32)) return -EFAULT;
        return this.signalMsi(vm, mem.getU32(arg), mem.getU32(arg + 4), mem.getU32(arg + 8), mem.getU32(arg + 12), mem.getU32(arg + 16));
      }
      case R.KVM_SET_DEVICE_ATTR:
      case R.KVM_GET_DEVICE_ATTR:
      case R.KVM_HAS_DEVICE_ATTR: {
        const op = opOf(R, req);
        const served = this.vmAttrServed(vm, req, op);
        if (served < 0) return served; // answered before the struct is read
        const a = this.readAttr(arg);
        if (a === null) return -EFAULT;
        return this.vmAttr(vm, op, a);
      }
      case R.KVM_ENABLE_CAP: {
        if (!mem.ok(arg, K.SIZEOF_KVM_ENABLE_CAP)) return -EFAULT;
        const args = [mem.getU64(arg + 8), mem.getU64(arg + 16), mem.getU64(arg + 24), mem.getU64(arg + 32)];
        return this.vmEnableCap(vm, mem.getU32(arg), mem.getU32(arg + 4), args);
      }
      default:
        return chain(this.tables.vmIoctlHooks, vm, req, arg, -ENOTTY);
    }
  }


  /** KVM_CREATE_VCPU: the vCPU fd or -errno (kvm_vm_ioctl_create_vcpu order). */
  createVcpu(vm: Vm, id: number): number {
    if (!(id >= 0) || id >= this.maxVcpuIds || !Number.isInteger(id)) return -EINVAL;
    if (vm.createdVcpus >= vm.maxVcpus) return -EINVAL;
    for (const h of this.tables.vcpuPrecreateHooks) {
      const r = h(vm, id);
      if (r < 0) return r;
    }
    if (vm.vcpuById(id)) return -EEXIST;
    vm.createdVcpus++;
    const vcpu = new Vcpu(vm, id, vm.vcpus.length);
    vm.addVcpu(vcpu);
    for (const h of this.tables.vcpuCreatedHooks) h(vcpu);
    vm.get();
    const fd = this.files.install(new KFile(this, `kvm-vcpu:${id}`, { kind: 'vcpu', vcpu }, () => vm.put()));
    if (fd < 0) {
      vm.putNoDestroy();
      for (const h of this.tables.vcpuDestroyHooks) h(vcpu);
      vm.removeVcpu(vcpu);
      vm.createdVcpus--;
    }
    return fd;
  }

  /** KVM_IRQ_LINE: the status (>= 0) or -errno. */
  irqLine(vm: Vm, irq: number, level: number): number {
    // the hook loop is written out here, not through `chain`: a call site shared by every hook
    // list (chain's) is megamorphic, this one sees only the arch's KVM_IRQ_LINE hook
    const hooks = this.tables.vmIrqLineHooks;
    for (let i = 0; i < hooks.length; i++) {
      const r = hooks[i]!(vm, irq, level);
      if (r !== KVM_HOOK_PASS) return r;
    }
    const chip = vm.irqchip;
    if (chip === null) return -ENXIO;
    if (chip.irqLine) return chip.irqLine(irq, level);
    const r = vm.routing.fire(chip, irq, level);
    return Math.max(r, 0);
  }

  /** KVM_SET_GSI_ROUTING with decoded entries. */
  setGsiRouting(vm: Vm, entries: readonly KvmIrqRoutingEntry[], flags = 0): number {
    if (!this.tables.irqRouting || vm.irqchip?.routing === false) return -ENOTTY;
    return vm.routing.set(vm.irqchip, entries, flags);
  }

  /** KVM_SIGNAL_MSI: >0 delivered, 0 blocked, or -errno. */
  signalMsi(vm: Vm, addressLo: number, addressHi: number, data: number, flags: number, devid: number): number {
    const chip = vm.irqchip;
    if (!this.tables.msi || chip?.routing === false) return -ENOTTY;
    if (chip === null || !chip.msi || !chip.setMsi || flags & ~K.KVM_MSI_VALID_DEVID) return -EINVAL;
    if (flags & K.KVM_MSI_VALID_DEVID && !chip.msiDevid) return -EINVAL;
    return chip.setMsi(addressLo, addressHi, data, flags, devid);
  }

  /** KVM_SET_USER_MEMORY_REGION(2) with decoded fields (the typed API's path; same checks). */
  setMemoryRegion(
    vm: Vm,
    r: { slot: number; flags?: number; guestPhysAddr: bigint | number; memorySize: bigint | number; userspaceAddr: bigint | number; guestMemfdOffset?: bigint | number; guestMemfd?: number },
    v2: boolean,
  ): number {
    const flags = (r.flags ?? 0) >>> 0;
    if (!v2 && flags & ~K.KVM_SET_USER_MEMORY_REGION_V1_FLAGS) return -EINVAL;
    for (const x of [r.guestPhysAddr, r.memorySize, r.userspaceAddr, r.guestMemfdOffset ?? 0])
      if (typeof x === 'number' && !(Number.isSafeInteger(x) && x >= 0)) return -EINVAL;
    const u64 = (x: bigint | number): bigint => BigInt.asUintN(64, BigInt(x));
    return vm.memslots.set({
      slot: r.slot >>> 0,
      flags,
      guestPhysAddr: u64(r.guestPhysAddr),
      memorySize: u64(r.memorySize),
      userspaceAddr: u64(r.userspaceAddr),
      guestMemfdOffset: u64(r.guestMemfdOffset ?? 0),
      guestMemfd: (r.guestMemfd ?? 0) >>> 0,
    });
  }

  /** KVM_IRQFD with a decoded struct: 0 or -errno (see IrqFds.irqfd). fds are this process's. */
  irqfd(vm: Vm, fd: number, gsi: number, flags: number, resamplefd: number): number {
    return vm.irqfds.irqfd(fd | 0, gsi >>> 0, flags >>> 0, resamplefd | 0, this.eventfdLookup);
  }

  /** eventfd_ctx_fdget on this process's fd table. */
  private readonly eventfdLookup = (fd: number): EventFd | number => {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    return f.target.kind === 'eventfd' ? f.target.eventfd : -EINVAL;
  };

  /** kvm_arch_intc_initialized + kvm_arch_irqfd_allowed, from the plugins: 0 or -errno. */
  irqfdReady(vm: Vm, flags: number): number {
    return chain(this.tables.irqfdCheckHooks, vm, flags, undefined, 0);
  }

  /**
   * Whether the VM's arch serves a device-attr request on the VM fd (kvm_arch_vm_ioctl): 0 when
   * it does (the struct is read next), or the errno it answers before reading the struct.
   */
  private vmAttrServed(vm: Vm, req: number, op: AttrOp): number {
    const r = chain(this.tables.vmAttrIoctlHooks, vm, req, undefined, KVM_HOOK_PASS);
    if (r !== KVM_HOOK_PASS) return Math.min(r, 0);
    return this.vmAttrHooks(op).length ? 0 : -ENOTTY; // x86 without VM attribute groups
  }

  private vmAttrHooks(op: AttrOp): readonly ((vm: Vm, a: KvmDeviceAttr) => number)[] {
    const r = this.tables;
    return op === ATTR_SET ? r.vmSetAttrHooks : op === ATTR_GET ? r.vmGetAttrHooks : r.vmHasAttrHooks;
  }

  /**
   * VM-fd attribute groups, once the arch serves the request and the struct is read: the
   * plugins' answer, else ENXIO (kvm_vm_has_attr/set_attr's default).
   */
  vmAttr(vm: Vm, op: AttrOp, a: KvmDeviceAttr): number {
    return attrChain(this.vmAttrHooks(op), vm, a);
  }

  /**
   * KVM_ENABLE_CAP on a VM fd (kvm_vm_ioctl_enable_cap_generic): KVM_CAP_HALT_POLL sets the VM's
   * halt-polling limit (flags 0 and a u32 value, else EINVAL); flags other than 0 are EINVAL;
   * anything else is the arch's (the plugins' `vmEnableCap`), EINVAL when no plugin enables it.
   */
  vmEnableCap(vm: Vm, cap: number, flags: number, args: readonly bigint[]): number {
    if (flags) return -EINVAL;
    if (cap === K.KVM_CAP_HALT_POLL) {
      const ns = args[0] ?? 0n;
      if (ns > 0xffffffffn) return -EINVAL;
      vm.maxHaltPollNs = Number(ns);
      return 0;
    }
    return chain(this.tables.vmEnableCapHooks, vm, cap, args, -EINVAL);
  }

  // ------------------------------------------------------------------ vCPU fd

  private vcpuIoctl(f: KFile, vcpu: Vcpu, req: number, arg: number): number {
    const acc = this.vmAccess(f, vcpu.vm);
    if (acc < 0) return acc;
    if (((req >>> 8) & 0xff) !== K.KVMIO) return -EINVAL; // kvm_vcpu_ioctl: not a KVM request
    const mem = this.mem;
    const R = this.tables.ioctls;
    switch (req) {
      case R.KVM_RUN:
        return arg ? -EINVAL : this.run(vcpu);
      case R.KVM_ENABLE_CAP: {
        if (!mem.ok(arg, 104)) return -EFAULT;
        const args = [mem.getU64(arg + 8), mem.getU64(arg + 16), mem.getU64(arg + 24), mem.getU64(arg + 32)];
        return this.enableCap(vcpu, mem.getU32(arg), mem.getU32(arg + 4), args);
      }
      case R.KVM_GET_ONE_REG:
      case R.KVM_SET_ONE_REG: {
        if (!mem.ok(arg, 16)) return -EFAULT;
        const id = mem.getU64(arg);
        const addr = UserMemory.ptr(mem.getU64(arg + 8));
        return req === R.KVM_GET_ONE_REG ? this.getOneReg(vcpu, id, addr) : this.setOneReg(vcpu, id, addr);
      }
      case R.KVM_SET_DEVICE_ATTR:
      case R.KVM_GET_DEVICE_ATTR:
      case R.KVM_HAS_DEVICE_ATTR: {
        const served = chain(this.tables.vcpuAttrIoctlHooks, vcpu, req, undefined, 0);
        if (served < 0) return served; // the arch has no vCPU attributes: before the struct is read
        const a = this.readAttr(arg);
        if (a === null) return -EFAULT;
        return this.vcpuAttr(vcpu, opOf(R, req), a);
      }
      default:
        // kvm_arch_vcpu_ioctl's default (x86, arm64 and powerpc alike)
        return chain(this.tables.vcpuIoctlHooks, vcpu, req, arg, -EINVAL);
    }
  }

  /** KVM_RUN: the plugins' checks, in order; returns 0 or -errno. */
  run(vcpu: Vcpu): number {
    if (vcpu.vm.dead) return -EIO; // KVM_REQ_VM_DEAD
    for (const h of this.tables.vcpuRunHooks) {
      const r = h(vcpu);
      if (r < 0 && r !== KVM_HOOK_PASS) return r;
    }
    vcpu.hasRun = true;
    vcpu.runs++;
    return 0;
  }

  /** KVM_ENABLE_CAP on a vCPU: flags must be 0; unknown caps are EINVAL. */
  enableCap(vcpu: Vcpu, cap: number, flags: number, args: readonly bigint[]): number {
    if (flags) return -EINVAL;
    return chain(this.tables.vcpuEnableCapHooks, vcpu, cap, args, -EINVAL);
  }

  /** KVM_GET_ONE_REG: the plugins' answer, or EINVAL for an unknown register. */
  getOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
    return chain(this.tables.getOneRegHooks, vcpu, id, addr, -EINVAL);
  }

  /** KVM_SET_ONE_REG: the plugins' answer, or EINVAL for an unknown register. */
  setOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
    return chain(this.tables.setOneRegHooks, vcpu, id, addr, -EINVAL);
  }

  /** vCPU-fd attribute groups (vcpu.rst): the plugins' answer, else ENXIO. */
  vcpuAttr(vcpu: Vcpu, op: AttrOp, a: KvmDeviceAttr): number {
    const r = this.tables;
    return attrChain(op === ATTR_SET ? r.vcpuSetAttrHooks : op === ATTR_GET ? r.vcpuGetAttrHooks : r.vcpuHasAttrHooks, vcpu, a);
  }

  // ------------------------------------------------------------------ device fd

  private deviceIoctl(f: KFile, dev: KvmDevice, req: number, arg: number): number {
    const acc = this.vmAccess(f, dev.kvm);
    if (acc < 0) return acc;
    const R = this.tables.ioctls;
    if (req === R.KVM_SET_DEVICE_ATTR || req === R.KVM_GET_DEVICE_ATTR || req === R.KVM_HAS_DEVICE_ATTR) {
      const fn = attrAccessor(dev, opOf(R, req));
      if (fn === undefined) return -EPERM; // before the struct is copied
      const a = this.readAttr(arg);
      if (a === null) return -EFAULT;
      return fn(dev, a);
    }
    return deviceOtherIoctl(dev, req, arg);
  }

  /** Decodes a struct kvm_device_attr into the reused scratch object, or null on EFAULT. */
  private readAttr(arg: number): KvmDeviceAttr | null {
    const mem = this.mem;
    if (!mem.ok(arg, 24)) return null;
    const a = this.attrScratch;
    a.flags = mem.getU32(arg);
    a.group = mem.getU32(arg + 4);
    a.attrLo = mem.getU32(arg + 8);
    a.attrHi = mem.getU32(arg + 12);
    const lo = mem.getU32(arg + 16);
    const hi = mem.getU32(arg + 20);
    a.addr = hi > 0x1fffff ? -1 : hi * TWO32 + lo;
    return a;
  }

  // ------------------------------------------------------------------ shared by the typed API

  /** @internal Resolves an fd to its file, or -EBADF. */
  fileOf(fd: number): KFile | null {
    return this.files.get(fd);
  }

  /**
   * @internal The attr ioctls on a device fd, with the attr already decoded (typed API):
   * the same checks and order as the facade minus the struct copy.
   */
  deviceAttrCall(fd: number, op: AttrOp, group: number, attrLo: number, attrHi: number, addr: number): number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    const t = f.target;
    if (t.kind !== 'device') return -ENOTTY;
    const dev = t.device;
    const acc = this.vmAccess(f, dev.kvm);
    if (acc < 0) return acc;
    const fn = attrAccessor(dev, op);
    if (fn === undefined) return -EPERM;
    const a = this.attrScratch;
    a.flags = 0;
    a.group = group;
    a.attrLo = attrLo;
    a.attrHi = attrHi;
    a.addr = addr;
    try {
      return fn(dev, a);
    } catch (e) {
      return this.caught(e, dev.kvm, `${dev.ops.name} attr`);
    }
  }

  /** @internal The VM behind a VM fd with the facade's checks, or -errno (no allocation). */
  vmFor(fd: number): Vm | number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    const t = f.target;
    if (t.kind !== 'vm') return -ENOTTY;
    const acc = this.vmAccess(f, t.vm);
    return acc < 0 ? acc : t.vm;
  }

  /** @internal Turns an exception from plugin code into -errno (bugging the VM for non-KvmErrors). */
  caughtFor(e: unknown, vm: Vm | null, where: string): number {
    return this.caught(e, vm, where);
  }

  /**
   * @internal The attr accessor call itself, for a caller that already holds a checked file
   * (the typed API's cached fast path): fills the reused attr struct and turns an exception into
   * -errno like every other path.
   */
  callAccessor(dev: KvmDevice, fn: (dev: KvmDevice, attr: KvmDeviceAttr) => number, group: number, attrLo: number, attrHi: number, addr: number): number {
    const a = this.attrScratch;
    a.flags = 0;
    a.group = group;
    a.attrLo = attrLo;
    a.attrHi = attrHi;
    a.addr = addr;
    try {
      return fn(dev, a);
    } catch (e) {
      return this.accessorThrew(e, dev);
    }
  }

  /**
   * @internal An exception from an attr accessor as -errno, like every attr path (bugs the VM for
   * a non-KvmError); out of line so that the accessor call sites stay small.
   */
  accessorThrew(e: unknown, dev: KvmDevice): number {
    return this.caught(e, dev.kvm, `${dev.ops.name} attr`);
  }

  /** @internal Runs `fn` on the VM behind a VM or vCPU fd with the facade's checks (EBADF/ENOTTY/EIO). */
  withVm(fd: number, fn: (vm: Vm) => number): number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    const t = f.target;
    if (t.kind !== 'vm') return -ENOTTY;
    const acc = this.vmAccess(f, t.vm);
    if (acc < 0) return acc;
    try {
      return fn(t.vm);
    } catch (e) {
      return this.caught(e, t.vm, 'vm call');
    }
  }

  /** @internal Same for a vCPU fd. */
  withVcpu(fd: number, fn: (vcpu: Vcpu) => number): number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    const t = f.target;
    if (t.kind !== 'vcpu') return -ENOTTY;
    const acc = this.vmAccess(f, t.vcpu.vm);
    if (acc < 0) return acc;
    try {
      return fn(t.vcpu);
    } catch (e) {
      return this.caught(e, t.vcpu.vm, 'vcpu call');
    }
  }

  // ------------------------------------------------------------------ lookups for plugins

  /**
   * fdget + kvm_device_from_filp: the device behind `fd`, or -EBADF (no such fd) or -EPERM
   * (not a KVM device). Plugins use it for KVM_ENABLE_CAP args that name a device fd.
   */
  deviceFromFd(fd: number): KvmDevice | number {
    const f = this.files.get(fd);
    if (f === null) return -EBADF;
    return f.target.kind === 'device' ? f.target.device : -EPERM;
  }

  /** The vCPU behind a vCPU fd (throws KvmError EBADF otherwise). */
  vcpuOf(fd: number): Vcpu {
    const f = this.files.get(fd);
    if (f === null || f.target.kind !== 'vcpu') throw new KvmError(EBADF, `fd ${fd} is not a vCPU fd`);
    return f.target.vcpu;
  }

  /** The VM behind a VM fd (throws KvmError EBADF otherwise). */
  vmOf(fd: number): Vm {
    const f = this.files.get(fd);
    if (f === null || f.target.kind !== 'vm') throw new KvmError(EBADF, `fd ${fd} is not a VM fd`);
    return f.target.vm;
  }

  /** The device behind a device fd (throws KvmError EBADF otherwise). */
  deviceOf(fd: number): KvmDevice {
    const f = this.files.get(fd);
    if (f === null || f.target.kind !== 'device') throw new KvmError(EBADF, `fd ${fd} is not a device fd`);
    return f.target.device;
  }

  /** The guest port of the vCPU behind a vCPU fd. */
  guest(vcpuFd: number): GuestPort {
    return this.vcpuOf(vcpuFd).guest;
  }
}

/** The first hook that answers (anything but KVM_HOOK_PASS), else `dflt`. No allocation. */
function chain<T, A, B>(hooks: readonly ((o: T, a: A, b: B) => number)[], o: T, a: A, b: B, dflt: number): number {
  for (let i = 0; i < hooks.length; i++) {
    const r = hooks[i]!(o, a, b);
    if (r !== KVM_HOOK_PASS) return r;
  }
  return dflt;
}

/**
 * VM- and vCPU-fd attribute groups of an arch that serves the request: the first plugin that
 * answers, else ENXIO (the group switch's default in every arch's attr code).
 */
function attrChain<T>(hooks: readonly ((o: T, a: KvmDeviceAttr) => number)[], o: T, a: KvmDeviceAttr): number {
  for (let i = 0; i < hooks.length; i++) {
    const v = hooks[i]!(o, a);
    if (v !== KVM_HOOK_PASS) return v;
  }
  return -ENXIO;
}

function opOf(R: KvmIoctls, req: number): AttrOp {
  return req === R.KVM_SET_DEVICE_ATTR ? ATTR_SET : req === R.KVM_GET_DEVICE_ATTR ? ATTR_GET : ATTR_HAS;
}
