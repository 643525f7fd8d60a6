/**
 * The typed API's eventfd: a handle on an eventfd of a host, with the counter as a bigint at the
 * edges and an allocation-free `signal()` for the hot path (a device raising its interrupt
 * through an irqfd).
 * @packageDocumentation
 */
import type { EventFd } from '../kernel/eventfd.js';
import { KvmError, check } from '../uapi/errors.js';
import { EBADF } from '../uapi/errno.js';
import type { Host } from './host.js';

const TWO32 = 4294967296;

/** A handle on an eventfd (from `host.createEventFd()`); methods throw KvmError. */
export class EventFdHandle {
  /** The host whose fd table holds the eventfd. */
  readonly host: Host;
  /** The eventfd's fd in the host's fd table (what KVM_IRQFD takes). */
  readonly fd: number;
  private readonly out = new Uint32Array(2);

  constructor(host: Host, fd: number) {
    this.host = host;
    this.fd = fd;
  }

  /** The kernel object behind the fd (throws EBADF once the fd is closed or reused for something else). */
  get eventfd(): EventFd {
    const f = this.host.files.get(this.fd);
    if (f === null || f.target.kind !== 'eventfd') throw new KvmError(EBADF, `fd ${this.fd} is not an eventfd`);
    return f.target.eventfd;
  }

  /** write(2) of `value` (a u64) to the counter; EAGAIN when it would overflow, EINVAL for ULLONG_MAX. */
  write(value: bigint | number): void {
    let lo: number;
    let hi: number;
    if (typeof value === 'number') {
      lo = value >>> 0;
      hi = Math.floor(value / TWO32) >>> 0;
    } else {
      const v = BigInt.asUintN(64, value);
      lo = Number(v & 0xffffffffn);
      hi = Number(v >> 32n);
    }
    check(this.host.eventfdWrite(this.eventfd, lo, hi), 'eventfd write');
  }

  /** write(2) of 1: what a device model does to raise its interrupt. No allocation. */
  signal(): void {
    const r = this.host.eventfdWrite(this.eventfd, 1, 0);
    if (r < 0) throw new KvmError(-r, 'eventfd write');
  }

  /** read(2): the counter (or 1 with EFD_SEMAPHORE), which is consumed; EAGAIN when it is 0. */
  read(): bigint {
    check(this.eventfd.read(this.out), 'eventfd read');
    return (BigInt(this.out[1]!) << 32n) | BigInt(this.out[0]!);
  }

  /** The counter without consuming it (what poll(2) would tell: non-zero means readable). */
  peek(): bigint {
    return this.eventfd.count;
  }

  /** close(2). */
  close(): void {
    check(this.host.files.close(this.fd), 'close');
  }
}
