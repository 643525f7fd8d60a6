/**
 * Fixtures that make device tests read like the kernel's KVM selftests: a host with one VM and
 * N vCPUs, `__kvm_create_device` / `__kvm_device_attr_set`-style helpers that return the raw
 * `{ ret, errno }` instead of throwing, payload helpers, a guest port helper and a lifecycle
 * tracker. Everything goes through the syscall facade (`host.ioctl`), as a C test would.
 * @packageDocumentation
 */
import {
  type HostOptions,
  type Host,
  type KvmPlugin,
  type LineName,
  type VmEvent,
  VmHandle,
  createHost,
  kvm_device_attr,
  type GuestPort,
} from '@kvmdev/core';
import type { Vm } from '@kvmdev/core/plugin';

const TWO32 = 4294967296;

/** Options of {@link vmWithVcpus}. */
export interface VmWithVcpusOptions {
  /** Machine type for KVM_CREATE_VM (default 0). */
  vmType?: number;
  /** vCPU ids to create (default 0..n-1). */
  vcpuIds?: readonly number[];
  /** Other host options (fd limit, memory, test hooks). `plugins` is taken from the first argument. */
  host?: Omit<HostOptions, 'plugins'>;
}

/** What {@link vmWithVcpus} returns. */
export interface VmFixture {
  /** The simulated host the VM lives on. */
  host: Host;
  /** fd of /dev/kvm. */
  kvmFd: number;
  /** fd of the VM. */
  vmFd: number;
  /** fds of the vCPUs, in creation order. */
  vcpuFds: number[];
  /** Typed handle on the same VM fd. */
  vm: VmHandle;
  /** The VM kernel object (for assertions on `usersCount`, `devices`, `irqchip`...). */
  kvm: Vm;
}

function must(host: Host, ret: number, what: string): number {
  if (ret < 0) throw new Error(`${what} failed: errno ${host.errno}`);
  return ret;
}

/**
 * `vm_create_with_vcpus()`: a new host with `plugins`, /dev/kvm opened, one VM and `n` vCPUs
 * (ids 0..n-1 unless `opts.vcpuIds`). Throws when any step fails.
 */
export function vmWithVcpus(plugins: readonly KvmPlugin[], n = 0, opts: VmWithVcpusOptions = {}): VmFixture {
  const host = createHost({ ...(opts.host ?? {}), plugins });
  const kvmFd = must(host, host.open('/dev/kvm'), 'open /dev/kvm');
  const vmFd = must(host, host.ioctl(kvmFd, host.ioctls.KVM_CREATE_VM, opts.vmType ?? 0), 'KVM_CREATE_VM');
  const ids = opts.vcpuIds ?? Array.from({ length: n }, (_, i) => i);
  const vcpuFds = ids.map((id) => must(host, host.ioctl(vmFd, host.ioctls.KVM_CREATE_VCPU, id), `KVM_CREATE_VCPU ${id}`));
  return { host, kvmFd, vmFd, vcpuFds, vm: new VmHandle(host, vmFd), kvm: host.vmOf(vmFd) };
}

/** The raw result of a facade call: `ret` is the ioctl's return (-1 on error), `errno` 0 on success. */
export interface IoctlResult {
  /** The ioctl's return value: -1 on error, else the call's result. */
  ret: number;
  /** The errno of a failed call (e.g. ENXIO), 0 on success. */
  errno: number;
}

/**
 * One ioctl through the facade, folded into one number as the kernel's ioctl handler returns it:
 * the call's result (`>= 0`) on success, `-errno` on failure (e.g. `-ENXIO`). The form to compare
 * with `toBe(-EINVAL)` when a test only needs the outcome; {@link IoctlResult} keeps both halves.
 * @param host - the simulated host
 * @param fd - the fd to call on (system, VM, vCPU or device fd)
 * @param req - the ioctl request number (e.g. `KVM_HAS_DEVICE_ATTR`)
 * @param arg - the argument: a user address or a plain integer, as the request takes it
 */
export function ioctlRet(host: Host, fd: number, req: number, arg: number): number {
  const ret = host.ioctl(fd, req, arg);
  return ret < 0 ? -host.errno : ret;
}

/** Result of {@link createDevice}. */
export interface CreateDeviceResult extends IoctlResult {
  /** The `fd` field of the struct after the call (untouched on TEST and on errors). */
  fd: number;
}

