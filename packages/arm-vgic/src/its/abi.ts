/**
 * The ITS table ABI rev 0 (arm-vgic-its.rst): KVM_DEV_ARM_ITS_SAVE_TABLES writes the device table
 * (one DTE per device, indexed by DeviceID, each with the DeviceID offset to the next), every
 * ITT (one ITE per EventID with the EventID offset to the next, the pINTID and the ICID) and the
 * collection table (a list of CTEs in creation order, ended by a zero entry unless full) into
 * guest memory; KVM_DEV_ARM_ITS_RESTORE_TABLES reads them back (collections first) and rebuilds
 * the devices, ITEs and LPIs. All entries are 8 bytes, little-endian.
 * @packageDocumentation
 */
import { EEXIST, EINVAL } from '@kvmdev/core';
import { freeCollection, freeDevice } from './commands.js';
import {
  ABI_0_ESZ,
  COLLECTION_NOT_MAPPED,
  GIC_LPI_OFFSET,
  GITS_LVL1_ENTRY_SIZE,
  VITS_DTE_MAX_DEVID_OFFSET,
  VITS_ITE_MAX_EVENTID_OFFSET,
} from './defs.js';
import type { ItsDist } from './dist.js';
import { addLpi } from './lpis.js';
import { type ItsDevice, type VgicIts, collectionMapped } from './state.js';
import { baserAddress, baserIndirect, baserTableSize, baserValid, checkEventId, checkId, writeEntry } from './tables.js';

const TWO32 = 4294967296;
const SZ_64K = 0x10000;
const ent = new Uint32Array(2);

// ------------------------------------------------------------------ save

/** vgic_its_save_tables_v0: 0 or -errno (EINVAL for a device outside the table, EFAULT). */
export function saveTables(d: ItsDist, its: VgicIts): number {
  const r = saveDeviceTables(d, its);
  if (r < 0) return r;
  return saveCollectionTable(d, its);
}

function saveDeviceTables(d: ItsDist, its: VgicIts): number {
  if (!baserValid(its.baserDevHi)) return 0;
  const devs = [...its.devices.values()].sort((a, b) => a.id - b.id);
  for (let i = 0; i < devs.length; i++) {
    const dev = devs[i]!;
    const eaddr = checkId(d, its.baserDevLo, its.baserDevHi, dev.id);
    if (eaddr < 0) return -EINVAL;
    const r = saveItt(d, dev);
    if (r < 0) return r;
    const next = i + 1 < devs.length ? Math.min(devs[i + 1]!.id - dev.id, VITS_DTE_MAX_DEVID_OFFSET) : 0;
    // DTE: V[63] | next[62:49] | ITT_addr[51:8] in [48:5] | Size-1 [4:0]
    const itt = Math.floor(dev.ittAddr / 256); // 44 bits
    const ittLo = itt % TWO32;
    const ittHi = Math.floor(itt / TWO32);
    const lo = ((ittLo << 5) | (dev.numEventidBits - 1)) >>> 0;
    const hi = ((1 << 31) | (next << 17) | ((ittLo >>> 27) | (ittHi << 5))) >>> 0;
    const w = writeEntry(d, eaddr, lo, hi);
    if (w < 0) return w;
  }
  return 0;
}

function saveItt(d: ItsDist, dev: ItsDevice): number {
  const ites = [...dev.ites.values()].sort((a, b) => a.eventId - b.eventId);
  for (let i = 0; i < ites.length; i++) {
    const ite = ites[i]!;
    // an ITE whose collection was unmapped for good has no ICID to save; KVM would dereference
    // NULL here, kvmdev skips the entry (see the README)
    if (ite.coll === null) continue;
    const next = i + 1 < ites.length ? Math.min(ites[i + 1]!.eventId - ite.eventId, VITS_ITE_MAX_EVENTID_OFFSET) : 0;
    // ITE: next[63:48] | pINTID[47:16] | ICID[15:0]
    const lo = (((ite.intid & 0xffff) << 16) | ite.coll.id) >>> 0;
    const hi = ((next << 16) | (ite.intid >>> 16)) >>> 0;
    const w = writeEntry(d, dev.ittAddr + ite.eventId * ABI_0_ESZ, lo, hi);
    if (w < 0) return w;
  }
  return 0;
}

function saveCollectionTable(d: ItsDist, its: VgicIts): number {
  if (!baserValid(its.baserCollHi)) return 0;
  let gpa = baserAddress(its.baserCollLo, its.baserCollHi);
  const max = baserTableSize(its.baserCollLo);
  let filled = 0;
  for (const c of its.collections) {
    // CTE: V[63] | RDBase[51:16] | ICID[15:0] (an unmapped collection saves RDBase 0xffffffff)
    const t = c.target >>> 0;
    const w = writeEntry(d, gpa, ((t << 16) | c.id) >>> 0, ((1 << 31) | (t >>> 16)) >>> 0);
    if (w < 0) return w;
    gpa += ABI_0_ESZ;
    filled += ABI_0_ESZ;
  }
  if (filled === max) return 0;
  return writeEntry(d, gpa, 0, 0);
}

// ------------------------------------------------------------------ restore

/** vgic_its_restore_tables_v0: 0 or -errno (EINVAL for inconsistent tables, EFAULT, EEXIST). */
export function restoreTables(d: ItsDist, its: VgicIts): number {
  let r = restoreCollectionTable(d, its);
  if (r < 0) return r;
  r = restoreDeviceTables(d, its);
  if (r < 0) for (const c of [...its.collections]) freeCollection(its, c.id);
  return r;
}

