/**
 * The typed API: handles for /dev/kvm, VMs, vCPUs and devices over the same kernel objects as
 * the syscall facade. Methods throw {@link KvmError}; attribute groups and value types are
 * checked at compile time per device type through {@link KvmDeviceRegistry}.
 * @packageDocumentation
 */
import { ATTR_GET, ATTR_HAS, ATTR_SET, CREATE_TESTED, createDevice, type AttrOp } from '../kernel/device.js';
import type { KvmDeviceAttr } from '../kernel/attr.js';
import type { KFile } from '../kernel/files.js';
import type { UserMemory } from '../kernel/mem.js';
import type { KvmDevice } from '../kernel/device.js';
import type { DeviceOps } from '../kernel/ops.js';
import { KvmError, check } from '../uapi/errors.js';
import type { GuestPort } from '../kernel/guest-port.js';
import type { Host } from './host.js';
import type { AttrOf, DeviceKey, GroupsOf, ValueOf } from '../plugins/plugin.js';
import type { RegisteredType } from '../plugins/registry.js';
import { ENODEV, EPERM } from '../uapi/errno.js';
import { kvmRegSize } from '../uapi/kvm.js';
import type { KvmIrqRoutingEntry } from '../uapi/structs.js';
import type { LineName } from '../kernel/lines.js';
import type { Vcpu } from '../kernel/vcpu.js';
import type { Vm } from '../kernel/vm.js';

const TWO32 = 4294967296;

/** Bits 63:32 of a number attr (0 for the usual attr below 2^32, without a division). */
function attrHiOf(a: number): number {
  return a >= 0 && a < TWO32 ? 0 : Math.floor(a / TWO32) >>> 0;
}

function splitAttr(attr: number | bigint): [number, number] {
  if (typeof attr === 'number') return [attr >>> 0, Math.floor(attr / TWO32) >>> 0];
  const a = BigInt.asUintN(64, attr);
  return [Number(a & 0xffffffffn), Number(a >> 32n)];
}

/** Base of every handle: an fd on a host. */
abstract class Handle {
  readonly host: Host;
  readonly fd: number;
  constructor(host: Host, fd: number) {
    this.host = host;
    this.fd = fd;
  }
  /** close(2) on the handle's fd. */
  close(): void {
    check(this.host.files.close(this.fd), 'close');
  }
}

/** A handle on /dev/kvm. */
export class KvmHandle extends Handle {
  /** KVM_GET_API_VERSION (12). */
  apiVersion(): number {
    return check(this.host.ioctl(this.fd, this.host.ioctls.KVM_GET_API_VERSION) < 0 ? -this.host.errno : 12);
  }
  /** KVM_CHECK_EXTENSION on /dev/kvm. */
  checkExtension(cap: number): number {
    return check(this.host.checkExtension(null, cap), 'KVM_CHECK_EXTENSION');
  }
  /** KVM_CREATE_VM. */
  createVm(type = 0): VmHandle {
    return new VmHandle(this.host, check(this.host.kvmCreateVm(type), 'KVM_CREATE_VM'));
  }
}

/** An MSI as KVM_SIGNAL_MSI takes it (struct kvm_msi). */
export interface MsiMessage {
  /** `address_lo`: the low 32 bits of the doorbell address (GITS_TRANSLATER on arm64). */
  addressLo: number;
  /** `address_hi`: the high 32 bits of the doorbell address (default 0). */
  addressHi?: number;
  /** `data`: the payload (the EventID written to GITS_TRANSLATER). */
  data: number;
  /** KVM_MSI_VALID_DEVID when `devid` is meaningful. */
  flags?: number;
  /** `devid`: the requester (DeviceID for an ITS). */
  devid?: number;
}

/** A memory slot as KVM_SET_USER_MEMORY_REGION takes it (u64 fields as numbers or bigints). */
export interface MemoryRegion {
  /** `as_id << 16 | slot id`. */
  slot: number;
  /** KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY. */
  flags?: number;
  /** `guest_phys_addr`: the slot's guest physical base (page aligned). */
  guestPhysAddr: bigint | number;
  /** Bytes; 0 deletes the slot. */
  memorySize: bigint | number;
  /** `userspace_addr`: the slot's host virtual base in the process's user memory (page aligned). */
  userspaceAddr: bigint | number;
}