/**
 * `__kvm_create_device()`: KVM_CREATE_DEVICE through the facade. `type` is a number or a
 * registered key (resolved with `host.deviceType`). The struct's `fd` field is preset to
 * `presetFd` (default 0xffffffff), so a test can see that TEST leaves it untouched.
 */
export function createDevice(host: Host, vmFd: number, type: number | string, flags = 0, presetFd = 0xffffffff): CreateDeviceResult {
  const t = typeof type === 'string' ? host.deviceType(type) : type;
  const buf = host.mem.alloc(12);
  host.mem.setU32(buf, t >>> 0);
  host.mem.setU32(buf + 4, presetFd >>> 0);
  host.mem.setU32(buf + 8, flags >>> 0);
  const ret = host.ioctl(vmFd, host.ioctls.KVM_CREATE_DEVICE, buf);
  return { ret, errno: ret < 0 ? host.errno : 0, fd: host.mem.getU32(buf + 4) };
}

/** A payload: a number (u32, or u64 when `size` is 8), a bigint (u64) or raw bytes. */
export type Payload = number | bigint | Uint8Array;

/** Payload sizes the helpers encode. */
export type PayloadSize = 0 | 1 | 2 | 4 | 8;

/** Writes `value` as a `size`-byte little-endian payload at `addr`. */
export function writePayload(host: Host, addr: number, size: PayloadSize, value: Payload): void {
  const mem = host.mem;
  if (value instanceof Uint8Array) {
    mem.write(addr, value);
    return;
  }
  if (size === 8) mem.setU64(addr, typeof value === 'bigint' ? BigInt.asUintN(64, value) : value);
  else {
    const n = typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : value >>> 0;
    if (size === 4) mem.setU32(addr, n);
    else if (size === 2) mem.setU16(addr, n & 0xffff);
    else if (size === 1) mem.setU8(addr, n & 0xff);
  }
}

/** Reads a `size`-byte payload at `addr`: a bigint for 8 bytes, else a number. */
export function readPayload(host: Host, addr: number, size: PayloadSize): number | bigint {
  const mem = host.mem;
  return size === 8 ? mem.getU64(addr) : size === 4 ? mem.getU32(addr) : size === 2 ? mem.getU16(addr) : size === 1 ? mem.getU8(addr) : 0;
}

/** A fresh user buffer holding a u32. Returns its address. */
export function u32(host: Host, value: number): number {
  const a = host.mem.alloc(4);
  host.mem.setU32(a, value >>> 0);
  return a;
}

/** A fresh user buffer holding a u64. Returns its address. */
export function u64(host: Host, value: bigint | number): number {
  const a = host.mem.alloc(8);
  host.mem.setU64(a, typeof value === 'bigint' ? BigInt.asUintN(64, value) : value);
  return a;
}

/** A fresh user buffer holding an int32 (e.g. a file descriptor payload). Returns its address. */
export function i32(host: Host, value: number): number {
  return u32(host, value | 0);
}

/** Which attr ioctl. */
export type AttrOpName = 'set' | 'get' | 'has';

const reqOf = (host: Host, op: AttrOpName): number =>
  op === 'set' ? host.ioctls.KVM_SET_DEVICE_ATTR : op === 'get' ? host.ioctls.KVM_GET_DEVICE_ATTR : host.ioctls.KVM_HAS_DEVICE_ATTR;

/**
 * KVM_{SET,GET,HAS}_DEVICE_ATTR with a caller-chosen payload address (NULL, unmapped, end of
 * buffer...). `fd` may be a device, VM or vCPU fd. The struct itself is always valid.
 */
export function attrRaw(host: Host, fd: number, op: AttrOpName, group: number, attr: number | bigint, addr: number | bigint, flags = 0): IoctlResult {
  const s = host.mem.alloc(24);
  const a = typeof attr === 'bigint' ? BigInt.asUintN(64, attr) : BigInt(Math.floor(attr / TWO32)) * 4294967296n + BigInt(attr >>> 0);
  const p = typeof addr === 'bigint' ? BigInt.asUintN(64, addr) : BigInt(addr < 0 ? 0 : addr);
  kvm_device_attr.write(host.mem, s, { flags, group: group >>> 0, attr: a, addr: p });
  const ret = host.ioctl(fd, reqOf(host, op), s);
  return { ret, errno: ret < 0 ? host.errno : 0 };
}

/** Result of {@link getAttr}. */
export interface GetAttrResult extends IoctlResult {
  /** The payload read back (meaningful when `ret` is 0). */
  value: number | bigint;
  /** Address of the payload buffer. */
  addr: number;
}

