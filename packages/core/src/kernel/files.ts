/**
 * Open files and the per-process fd table. A `dup` shares the open file; the file's release
 * runs when its last fd is closed (like the kernel's `struct file` refcount).
 * @packageDocumentation
 */
import type { KvmDevice } from './device.js';
import type { EventFd } from './eventfd.js';
import type { Kernel } from './kernel.js';
import { EBADF, EMFILE } from '../uapi/errno.js';
import type { Vcpu } from './vcpu.js';
import type { Vm } from './vm.js';

/** What an open file refers to. */
export type FileTarget =
  | { readonly kind: 'system' }
  | { readonly kind: 'vm'; readonly vm: Vm }
  | { readonly kind: 'vcpu'; readonly vcpu: Vcpu }
  | { readonly kind: 'device'; readonly device: KvmDevice }
  | { readonly kind: 'eventfd'; readonly eventfd: EventFd }
  | { readonly kind: 'other'; readonly name: string };

/** An open file description (`struct file`). */
export class KFile {
  /** fds (in any process) that refer to this file. */
  refs = 0;
  /** Set once `release` has run. */
  released = false;
  /** The kernel object behind the file. */
  readonly target: FileTarget;
  /** The anon-inode name, e.g. `'kvm-vm'`, `'kvm-vcpu:0'`, `'kvm-arm-vgic-v3'`. */
  readonly name: string;
  /** The process that created the file (the VM creator's mm). */
  readonly owner: Kernel;
  /**
   * The file status flags the VFS keeps on the open file (`f_flags`): O_NONBLOCK (FIONBIO) and
   * FASYNC. Shared by every fd of the file, in every process (dup, fork, SCM_RIGHTS).
   */
  statusFlags = 0;
  private readonly onRelease: (() => void) | null;

  constructor(owner: Kernel, name: string, target: FileTarget, onRelease: (() => void) | null) {
    this.owner = owner;
    this.name = name;
    this.target = target;
    this.onRelease = onRelease;
  }

  /** Drops one fd reference; the last one runs release. */
  put(): void {
    if (--this.refs === 0 && !this.released) {
      this.released = true;
      this.onRelease?.();
    }
  }
}

/** The standard streams that occupy fds 0, 1 and 2 in a new process. */
const STD: FileTarget = { kind: 'other', name: 'tty' };

/** A process's fd table. New fds take the lowest free number, like Linux. */
export class FdTable {
  private slots: (KFile | null)[] = [];
  /** The close-on-exec flag of each fd (an fd flag, not the file's: dup clears it). */
  private cloexec: boolean[] = [];
  /** RLIMIT_NOFILE: fds >= limit cannot be allocated (EMFILE). */
  limit: number;
  private lowestFree = 0;

  constructor(host: Kernel, limit: number) {
    this.limit = limit;
    for (let i = 0; i < 3 && i < limit; i++) this.install(new KFile(host, 'tty', STD, null));
  }

  /** Installs a file on the lowest free fd; -EMFILE when the table is full. */
  install(f: KFile): number {
    let fd = this.lowestFree;
    while (fd < this.slots.length && this.slots[fd] !== null) fd++;
    if (fd >= this.limit) return -EMFILE;
    if (fd === this.slots.length) this.slots.push(f);
    else this.slots[fd] = f;
    this.cloexec[fd] = false;
    f.refs++;
    this.lowestFree = fd + 1;
    return fd;
  }

  /** The file behind fd, or null. */
  get(fd: number): KFile | null {
    if (!(fd >= 0) || fd >= this.slots.length) return null;
    return this.slots[fd] ?? null;
  }

  /**
   * Whether `fd` (a non-negative integer) refers to the open file `f` right now: the typed API's
   * check that a handle's cached file is still the one behind its fd (no bounds branch, no `??`).
   */
  holds(fd: number, f: KFile): boolean {
    return this.slots[fd] === f;
  }

  /** FD_CLOEXEC of an open fd (false for a closed one). */
  closeOnExec(fd: number): boolean {
    return this.get(fd) !== null && this.cloexec[fd] === true;
  }

  /** Sets or clears FD_CLOEXEC of an open fd (set_close_on_exec); 0 or -EBADF. */
  setCloseOnExec(fd: number, on: boolean): number {
    if (this.get(fd) === null) return -EBADF;
    this.cloexec[fd] = on;
    return 0;
  }

  /** Closes fd: 0 or -EBADF. */
  close(fd: number): number {
    const f = this.get(fd);
    if (f === null) return -EBADF;
    this.slots[fd] = null;
    if (fd < this.lowestFree) this.lowestFree = fd;
    f.put();
    return 0;
  }

  /** Number of open fds. */
  get openCount(): number {
    let n = 0;
    for (const s of this.slots) if (s !== null) n++;
    return n;
  }

  /** Every open fd with its file. */
  entries(): [number, KFile][] {
    const out: [number, KFile][] = [];
    this.slots.forEach((f, fd) => {
      if (f !== null) out.push([fd, f]);
    });
    return out;
  }
}
