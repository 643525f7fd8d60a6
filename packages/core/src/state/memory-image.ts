/**
 * The guest memory image of a snapshot: the VM's memory slots (id, address space, flags, guest
 * address, size) and their contents, read and written through the VMM's own mapping of each slot
 * (the user memory at `userspace_addr`), as a VMM dumps and reloads guest RAM. Only pages that
 * hold a nonzero byte are stored, as runs of consecutive pages in base64, so sparse memory stays
 * small. In-kernel devices put their state into guest memory before the image is taken (ITS
 * tables, LPI pending bits: the spec's `prepare`), and a restore loads the image before any
 * device, as arm-vgic-its.rst's restore sequence requires ("restore all guest memory" first).
 * @packageDocumentation
 */
import type { MemSlot } from '../kernel/memslots.js';
import type { UserMemory } from '../kernel/mem.js';
import type { Vm } from '../kernel/vm.js';
import { KvmError, showValue } from '../uapi/errors.js';
import { EFAULT, EINVAL } from '../uapi/errno.js';
import { KVM_PAGE_SIZE } from '../uapi/kvm.js';

/** One run of consecutive pages with content. */
export interface SnapshotMemoryRun {
  /** Byte offset of the run in its slot, page aligned, as a hex string. */
  offset: string;
  /** Number of pages in the run. */
  pages: number;
  /** The run's bytes (`pages` × the page size), base64. */
  data: string;
}

/** One memory slot and its contents; pages not covered by a run are zero. */
export interface SnapshotMemorySlot {
  /** The `slot` field of KVM_SET_USER_MEMORY_REGION: address space << 16 | slot id. */
  slot: number;
  /** The region's flags (KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY). */
  flags: number;
  /** Guest physical base, hex. */
  guestPhysAddr: string;
  /** Size in bytes, hex. */
  memorySize: string;
  /** The nonzero pages, in address order, not overlapping. */
  runs: SnapshotMemoryRun[];
}

/** A VM's guest memory in a snapshot. */
export interface SnapshotMemory {
  /** The page size the runs are counted in (4096). */
  pageSize: number;
  /** Every memory slot of every address space, by address space then guest address. */
  slots: SnapshotMemorySlot[];
}

// ------------------------------------------------------------------ base64 (no Buffer: core runs in browsers)

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function toBase64(b: Uint8Array): string {
  const parts: string[] = [];
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += B64[v >>> 18]! + B64[(v >>> 12) & 63]! + B64[(v >>> 6) & 63]! + B64[v & 63]!;
    if (s.length >= 8192) {
      parts.push(s);
      s = '';
    }
  }
  const rest = b.length - i;
  if (rest === 1) {
    const v = b[i]! << 16;
    s += `${B64[v >>> 18]!}${B64[(v >>> 12) & 63]!}==`;
  } else if (rest === 2) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8);
    s += `${B64[v >>> 18]!}${B64[(v >>> 12) & 63]!}${B64[(v >>> 6) & 63]!}=`;
  }
  parts.push(s);
  return parts.join('');
}

