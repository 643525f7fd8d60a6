/**
 * The device kernel object (`struct kvm_device`) and the generic device code of kvm_main.c:
 * KVM_CREATE_DEVICE in the modern kernel's order, the device fd's release, and the attr ioctl
 * dispatch.
 * @packageDocumentation
 */
import type { KvmDeviceAttr } from './attr.js';
import { KFile } from './files.js';
import type { Kernel } from './kernel.js';
import type { DeviceOps } from './ops.js';
import { ENODEV, ENOTTY, EPERM } from '../uapi/errno.js';
import { KVM_CREATE_DEVICE_TEST } from '../uapi/kvm.js';
import type { Vm } from './vm.js';

/** `struct kvm_device`: ops, the owning VM, the device's private state. No refcount of its own. */
export class KvmDevice<P = unknown> {
  /** The ops of its type at creation (kept even if the type is unregistered later). */
  readonly ops: DeviceOps<P>;
  /** The VM it belongs to (`dev->kvm`). */
  readonly kvm: Vm;
  /** The type number it was created with. */
  readonly type: number;
  /** The device's private state, set by `ops.create`. */
  private: P | null = null;
  /** The open file behind the device fd (null while it is being created or after release). */
  file: KFile | null = null;
  /** Set once release or destroy has run. */
  dead = false;

  constructor(ops: DeviceOps<P>, kvm: Vm, type: number) {
    this.ops = ops;
    this.kvm = kvm;
    this.type = type;
  }

  /** The private state; throws when the device has none (a plugin bug). */
  get state(): P {
    if (this.private === null) throw new Error(`${this.ops.name}: device has no private state`);
    return this.private;
  }
}

/** Which of the three attr ioctls. */
export const ATTR_SET = 0;
export const ATTR_GET = 1;
export const ATTR_HAS = 2;
export type AttrOp = typeof ATTR_SET | typeof ATTR_GET | typeof ATTR_HAS;

/** The accessor of `dev` for `op`, or undefined (→ EPERM). */
export function attrAccessor(
  dev: KvmDevice,
  op: AttrOp,
): ((dev: KvmDevice, attr: KvmDeviceAttr) => number) | undefined {
  const o = dev.ops;
  return op === ATTR_SET ? o.setAttr : op === ATTR_GET ? o.getAttr : o.hasAttr;
}

/**
 * KVM_SET/GET/HAS_DEVICE_ATTR after the struct is decoded: the accessor's value unchanged,
 * or -EPERM when the device has no such accessor.
 */
export function deviceAttr(dev: KvmDevice, op: AttrOp, attr: KvmDeviceAttr): number {
  const fn = attrAccessor(dev, op);
  if (fn === undefined) return -EPERM;
  return fn(dev, attr);
}

/** Any other device ioctl: ops.ioctl, or -ENOTTY. */
export function deviceOtherIoctl(dev: KvmDevice, request: number, arg: number): number {
  return dev.ops.ioctl ? dev.ops.ioctl(dev, request, arg) : -ENOTTY;
}

/** The outcome of a create: the new fd (>= 0), TEST (no fd), or -errno. */
export const CREATE_TESTED = -0x10000;

/**
 * kvm_ioctl_create_device. Returns the new fd, CREATE_TESTED for a successful TEST probe, or
 * -errno. The order is the modern kernel's: type range and registration (ENODEV), TEST, create
 * under the VM lock (its error propagates and nothing else runs), insert at the list head, init,
 * VM reference, fd install (on failure: unlink, release, destroy, put the reference).
 */
export function createDevice(host: Kernel, vm: Vm, type: number, flags: number): number {
  const ops = host.tables.lookup(type);
  if (ops === null) return -ENODEV;
  if (flags & KVM_CREATE_DEVICE_TEST) return CREATE_TESTED;

  const dev = new KvmDevice(ops, vm, type);
  const ret = ops.create(dev, type);
  if (ret < 0) return ret;
  vm.devices.unshift(dev);
  host.emit({ kind: 'device-created', vm, device: dev });
  ops.init?.(dev);

  vm.get(); // before the fd exists (CVE-2019-6974)
  const file = new KFile(host, ops.name, { kind: 'device', device: dev }, () => releaseDeviceFile(host, dev));
  const fd = host.files.install(file);
  if (fd < 0) {
    vm.putNoDestroy();
    unlink(vm, dev);
    if (ops.release) ops.release(dev);
    if (ops.destroy) ops.destroy(dev);
    dev.dead = true;
    return fd;
  }
  dev.file = file;
  host.hooks.afterFdInstall?.(fd, file);
  return fd;
}

function unlink(vm: Vm, dev: KvmDevice): void {
  const i = vm.devices.indexOf(dev);
  if (i >= 0) vm.devices.splice(i, 1);
}

/** kvm_device_release: the last reference to the device file went. */
function releaseDeviceFile(host: Kernel, dev: KvmDevice): void {
  const vm = dev.kvm;
  const release = dev.ops.release;
  dev.file = null;
  if (release) {
    unlink(vm, dev);
    try {
      release(dev);
    } catch (e) {
      vm.bug(e, `${dev.ops.name}.release`);
    }
    dev.dead = true;
    host.emit({ kind: 'device-released', vm, device: dev });
  }
  vm.put();
}
