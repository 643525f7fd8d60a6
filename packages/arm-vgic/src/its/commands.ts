/**
 * The command queue (vgic_its_process_commands) and every command KVM handles: MAPD, MAPC, MAPTI,
 * MAPI, MOVI, DISCARD, CLEAR, INV, INVALL, INT, MOVALL, SYNC. A command that fails (unmapped
 * device or collection, an ID out of range, an unknown opcode, a queue entry outside guest
 * memory) has no effect and is not reported: CREADR moves on, there is no stall and no status
 * register. Commands are processed only while the ITS is enabled, up to CWRITER, wrapping at the
 * end of the queue.
 * @packageDocumentation
 */
import type { ItsDist } from './dist.js';
import {
  COLLECTION_NOT_MAPPED,
  E_ITS_CLEAR_UNMAPPED_INTERRUPT,
  E_ITS_DISCARD_UNMAPPED_INTERRUPT,
  E_ITS_INVALL_UNMAPPED_COLLECTION,
  E_ITS_INV_UNMAPPED_INTERRUPT,
  E_ITS_MAPC_COLLECTION_OOR,
  E_ITS_MAPC_PROCNUM_OOR,
  E_ITS_MAPD_DEVICE_OOR,
  E_ITS_MAPD_ITTSIZE_OOR,
  E_ITS_MAPTI_ID_OOR,
  E_ITS_MAPTI_PHYSICALID_OOR,
  E_ITS_MAPTI_UNMAPPED_DEVICE,
  E_ITS_MOVALL_PROCNUM_OOR,
  E_ITS_MOVI_UNMAPPED_COLLECTION,
  E_ITS_MOVI_UNMAPPED_INTERRUPT,
  GIC_LPI_OFFSET,
  GITS_CMD_CLEAR,
  GITS_CMD_DISCARD,
  GITS_CMD_INT,
  GITS_CMD_INV,
  GITS_CMD_INVALL,
  GITS_CMD_MAPC,
  GITS_CMD_MAPD,
  GITS_CMD_MAPI,
  GITS_CMD_MAPTI,
  GITS_CMD_MOVALL,
  GITS_CMD_MOVI,
  GITS_CMD_SYNC,
  ITS_CMD_SIZE,
  VITS_TYPER_IDBITS,
} from './defs.js';
import { addLpi, maxLpis, putLpi, refileLpi, setLpiTarget, updateLpiConfig } from './lpis.js';
import { type ItsCollection, type ItsDevice, type VgicIts, collectionMapped } from './state.js';
import { checkEventId, checkId, writeEntry } from './tables.js';

const TWO32 = 4294967296;

/** ITS_CMD_BUFFER_SIZE: (CBASER.Size + 1) pages of 4 KiB. */
export function cmdBufferSize(its: VgicIts): number {
  return ((its.cbaserLo & 0xff) + 1) << 12;
}

/** GITS_CBASER_ADDRESS: bits 51:12. */
function cbaserAddress(its: VgicIts): number {
  return (its.cbaserHi & 0xfffff) * TWO32 + ((its.cbaserLo & 0xfffff000) >>> 0);
}

/** One decoded command, reused. */
interface Cmd {
  /** The eight u32 words of the 32-byte command. */
  readonly w: Uint32Array;
}

const op = (c: Cmd): number => c.w[0]! & 0xff;
const deviceId = (c: Cmd): number => c.w[1]!;
const eventId = (c: Cmd): number => c.w[2]!;
const size = (c: Cmd): number => (c.w[2]! & 0x1f) + 1;
const physicalId = (c: Cmd): number => c.w[3]!;
const collectionId = (c: Cmd): number => c.w[4]! & 0xffff;
const ittAddr = (c: Cmd): number => (c.w[5]! & 0xfffff) * TWO32 + ((c.w[4]! & 0xffffff00) >>> 0);
const targetAddr = (c: Cmd): number => ((c.w[4]! >>> 16) | ((c.w[5]! & 0xffff) << 16)) >>> 0;
const validBit = (c: Cmd): boolean => c.w[5]! >>> 31 === 1;
const target2Addr = (c: Cmd): number => ((c.w[6]! >>> 16) | ((c.w[7]! & 0xffff) << 16)) >>> 0;

const cmdBytes = new Uint8Array(ITS_CMD_SIZE);
const cmdView = new DataView(cmdBytes.buffer);
const cmd: Cmd = { w: new Uint32Array(8) };

/**
 * vgic_its_process_commands: runs the queue from CREADR to CWRITER while the ITS is enabled.
 * A queue entry that cannot be read is skipped.
 */