/** Options of {@link VmHandle.createDevice}. */
export interface CreateDeviceOptions {
  /** Raw `kvm_create_device.flags` bits other than TEST (ignored by the kernel). */
  flags?: number;
}

/** A handle on a VM fd. */
export class VmHandle extends Handle {
  /** The kernel object (for plugins and tests). */
  get vm(): Vm {
    return this.host.vmOf(this.fd);
  }
  /** KVM_CHECK_EXTENSION on the VM fd. */
  checkExtension(cap: number): number {
    return check(this.host.withVm(this.fd, (vm) => this.host.checkExtension(vm, cap)), 'KVM_CHECK_EXTENSION');
  }
  /** KVM_CREATE_VCPU. */
  createVcpu(id: number): VcpuHandle {
    return new VcpuHandle(this.host, check(this.host.withVm(this.fd, (vm) => this.host.createVcpu(vm, id)), 'KVM_CREATE_VCPU'));
  }
  /** KVM_CREATE_DEVICE of a registered type; the type is checked at compile time. */
  createDevice<K extends DeviceKey>(key: K, options: CreateDeviceOptions = {}): DeviceHandle<K> {
    const info = this.host.registry.typeInfo(key);
    if (!info) throw new KvmError(ENODEV, `device type ${key} is not registered on this host`);
    const fd = check(
      this.host.withVm(this.fd, (vm) => createDevice(this.host, vm, info.type, (options.flags ?? 0) & ~1)),
      `KVM_CREATE_DEVICE ${key}`,
    );
    return new DeviceHandle<K>(this.host, fd, info);
  }
  /** KVM_CREATE_DEVICE with KVM_CREATE_DEVICE_TEST: whether the type (key or number) is supported. */
  testDevice(keyOrType: DeviceKey | number): boolean {
    const type = typeof keyOrType === 'number' ? keyOrType : (this.host.registry.typeInfo(keyOrType)?.type ?? 0);
    const r = this.host.withVm(this.fd, (vm) => createDevice(this.host, vm, type, 1));
    if (r === CREATE_TESTED) return true;
    if (r === -ENODEV) return false;
    check(r, 'KVM_CREATE_DEVICE(TEST)');
    return true;
  }
  /** KVM_CREATE_DEVICE by raw type number (untyped; for vendor types looked up at run time). */
  createDeviceByType(type: number): DeviceHandle<DeviceKey> {
    const fd = check(this.host.withVm(this.fd, (vm) => createDevice(this.host, vm, type, 0)), `KVM_CREATE_DEVICE ${type}`);
    const info = this.host.registry.typeInfo(type);
    return new DeviceHandle<DeviceKey>(this.host, fd, info);
  }
  /** KVM_IRQ_LINE; returns the status. (Hot path: no allocation.) */
  irqLine(irq: number, level: number): number {
    const host = this.host;
    const vm = host.vmFor(this.fd);
    if (typeof vm === 'number') throw new KvmError(-vm, 'KVM_IRQ_LINE');
    let r: number;
    vm.irqLineStatus = null;
    try {
      r = host.irqLine(vm, irq >>> 0, level >>> 0);
    } catch (e) {
      r = host.caughtFor(e, vm, 'KVM_IRQ_LINE');
    }
    if (r < 0) throw new KvmError(-r, 'KVM_IRQ_LINE');
    return r;
  }
  /** KVM_SET_GSI_ROUTING. */
  setGsiRouting(entries: readonly KvmIrqRoutingEntry[]): void {
    check(this.host.withVm(this.fd, (vm) => this.host.setGsiRouting(vm, entries, 0)), 'KVM_SET_GSI_ROUTING');
  }
  /**
   * KVM_SIGNAL_MSI; returns >0 when delivered, 0 when blocked (throws for -errno). The object
   * may be reused between calls: nothing is allocated on this path.
   */
  signalMsi(msi: MsiMessage): number {
    const host = this.host;
    const vm = host.vmFor(this.fd);
    if (typeof vm === 'number') throw new KvmError(-vm, 'KVM_SIGNAL_MSI');
    let r: number;
    try {
      r = host.signalMsi(vm, msi.addressLo >>> 0, (msi.addressHi ?? 0) >>> 0, msi.data >>> 0, (msi.flags ?? 0) >>> 0, (msi.devid ?? 0) >>> 0);
    } catch (e) {
      r = host.caughtFor(e, vm, 'KVM_SIGNAL_MSI');
    }
    if (r < 0) throw new KvmError(-r, 'KVM_SIGNAL_MSI');
    return r;
  }
  /**
   * KVM_SET_USER_MEMORY_REGION: maps `memorySize` bytes of user memory at `userspaceAddr` into
   * the guest at `guestPhysAddr` as slot `slot` (`as_id << 16 | id`); size 0 deletes the slot.
   */
  setUserMemoryRegion(region: MemoryRegion): void {
    check(this.host.withVm(this.fd, (vm) => this.host.setMemoryRegion(vm, region, false)), 'KVM_SET_USER_MEMORY_REGION');
  }
  /** KVM_SET_USER_MEMORY_REGION2 (the same, with the guest_memfd fields). */
  setUserMemoryRegion2(region: MemoryRegion & { guestMemfdOffset?: bigint | number; guestMemfd?: number }): void {
    check(this.host.withVm(this.fd, (vm) => this.host.setMemoryRegion(vm, region, true)), 'KVM_SET_USER_MEMORY_REGION2');
  }
  /**
   * KVM_IRQFD: binds the eventfd `fd` to `gsi` (flags: KVM_IRQFD_FLAG_RESAMPLE with a
   * `resamplefd`, or KVM_IRQFD_FLAG_DEASSIGN to unbind). `fd`/`resamplefd` may be eventfd handles.
   */
  irqfd(args: { fd: number | { readonly fd: number }; gsi: number; flags?: number; resamplefd?: number | { readonly fd: number } }): void {
    const fd = typeof args.fd === 'number' ? args.fd : args.fd.fd;
    const rfd = args.resamplefd === undefined ? 0 : typeof args.resamplefd === 'number' ? args.resamplefd : args.resamplefd.fd;
    check(this.host.withVm(this.fd, (vm) => this.host.irqfd(vm, fd, args.gsi, args.flags ?? 0, rfd)), 'KVM_IRQFD');
  }
  /** Raw ioctl on the VM fd (for arch ioctls without a typed method). */
  ioctl(request: number, arg: number | bigint = 0): number {
    const r = this.host.ioctl(this.fd, request, arg);
    if (r < 0) throw new KvmError(this.host.errno, `ioctl 0x${(request >>> 0).toString(16)}`);
    return r;
  }
}

