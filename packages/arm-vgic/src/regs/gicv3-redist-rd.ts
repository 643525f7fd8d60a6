/**
 * The GICv3 redistributor RD_base frame (first 64 KiB of each 128 KiB redistributor).
 * @packageDocumentation
 */
import type { Vgic, VcpuGic } from '../state.js';
import * as U from '../uapi.js';
import { ACC_32, ACC_64, type Reg, type RegRead, type RegWrite, lenReg, raz, uwi, wi } from './common.js';
import { readIdregs } from './gicv3-dist.js';

const readCtlr: RegRead = (g, v) => {
  let val = v === null ? 0 : v.gicrCtlr;
  if (g.implementationRev >= U.KVM_VGIC_IMP_REV_3) val |= U.GICR_CTLR_IR | U.GICR_CTLR_CES;
  return val;
};
/** EnableLPIs is only writable with an ITS (vgic_has_its); the ITS side does the rest. */
const writeCtlr: RegWrite = (g, v, _i, _off, _len, val) => {
  if (v !== null && g.msi !== null) g.msi.writeGicrCtlr(v, val);
};

/** GICR_INVLPIR: the low half names an LPI to re-read (LPIs enabled); the high half (vPEs) is ignored. */
const writeInvlpi: RegWrite = (g, v, _i, off, _len, val) => {
  if (v !== null && g.msi !== null && !(off & 4)) g.msi.invLpi(v, val >>> 0);
};

/** GICR_INVALLR: every LPI of the vCPU re-reads its property byte (LPIs enabled; low half only). */
const writeInvall: RegWrite = (g, v, _i, off) => {
  if (v !== null && g.msi !== null && !(off & 4) && v.gicrCtlr & U.GICR_CTLR_ENABLE_LPIS) g.msi.invAll(v);
};

/** vgic_mmio_read_v3r_iidr: product and implementer only, no revision field (0x4b00043b). */
const readIidr: RegRead = () => ((U.PRODUCT_ID_KVM << 24) | U.IMPLEMENTER_ARM) >>> 0;

/**
 * vgic_mmio_vcpu_rdist_is_last: the vCPU holds the last used slot of its region, or the last
 * slot of a full region with no populated region right after it.
 */
export function rdistIsLast(g: Vgic, v: VcpuGic): boolean {
  const r = v.rdreg;
  if (r === null) return false;
  if (v.rdregIndex < r.freeIndex - 1) return false;
  if (r.count && v.rdregIndex === r.count - 1) {
    const end = r.base + r.count * U.KVM_VGIC_V3_REDIST_SIZE;
    for (const o of g.rdRegions) if (o.base === end && o.freeIndex > 0) return false;
  }
  return true;
}

/** GICR_TYPER: affinity (Aff2..0) in [63:32], Processor_Number = vCPU id in [23:8], Last, PLPIS with an ITS. */
const readTyper: RegRead = (g, v, _i, off) => {
  if (v === null) return 0;
  if (off & 4) return v.aff >>> 0;
  const plpis = g.hasIts ? U.GICR_TYPER_PLPIS : 0;
  return ((((v.vcpu.id & 0xffff) << 8) | (rdistIsLast(g, v) ? U.GICR_TYPER_LAST : 0) | plpis) >>> 0);
};

/**
 * PROPBASER/PENDBASER sanitising (vgic_sanitise_propbaser / _pendbaser), applied to the whole
 * 64-bit register after every write of either half: OuterShareable becomes InnerShareable,
 * nC/nCnB inner cacheability becomes RaWb, outer cacheability other than nC becomes
 * SameAsInner, RES0 bits are dropped. Shareability and inner cacheability live in the low half,
 * outer cacheability in the high half, so each half is sanitised on its own, both every time.
 */
function sanitiseLo(lo: number, res0: number): number {
  let v = lo & ~res0;
  const sh = (v >>> 10) & 3;
  if (sh === 2) v = (v & ~(3 << 10)) | (1 << 10);
  const ic = (v >>> 7) & 7;
  if (ic === 0 || ic === 1) v = (v & ~(7 << 7)) | (3 << 7);
  return v >>> 0;
}
function sanitiseHi(hi: number, res0: number): number {
  let v = hi & ~res0;
  const oc = (v >>> 24) & 7;
  if (oc !== 0 && oc !== 1) v &= ~(7 << 24);
  return v >>> 0;
}
// RES0: PROPBASER 63:59, 55:52, 6:5; PENDBASER 63, 61:59, 55:52, 15:12, 6:0 (PTZ 62 reads 0).
const PROP_RES0_LO = 0x60;
const PROP_RES0_HI = 0xf8f00000;
const PEND_RES0_LO = 0xf07f;
const PEND_RES0_HI = 0xb8f00000;

const readPropbase: RegRead = (g, _v, _i, off) => (off & 4 ? g.propbaserHi : g.propbaserLo);
const writePropbase: RegWrite = (g, v, _i, off, _len, val) => {
  if (v !== null && v.gicrCtlr & U.GICR_CTLR_ENABLE_LPIS) return;
  const lo = off & 4 ? g.propbaserLo : val;
  const hi = off & 4 ? val : g.propbaserHi;
  g.propbaserLo = sanitiseLo(lo, PROP_RES0_LO);
  g.propbaserHi = sanitiseHi(hi, PROP_RES0_HI);
};
const readPendbase: RegRead = (_g, v, _i, off) => {
  if (v === null) return 0;
  return off & 4 ? (v.pendbaserHi & ~(1 << 30)) >>> 0 : v.pendbaserLo;
};
const writePendbase: RegWrite = (_g, v, _i, off, _len, val) => {
  if (v === null || v.gicrCtlr & U.GICR_CTLR_ENABLE_LPIS) return;
  const lo = off & 4 ? v.pendbaserLo : val;
  const hi = off & 4 ? val : v.pendbaserHi;
  v.pendbaserLo = sanitiseLo(lo, PEND_RES0_LO);
  v.pendbaserHi = sanitiseHi(hi, PEND_RES0_HI);
};

/** RD_base registers, in the kernel's order (not sorted: see `GICV3_REDIST`). */
export const GICV3_RD_REGS: readonly Reg[] = [
  lenReg('GICR_CTLR', U.GICR_CTLR, 4, ACC_32, readCtlr, writeCtlr),
  lenReg('GICR_STATUSR', U.GICR_STATUSR, 4, ACC_32, raz, wi),
  lenReg('GICR_IIDR', U.GICR_IIDR, 4, ACC_32, readIidr, wi),
  lenReg('GICR_TYPER', U.GICR_TYPER, 8, ACC_64 | ACC_32, readTyper, wi, { uread: readTyper, uwrite: uwi }),
  lenReg('GICR_WAKER', U.GICR_WAKER, 4, ACC_32, raz, wi),
  lenReg('GICR_PROPBASER', U.GICR_PROPBASER, 8, ACC_64 | ACC_32, readPropbase, writePropbase),
  lenReg('GICR_PENDBASER', U.GICR_PENDBASER, 8, ACC_64 | ACC_32, readPendbase, writePendbase),
  lenReg('GICR_INVLPIR', U.GICR_INVLPIR, 8, ACC_64 | ACC_32, raz, writeInvlpi),
  lenReg('GICR_INVALLR', U.GICR_INVALLR, 8, ACC_64 | ACC_32, raz, writeInvall),
  lenReg('GICR_SYNCR', U.GICR_SYNCR, 4, ACC_32, raz, wi),
  lenReg('GICR_IDREGS', U.GICR_IDREGS, 48, ACC_32, readIdregs, wi),
];