export function processCommands(d: ItsDist, its: VgicIts): void {
  if (!its.enabled) return;
  const base = cbaserAddress(its);
  const end = cmdBufferSize(its);
  while (its.cwriter !== its.creadr) {
    if (d.vm.memory.read(base + its.creadr, cmdBytes, 0, ITS_CMD_SIZE) === 0) {
      for (let i = 0; i < 8; i++) cmd.w[i] = cmdView.getUint32(4 * i, true);
      handleCommand(d, its, cmd);
    }
    its.creadr += ITS_CMD_SIZE;
    if (its.creadr >= end) its.creadr = 0;
  }
}

/** vgic_its_handle_command: 0, a positive E_ITS_* or -errno (all invisible to the guest). */
export function handleCommand(d: ItsDist, its: VgicIts, c: Cmd): number {
  switch (op(c)) {
    case GITS_CMD_MAPD:
      return mapd(d, its, c);
    case GITS_CMD_MAPC:
      return mapc(d, its, c);
    case GITS_CMD_MAPI:
    case GITS_CMD_MAPTI:
      return mapti(d, its, c);
    case GITS_CMD_MOVI:
      return movi(d, its, c);
    case GITS_CMD_DISCARD:
      return discard(d, its, c);
    case GITS_CMD_CLEAR:
      return clear(d, its, c);
    case GITS_CMD_MOVALL:
      return movall(d, c);
    case GITS_CMD_INT:
      return d.trigger(its, deviceId(c), eventId(c));
    case GITS_CMD_INV:
      return inv(d, its, c);
    case GITS_CMD_INVALL:
      return invall(d, its, c);
    case GITS_CMD_SYNC:
      return 0; // always in sync
    default:
      return -19; // -ENODEV: not a command KVM emulates
  }
}

/** its_free_ite. */
function freeIte(d: ItsDist, dev: ItsDevice, eventIdOf: number): void {
  const ite = dev.ites.get(eventIdOf);
  if (ite === undefined) return;
  dev.ites.delete(eventIdOf);
  putLpi(d, ite.intid);
}

/** vgic_its_free_device: every ITE goes (the ITT memory stays), then the translation cache. */
export function freeDevice(d: ItsDist, its: VgicIts, dev: ItsDevice): void {
  for (const e of [...dev.ites.keys()]) freeIte(d, dev, e);
  its.cache.clear();
  its.devices.delete(dev.id);
}

/** vgic_its_free_collection: the collection goes; its ITEs keep no collection. */
export function freeCollection(its: VgicIts, id: number): void {
  const c = its.collection(id);
  if (c === undefined) return;
  for (const dev of its.devices.values()) for (const ite of dev.ites.values()) if (ite.coll === c) ite.coll = null;
  its.collections.splice(its.collections.indexOf(c), 1);
}

/** vgic_its_alloc_collection (unmapped). */
function allocCollection(its: VgicIts, id: number): ItsCollection {
  const c: ItsCollection = { id, target: COLLECTION_NOT_MAPPED };
  its.collections.push(c);
  return c;
}

/** MAPD: maps DeviceID to an ITT (V=1), or unmaps it and zeroes its device table entry (V=0). */
function mapd(d: ItsDist, its: VgicIts, c: Cmd): number {
  const id = deviceId(c);
  const valid = validBit(c);
  const bits = size(c);
  const gpa = checkId(d, its.baserDevLo, its.baserDevHi, id);
  if (gpa < 0) return E_ITS_MAPD_DEVICE_OOR;
  if (valid && bits > VITS_TYPER_IDBITS) return E_ITS_MAPD_ITTSIZE_OOR;
  const dev = its.devices.get(id);
  // MAPD of a mapped device drops its ITEs (re-established empty)
  if (dev !== undefined) freeDevice(d, its, dev);
  if (!valid) return writeEntry(d, gpa, 0, 0);
  its.devices.set(id, { id, ittAddr: ittAddr(c), numEventidBits: bits, ites: new Map() });
  return 0;
}

/** MAPC: maps a collection to a redistributor (V=1; retargets its LPIs), or unmaps it (V=0). */
function mapc(d: ItsDist, its: VgicIts, c: Cmd): number {
  const valid = validBit(c);
  const id = collectionId(c);
  const target = targetAddr(c);
  if (target >= d.vm.vcpus.length) return E_ITS_MAPC_PROCNUM_OOR;
  if (!valid) {
    freeCollection(its, id);
    its.cache.clear();
    return 0;
  }
  let coll = its.collection(id);
  if (coll === undefined) {
    if (checkId(d, its.baserCollLo, its.baserCollHi, id) < 0) return E_ITS_MAPC_COLLECTION_OOR;
    coll = allocCollection(its, id);
    coll.target = target;
    return 0;
  }
  coll.target = target;
  // update_affinity_collection
  for (const dev of its.devices.values()) for (const ite of dev.ites.values()) if (ite.coll === coll) setLpiTarget(d, ite.intid, target);
  return 0;
}

