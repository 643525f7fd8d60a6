/**
 * `UserMemory`: the user address space of a simulated process. Structs live at numeric
 * addresses; accesses are little-endian; NULL (the first page) and unmapped addresses fault
 * with EFAULT. It can be built over a caller's ArrayBuffer or WebAssembly.Memory.
 * @packageDocumentation
 */
import { KvmError } from '../uapi/errors.js';
import { EFAULT, ENOMEM } from '../uapi/errno.js';

/** Options for {@link UserMemory}. */
export interface UserMemoryOptions {
  /** Wrap this buffer instead of owning growable memory. */
  buffer?: ArrayBuffer | SharedArrayBuffer | WebAssembly.Memory;
  /** Addresses below this fault (default 4096 for owned memory, 8 for a wrapped buffer). */
  nullGuard?: number;
  /** Where `alloc` starts in a wrapped buffer (default: half of it, leaving the low half to the caller). */
  heapStart?: number;
  /** Upper bound for owned memory in bytes (default 1 GiB). */
  maxBytes?: number;
}

const TWO32 = 4294967296;

/** A simulated user address space. */
export class UserMemory {
  private view: DataView;
  private bytes: Uint8Array;
  private readonly wasm: WebAssembly.Memory | null;
  private readonly owned: boolean;
  private readonly nullGuard: number;
  private readonly maxBytes: number;
  private top: number;
  private brk: number;
  /** Read-only ranges [start, end) (like a page mapped PROT_READ); writes to them fault. */
  private readonly ro: number[] = [];

  constructor(options: UserMemoryOptions = {}) {
    const b = options.buffer;
    this.wasm = typeof WebAssembly !== 'undefined' && b instanceof WebAssembly.Memory ? b : null;
    this.owned = b === undefined;
    const buf: ArrayBufferLike = this.wasm ? this.wasm.buffer : b ? (b as ArrayBufferLike) : new ArrayBuffer(65536);
    this.view = new DataView(buf);
    this.bytes = new Uint8Array(buf);
    this.nullGuard = options.nullGuard ?? (this.owned ? 4096 : 8);
    this.maxBytes = options.maxBytes ?? 1 << 30;
    if (this.owned) {
      this.top = this.nullGuard;
      this.brk = this.nullGuard;
    } else {
      this.top = buf.byteLength;
      this.brk = options.heapStart ?? Math.max(this.nullGuard, (buf.byteLength >>> 1) & ~7);
    }
  }

  /** Allocates `size` zero-filled bytes, 8-aligned, at a nonzero address. */
  alloc(size: number): number {
    if (!Number.isInteger(size) || size < 0) throw new KvmError(ENOMEM, `bad allocation size ${String(size)}`);
    const addr = (this.brk + 7) & ~7;
    const end = addr + Math.max(size, 1);
    if (this.owned) {
      if (end > this.maxBytes) throw new KvmError(ENOMEM, 'user memory exhausted');
      this.ensure(end);
      this.top = end;
    } else {
      this.refresh();
      if (end > this.view.byteLength) throw new KvmError(ENOMEM, 'wrapped buffer exhausted');
      this.bytes.fill(0, addr, end);
    }
    this.brk = end;
    return addr;
  }

  /**
   * mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS): `length` zero-filled
   * bytes at a page-aligned (4 KiB) address, e.g. the host side of a guest RAM memory slot.
   */
  mmap(length: number): number {
    if (!Number.isInteger(length) || length <= 0) throw new KvmError(ENOMEM, `bad mapping length ${String(length)}`);
    const saved = this.brk;
    this.brk = Math.ceil(this.brk / 4096) * 4096;
    try {
      return this.alloc(Math.ceil(length / 4096) * 4096);
    } catch (e) {
      this.brk = saved;
      throw e;
    }
  }

  /** True when `[addr, addr+len)` is mapped. Never throws. */
  ok(addr: number, len: number): boolean {
    if (!(addr >= this.nullGuard) || addr !== Math.floor(addr)) return false;
    const end = addr + len;
    if (end <= this.top) return true;
    if (this.owned) return false;
    this.refresh();
    return end <= this.top;
  }

  /** True when `[addr, addr+len)` is mapped and writable. Never throws. */
  okWrite(addr: number, len: number): boolean {
    if (!this.ok(addr, len)) return false;
    const ro = this.ro;
    for (let i = 0; i < ro.length; i += 2) if (addr < ro[i + 1]! && addr + len > ro[i]!) return false;
    return true;
  }

  /** Makes `[addr, addr+len)` read-only (writes fault with EFAULT), like mprotect(PROT_READ). */
  protect(addr: number, len: number): void {
    this.ro.push(addr, addr + len);
  }

  /** Makes every range writable again. */
  unprotectAll(): void {
    this.ro.length = 0;
  }

  /** Converts a u64 user pointer to an address, or -1 when it cannot be a mapped address. */
  static ptr(addr: bigint | number): number {
    if (typeof addr === 'number') return addr;
    return addr > 0x1fffffffffffffn || addr < 0n ? -1 : Number(addr);
  }

  private fault(addr: number, len: number): never {
    throw new KvmError(EFAULT, `bad address 0x${addr.toString(16)} (+${len})`);
  }

