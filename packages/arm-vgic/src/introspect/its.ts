/**
 * The ITS introspection spec (KVM_DEV_TYPE_ARM_VGIC_ITS): its registers in device terms
 * (GITS_CTLR, GITS_IIDR, GITS_TYPER, the command queue, the device and collection BASERs), the
 * collection table (collection → target vCPU), the device table (DeviceID → ITT) and the
 * translations (DeviceID, EventID → LPI, with the LPI's pending / enable / priority), and raw
 * accesses to the ITS frame and to KVM_DEV_ARM_VGIC_GRP_ITS_REGS by register name.
 *
 * Registers are read with the model's own register handlers, the ones that serve the guest frame
 * and the ITS_REGS group (so they read the same values, also before the frame address is set,
 * when the group answers ENXIO); the tables, which KVM keeps in its own lists until
 * KVM_DEV_ARM_ITS_SAVE_TABLES writes them out, are read from the device's state as the model
 * keeps it. Nothing is written: no guest memory, no translation cache entry, no LPI.
 * @packageDocumentation
 */
import type { AccessReading, DeviceIntrospectSpec, DeviceView, IntrospectTarget, RawAccess, StateField, StateSection } from '@kvmdev/core/plugin';
import {
  COLLECTION_NOT_MAPPED,
  GITS_BASER,
  GITS_BASER_TYPE_COLLECTION,
  GITS_BASER_TYPE_DEVICE,
  GITS_CBASER,
  GITS_CIDR0,
  GITS_CREADR,
  GITS_CTLR,
  GITS_CTLR_ENABLE,
  GITS_CTLR_QUIESCENT,
  GITS_CWRITER,
  GITS_IDREGS_BASE,
  GITS_IIDR,
  GITS_PIDR0,
  GITS_PIDR4,
  GITS_TRANSLATER,
  GITS_TYPER,
  ITS_FRAME_SIZE,
} from '../its/defs.js';
import type { ItsDeviceState } from '../its/device.js';
import { findItsReg } from '../its/regs.js';
import { type ItsCollection, type VgicIts, cacheKey } from '../its/state.js';
import { baserAddress, baserEntrySize, baserIndirect, baserTableSize, baserType, baserValid } from '../its/tables.js';
import * as U from '../uapi.js';
import { hex } from './common.js';

const TWO32 = 4294967296;
const SZ_64K = 0x10000;
const ITS_REGS = U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS;
const CACHE = ['nCnB', 'nC', 'RaWt', 'RaWb', 'WaWt', 'WaWb', 'RaWaWt', 'RaWaWb'];
const SHARE = ['NonShareable', 'InnerShareable', 'OuterShareable', 'reserved'];

/** A register as u64 halves, read by the model's handler for frame offset `off`. */
function readReg(s: ItsDeviceState, off: number): [number, number] {
  const out = new Uint32Array(2);
  findItsReg(off)?.read(s.dist, s.its, off, out);
  return [out[0]!, out[1]!];
}

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const bytes = (n: number): string => (n >= 1 << 20 && n % (1 << 20) === 0 ? `${n >> 20} MiB` : n >= 1024 && n % 1024 === 0 ? `${n >> 10} KiB` : `${n} bytes`);

/** GITS_CTLR in words: `Enabled, Quiescent` / `disabled, not quiescent`. */
export function itsCtlrText(v: number): string {
  return `${v & GITS_CTLR_ENABLE ? 'Enabled' : 'disabled'}, ${v & GITS_CTLR_QUIESCENT ? 'Quiescent' : 'not quiescent'}`;
}

/** GITS_IIDR in words: the revision (the table ABI), the product and the implementer. */
export function itsIidrText(v: number): string {
  const product = (v >>> 24) & 0xff;
  const impl = v & 0xfff;
  return `Revision ${(v >>> 12) & 0xf} (table ABI rev ${(v >>> 12) & 0xf}), ProductID ${hex(product)}${product === U.PRODUCT_ID_KVM ? ' (KVM)' : ''}, Implementer ${hex(impl)}${impl === U.IMPLEMENTER_ARM ? ' (ARM)' : ''}`;
}