/** MAPTI / MAPI: maps (DeviceID, EventID) to an LPI in a collection (created unmapped if new). */
function mapti(d: ItsDist, its: VgicIts, c: Cmd): number {
  const devid = deviceId(c);
  const ev = eventId(c);
  const collId = collectionId(c);
  const dev = its.devices.get(devid);
  if (dev === undefined) return E_ITS_MAPTI_UNMAPPED_DEVICE;
  if (checkEventId(d, dev, ev) < 0) return E_ITS_MAPTI_ID_OOR;
  const intid = op(c) === GITS_CMD_MAPTI ? physicalId(c) : ev;
  if (intid < GIC_LPI_OFFSET || intid >= maxLpis(d.propbaserLo())) return E_ITS_MAPTI_PHYSICALID_OOR;
  // an existing mapping: UNPREDICTABLE, KVM keeps the old one
  if (dev.ites.has(ev)) return 0;
  let coll = its.collection(collId);
  let fresh = false;
  if (coll === undefined) {
    if (checkId(d, its.baserCollLo, its.baserCollHi, collId) < 0) return E_ITS_MAPC_COLLECTION_OOR;
    coll = allocCollection(its, collId);
    fresh = true;
  }
  const vcpu = collectionMapped(coll) ? coll.target : -1;
  const r = addLpi(d, intid, vcpu);
  if (r < 0) {
    if (fresh) freeCollection(its, collId);
    return r;
  }
  dev.ites.set(ev, { eventId: ev, intid, coll });
  return 0;
}

/** MOVI: moves one ITE (and its LPI) to another mapped collection. */
function movi(d: ItsDist, its: VgicIts, c: Cmd): number {
  const ite = its.ite(deviceId(c), eventId(c));
  if (ite === undefined) return E_ITS_MOVI_UNMAPPED_INTERRUPT;
  if (!collectionMapped(ite.coll)) return E_ITS_MOVI_UNMAPPED_COLLECTION;
  const coll = its.collection(collectionId(c));
  if (!collectionMapped(coll)) return E_ITS_MOVI_UNMAPPED_COLLECTION;
  ite.coll = coll;
  its.cache.clear();
  setLpiTarget(d, ite.intid, coll.target);
  return 0;
}

/** DISCARD: removes an ITE (of a mapped collection) and zeroes its ITT entry. */
function discard(d: ItsDist, its: VgicIts, c: Cmd): number {
  const devid = deviceId(c);
  const ev = eventId(c);
  const dev = its.devices.get(devid);
  const ite = dev?.ites.get(ev);
  if (dev === undefined || ite === undefined || !collectionMapped(ite.coll)) return E_ITS_DISCARD_UNMAPPED_INTERRUPT;
  its.cache.clear();
  freeIte(d, dev, ev);
  return writeEntry(d, dev.ittAddr + ev * 8, 0, 0);
}

/** CLEAR: the LPI's pending state goes. */
function clear(d: ItsDist, its: VgicIts, c: Cmd): number {
  const ite = its.ite(deviceId(c), eventId(c));
  if (ite === undefined) return E_ITS_CLEAR_UNMAPPED_INTERRUPT;
  d.lpis.latch[ite.intid] = 0;
  refileLpi(d, ite.intid);
  return 0;
}

/** INV: re-reads the LPI's property byte. */
function inv(d: ItsDist, its: VgicIts, c: Cmd): number {
  const ite = its.ite(deviceId(c), eventId(c));
  if (ite === undefined) return E_ITS_INV_UNMAPPED_INTERRUPT;
  return updateLpiConfig(d, ite.intid, -1);
}

/** INVALL: re-reads the property byte of every LPI targeting the collection's vCPU (of any ITS). */
function invall(d: ItsDist, its: VgicIts, c: Cmd): number {
  const coll = its.collection(collectionId(c));
  if (!collectionMapped(coll)) return E_ITS_INVALL_UNMAPPED_COLLECTION;
  d.invAll(coll.target);
  return 0;
}

/** MOVALL: every LPI of the VM targeting RDbase 1 now targets RDbase 2 (their collections stay). */
function movall(d: ItsDist, c: Cmd): number {
  const t1 = targetAddr(c);
  const t2 = target2Addr(c);
  const n = d.vm.vcpus.length;
  if (t1 >= n || t2 >= n) return E_ITS_MOVALL_PROCNUM_OOR;
  if (t1 === t2) return 0;
  for (const intid of d.lpis.list(t1)) setLpiTarget(d, intid, t2);
  d.invalidateAllCaches();
  return 0;
}
