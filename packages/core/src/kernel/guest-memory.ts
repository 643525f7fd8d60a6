/**
 * Guest-physical memory as in-kernel devices see it (kvm_read_guest / kvm_write_guest): an access
 * is split at page boundaries, each page is looked up in the VM's memory slots (address space 0)
 * and copied from or to the backing user memory. A page with no slot, a user page that is not
 * mapped, or a write to a KVM_MEM_READONLY slot gives -EFAULT; pages before it in the same
 * access are already copied, as in the kernel. A write to a dirty-logging slot marks its pages.
 * Nothing allocates.
 * @packageDocumentation
 */
import { EFAULT } from '../uapi/errno.js';
import { KVM_MEM_READONLY, KVM_PAGE_SIZE } from '../uapi/kvm.js';
import type { UserMemory } from './mem.js';
import type { MemSlots } from './memslots.js';

const PAGE = KVM_PAGE_SIZE;
const TWO32 = 4294967296;

/** A VM's guest-physical memory, over its memory slots and the process's user memory. */
export class GuestMemory {
  private readonly slots: MemSlots;
  private readonly mem: UserMemory;
  /** Scratch for the u32/u64 accessors. */
  private readonly buf = new Uint8Array(8);
  private readonly view = new DataView(this.buf.buffer);

  constructor(slots: MemSlots, mem: UserMemory) {
    this.slots = slots;
    this.mem = mem;
  }

  /** kvm_is_visible_gfn: whether the page holding `gpa` is in a memory slot. */
  isVisible(gpa: number): boolean {
    return this.slots.find(gpa) !== null;
  }

  /** kvm_read_guest into `dst[off, off+len)`: 0 or -EFAULT. */
  read(gpa: number, dst: Uint8Array, off: number, len: number): number {
    let done = 0;
    while (done < len) {
      const a = gpa + done;
      const n = Math.min(len - done, PAGE - (a % PAGE));
      const s = this.slots.find(a);
      if (s === null || !this.mem.copyOut(s.userspaceAddr + (a - s.gpa), dst, off + done, n)) return -EFAULT;
      done += n;
    }
    return 0;
  }

  /** kvm_write_guest from `src[off, off+len)`: 0 or -EFAULT (also for a read-only slot). */
  write(gpa: number, src: Uint8Array, off: number, len: number): number {
    let done = 0;
    while (done < len) {
      const a = gpa + done;
      const n = Math.min(len - done, PAGE - (a % PAGE));
      const s = this.slots.find(a);
      if (s === null || s.flags & KVM_MEM_READONLY || !this.mem.copyIn(s.userspaceAddr + (a - s.gpa), src, off + done, n)) return -EFAULT;
      const d = s.dirty;
      if (d !== null) {
        const page = ((a - s.gpa) / PAGE) | 0;
        d[page >>> 5] = (d[page >>> 5]! | (1 << (page & 31))) >>> 0;
      }
      done += n;
    }
    return 0;
  }

  /** One byte: the value (0..255) or -EFAULT. */
  readU8(gpa: number): number {
    const r = this.read(gpa, this.buf, 0, 1);
    return r < 0 ? r : this.buf[0]!;
  }

  /** Writes one byte: 0 or -EFAULT. */
  writeU8(gpa: number, value: number): number {
    this.buf[0] = value;
    return this.write(gpa, this.buf, 0, 1);
  }

  /**
   * A little-endian u64 into `out[0]` (bits 31:0) and `out[1]` (bits 63:32): 0 or -EFAULT
   * (`out` untouched then).
   */
  readU64(gpa: number, out: Uint32Array): number {
    const r = this.read(gpa, this.buf, 0, 8);
    if (r < 0) return r;
    out[0] = this.view.getUint32(0, true);
    out[1] = this.view.getUint32(4, true);
    return 0;
  }

  /** Writes a little-endian u64 given as halves: 0 or -EFAULT. */
  writeU64(gpa: number, lo: number, hi: number): number {
    this.view.setUint32(0, lo >>> 0, true);
    this.view.setUint32(4, hi >>> 0, true);
    return this.write(gpa, this.buf, 0, 8);
  }

  /** A u64 as a bigint, or null on a fault (for tools and tests; allocates). */
  peekU64(gpa: number): bigint | null {
    const o = new Uint32Array(2);
    return this.readU64(gpa, o) < 0 ? null : BigInt(o[1]!) * BigInt(TWO32) + BigInt(o[0]!);
  }
}
