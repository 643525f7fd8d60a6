/**
 * The GICv3 distributor frame (vgic-mmio-v3.c `vgic_v3_dist_registers`), 64 KiB. Affinity
 * routing is always on: the first 32 INTIDs of every per-IRQ register are RAZ/WI.
 * @packageDocumentation
 */
import { EBUSY, EINVAL } from '@kvmdev/core';
import { refreshAll, update } from '../delivery.js';
import type { Vgic } from '../state.js';
import * as U from '../uapi.js';
import {
  ACC_32,
  ACC_64,
  ACC_8,
  type RegRead,
  type RegUWrite,
  type RegWrite,
  RegTable,
  lenReg,
  rao,
  raz,
  readActive,
  readConfig,
  readEnable,
  readGroup,
  readPending,
  readPriority,
  sharedIrqReg,
  ureadPending,
  uwi,
  uwriteCActive,
  uwriteSActive,
  uwriteSPending,
  wi,
  writeCActive,
  writeCEnable,
  writeConfig,
  writeCPending,
  writeGroup,
  writePriority,
  writeSActive,
  writeSEnable,
  writeSPending,
} from './common.js';

/** GICD_IIDR / GICR_IIDR value for the implementation revision. */
export function v3Iidr(g: Vgic): number {
  return ((U.PRODUCT_ID_KVM << 24) | (g.implementationRev << U.GICD_IIDR_REVISION_SHIFT) | U.IMPLEMENTER_ARM) >>> 0;
}

const readMisc: RegRead = (g, _v, _i, off) => {
  switch (off & 0xc) {
    case U.GICD_CTLR:
      return (g.enabled ? U.GICD_CTLR_ENABLE_SS_G1 : 0) | U.GICD_CTLR_ARE_NS | U.GICD_CTLR_DS;
    case U.GICD_TYPER:
      // with an ITS: LPIs and 16 INTID bits
      if (g.hasIts) return (((g.nrIrqs >>> 5) - 1) | ((U.INTERRUPT_ID_BITS_ITS - 1) << 19) | U.GICD_TYPER_LPIS) >>> 0;
      return (((g.nrIrqs >>> 5) - 1) | ((U.INTERRUPT_ID_BITS_SPIS - 1) << 19)) >>> 0;
    case U.GICD_IIDR:
      return v3Iidr(g);
    default:
      return g.nassgicap ? U.GICD_TYPER2_nASSGIcap : 0; // GICD_TYPER2
  }
};

const writeMisc: RegWrite = (g, _v, _i, off, _len, val) => {
  if ((off & 0xc) === U.GICD_CTLR) {
    const en = val & U.GICD_CTLR_ENABLE_SS_G1 ? 1 : 0;
    if (en !== g.enabled) {
      g.enabled = en;
      refreshAll(g);
    }
  }
};

/**
 * Userspace writes (vgic_mmio_uaccess_write_v3_misc): GICD_IIDR may change only its revision
 * (2 or 3), before or after init; GICD_TYPER2: the value it reads is accepted, any change after
 * init is EBUSY (tested before the value), a change outside nASSGIcap or setting nASSGIcap on a
 * host without GICv4.1 direct SGIs EINVAL (no profile has them, so only clearing passes);
 * GICD_CTLR sets the enable (nASSGIreq dropped without GICv4.1).
 */
const uwriteMisc: RegUWrite = (g, v, i, off, len, val) => {
  switch (off & 0xc) {
    case U.GICD_TYPER2: {
      const reg = readMisc(g, v, i, off, len);
      if (val === reg) return 0;
      if (g.initialized) return -EBUSY;
      if ((reg ^ val) & ~U.GICD_TYPER2_nASSGIcap) return -EINVAL;
      if (val & U.GICD_TYPER2_nASSGIcap) return -EINVAL; // system_supports_direct_sgis() is false
      g.nassgicap = 0;
      return 0;
    }
    case U.GICD_IIDR: {
      const reg = v3Iidr(g);
      if ((reg ^ val) & ~U.GICD_IIDR_REVISION_MASK) return -EINVAL;
      const rev = (val & U.GICD_IIDR_REVISION_MASK) >>> U.GICD_IIDR_REVISION_SHIFT;
      if (rev !== U.KVM_VGIC_IMP_REV_2 && rev !== U.KVM_VGIC_IMP_REV_3) return -EINVAL;
      g.implementationRev = rev;
      return 0;
    }
    case U.GICD_CTLR:
      writeMisc(g, v, i, off, len, val);
      return 0;
    default:
      return 0;
  }
};