/** A handle on a vCPU fd. */
export class VcpuHandle extends Handle {
  /** The kernel object. */
  get vcpu(): Vcpu {
    return this.host.vcpuOf(this.fd);
  }
  /** The vCPU id. */
  get id(): number {
    return this.vcpu.id;
  }
  /** The guest side of this vCPU. */
  get guest(): GuestPort {
    return this.vcpu.guest;
  }
  /** Level of an output line. */
  line(name: LineName): 0 | 1 {
    return this.vcpu.line(name);
  }
  /** KVM_RUN: runs the first-run checks and returns. */
  run(): void {
    check(this.host.withVcpu(this.fd, (v) => this.host.run(v)), 'KVM_RUN');
  }
  /** KVM_ENABLE_CAP on the vCPU. */
  enableCap(cap: number, ...args: (number | bigint)[]): number {
    const a = [0, 1, 2, 3].map((i) => BigInt.asUintN(64, BigInt(args[i] ?? 0)));
    return check(this.host.withVcpu(this.fd, (v) => this.host.enableCap(v, cap, 0, a)), 'KVM_ENABLE_CAP');
  }
  /** KVM_GET_ONE_REG: the register value (size from the id). */
  getOneReg(id: bigint): bigint {
    const size = kvmRegSize(id);
    const buf = size <= 8 ? this.host.scratch() : this.host.mem.alloc(size);
    check(this.host.withVcpu(this.fd, (v) => this.host.getOneReg(v, id, buf)), 'KVM_GET_ONE_REG');
    return size === 4 ? BigInt(this.host.mem.getU32(buf)) : size === 8 ? this.host.mem.getU64(buf) : BigInt(this.host.mem.getU8(buf));
  }
  /** KVM_SET_ONE_REG. */
  setOneReg(id: bigint, value: bigint | number): void {
    const size = kvmRegSize(id);
    const buf = this.host.scratch();
    if (size === 4) this.host.mem.setU32(buf, Number(BigInt.asUintN(32, BigInt(value))));
    else this.host.mem.setU64(buf, BigInt.asUintN(64, BigInt(value)));
    check(this.host.withVcpu(this.fd, (v) => this.host.setOneReg(v, id, buf)), 'KVM_SET_ONE_REG');
  }
  /** Raw ioctl on the vCPU fd (for arch ioctls without a typed method, e.g. KVM_ARM_VCPU_INIT). */
  ioctl(request: number, arg: number | bigint = 0): number {
    const r = this.host.ioctl(this.fd, request, arg);
    if (r < 0) throw new KvmError(this.host.errno, `ioctl 0x${(request >>> 0).toString(16)}`);
    return r;
  }