/** GITS_TYPER in words: Physical, the ITT entry size, EventID and DeviceID bits, PTA. */
export function itsTyperText(lo: number): string {
  const parts: string[] = [];
  if (lo & 1) parts.push('Physical');
  parts.push(`ITT entry ${((lo >>> 4) & 0xf) + 1} bytes`);
  parts.push(`${((lo >>> 8) & 0x1f) + 1} EventID bits`);
  parts.push(`${((lo >>> 13) & 0x1f) + 1} DeviceID bits`);
  parts.push((lo >>> 19) & 1 ? 'PTA 1 (RDbase is an address)' : 'PTA 0 (RDbase is a vCPU number)');
  return parts.join(', ');
}

/** GITS_CBASER in words: valid, the queue's address and size, its cacheability and shareability. */
export function itsCbaserText(lo: number, hi: number): string {
  const size = ((lo & 0xff) + 1) << 12;
  const addr = (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
  return `${hi >>> 31 ? 'Valid' : 'not valid'}, ${hex(addr)}, ${bytes(size)} (${size / 32} commands), ${CACHE[(hi >>> 27) & 7]}, ${SHARE[(lo >>> 10) & 3]}`;
}

/** The table a GITS_BASER describes: its type, validity, layout and size. */
export function itsBaserText(lo: number, hi: number): string {
  const type = baserType(hi);
  const name = type === GITS_BASER_TYPE_DEVICE ? 'device table' : type === GITS_BASER_TYPE_COLLECTION ? 'collection table' : 'not implemented';
  if (type !== GITS_BASER_TYPE_DEVICE && type !== GITS_BASER_TYPE_COLLECTION) return name;
  const esz = baserEntrySize(hi);
  const size = baserTableSize(lo);
  const indirect = baserIndirect(hi);
  const entries = indirect ? (size / 8) * Math.floor(SZ_64K / esz) : Math.floor(size / esz);
  const pages = size / SZ_64K;
  return (
    `${name}, ${baserValid(hi) ? 'Valid' : 'not valid'}, ${indirect ? 'two-level' : 'flat'}, ${esz}-byte entries, ` +
    `${pages} × 64 KiB page${pages === 1 ? '' : 's'} (${entries} ${indirect ? 'IDs' : 'entries'}), at ${hex(baserAddress(lo, hi))}`
  );
}

/** The name of the register at ITS frame offset `off` (`GITS_CBASER`, `GITS_BASER1 (high half)`, `GITS+0x40`). */
export function itsRegName(off: number): string {
  const half = (base: number) => (off - base === 4 ? ' (high half)' : '');
  if (off === GITS_CTLR) return 'GITS_CTLR';
  if (off === GITS_IIDR) return 'GITS_IIDR';
  if (off >= GITS_TYPER && off < GITS_TYPER + 8) return `GITS_TYPER${half(GITS_TYPER)}`;
  if (off >= GITS_CBASER && off < GITS_CBASER + 8) return `GITS_CBASER${half(GITS_CBASER)}`;
  if (off >= GITS_CWRITER && off < GITS_CWRITER + 8) return `GITS_CWRITER${half(GITS_CWRITER)}`;
  if (off >= GITS_CREADR && off < GITS_CREADR + 8) return `GITS_CREADR${half(GITS_CREADR)}`;
  if (off >= GITS_BASER && off < GITS_BASER + 64) {
    const n = (off - GITS_BASER) >> 3;
    return `GITS_BASER${n}${half(GITS_BASER + 8 * n)}`;
  }
  if (off >= GITS_IDREGS_BASE && off < 0x10000 && (off & 3) === 0) {
    if (off >= GITS_CIDR0) return `GITS_CIDR${(off - GITS_CIDR0) >> 2}`;
    if (off >= GITS_PIDR0) return `GITS_PIDR${(off - GITS_PIDR0) >> 2}`;
    if (off >= GITS_PIDR4) return `GITS_PIDR${4 + ((off - GITS_PIDR4) >> 2)}`;
  }
  if (off === GITS_TRANSLATER) return 'GITS_TRANSLATER';
  return `GITS+${hex(off)}`;
}

class ItsView implements DeviceView {
  private readonly t: IntrospectTarget;

  constructor(t: IntrospectTarget) {
    this.t = t;
  }

  /** The device's state (read each call: the device object is fixed, its fields change). */
  private get s(): ItsDeviceState {
    return this.t.device.device.state as ItsDeviceState;
  }

  /** `vCPU 1 (RDbase 1)` for a vCPU index, or what is wrong with it. */
  private vcpuText(index: number): string {
    const v = this.t.vcpus[index];
    return v === undefined ? `RDbase ${index} (no such vCPU)` : `vCPU ${v.id} (RDbase ${index})`;
  }

  private collectionText(c: ItsCollection | null): string {
    if (c === null) return 'no collection (its collection was unmapped)';
    if (c.target === COLLECTION_NOT_MAPPED) return `collection ${c.id} (not mapped)`;
    return `collection ${c.id} on ${this.vcpuText(c.target)}`;
  }

  private counts(its: VgicIts): { devices: number; collections: number; translations: number } {
    let translations = 0;
    for (const d of its.devices.values()) translations += d.ites.size;
    return { devices: its.devices.size, collections: its.collections.length, translations };
  }

  summary(): string {
    const its = this.s.its;
    const n = this.counts(its);
    const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
    return (
      `ITS ${its.base === -1 ? '(frame address not set)' : `at ${hex(its.base)}`}, ${its.enabled ? 'enabled' : 'disabled'}, ` +
      `${plural(n.devices, 'device')}, ${plural(n.collections, 'collection')}, ${plural(n.translations, 'translation')}`
    );
  }

  state(): StateSection[] {
    const s = this.s;
    const its = s.its;
    const reg = (off: number) => readReg(s, off);
    const [ctlr] = reg(GITS_CTLR);
    const [iidr] = reg(GITS_IIDR);
    const [typerLo, typerHi] = reg(GITS_TYPER);
    const [cbLo, cbHi] = reg(GITS_CBASER);
    const [creadr] = reg(GITS_CREADR);
    const [cwriter] = reg(GITS_CWRITER);
    const [b0Lo, b0Hi] = reg(GITS_BASER);
    const [b1Lo, b1Hi] = reg(GITS_BASER + 8);
    const f = (name: string, value: number | bigint, text: string): StateField => ({ name, value, text: `${hex(value)} (${text})` });
    const registers: StateField[] = [
      { name: 'frame', value: its.base === -1 ? 'not set' : its.base, text: its.base === -1 ? 'not set' : hex(its.base) },
      f('GITS_CTLR', ctlr, itsCtlrText(ctlr)),
      f('GITS_IIDR', iidr, itsIidrText(iidr)),
      f('GITS_TYPER', u64(typerLo, typerHi), itsTyperText(typerLo)),
      f('GITS_CBASER', u64(cbLo, cbHi), itsCbaserText(cbLo, cbHi)),
      { name: 'GITS_CREADR', value: creadr, text: `${hex(creadr)} (command ${creadr / 32})` },
      { name: 'GITS_CWRITER', value: cwriter, text: `${hex(cwriter)} (command ${cwriter / 32})` },
      f('GITS_BASER0', u64(b0Lo, b0Hi), itsBaserText(b0Lo, b0Hi)),
      f('GITS_BASER1', u64(b1Lo, b1Hi), itsBaserText(b1Lo, b1Hi)),
    ];
    const collections: StateField[] = [...its.collections]
      .sort((a, b) => a.id - b.id)
      .map((c) => {
        const mapped = c.target !== COLLECTION_NOT_MAPPED;
        const v = mapped ? this.t.vcpus[c.target] : undefined;
        return { name: `collection ${c.id}`, value: v === undefined ? (mapped ? c.target : 'not mapped') : v.id, text: mapped ? `→ ${this.vcpuText(c.target)}` : 'not mapped' };
      });
    const devs = [...its.devices.values()].sort((a, b) => a.id - b.id);
    const devices: StateField[] = devs.map((d) => {
      const events = 2 ** d.numEventidBits;
      const mapped = d.ites.size;
      return {
        name: `device ${d.id}`,
        value: mapped,
        text: `→ ITT ${hex(d.ittAddr)}, ${d.numEventidBits} EventID bits (${events} event${events === 1 ? '' : 's'}), ${mapped} event${mapped === 1 ? '' : 's'} mapped`,
      };
    });
    const lpis = s.dist.lpis;
    const translations: StateField[] = [];
    for (const d of devs) {
      for (const ite of [...d.ites.values()].sort((a, b) => a.eventId - b.eventId)) {
        const i = ite.intid;
        const exists = lpis.exists(i);
        const lpi = exists
          ? `${lpis.latch[i] ? 'pending' : 'not pending'}, ${lpis.enabled[i] ? 'enabled' : 'disabled'}, priority ${hex(lpis.priority[i]!, 2)}`
          : 'the LPI does not exist';
        const cached = its.cache.get(cacheKey(d.id, ite.eventId)) === i ? ', cached' : '';
        translations.push({ name: `device ${d.id} event ${ite.eventId}`, value: i, text: `→ LPI ${i}, ${this.collectionText(ite.coll)}, ${lpi}${cached}` });
      }
    }
    return [
      { title: 'registers', fields: registers },
      { title: 'collections', fields: collections },
      { title: 'devices', fields: devices },
      { title: 'translations', fields: translations },
    ];
  }

  /** What the register at `off` holds now, in words (null: nothing worth adding). */
  private regText(off: number): string | null {
    const s = this.s;
    const base = off & ~7;
    const [lo, hi] = readReg(s, off < GITS_TYPER ? off : base);
    if (off === GITS_CTLR) return itsCtlrText(lo);
    if (off === GITS_IIDR) return itsIidrText(lo);
    if (base === GITS_TYPER) return itsTyperText(lo);
    if (base === GITS_CBASER) return itsCbaserText(lo, hi);
    if (base === GITS_CWRITER || base === GITS_CREADR) return `GITS_CREADR ${hex(readReg(s, GITS_CREADR)[0])}, GITS_CWRITER ${hex(readReg(s, GITS_CWRITER)[0])}`;
    if (base === GITS_BASER || base === GITS_BASER + 8) return itsBaserText(lo, hi);
    return null;
  }

  describe(a: RawAccess): AccessReading | null {
    if (a.kind === 'mmio') {
      const its = this.s.its;
      if (its.base === -1) return null;
      const base = BigInt(its.base);
      if (a.addr < base || a.addr >= base + BigInt(ITS_FRAME_SIZE)) return null;
      const off = Number(a.addr - base);
      const reg = itsRegName(off);
      const now = findItsReg(off) === null ? null : this.regText(off);
      const v = a.value === null ? '' : ` = ${hex(a.value)}`;
      return {
        kind: 'access',
        text: `vCPU ${a.vcpu} ${a.op === 'read' ? 'reads' : 'writes'} ${reg}${v}${now === null ? '' : a.op === 'write' ? `: now ${now}` : ` (${now})`}`,
        data: { reg, frame: 'its', offset: hex(off) },
      };
    }
    if (a.kind === 'attr' && a.group === ITS_REGS && a.attr < 0x10000n) {
      const off = Number(a.attr);
      if (findItsReg(off) === null || a.errno !== null) return null;
      const reg = itsRegName(off);
      const now = this.regText(off);
      return { kind: 'access', text: now === null ? reg : `${reg}: ${a.op === 'set' ? 'now ' : ''}${now}`, data: { reg } };
    }
    return null;
  }
}

/** The ITS's introspection spec (`DeviceRegistration.introspect` of KVM_DEV_TYPE_ARM_VGIC_ITS). */
export const vgicItsIntrospect: DeviceIntrospectSpec = {
  open: (t) => new ItsView(t),
};