/** vgic_v3 ID registers: PIDR2 = 0x3b (architecture revision 3), others 0. */
export const readIdregs: RegRead = (_g, _v, _i, off) => ((off & 0xffff) === U.GICD_PIDR2 ? 0x3b : 0);

const readIrouter: RegRead = (g, _v, intid, off) => {
  if (off & 4) return 0; // Aff3 is RAZ/WI
  const k = intid - U.VGIC_NR_PRIVATE_IRQS;
  return k >= 0 && k < g.spis.n ? g.spis.mpidr[k]! : 0;
};

/** IROUTER: keeps Aff2..Aff0, IRM is not implemented; the target is the vCPU with that affinity. */
const writeIrouter: RegWrite = (g, _v, intid, off, _len, val) => {
  if (off & 4) return;
  const k = intid - U.VGIC_NR_PRIVATE_IRQS;
  if (k < 0 || k >= g.spis.n) return;
  const b = g.spis;
  const m = val & 0xffffff;
  b.mpidr[k] = m;
  const t = g.byAff.get(m);
  b.target[k] = t === undefined ? -1 : t.index;
  update(g, b, k);
};

/** The GICv3 distributor register table. */
export const GICV3_DIST = new RegTable([
  lenReg('GICD_CTLR/TYPER/IIDR/TYPER2', U.GICD_CTLR, 16, ACC_32, readMisc, writeMisc, { uwrite: uwriteMisc }),
  lenReg('GICD_STATUSR', U.GICD_STATUSR, 4, ACC_32, rao, wi),
  ...sharedIrqReg('GICD_IGROUPR', U.GICD_IGROUPR, 1, ACC_32, readGroup, writeGroup),
  ...sharedIrqReg('GICD_ISENABLER', U.GICD_ISENABLER, 1, ACC_32, readEnable, writeSEnable),
  ...sharedIrqReg('GICD_ICENABLER', U.GICD_ICENABLER, 1, ACC_32, readEnable, writeCEnable),
  ...sharedIrqReg('GICD_ISPENDR', U.GICD_ISPENDR, 1, ACC_32, readPending, writeSPending, {
    uread: ureadPending,
    uwrite: uwriteSPending,
  }),
  ...sharedIrqReg('GICD_ICPENDR', U.GICD_ICPENDR, 1, ACC_32, readPending, writeCPending, { uread: raz, uwrite: uwi }),
  ...sharedIrqReg('GICD_ISACTIVER', U.GICD_ISACTIVER, 1, ACC_32, readActive, writeSActive, { uwrite: uwriteSActive }),
  ...sharedIrqReg('GICD_ICACTIVER', U.GICD_ICACTIVER, 1, ACC_32, readActive, writeCActive, { uwrite: uwriteCActive }),
  ...sharedIrqReg('GICD_IPRIORITYR', U.GICD_IPRIORITYR, 8, ACC_32 | ACC_8, readPriority, writePriority),
  ...sharedIrqReg('GICD_ITARGETSR', U.GICD_ITARGETSR, 8, ACC_32 | ACC_8, raz, wi),
  ...sharedIrqReg('GICD_ICFGR', U.GICD_ICFGR, 2, ACC_32, readConfig, writeConfig),
  ...sharedIrqReg('GICD_IGRPMODR', U.GICD_IGRPMODR, 1, ACC_32, raz, wi),
  ...sharedIrqReg('GICD_IROUTER', U.GICD_IROUTER, 64, ACC_64 | ACC_32, readIrouter, writeIrouter),
  lenReg('GICD_IDREGS', U.GICD_IDREGS, 48, ACC_32, readIdregs, wi),
]);
