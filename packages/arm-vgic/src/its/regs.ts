/**
 * The ITS register table (vgic-its.c `its_registers`): one entry per register with its offset,
 * length, whether 64-bit accesses are allowed, and its handlers, serving both the guest's MMIO
 * frame and KVM_DEV_ARM_VGIC_GRP_ITS_REGS. Values are u64 halves. The guest may access every
 * register with 32 bits and the 64-bit ones with 64 bits, naturally aligned; any other access, and
 * any offset without a register (GITS_TRANSLATER included), reads 0 and ignores writes.
 * @packageDocumentation
 */
import { EBUSY, EINVAL } from '@kvmdev/core';
import type { MmioRegion } from '@kvmdev/core/plugin';
import { IMPLEMENTER_ARM, PRODUCT_ID_KVM } from '../uapi.js';
import { cmdBufferSize, freeCollection, freeDevice, processCommands } from './commands.js';
import {
  ABI_0_ESZ,
  GIC_BASER_CACHE_RaWb,
  GIC_BASER_CACHE_SameAsInner,
  GIC_BASER_CACHE_nC,
  GIC_BASER_CACHE_nCnB,
  GIC_BASER_InnerShareable,
  GIC_BASER_OuterShareable,
  GITS_BASER,
  GITS_BASER_TYPE_COLLECTION,
  GITS_BASER_TYPE_DEVICE,
  GITS_CBASER,
  GITS_CIDR0,
  GITS_CIDR1,
  GITS_CIDR2,
  GITS_CIDR3,
  GITS_CREADR,
  GITS_CTLR,
  GITS_CTLR_ENABLE,
  GITS_CTLR_QUIESCENT,
  GITS_CWRITER,
  GITS_IDREGS_BASE,
  GITS_IIDR,
  GITS_IIDR_PRODUCTID_SHIFT,
  GITS_IIDR_REV_SHIFT,
  GITS_PIDR0,
  GITS_PIDR1,
  GITS_PIDR2,
  GITS_PIDR4,
  GITS_TYPER,
  GITS_TYPER_VALUE,
  NR_ITS_ABIS,
} from './defs.js';
import type { ItsDist } from './dist.js';
import type { ItsRegion, VgicIts } from './state.js';
import { baserValid } from './tables.js';

/** One ITS register. */
export interface ItsReg {
  readonly name: string;
  readonly off: number;
  readonly len: number;
  /** 64-bit accesses allowed (VGIC_ACCESS_64bit); 32-bit ones always are. */
  readonly acc64: boolean;
  /** The whole register (u64 halves into `out[0]`, `out[1]`) for an access at frame offset `off`. */
  read(d: ItsDist, its: VgicIts, off: number, out: Uint32Array): void;
  /** A write of `len` (4 or 8) bytes of `lo`/`hi` at frame offset `off`. */
  write(d: ItsDist, its: VgicIts, off: number, len: number, lo: number, hi: number): void;
  /** The userspace write, when it differs (0 or -errno). */
  uwrite?(d: ItsDist, its: VgicIts, off: number, lo: number, hi: number): number;
}

/** update_64bit_reg into `m`: the halves after a write of `len` bytes at byte `byteOff` (0 or 4) of the register. */
const m = new Uint32Array(2);
function merge(curLo: number, curHi: number, byteOff: number, len: number, lo: number, hi: number): Uint32Array {
  if (len === 8) {
    m[0] = lo;
    m[1] = hi;
  } else if (byteOff & 4) {
    m[0] = curLo;
    m[1] = lo;
  } else {
    m[0] = lo;
    m[1] = curHi;
  }
  return m;
}

/** vgic_sanitise_shareability / inner / outer cacheability of a BASER-style register (halves in `r`). */
function sanitise(r: Uint32Array): void {
  let lo = r[0]!;
  let hi = r[1]!;
  const sh = (lo >>> 10) & 3;
  if (sh === GIC_BASER_OuterShareable) lo = (lo & ~(3 << 10)) | (GIC_BASER_InnerShareable << 10);
  const ic = (hi >>> 27) & 7;
  if (ic === GIC_BASER_CACHE_nCnB || ic === GIC_BASER_CACHE_nC) hi = (hi & ~(7 << 27)) | (GIC_BASER_CACHE_RaWb << 27);
  const oc = (hi >>> 21) & 7;
  if (oc !== GIC_BASER_CACHE_SameAsInner && oc !== GIC_BASER_CACHE_nC) hi = (hi & ~(7 << 21)) | (GIC_BASER_CACHE_SameAsInner << 21);
  r[0] = lo >>> 0;
  r[1] = hi >>> 0;
}