  /** KVM_SET_DEVICE_ATTR on the vCPU fd (vcpu.rst groups); `size` is the payload size. */
  setAttr(group: number, attr: number | bigint, value: number | bigint, size: 4 | 8 = 8): void {
    const buf = this.host.scratch();
    writeValue(this.host.mem, buf, size, value);
    const [lo, hi] = splitAttr(attr);
    check(this.host.withVcpu(this.fd, (v) => this.host.vcpuAttr(v, ATTR_SET, { flags: 0, group, attrLo: lo, attrHi: hi, addr: buf })), 'KVM_SET_DEVICE_ATTR');
  }
  /** KVM_GET_DEVICE_ATTR on the vCPU fd. */
  getAttr(group: number, attr: number | bigint, size: 4 | 8 = 8): number | bigint {
    const buf = this.host.scratch();
    const [lo, hi] = splitAttr(attr);
    check(this.host.withVcpu(this.fd, (v) => this.host.vcpuAttr(v, ATTR_GET, { flags: 0, group, attrLo: lo, attrHi: hi, addr: buf })), 'KVM_GET_DEVICE_ATTR');
    return size === 4 ? this.host.mem.getU32(buf) : this.host.mem.getU64(buf);
  }
  /** KVM_HAS_DEVICE_ATTR on the vCPU fd. */
  hasAttr(group: number, attr: number | bigint): boolean {
    const [lo, hi] = splitAttr(attr);
    const r = this.host.withVcpu(this.fd, (v) => this.host.vcpuAttr(v, ATTR_HAS, { flags: 0, group, attrLo: lo, attrHi: hi, addr: 0 }));
    if (r === 0) return true;
    if (r === -6) return false;
    check(r, 'KVM_HAS_DEVICE_ATTR');
    return false;
  }
}

function writeValue(mem: UserMemory, buf: number, size: number, value: number | bigint | undefined): void {
  if (size === 8) {
    if (typeof value === 'number') mem.setU64(buf, value);
    else mem.setU64(buf, value ?? 0n);
  } else if (size === 4) mem.setU32(buf, typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : (value ?? 0));
  else if (size === 2) mem.setU16(buf, Number(value ?? 0) & 0xffff);
  else if (size === 1) mem.setU8(buf, Number(value ?? 0) & 0xff);
}

/**
 * The value parameter of setAttr: omitted for payload-less attributes; a 64-bit payload also
 * takes a number (a safe integer), so `setAttr(GRP_ADDR, DIST, 0x3fff0000)` works as well as `...n`.
 */
export type SetValueArgs<V> = [V] extends [undefined] ? [value?: undefined] : [V] extends [bigint] ? [value: bigint | number] : [value: V];

/** The KvmError of a failed device attr ioctl (kept out of the hot methods: only built on failure). */
function attrError(r: number, name: string, group: number, a: number | bigint): KvmError {
  return new KvmError(-r, `${name} group ${group} attr 0x${a.toString(16)}`);
}

/** Whether a number attr is a u32 (bits 63:32 zero): the hot paths take it as `attrLo` as is. */
function isU32(a: number | bigint): boolean {
  return typeof a === 'number' && a >>> 0 === a;
}

/** A handle on a device fd, typed by its registry key. */
export class DeviceHandle<K extends DeviceKey> extends Handle {
  /** The registered type (undefined when it was unregistered after creation). */
  readonly info: RegisteredType | undefined;
  private readonly sizes: number[] = [];
  /** Groups whose attributes override the group's payload size (null: none does, the hot paths read `sizes` alone). */
  private readonly overrides: Map<number, Map<bigint, number>> | null;
  /**
   * The decoded attr this handle hands to the accessor on the fast path (reused: every field is
   * written before each call, like the kernel's own).
   */
  private readonly attr: KvmDeviceAttr = { flags: 0, group: 0, attrLo: 0, attrHi: 0, addr: 0 };
  /**
   * The open file this handle last checked and its device (fast path: while the fd still refers
   * to that file and the VM is not bugged, nothing the full checks look at can have changed).
   * Both null, or both set.
   */
  private file: KFile | null = null;
  private dev: KvmDevice | null = null;
  /** The u64 value {@link DeviceHandle.getAttr} returned (or setAttr wrote) last, and its halves. */
  private lastU64: bigint | null = null;
  private lastLo = 0;
  private lastHi = 0;