/** `__kvm_device_attr_set()`: SET with `value` encoded as a `size`-byte payload (default 4, 8 for a bigint). */
export function setAttr(host: Host, fd: number, group: number, attr: number | bigint, value: Payload = 0, size?: PayloadSize): IoctlResult {
  const sz: PayloadSize = size ?? (value instanceof Uint8Array ? 8 : typeof value === 'bigint' ? 8 : 4);
  const len = value instanceof Uint8Array ? value.length : sz;
  const addr = host.mem.alloc(Math.max(len, 1));
  if (len > 0) writePayload(host, addr, sz, value);
  return attrRaw(host, fd, 'set', group, attr, addr);
}

/** `__kvm_device_attr_get()`: GET into a fresh `size`-byte buffer (default 4), decoded. */
export function getAttr(host: Host, fd: number, group: number, attr: number | bigint, size: PayloadSize = 4): GetAttrResult {
  const addr = host.mem.alloc(Math.max(size, 8));
  const r = attrRaw(host, fd, 'get', group, attr, addr);
  return { ...r, value: readPayload(host, addr, size), addr };
}

/** `__kvm_has_device_attr()`: HAS (addr NULL; the kernel ignores it). */
export function hasAttr(host: Host, fd: number, group: number, attr: number | bigint): IoctlResult {
  return attrRaw(host, fd, 'has', group, attr, 0);
}

/** The guest port of a vCPU, plus assertions. */
export interface GuestHelper {
  /** The vCPU's guest port (MMIO, hypercalls, output lines). */
  readonly port: GuestPort;
  /** Guest MMIO load of `size` bytes at guest physical address `gpa`; null when no device claims the address. */
  mmioRead(gpa: number, size: 1 | 2 | 4): number | null;
  /** Guest MMIO store of `size` bytes at `gpa`; false when no device claims the address. */
  mmioWrite(gpa: number, size: 1 | 2 | 4 | 8, value: number | bigint): boolean;
  /** Guest hypercall `nr` with `args`; returns its return value and output registers (copied). */
  hypercall(nr: number, args?: ArrayLike<number>): { ret: number; out: number[] };
  /** Level of an output line. */
  line(name: LineName): 0 | 1;
  /** Throws unless the line `name` is at `level`. */
  expectLine(name: LineName, level: 0 | 1): void;
}

/** The guest side of the vCPU behind `vcpuFd`, with `expectLine`. */
export function guest(host: Host, vcpuFd: number): GuestHelper {
  const port = host.guest(vcpuFd);
  return {
    port,
    mmioRead: (gpa, size) => port.mmioRead(gpa, size),
    mmioWrite: (gpa, size, value) => port.mmioWrite(gpa, size, value),
    hypercall: (nr, args) => {
      const r = port.hypercall(nr, args);
      return { ret: r.ret, out: [...r.out] };
    },
    line: (name) => port.line(name),
    expectLine(name, level) {
      const got = port.line(name);
      if (got !== level) throw new Error(`vCPU ${port.vcpu.id}: expected ${name} line ${level}, got ${got}`);
    },
  };
}

/** Live counts of a host's lifecycle events (see {@link trackLifecycle}). */
export interface LifecycleTracker {
  /** KVM_CREATE_DEVICE successes seen (`device-created` events). */
  created: number;
  /** Device `release` callbacks run (last close of a device fd). */
  released: number;
  /** Device `destroy` callbacks run (VM teardown). */
  destroyed: number;
  /** VMs freed (last reference to `struct kvm` dropped). */
  vmFreed: number;
  /** VMs marked bugged (KVM_BUG_ON: a plugin threw; further calls fail with EIO). */
  bugged: number;
  /** Every event, in order. */
  readonly events: VmEvent[];
  /** Stops listening. */
  stop(): void;
}

/** Subscribes to `host`'s events and counts device-created/released/destroyed, vm-freed and vm-bugged. */
export function trackLifecycle(host: Host): LifecycleTracker {
  const t: LifecycleTracker = {
    created: 0,
    released: 0,
    destroyed: 0,
    vmFreed: 0,
    bugged: 0,
    events: [],
    stop: () => {},
  };
  t.stop = host.on((e) => {
    t.events.push(e);
    if (e.kind === 'device-created') t.created++;
    else if (e.kind === 'device-released') t.released++;
    else if (e.kind === 'device-destroyed') t.destroyed++;
    else if (e.kind === 'vm-freed') t.vmFreed++;
    else if (e.kind === 'vm-bugged') t.bugged++;
  });
  return t;
}
