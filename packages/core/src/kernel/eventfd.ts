/**
 * The eventfd object (fs/eventfd.c): a u64 counter behind an fd. write(2) adds to it, read(2)
 * takes it (or 1 of it with EFD_SEMAPHORE), and every change wakes the waiters queued on it, such
 * as KVM's irqfds. The counter is kept as two u32 halves so that the full u64 range is exact and
 * no bigint is made on the signalling path.
 * @packageDocumentation
 */
import { EAGAIN, EINVAL } from '../uapi/errno.js';
import { EFD_NONBLOCK, EFD_SEMAPHORE } from '../uapi/eventfd.js';

const TWO32 = 4294967296;

/** Something queued on an eventfd's wait queue (`wait_queue_entry`). */
export interface EventFdWaiter {
  /** EPOLLIN: the counter was written. The waiter may consume it (`eventfd_ctx_do_read`). */
  wake(ev: EventFd): void;
  /** EPOLLHUP: the last fd of the eventfd was closed. */
  hangup(ev: EventFd): void;
}

/** `struct eventfd_ctx`. */
export class EventFd {
  /** Counter bits 31:0. */
  lo: number;
  /** Counter bits 63:32. */
  hi: number;
  /** EFD_SEMAPHORE: a read returns 1 and decrements, instead of returning and clearing the counter. */
  readonly semaphore: boolean;
  /** O_NONBLOCK of the open file. */
  nonblock: boolean;
  /** Set once the last fd is closed. */
  released = false;
  private waiters: EventFdWaiter[] = [];

  constructor(initval: number, flags: number) {
    this.lo = initval >>> 0;
    this.hi = 0;
    this.semaphore = (flags & EFD_SEMAPHORE) !== 0;
    this.nonblock = (flags & EFD_NONBLOCK) !== 0;
  }

  /** Whether the counter is non-zero (EPOLLIN). */
  get readable(): boolean {
    return this.lo !== 0 || this.hi !== 0;
  }

  /** The counter as a bigint (for tools; allocates). */
  get count(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** add_wait_queue. */
  addWaiter(w: EventFdWaiter): void {
    this.waiters = [...this.waiters, w];
  }

  /** remove_wait_queue. */
  removeWaiter(w: EventFdWaiter): void {
    this.waiters = this.waiters.filter((x) => x !== w);
  }

  /** Number of queued waiters. */
  get waiterCount(): number {
    return this.waiters.length;
  }

  /**
   * write(2) of the u64 `hi:lo`: 8 (bytes written), or -EINVAL for ULLONG_MAX, or -EAGAIN when
   * the counter would overflow (a blocking writer would sleep; there is no other thread here to
   * ever drain it, so it gets EAGAIN too). Wakes the waiters even for a zero value, as the kernel.
   */
  write(lo: number, hi: number): number {
    lo >>>= 0;
    hi >>>= 0;
    if (lo === 0xffffffff && hi === 0xffffffff) return -EINVAL;
    // room = ULLONG_MAX - count must be > value
    const roomHi = 0xffffffff - this.hi;
    const roomLo = 0xffffffff - this.lo;
    if (!(roomHi > hi || (roomHi === hi && roomLo > lo))) return -EAGAIN;
    this.add(lo, hi);
    this.wakeAll();
    return 8;
  }

  /** eventfd_signal: adds 1 (saturating at ULLONG_MAX) and wakes the waiters. */
  signal(): void {
    if (!(this.lo === 0xffffffff && this.hi === 0xffffffff)) this.add(1, 0);
    this.wakeAll();
  }

  /**
   * read(2) into `out` ([lo, hi]): 8, or -EAGAIN on a zero counter (a blocking reader would sleep
   * forever with no other thread to write: it gets EAGAIN as well).
   */
  read(out: Uint32Array): number {
    if (!this.readable) return -EAGAIN;
    this.doRead(out);
    return 8;
  }

  /** eventfd_ctx_do_read: takes the counter (or 1 of it with EFD_SEMAPHORE) into `out`. */
  doRead(out: Uint32Array): void {
    if (this.semaphore) {
      out[0] = 1;
      out[1] = 0;
      if (this.lo === 0) {
        this.hi = (this.hi - 1) >>> 0;
        this.lo = 0xffffffff;
      } else this.lo = (this.lo - 1) >>> 0;
    } else {
      out[0] = this.lo;
      out[1] = this.hi;
      this.lo = 0;
      this.hi = 0;
    }
  }

  /** eventfd_release: the last fd went; the waiters see EPOLLHUP. */
  release(): void {
    this.released = true;
    const ws = this.waiters;
    for (let i = 0; i < ws.length; i++) ws[i]!.hangup(this);
  }

  private add(lo: number, hi: number): void {
    const s = this.lo + lo;
    this.lo = s >>> 0;
    this.hi = (this.hi + hi + (s >= TWO32 ? 1 : 0)) >>> 0;
  }

  private wakeAll(): void {
    const ws = this.waiters;
    for (let i = 0; i < ws.length; i++) ws[i]!.wake(this);
  }
}
