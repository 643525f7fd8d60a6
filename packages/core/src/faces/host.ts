/**
 * The Host: one simulated process with its kernel, as VMM code sees it. It is the syscall facade
 * (`open`, `ioctl`, `close`, `dup` returning a number or -1 with `errno` set, never throwing,
 * shaped like the C ABI so C code ports line by line), the entry point of the typed API
 * (`kvm()`, `createVm()`), and the owner of the host's plugin registry.
 * @packageDocumentation
 */
import { Kernel, type KernelOptions } from '../kernel/kernel.js';
import { UserMemory } from '../kernel/mem.js';
import { KFile } from '../kernel/files.js';
import type { KvmPlugin } from '../plugins/plugin.js';
import { Registry } from '../plugins/registry.js';
import { ENODEV } from '../uapi/errno.js';
import { KvmError, check } from '../uapi/errors.js';
import { EventFdHandle } from './eventfd.js';
import { KvmHandle, type VmHandle } from './typed.js';

/** Options of {@link createHost}. */
export interface HostOptions extends KernelOptions {
  /** Plugins to register, in order. */
  plugins?: readonly KvmPlugin[];
}

/** A simulated process with its own kernel. Create one with {@link createHost}. */
export class Host extends Kernel {
  /** errno of the last failed facade call. */
  errno = 0;
  /** The plugins registered on this host, their device types and specs. */
  readonly registry: Registry;
  private scratchAddr = 0;
  private kvmHandle: KvmHandle | null = null;

  constructor(options: HostOptions = {}) {
    super(options);
    this.registry = new Registry(this.tables);
    for (const p of options.plugins ?? []) this.registry.register(p);
  }

  /** Registers a plugin on this host (throws `PluginError`). */
  use(plugin: KvmPlugin): this {
    this.registry.register(plugin);
    return this;
  }

  private fail(ret: number): number {
    if (ret < 0) {
      this.errno = -ret;
      return -1;
    }
    return ret;
  }

  /** open(2). Only `/dev/kvm` exists; anything else is ENOENT. Returns the fd or -1. */
  open(path: string): number {
    return this.fail(this.sysOpen(path));
  }

  /** close(2): 0 or -1 (EBADF). The last close of a file runs its release. */
  close(fd: number): number {
    return this.fail(this.sysClose(fd));
  }

  /** dup(2): a new fd on the same open file, or -1 (EBADF, EMFILE). */
  dup(fd: number): number {
    return this.fail(this.sysDup(fd));
  }

  /** Passes an open fd of another process to this one (SCM_RIGHTS); returns the new fd or -1. */
  receiveFd(from: Host, fd: number): number {
    return this.fail(this.sysReceiveFd(from, fd));
  }

  /**
   * ioctl(2). `arg` is a user address for struct ioctls and an integer for int-argument ioctls.
   * Returns a non-negative number, or -1 with `errno` set. Never throws.
   */
  ioctl(fd: number, request: number, arg: number | bigint = 0): number {
    const a = typeof arg === 'bigint' ? UserMemory.ptr(arg) : arg;
    return this.fail(this.sysIoctl(fd, request >>> 0, a));
  }

  /** eventfd(2) / eventfd2(2): the new fd or -1 (EINVAL for unknown flags, EMFILE). */
  eventfd(initval = 0, flags = 0): number {
    return this.fail(this.sysEventfd(initval, flags));
  }

  /** read(2) of `count` bytes into user address `buf`: the bytes read, or -1 with `errno`. */
  read(fd: number, buf: number, count: number): number {
    return this.fail(this.sysRead(fd, buf, count));
  }

  /** write(2) of `count` bytes from user address `buf`: the bytes written, or -1 with `errno`. */
  write(fd: number, buf: number, count: number): number {
    return this.fail(this.sysWrite(fd, buf, count));
  }

  /** Typed API: eventfd(2) as a handle (its `fd` is what KVM_IRQFD takes). */
  createEventFd(initval = 0, flags = 0): EventFdHandle {
    return new EventFdHandle(this, check(this.sysEventfd(initval, flags), 'eventfd'));
  }

  /** The typed API's entry point: a handle on this host's /dev/kvm (opened once). */
  kvm(): KvmHandle {
    return (this.kvmHandle ??= new KvmHandle(
      this,
      check(this.files.install(new KFile(this, 'kvm', { kind: 'system' }, null)), 'open /dev/kvm'),
    ));
  }

  /** Typed API: creates a VM (KVM_CREATE_VM) and returns its handle. */
  createVm(type = 0): VmHandle {
    return this.kvm().createVm(type);
  }

  /** A reusable 64-byte user buffer for the typed API's attribute payloads. */
  scratch(): number {
    return (this.scratchAddr ||= this.mem.alloc(64));
  }

  /** The type number registered under a typed-API key (kernel or vendor); throws ENODEV. */
  deviceType(key: string): number {
    const t = this.registry.typeInfo(key);
    if (!t) throw new KvmError(ENODEV, `device type ${key} is not registered on this host`);
    return t.type;
  }
}

/** Creates a host (a simulated process with its own kernel and plugin registry). */
export function createHost(options: HostOptions = {}): Host {
  return new Host(options);
}