/** vgic_its_set_abi + vgic_its_commit_v0: the BASERs' entry sizes follow the ABI. */
export function setAbi(its: VgicIts, rev: number): number {
  its.abiRev = rev;
  its.baserDevHi = ((its.baserDevHi & ~(0x1f << 16)) | ((ABI_0_ESZ - 1) << 16)) >>> 0;
  its.baserCollHi = ((its.baserCollHi & ~(0x1f << 16)) | ((ABI_0_ESZ - 1) << 16)) >>> 0;
  return 0;
}

const ctlr: ItsReg = {
  name: 'GITS_CTLR',
  off: GITS_CTLR,
  len: 4,
  acc64: false,
  read(_d, its, _off, out) {
    out[0] = ((its.creadr === its.cwriter ? GITS_CTLR_QUIESCENT : 0) | (its.enabled ? GITS_CTLR_ENABLE : 0)) >>> 0;
    out[1] = 0;
  },
  write(d, its, _off, _len, lo) {
    const en = (lo & GITS_CTLR_ENABLE) !== 0;
    // enabling needs a valid CBASER and device and collection BASERs (else ignored)
    if (!its.enabled && en && (!baserValid(its.baserDevHi) || !baserValid(its.baserCollHi) || !baserValid(its.cbaserHi))) return;
    its.enabled = en;
    if (!en) its.cache.clear();
    processCommands(d, its);
  },
};

const iidr: ItsReg = {
  name: 'GITS_IIDR',
  off: GITS_IIDR,
  len: 4,
  acc64: false,
  read(_d, its, _off, out) {
    out[0] = ((its.abiRev << GITS_IIDR_REV_SHIFT) | (PRODUCT_ID_KVM << GITS_IIDR_PRODUCTID_SHIFT) | IMPLEMENTER_ARM) >>> 0;
    out[1] = 0;
  },
  write() {},
  uwrite(_d, its, _off, lo) {
    const rev = (lo >>> GITS_IIDR_REV_SHIFT) & 0xf;
    if (rev >= NR_ITS_ABIS) return -EINVAL;
    return setAbi(its, rev);
  },
};

const typer: ItsReg = {
  name: 'GITS_TYPER',
  off: GITS_TYPER,
  len: 8,
  acc64: true,
  read(_d, _its, _off, out) {
    out[0] = GITS_TYPER_VALUE;
    out[1] = 0;
  },
  write() {},
};

const cbaser: ItsReg = {
  name: 'GITS_CBASER',
  off: GITS_CBASER,
  len: 8,
  acc64: true,
  read(_d, its, _off, out) {
    out[0] = its.cbaserLo;
    out[1] = its.cbaserHi;
  },
  write(_d, its, off, len, lo, hi) {
    if (its.enabled) return; // read-only while enabled
    const r = merge(its.cbaserLo, its.cbaserHi, off, len, lo, hi);
    sanitise(r);
    its.cbaserLo = (r[0]! & ~0xf000) >>> 0; // 64 KiB-aligned address: bits 15:12 cleared
    its.cbaserHi = r[1]!;
    its.creadr = 0;
    its.cwriter = 0; // UNKNOWN on reset; KVM starts with an empty queue
  },
};

const cwriter: ItsReg = {
  name: 'GITS_CWRITER',
  off: GITS_CWRITER,
  len: 8,
  acc64: true,
  read(_d, its, _off, out) {
    out[0] = its.cwriter;
    out[1] = 0;
  },
  write(d, its, off, len, lo, hi) {
    const r = merge(its.cwriter, 0, off, len, lo, hi);
    const reg = r[0]! & 0xfffe0; // ITS_CMD_OFFSET: bits 19:5
    if (reg >= cmdBufferSize(its)) return;
    its.cwriter = reg;
    processCommands(d, its);
  },
};

const creadr: ItsReg = {
  name: 'GITS_CREADR',
  off: GITS_CREADR,
  len: 8,
  acc64: true,
  read(_d, its, _off, out) {
    out[0] = its.creadr;
    out[1] = 0;
  },
  write() {},
  uwrite(_d, its, _off, lo) {
    if (its.enabled) return -EBUSY;
    const o = lo & 0xfffe0;
    if (o >= cmdBufferSize(its)) return -EINVAL;
    its.creadr = o;
    return 0;
  },
};