function restoreCollectionTable(d: ItsDist, its: VgicIts): number {
  if (!baserValid(its.baserCollHi)) return 0;
  let gpa = baserAddress(its.baserCollLo, its.baserCollHi);
  const max = baserTableSize(its.baserCollLo);
  let ret = 1;
  for (let read = 0; read < max; read += ABI_0_ESZ, gpa += ABI_0_ESZ) {
    ret = restoreCte(d, its, gpa);
    if (ret <= 0) break;
  }
  if (ret > 0) return 0;
  if (ret < 0) for (const c of [...its.collections]) freeCollection(its, c.id);
  return ret;
}

/** vgic_its_restore_cte: 1 (restored), 0 (end of table) or -errno. */
function restoreCte(d: ItsDist, its: VgicIts, gpa: number): number {
  const r = d.vm.memory.readU64(gpa, ent);
  if (r < 0) return r;
  const lo = ent[0]!;
  const hi = ent[1]!;
  if (hi >>> 31 === 0) return 0;
  const target = ((lo >>> 16) | ((hi & 0xffff) << 16)) >>> 0; // (u32)(val >> 16)
  const id = lo & 0xffff;
  if (target !== COLLECTION_NOT_MAPPED && target >= d.vm.vcpus.length) return -EINVAL;
  if (its.collection(id) !== undefined) return -EEXIST;
  if (checkId(d, its.baserCollLo, its.baserCollHi, id) < 0) return -EINVAL;
  its.collections.push({ id, target });
  return 1;
}

type EntryFn = (id: number, lo: number, hi: number) => number;

/**
 * scan_its_table: reads `esz`-byte entries from `base` and calls `fn` with each entry's ID; `fn`
 * returns the ID offset to the next entry, 0 for the last one, or -errno. 1 when the table ended
 * without a last entry, else `fn`'s last answer.
 */
function scanTable(d: ItsDist, base: number, size: number, esz: number, startId: number, fn: EntryFn): number {
  let len = size;
  let id = startId;
  let gpa = base;
  for (;;) {
    const r = d.vm.memory.readU64(gpa, ent);
    if (r < 0) return r;
    const next = fn(id, ent[0]!, ent[1]!);
    if (next <= 0) return next;
    const byteOff = next * esz;
    if (byteOff >= len) break;
    id += next;
    gpa += byteOff;
    len -= byteOff;
  }
  return 1;
}

function restoreDeviceTables(d: ItsDist, its: VgicIts): number {
  const lo = its.baserDevLo;
  const hi = its.baserDevHi;
  if (!baserValid(hi)) return 0;
  const l1 = baserAddress(lo, hi);
  const size = baserTableSize(lo);
  let r: number;
  if (baserIndirect(hi)) {
    r = scanTable(d, l1, size, GITS_LVL1_ENTRY_SIZE, 0, (id, elo, ehi) => {
      if (ehi >>> 31 === 0) return 1;
      const gpa = (ehi & 0xfffff) * TWO32 + ((elo & 0xffff0000) >>> 0);
      return scanTable(d, gpa, SZ_64K, ABI_0_ESZ, id * (SZ_64K / ABI_0_ESZ), (i, a, b) => restoreDte(d, its, i, a, b));
    });
  } else {
    r = scanTable(d, l1, size, ABI_0_ESZ, 0, (id, a, b) => restoreDte(d, its, id, a, b));
  }
  if (r > 0) r = 0;
  if (r < 0) for (const dev of [...its.devices.values()]) freeDevice(d, its, dev);
  return r;
}

/** vgic_its_restore_dte: the DeviceID offset to the next DTE, 0 for the last, 1 for an invalid entry, or -errno. */
function restoreDte(d: ItsDist, its: VgicIts, id: number, lo: number, hi: number): number {
  if (hi >>> 31 === 0) return 1;
  const bits = (lo & 0x1f) + 1;
  const itt = ((lo >>> 5) + ((hi & 0x1ffff) % 2 ** 17) * 2 ** 27) * 256; // ITT_addr [48:5] << 8
  const next = (hi >>> 17) & 0x3fff;
  if (checkId(d, its.baserDevLo, its.baserDevHi, id) < 0) return -EINVAL;
  const dev: ItsDevice = { id, ittAddr: itt, numEventidBits: bits, ites: new Map() };
  its.devices.set(id, dev);
  const r = restoreItt(d, its, dev);
  if (r < 0) {
    freeDevice(d, its, dev);
    return r;
  }
  return next;
}

function restoreItt(d: ItsDist, its: VgicIts, dev: ItsDevice): number {
  const max = 2 ** dev.numEventidBits * ABI_0_ESZ;
  const r = scanTable(d, dev.ittAddr, max, ABI_0_ESZ, 0, (ev, lo, hi) => restoreIte(d, its, dev, ev, lo, hi));
  return Math.min(r, 0);
}

/** vgic_its_restore_ite. */
function restoreIte(d: ItsDist, its: VgicIts, dev: ItsDevice, ev: number, lo: number, hi: number): number {
  const collId = lo & 0xffff;
  const intid = ((lo >>> 16) | ((hi & 0xffff) << 16)) >>> 0;
  if (intid === 0) return 1; // invalid entry: scan the next one
  if (intid < GIC_LPI_OFFSET) return -EINVAL;
  const offset = hi >>> 16;
  if (ev + offset >= 2 ** dev.numEventidBits) return -EINVAL;
  const coll = its.collection(collId);
  if (coll === undefined) return -EINVAL;
  if (checkEventId(d, dev, ev) < 0) return -EINVAL;
  const r = addLpi(d, intid, collectionMapped(coll) ? coll.target : -1);
  if (r < 0) return r;
  dev.ites.set(ev, { eventId: ev, intid, coll });
  return offset;
}