  constructor(host: Host, fd: number, info: RegisteredType | undefined) {
    super(host, fd);
    this.info = info;
    const overrides = new Map<number, Map<bigint, number>>();
    for (const d of info?.attrs ?? []) {
      this.sizes[d.group] = d.size;
      if (typeof d.attrs === 'string') continue;
      for (const a of d.attrs) {
        if (a.size === undefined || a.size === d.size) continue;
        let m = overrides.get(d.group);
        if (!m) overrides.set(d.group, (m = new Map()));
        m.set(BigInt(a.attr), a.size);
      }
    }
    this.overrides = overrides.size === 0 ? null : overrides;
  }

  /** The kernel object (for plugins and tests). */
  get device(): KvmDevice {
    return this.host.deviceOf(this.fd);
  }

  /**
   * The device behind the fd when the fast path holds: the fd still refers to the file whose
   * checks passed before (same file: same owner, same device, same VM) and the VM is not bugged.
   * Null sends the caller to {@link DeviceHandle.slowCall}.
   */
  private fresh(): KvmDevice | null {
    const dev = this.dev;
    return dev !== null && this.host.files.holds(this.fd, this.file!) && !dev.kvm.bugged ? dev : null;
  }

  /**
   * One attr ioctl: the fast path ({@link DeviceHandle.fastCall}) for a u32 attr while
   * {@link DeviceHandle.fresh} holds, else the full checks ({@link DeviceHandle.slowCall}).
   */
  private call(op: AttrOp, group: number, a: number | bigint, addr: number): number {
    const dev = isU32(a) ? this.fresh() : null;
    if (dev === null) return this.slowCall(op, group, a, addr);
    const ops = dev.ops;
    return this.fastCall(dev, op === ATTR_GET ? ops.getAttr : op === ATTR_SET ? ops.setAttr : ops.hasAttr, group, a as number, addr);
  }

  /**
   * The accessor call of the fast path (attr bits 63:32 zero): EPERM without an accessor, an
   * exception turned into -errno as on every attr path.
   */
  private fastCall(dev: KvmDevice, fn: DeviceOps['getAttr'], group: number, lo: number, addr: number): number {
    if (fn === undefined) return -EPERM;
    const at = this.attr;
    at.flags = 0;
    at.group = group;
    at.attrLo = lo;
    at.attrHi = 0;
    at.addr = addr;
    try {
      return fn(dev, at);
    } catch (e) {
      return this.host.accessorThrew(e, dev);
    }
  }

  /**
   * One attr ioctl with the full checks of `Kernel.deviceAttrCall` (fd, kind, owner, VM bugged,
   * accessor), in its order; caches the file once they have passed for it.
   */
  private slowCall(op: AttrOp, group: number, a: number | bigint, addr: number): number {
    const host = this.host;
    const [lo, hi] = typeof a === 'number' ? [a >>> 0, attrHiOf(a)] : splitAttr(a);
    const f = host.files.get(this.fd);
    const r = host.deviceAttrCall(this.fd, op, group, lo, hi, addr);
    if (f !== null && f.target.kind === 'device' && f.owner === host && f.target.device.kvm.host === host && r !== -5) {
      this.file = f;
      this.dev = f.target.device;
    } else {
      this.file = null;
      this.dev = null;
    }
    return r;
  }

  /** The payload size of (group, attr) on the hot paths: the group's unless an attribute overrides it. */
  private sizeOf(group: number, attr: number | bigint): number {
    return this.overrides === null ? (this.sizes[group] ?? 8) : this.payloadSize(group, attr);
  }

  /** Payload size of (group, attr) from the plugin's attribute table (default 8). */
  payloadSize(group: number, attr?: number | bigint): number {
    if (this.overrides !== null && attr !== undefined) {
      const o = this.overrides.get(group)?.get(BigInt(attr));
      if (o !== undefined) return o;
    }
    return this.sizes[group] ?? 8;
  }