const baser: ItsReg = {
  name: 'GITS_BASER<n>',
  off: GITS_BASER,
  len: 0x40,
  acc64: true,
  read(_d, its, off, out) {
    const n = (off >>> 3) & 7;
    out[0] = n === 0 ? its.baserDevLo : n === 1 ? its.baserCollLo : 0;
    out[1] = n === 0 ? its.baserDevHi : n === 1 ? its.baserCollHi : 0;
  },
  write(d, its, off, len, lo, hi) {
    if (its.enabled) return;
    const n = (off >>> 3) & 7;
    if (n > 1) return;
    const dev = n === 0;
    const r = merge(dev ? its.baserDevLo : its.baserCollLo, dev ? its.baserDevHi : its.baserCollHi, off, len, lo, hi);
    let rhi = r[1]! & ~((0x1f << 16) | (7 << 24)); // GITS_BASER_RO_MASK: entry size, type
    if (!dev) rhi &= ~(1 << 30); // no two-level collection table
    rhi |= ((ABI_0_ESZ - 1) << 16) | ((dev ? GITS_BASER_TYPE_DEVICE : GITS_BASER_TYPE_COLLECTION) << 24);
    r[1] = rhi >>> 0;
    sanitise(r);
    r[0] = ((r[0]! & ~(3 << 8)) | (2 << 8)) >>> 0; // 64 KiB pages only
    if (dev) {
      its.baserDevLo = r[0]!;
      its.baserDevHi = r[1]!;
    } else {
      its.baserCollLo = r[0]!;
      its.baserCollHi = r[1]!;
    }
    if (!baserValid(r[1]!)) {
      if (dev) for (const dv of [...its.devices.values()]) freeDevice(d, its, dv);
      else for (const c of [...its.collections]) freeCollection(its, c.id);
    }
  },
};

const idregs: ItsReg = {
  name: 'GITS_IDREGS',
  off: GITS_IDREGS_BASE,
  len: 0x30,
  acc64: false,
  read(_d, _its, off, out) {
    out[1] = 0;
    switch (off & 0xffff) {
      case GITS_PIDR0:
        out[0] = 0x92;
        return;
      case GITS_PIDR1:
        out[0] = 0xb4;
        return;
      case GITS_PIDR2:
        out[0] = 0x3b; // GIC_PIDR2_ARCH_GICv3 | 0x0b
        return;
      case GITS_PIDR4:
        out[0] = 0x40; // a 64 KiB page
        return;
      case GITS_CIDR0:
        out[0] = 0x0d;
        return;
      case GITS_CIDR1:
        out[0] = 0xf0;
        return;
      case GITS_CIDR2:
        out[0] = 0x05;
        return;
      case GITS_CIDR3:
        out[0] = 0xb1;
        return;
      default:
        out[0] = 0;
    }
  },
  write() {},
};

/** The ITS registers, by offset. */
export const ITS_REGISTERS: readonly ItsReg[] = [ctlr, iidr, typer, cbaser, cwriter, creadr, baser, idregs];

/** vgic_find_mmio_region: the register holding frame offset `off`, or null. */
export function findItsReg(off: number): ItsReg | null {
  for (const r of ITS_REGISTERS) if (off >= r.off && off < r.off + r.len) return r;
  return null;
}

/** The register a guest access of `len` bytes at `off` reaches, or null (RAZ/WI). */
function guestReg(off: number, len: number): ItsReg | null {
  if (off % len !== 0 || len === 1 || len === 2) return null;
  const r = findItsReg(off);
  if (r === null || (len === 8 && !r.acc64)) return null;
  return r;
}

const scratch = new Uint32Array(2);

/** The guest's ITS frame on the VM's MMIO bus (128 KiB; the second page holds no register). */
export function itsFrame(d: ItsDist, its: VgicIts, base: number): ItsRegion {
  const region: ItsRegion & MmioRegion = {
    name: `vgic-its-${its.index}`,
    base,
    size: 0x20000,
    its,
    read(_vcpu, off, len) {
      const r = guestReg(off, len);
      if (r === null) return 0;
      r.read(d, its, off, scratch);
      return (r.len > 4 && off & 4 ? scratch[1]! : scratch[0]!) >>> 0;
    },
    write(_vcpu, off, len, val) {
      const r = guestReg(off, len);
      if (r !== null) r.write(d, its, off, len, val >>> 0, 0);
      return 0;
    },
    read64(_vcpu, off) {
      const r = guestReg(off, 8);
      if (r === null) return 0n;
      r.read(d, its, off, scratch);
      return (BigInt(scratch[1]!) << 32n) | BigInt(scratch[0]!);
    },
    write64(_vcpu, off, value) {
      const r = guestReg(off, 8);
      if (r !== null) r.write(d, its, off, 8, Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn));
      return 0;
    },
  };
  return region;
}