/** Decodes strict base64 (padding required), or null when it is not base64. */
function fromBase64(s: string): Uint8Array | null {
  if (s.length % 4 !== 0) return null;
  let pad = 0;
  if (s.length > 0 && s.charCodeAt(s.length - 1) === 61) pad = s.charCodeAt(s.length - 2) === 61 ? 2 : 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      if (last && c === 61 && k >= 4 - pad) {
        v <<= 6;
        continue;
      }
      const d = c < 128 ? B64_INDEX[c]! : -1;
      if (d < 0) return null;
      v = (v << 6) | d;
    }
    out[o++] = v >>> 16;
    if (o < out.length) out[o++] = (v >>> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

// ------------------------------------------------------------------ save

const hex = (v: number): string => `0x${v.toString(16)}`;

/** Every slot of every address space, by address space then guest address. */
function allSlots(vm: Vm): MemSlot[] {
  const out: MemSlot[] = [];
  for (let as = 0; as < vm.memslots.config.addressSpaces; as++) out.push(...vm.memslots.list(as));
  return out;
}

/** Whether the VM has any memory slot (a snapshot without slots carries no memory image). */
export function hasGuestMemory(vm: Vm): boolean {
  return allSlots(vm).length > 0;
}

/**
 * Reads the guest memory of every slot through the VMM's mapping, keeping the pages that hold a
 * nonzero byte as runs. Throws KvmError EFAULT when a slot's backing is not mapped.
 */
export function captureGuestMemory(vm: Vm, mem: UserMemory): ParsedMemory {
  const page = new Uint8Array(KVM_PAGE_SIZE);
  const words = new Uint32Array(page.buffer);
  const slots: ParsedMemory['slots'][number][] = [];
  for (const s of allSlots(vm)) {
    const runs: { offset: number; data: Uint8Array }[] = [];
    const n = s.size / KVM_PAGE_SIZE;
    let start = -1;
    let chunks: Uint8Array[] = [];
    const close = (end: number): void => {
      const buf = new Uint8Array((end - start) * KVM_PAGE_SIZE);
      chunks.forEach((c, i) => buf.set(c, i * KVM_PAGE_SIZE));
      runs.push({ offset: start * KVM_PAGE_SIZE, data: buf });
      start = -1;
      chunks = [];
    };
    for (let p = 0; p < n; p++) {
      if (!mem.copyOut(s.userspaceAddr + p * KVM_PAGE_SIZE, page, 0, KVM_PAGE_SIZE))
        throw new KvmError(EFAULT, `memory slot ${slotField(s)}: the user memory behind guest page ${hex(s.gpa + p * KVM_PAGE_SIZE)} is not mapped`);
      let nonzero = false;
      for (let i = 0; i < words.length; i++) {
        if (words[i] !== 0) {
          nonzero = true;
          break;
        }
      }
      if (nonzero) {
        if (start < 0) start = p;
        chunks.push(page.slice());
      } else if (start >= 0) close(p);
    }
    if (start >= 0) close(n);
    slots.push({ slot: slotField(s), flags: s.flags, gpa: s.gpa, size: s.size, runs });
  }
  return { slots };
}

/** The JSON form of a captured image. */
export function encodeGuestMemory(img: ParsedMemory): SnapshotMemory {
  return {
    pageSize: KVM_PAGE_SIZE,
    slots: img.slots.map((s) => ({
      slot: s.slot,
      flags: s.flags,
      guestPhysAddr: hex(s.gpa),
      memorySize: hex(s.size),
      runs: s.runs.map((r) => ({ offset: hex(r.offset), pages: r.data.length / KVM_PAGE_SIZE, data: toBase64(r.data) })),
    })),
  };
}

/** The pages (by guest address) whose contents differ between two images of the same slot layout, and slot changes. */
export function diffGuestMemory(a: ParsedMemory, b: ParsedMemory): string[] {
  const out: string[] = [];
  const pagesOf = (runs: ParsedMemory['slots'][number]['runs']): Map<number, Uint8Array> => {
    const m = new Map<number, Uint8Array>();
    for (const r of runs) for (let o = 0; o < r.data.length; o += KVM_PAGE_SIZE) m.set(r.offset + o, r.data.subarray(o, o + KVM_PAGE_SIZE));
    return m;
  };
  const same = (x: Uint8Array | undefined, y: Uint8Array | undefined): boolean => {
    if (!x || !y) return x === y;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  };
  const slotsB = new Map(b.slots.map((s) => [s.slot, s]));
  for (const sa of a.slots) {
    const sb = slotsB.get(sa.slot);
    slotsB.delete(sa.slot);
    if (!sb) {
      out.push(`memory slot ${sa.slot}: removed`);
      continue;
    }
    if (sa.gpa !== sb.gpa || sa.size !== sb.size || sa.flags !== sb.flags) {
      out.push(`memory slot ${sa.slot}: ${hex(sa.gpa)}+${hex(sa.size)} flags ${sa.flags} -> ${hex(sb.gpa)}+${hex(sb.size)} flags ${sb.flags}`);
      continue;
    }
    const pa = pagesOf(sa.runs);
    const pb = pagesOf(sb.runs);
    const changed: number[] = [];
    for (const off of new Set([...pa.keys(), ...pb.keys()])) if (!same(pa.get(off), pb.get(off))) changed.push(off);
    changed.sort((x, y) => x - y);
    if (changed.length) {
      const list = changed.slice(0, 8).map((o) => hex(sa.gpa + o)).join(', ');
      out.push(`memory slot ${sa.slot}: ${changed.length} page${changed.length === 1 ? ' differs' : 's differ'} (${list}${changed.length > 8 ? ', ...' : ''})`);
    }
  }
  for (const sb of slotsB.values()) out.push(`memory slot ${sb.slot}: added`);
  return out;
}

function slotField(s: MemSlot): number {
  return ((s.asId << 16) | s.id) >>> 0;
}

// ------------------------------------------------------------------ parse

/** A decoded memory image: each slot's runs as bytes at page offsets. */
export interface ParsedMemory {
  readonly slots: readonly {
    readonly slot: number;
    readonly flags: number;
    readonly gpa: number;
    readonly size: number;
    readonly runs: readonly { readonly offset: number; readonly data: Uint8Array }[];
  }[];
}

/** A snapshot field that is wrong: `path` names it (the snapshot engine turns it into a SnapshotError). */
export class MemoryImageError extends KvmError {
  readonly path: string;
  /** What is wrong, without the path. */
  readonly detail: string;
  constructor(path: string, detail: string) {
    super(EINVAL, `${path}: ${detail}`);
    this.name = 'MemoryImageError';
    this.path = path;
    this.detail = detail;
  }
}

const HEX = /^0x[0-9a-f]{1,16}$/i;

function hexField(path: string, v: unknown): number {
  if (typeof v !== 'string' || !HEX.test(v)) throw new MemoryImageError(path, `expected a hex string like "0x1000", got ${showValue(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new MemoryImageError(path, `${v} is beyond 2^53`);
  return n;
}

/** Checks and decodes a snapshot's `memory` field; throws MemoryImageError naming the field. */
export function parseGuestMemory(data: unknown, path = '$.memory'): ParsedMemory {
  const o = data as Record<string, unknown>;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new MemoryImageError(path, 'expected an object');
  if (o.pageSize !== KVM_PAGE_SIZE) throw new MemoryImageError(`${path}.pageSize`, `expected ${KVM_PAGE_SIZE}, got ${showValue(o.pageSize)}`);
  if (!Array.isArray(o.slots)) throw new MemoryImageError(`${path}.slots`, 'expected an array');
  const seen = new Set<number>();
  const slots = o.slots.map((x: unknown, i: number) => {
    const p = `${path}.slots[${i}]`;
    const so = x as Record<string, unknown>;
    if (typeof x !== 'object' || x === null) throw new MemoryImageError(p, 'expected an object');
    if (!Number.isInteger(so.slot) || (so.slot as number) < 0 || (so.slot as number) > 0xffffffff) throw new MemoryImageError(`${p}.slot`, 'expected a u32 slot number');
    if (seen.has(so.slot as number)) throw new MemoryImageError(`${p}.slot`, `slot ${so.slot as number} appears twice`);
    seen.add(so.slot as number);
    if (!Number.isInteger(so.flags) || (so.flags as number) < 0) throw new MemoryImageError(`${p}.flags`, 'expected a u32');
    const gpa = hexField(`${p}.guestPhysAddr`, so.guestPhysAddr);
    const size = hexField(`${p}.memorySize`, so.memorySize);
    if (size === 0 || size % KVM_PAGE_SIZE !== 0) throw new MemoryImageError(`${p}.memorySize`, `${so.memorySize as string} is not a nonzero multiple of the page size`);
    if (!Array.isArray(so.runs)) throw new MemoryImageError(`${p}.runs`, 'expected an array');
    let end = 0;
    const runs = so.runs.map((r: unknown, j: number) => {
      const rp = `${p}.runs[${j}]`;
      const ro = r as Record<string, unknown>;
      if (typeof r !== 'object' || r === null) throw new MemoryImageError(rp, 'expected an object');
      const offset = hexField(`${rp}.offset`, ro.offset);
      if (offset % KVM_PAGE_SIZE !== 0) throw new MemoryImageError(`${rp}.offset`, `${ro.offset as string} is not page aligned`);
      if (offset < end) throw new MemoryImageError(`${rp}.offset`, `${ro.offset as string} overlaps the previous run or is out of order`);
      if (!Number.isInteger(ro.pages) || (ro.pages as number) <= 0) throw new MemoryImageError(`${rp}.pages`, 'expected a positive page count');
      const len = (ro.pages as number) * KVM_PAGE_SIZE;
      if (offset + len > size) throw new MemoryImageError(rp, `${ro.pages as number} pages at ${ro.offset as string} run past the slot's end (${so.memorySize as string})`);
      if (typeof ro.data !== 'string') throw new MemoryImageError(`${rp}.data`, 'expected a base64 string');
      const bytes = fromBase64(ro.data);
      if (bytes === null) throw new MemoryImageError(`${rp}.data`, 'is not base64');
      if (bytes.length !== len) throw new MemoryImageError(`${rp}.data`, `holds ${bytes.length} bytes, ${ro.pages as number} pages are ${len} (truncated image)`);
      end = offset + len;
      return { offset, data: bytes };
    });
    return { slot: so.slot as number, flags: so.flags as number, gpa, size, runs };
  });
  return { slots };
}

