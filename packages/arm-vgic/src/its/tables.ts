/**
 * The guest tables an ITS points at: GITS_BASER<n> decoding and vgic_its_check_id (is an ID
 * inside the device or collection table, flat or two-level, and is its entry in guest memory),
 * the ITT bound check, and 8-byte entry reads and writes.
 * @packageDocumentation
 */
import type { ItsDist } from './dist.js';
import {
  ABI_0_ESZ,
  GITS_BASER_TYPE_COLLECTION,
  GITS_BASER_TYPE_DEVICE,
  VITS_TYPER_DEVBITS,
} from './defs.js';
import type { ItsDevice } from './state.js';

const TWO32 = 4294967296;
const SZ_64K = 0x10000;

/** GITS_BASER_TYPE. */
export const baserType = (hi: number): number => (hi >>> 24) & 7;
/** GITS_BASER_VALID. */
export const baserValid = (hi: number): boolean => hi >>> 31 === 1;
/** GITS_BASER_INDIRECT. */
export const baserIndirect = (hi: number): boolean => ((hi >>> 30) & 1) === 1;
/** GITS_BASER_ENTRY_SIZE. */
export const baserEntrySize = (hi: number): number => ((hi >>> 16) & 0x1f) + 1;
/** GITS_BASER_NR_PAGES × 64 KiB: the (first-level) table size in bytes. */
export const baserTableSize = (lo: number): number => ((lo & 0xff) + 1) * SZ_64K;
/** GITS_BASER_ADDR_48_to_52 with 64 KiB pages: bits 47:16, and bits 51:48 from bits 15:12. */
export function baserAddress(lo: number, hi: number): number {
  return ((lo >>> 12) & 0xf) * 2 ** 48 + (hi & 0xffff) * TWO32 + ((lo & 0xffff0000) >>> 0);
}

/**
 * vgic_its_check_id: the guest address of ID `id`'s entry in the table of (lo, hi), or -1 when
 * the ID is out of the table's range, a two-level table has no valid second level for it, or the
 * entry is not in guest memory.
 */
export function checkId(d: ItsDist, lo: number, hi: number, id: number): number {
  const type = baserType(hi);
  if (type === GITS_BASER_TYPE_DEVICE) {
    if (id >= 2 ** VITS_TYPER_DEVBITS) return -1;
  } else if (type === GITS_BASER_TYPE_COLLECTION) {
    if (id >= 2 ** 16) return -1;
  } else return -1;
  const size = baserTableSize(lo);
  const base = baserAddress(lo, hi);
  const esz = baserEntrySize(hi);
  if (!baserIndirect(hi)) {
    if (id >= Math.floor(size / esz)) return -1;
    const addr = base + id * esz;
    return d.vm.memory.isVisible(addr) ? addr : -1;
  }
  const per = Math.floor(SZ_64K / esz);
  const index = Math.floor(id / per);
  if (index >= size / 8) return -1;
  const l1 = d.l1Scratch;
  if (d.vm.memory.readU64(base + index * 8, l1) < 0) return -1;
  if (l1[1]! >>> 31 === 0) return -1;
  const addr = (l1[1]! & 0xfffff) * TWO32 + ((l1[0]! & 0xffff0000) >>> 0) + (id % per) * esz;
  return d.vm.memory.isVisible(addr) ? addr : -1;
}

/** vgic_its_check_event_id: the ITE's guest address, or -1 (EventID beyond the ITT, or not in guest memory). */
export function checkEventId(d: ItsDist, dev: ItsDevice, eventId: number): number {
  if (eventId >= 2 ** dev.numEventidBits) return -1;
  const gpa = dev.ittAddr + eventId * ABI_0_ESZ;
  return d.vm.memory.isVisible(gpa) ? gpa : -1;
}

/** vgic_its_write_entry_lock: an 8-byte table entry, 0 or -EFAULT. */
export function writeEntry(d: ItsDist, gpa: number, lo: number, hi: number): number {
  return d.vm.memory.writeU64(gpa, lo, hi);
}
