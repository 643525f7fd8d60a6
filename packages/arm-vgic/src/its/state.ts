/**
 * One ITS (`struct vgic_its`): its frame address, the command queue registers, the device and
 * collection BASERs, the table ABI revision, the device table (devices with their ITEs), the
 * collection list (in creation order, as KVM keeps and saves it) and the translation cache.
 * 64-bit registers are kept as u32 halves.
 * @packageDocumentation
 */
import type { MmioRegion } from '@kvmdev/core/plugin';
import {
  COLLECTION_NOT_MAPPED,
  GITS_BASER_TYPE_COLLECTION,
  GITS_BASER_TYPE_DEVICE,
  INITIAL_BASER_HI,
  INITIAL_BASER_LO,
} from './defs.js';

/** `struct its_collection`. */
export interface ItsCollection {
  readonly id: number;
  /** Target vCPU index (RDbase with GITS_TYPER.PTA = 0), or COLLECTION_NOT_MAPPED. */
  target: number;
}

/** `struct its_ite`. */
export interface ItsIte {
  readonly eventId: number;
  /** The LPI INTID. */
  readonly intid: number;
  /** Null after a MAPC V=0 of its collection (for good). */
  coll: ItsCollection | null;
}

/** `struct its_device`. */
export interface ItsDevice {
  readonly id: number;
  /** ITT base (256-byte aligned guest address). */
  readonly ittAddr: number;
  /** Size + 1 from MAPD: EventIDs below 2^numEventidBits. */
  readonly numEventidBits: number;
  /** ITEs by EventID, in mapping order. */
  readonly ites: Map<number, ItsIte>;
}

/** Whether a collection exists and is mapped to a redistributor (`its_is_collection_mapped`). */
export function collectionMapped(c: ItsCollection | null | undefined): c is ItsCollection {
  return c !== null && c !== undefined && c.target !== COLLECTION_NOT_MAPPED;
}

/** The MMIO region of an ITS frame (recognised as a doorbell by KVM_SIGNAL_MSI). */
export interface ItsRegion extends MmioRegion {
  readonly its: VgicIts;
}

/** One ITS device's state. */
export class VgicIts {
  /** A host-unique id for diagnostics (creation order in the VM). */
  readonly index: number;
  /** Frame base (KVM_VGIC_ITS_ADDR_TYPE), -1 while unset (VGIC_ADDR_UNDEF). */
  base = -1;
  enabled = false;
  cbaserLo = 0;
  cbaserHi = 0;
  creadr = 0;
  cwriter = 0;
  baserDevLo = INITIAL_BASER_LO;
  baserDevHi = INITIAL_BASER_HI | (GITS_BASER_TYPE_DEVICE << 24);
  baserCollLo = INITIAL_BASER_LO;
  baserCollHi = INITIAL_BASER_HI | (GITS_BASER_TYPE_COLLECTION << 24);
  /** Table ABI revision (GITS_IIDR.Revision). */
  abiRev = 0;
  /** Devices by DeviceID, in mapping order. */
  readonly devices = new Map<number, ItsDevice>();
  /** Collections in creation order (the order SAVE_TABLES writes them). */
  readonly collections: ItsCollection[] = [];
  /** The translation cache: (DeviceID << 16 | EventID) → LPI INTID. */
  readonly cache = new Map<number, number>();
  /** The frame on the VM's MMIO bus, once the address is set. */
  region: ItsRegion | null = null;

  constructor(index: number) {
    this.index = index;
  }

  /** find_collection. */
  collection(id: number): ItsCollection | undefined {
    for (const c of this.collections) if (c.id === id) return c;
    return undefined;
  }

  /** find_ite. */
  ite(devid: number, eventId: number): ItsIte | undefined {
    return this.devices.get(devid)?.ites.get(eventId);
  }
}

/** The translation cache key of (DeviceID, EventID) (vgic_its_cache_key). */
export function cacheKey(devid: number, eventId: number): number {
  return devid * 65536 + eventId;
}