// ------------------------------------------------------------------ restore

/**
 * Checks that the VM has exactly the image's slots (same slot number, flags, guest address and
 * size; the user address may differ) and that their backing is mapped writable; throws
 * MemoryImageError naming the first difference. Nothing is written.
 */
export function checkGuestMemory(vm: Vm, mem: UserMemory, img: ParsedMemory, path = '$.memory'): void {
  const here = allSlots(vm);
  const desc = (list: readonly { slot: number; gpa: number; size: number }[]): string =>
    list.map((s) => `${s.slot}@${hex(s.gpa)}+${hex(s.size)}`).join(', ') || 'none';
  if (here.length !== img.slots.length)
    throw new MemoryImageError(`${path}.slots`, `the snapshot has memory slots [${desc(img.slots)}], this VM has [${desc(here.map((s) => ({ slot: slotField(s), gpa: s.gpa, size: s.size })))}]`);
  img.slots.forEach((s, i) => {
    const h = here.find((x) => slotField(x) === s.slot);
    const p = `${path}.slots[${i}]`;
    if (!h) throw new MemoryImageError(`${p}.slot`, `this VM has no memory slot ${s.slot}`);
    if (h.gpa !== s.gpa) throw new MemoryImageError(`${p}.guestPhysAddr`, `${hex(s.gpa)} in the snapshot, ${hex(h.gpa)} here`);
    if (h.size !== s.size) throw new MemoryImageError(`${p}.memorySize`, `${hex(s.size)} in the snapshot, ${hex(h.size)} here`);
    if (h.flags !== s.flags) throw new MemoryImageError(`${p}.flags`, `${s.flags} in the snapshot, ${h.flags} here`);
    if (!mem.okWrite(h.userspaceAddr, h.size)) throw new MemoryImageError(p, `the user memory behind slot ${s.slot} is not mapped writable`);
  });
}

/** Writes a checked image into the VM's slots through the VMM's mapping: the runs, zero elsewhere. */
export function loadGuestMemory(vm: Vm, mem: UserMemory, img: ParsedMemory): void {
  const here = allSlots(vm);
  for (const s of img.slots) {
    const h = here.find((x) => slotField(x) === s.slot)!;
    let at = 0;
    for (const r of s.runs) {
      if (r.offset > at) mem.fill(h.userspaceAddr + at, r.offset - at, 0);
      mem.write(h.userspaceAddr + r.offset, r.data);
      at = r.offset + r.data.length;
    }
    if (at < h.size) mem.fill(h.userspaceAddr + at, h.size - at, 0);
  }
}