  /** Reads a u8; throws KvmError EFAULT on an unmapped address. */
  getU8(addr: number): number {
    if (!this.ok(addr, 1)) this.fault(addr, 1);
    return this.view.getUint8(addr);
  }
  /** Writes a u8; EFAULT on an unmapped or read-only address. */
  setU8(addr: number, v: number): void {
    if (!this.okWrite(addr, 1)) this.fault(addr, 1);
    this.view.setUint8(addr, v);
  }
  /** Reads a little-endian u16; EFAULT on an unmapped address. */
  getU16(addr: number): number {
    if (!this.ok(addr, 2)) this.fault(addr, 2);
    return this.view.getUint16(addr, true);
  }
  /** Writes a little-endian u16; EFAULT on an unmapped or read-only address. */
  setU16(addr: number, v: number): void {
    if (!this.okWrite(addr, 2)) this.fault(addr, 2);
    this.view.setUint16(addr, v, true);
  }
  /** Reads a little-endian u32; EFAULT on an unmapped address. */
  getU32(addr: number): number {
    if (!this.ok(addr, 4)) this.fault(addr, 4);
    return this.view.getUint32(addr, true);
  }
  /** Writes a little-endian u32 (the low 32 bits of `v`); EFAULT on an unmapped or read-only address. */
  setU32(addr: number, v: number): void {
    if (!this.okWrite(addr, 4)) this.fault(addr, 4);
    this.view.setUint32(addr, v >>> 0, true);
  }
  /** Reads a little-endian s32; EFAULT on an unmapped address. */
  getI32(addr: number): number {
    if (!this.ok(addr, 4)) this.fault(addr, 4);
    return this.view.getInt32(addr, true);
  }
  /** Reads a little-endian u64 as a bigint; EFAULT on an unmapped address. */
  getU64(addr: number): bigint {
    if (!this.ok(addr, 8)) this.fault(addr, 8);
    return this.view.getBigUint64(addr, true);
  }
  /** Writes a little-endian u64 (a number must be a safe integer); EFAULT on an unmapped or read-only address. */
  setU64(addr: number, v: bigint | number): void {
    if (!this.okWrite(addr, 8)) this.fault(addr, 8);
    if (typeof v === 'number') {
      this.view.setUint32(addr, v >>> 0, true);
      this.view.setUint32(addr + 4, Math.floor(v / TWO32) >>> 0, true);
    } else {
      // setBigUint64 takes the value modulo 2^64 itself (ToBigUint64): no intermediate bigint
      this.view.setBigUint64(addr, v, true);
    }
  }
  /** Low 32 bits of the u64 at `addr` (no bigint). */
  getU64Lo(addr: number): number {
    if (!this.ok(addr, 8)) this.fault(addr, 8);
    return this.view.getUint32(addr, true);
  }
  /** High 32 bits of the u64 at `addr` (no bigint). */
  getU64Hi(addr: number): number {
    if (!this.ok(addr, 8)) this.fault(addr, 8);
    return this.view.getUint32(addr + 4, true);
  }
  /** Whether the u64 at `addr` has the halves `lo` and `hi` (u32 each); one bounds check, no bigint. */
  u64Is(addr: number, lo: number, hi: number): boolean {
    if (!this.ok(addr, 8)) this.fault(addr, 8);
    const view = this.view;
    return view.getUint32(addr, true) === lo && view.getUint32(addr + 4, true) === hi;
  }
  /** Writes a u64 given as two u32 halves (no bigint). */
  setU64Parts(addr: number, lo: number, hi: number): void {
    if (!this.okWrite(addr, 8)) this.fault(addr, 8);
    this.view.setUint32(addr, lo >>> 0, true);
    this.view.setUint32(addr + 4, hi >>> 0, true);
  }
  /** Fills `[addr, addr+len)` with `byte`. */
  fill(addr: number, len: number, byte: number): void {
    if (!this.okWrite(addr, len)) this.fault(addr, len);
    this.bytes.fill(byte, addr, addr + len);
  }
  /** Copies bytes out of user memory. */
  read(addr: number, len: number): Uint8Array {
    if (!this.ok(addr, len)) this.fault(addr, len);
    return this.bytes.slice(addr, addr + len);
  }
  /** copy_from_user into `dst[off, off+len)`: false (nothing copied) when the range is not mapped. No allocation. */
  copyOut(addr: number, dst: Uint8Array, off: number, len: number): boolean {
    if (!this.ok(addr, len)) return false;
    const b = this.bytes;
    if (len <= 64) for (let i = 0; i < len; i++) dst[off + i] = b[addr + i]!;
    else dst.set(b.subarray(addr, addr + len), off);
    return true;
  }
  /** copy_to_user from `src[off, off+len)`: false (nothing copied) when the range is not mapped writable. No allocation. */
  copyIn(addr: number, src: Uint8Array, off: number, len: number): boolean {
    if (!this.okWrite(addr, len)) return false;
    const b = this.bytes;
    if (len <= 64) for (let i = 0; i < len; i++) b[addr + i] = src[off + i]!;
    else b.set(src.subarray(off, off + len), addr);
    return true;
  }
  /** Copies bytes into user memory. */
  write(addr: number, data: Uint8Array): void {
    if (!this.okWrite(addr, data.length)) this.fault(addr, data.length);
    this.bytes.set(data, addr);
  }

  private refresh(): void {
    if (this.wasm && this.wasm.buffer !== this.view.buffer) {
      this.view = new DataView(this.wasm.buffer);
      this.bytes = new Uint8Array(this.wasm.buffer);
      this.top = this.view.byteLength;
    }
  }

  private ensure(end: number): void {
    if (end <= this.view.byteLength) return;
    let n = this.view.byteLength;
    while (n < end) n *= 2;
    const next = new Uint8Array(Math.min(n, this.maxBytes));
    next.set(this.bytes);
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
}