  /** KVM_SET_DEVICE_ATTR. */
  setAttr<G extends keyof GroupsOf<K> & number>(group: G, attr: AttrOf<K, G>, ...value: SetValueArgs<ValueOf<K, G>>): void {
    const host = this.host;
    const buf = host.scratch();
    const a = attr as number | bigint;
    const v = value[0] as number | bigint | undefined;
    const size = this.sizeOf(group, a);
    if (size === 4 && typeof v === 'number') host.mem.setU32(buf, v);
    else if (size === 8 && typeof v === 'bigint') this.putU64(buf, v);
    else writeValue(host.mem, buf, size, v);
    const r = this.call(ATTR_SET, group, a, buf);
    if (r < 0) throw attrError(r, 'KVM_SET_DEVICE_ATTR', group, a);
  }

  /**
   * KVM_GET_DEVICE_ATTR: a number for payloads up to 4 bytes, a bigint for 8. A 64-bit value
   * equal to the one this handle returned (or wrote) last is returned as that same bigint (a
   * bigint is an immutable value: nothing tells the two apart), so polling an unchanged u64
   * allocates nothing.
   */
  getAttr<G extends keyof GroupsOf<K> & number>(group: G, attr: AttrOf<K, G>): ValueOf<K, G> {
    const host = this.host;
    const buf = host.scratch();
    const a = attr as number | bigint;
    const r = this.call(ATTR_GET, group, a, buf);
    if (r < 0) throw attrError(r, 'KVM_GET_DEVICE_ATTR', group, a);
    const size = this.sizeOf(group, a);
    return (size === 4 ? host.mem.getU32(buf) : this.valueAt(size, buf)) as ValueOf<K, G>;
  }

  /** A GET payload other than a u32: a u64 as a bigint, a u16, a u8, or 0 for none. */
  private valueAt(size: number, buf: number): number | bigint {
    if (size === 8) return this.u64At(buf);
    return size === 2 ? this.host.mem.getU16(buf) : size === 1 ? this.host.mem.getU8(buf) : 0;
  }

  /** The u64 at `buf` as a bigint: the last one when its halves are unchanged (no allocation). */
  private u64At(buf: number): bigint {
    const mem = this.host.mem;
    const last = this.lastU64;
    if (last !== null && mem.u64Is(buf, this.lastLo, this.lastHi)) return last;
    const v = mem.getU64(buf);
    this.lastU64 = v;
    this.lastLo = mem.getU64Lo(buf);
    this.lastHi = mem.getU64Hi(buf);
    return v;
  }

  /**
   * Writes a u64 payload: the last value's halves when `v` equals it (no bigint conversion),
   * else `v` through setBigUint64, remembered with its halves for the next GET or SET.
   */
  private putU64(buf: number, v: bigint): void {
    const mem = this.host.mem;
    if (v === this.lastU64) {
      mem.setU64Parts(buf, this.lastLo, this.lastHi);
      return;
    }
    mem.setU64(buf, v);
    // a bigint outside [0, 2^64) is stored modulo 2^64: not the value a GET would return
    this.lastU64 = v >= 0n && v <= 0xffff_ffff_ffff_ffffn ? v : null;
    this.lastLo = mem.getU64Lo(buf);
    this.lastHi = mem.getU64Hi(buf);
  }

  /** KVM_HAS_DEVICE_ATTR: true when implemented, false for ENXIO; other errors throw. */
  hasAttr<G extends keyof GroupsOf<K> & number>(group: G, attr: AttrOf<K, G>): boolean {
    const a = attr as number | bigint;
    const r = this.call(ATTR_HAS, group, a, 0);
    if (r >= 0) return true;
    if (r === -6) return false;
    throw new KvmError(-r, `KVM_HAS_DEVICE_ATTR group ${group}`);
  }

  /** The three attr ioctls with a caller-supplied user pointer (no payload encoding). */
  attrRaw(op: 'set' | 'get' | 'has', group: number, attr: number | bigint, addr: number): number {
    const [lo, hi] = splitAttr(attr);
    return check(this.host.deviceAttrCall(this.fd, op === 'set' ? ATTR_SET : op === 'get' ? ATTR_GET : ATTR_HAS, group, lo, hi, addr));
  }

  /** dup(2) of the device fd, as another handle. */
  dup(): DeviceHandle<K> {
    const fd = this.host.dup(this.fd);
    if (fd < 0) throw new KvmError(this.host.errno, 'dup');
    return new DeviceHandle<K>(this.host, fd, this.info);
  }
}
