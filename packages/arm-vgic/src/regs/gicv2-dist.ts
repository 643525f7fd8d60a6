/**
 * The GICv2 distributor frame (vgic-mmio-v2.c `vgic_v2_dist_registers`), 4 KiB.
 * @packageDocumentation
 */
import { EINVAL } from '@kvmdev/core';
import { refreshAll, sendSgiV2, update } from '../delivery.js';
import type { Vgic, VcpuGic } from '../state.js';
import * as U from '../uapi.js';
import {
  ACC_32,
  ACC_8,
  type RegRead,
  type RegUWrite,
  type RegWrite,
  RegTable,
  irqReg,
  lenReg,
  raz,
  readActive,
  readConfig,
  readEnable,
  readGroup,
  readPending,
  readPriority,
  uwriteCActive,
  uwriteCPending,
  uwriteSActive,
  uwriteSPending,
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

function iidr(g: Vgic): number {
  return ((U.PRODUCT_ID_KVM << 24) | (g.implementationRev << U.GICD_IIDR_REVISION_SHIFT) | U.IMPLEMENTER_ARM) >>> 0;
}

const readMisc: RegRead = (g, _v, _i, off) => {
  switch (off & 0xc) {
    case U.GIC_DIST_CTRL:
      return g.enabled ? 1 : 0;
    case U.GIC_DIST_CTR:
      return (((g.nrIrqs >>> 5) - 1) | ((g.cpus.length - 1) << 5)) >>> 0;
    case U.GIC_DIST_IIDR:
      return iidr(g);
    default:
      return 0;
  }
};

const writeMisc: RegWrite = (g, _v, _i, off, _len, val) => {
  if ((off & 0xc) === U.GIC_DIST_CTRL) {
    const en = val & 1;
    if (en !== g.enabled) {
      g.enabled = en;
      refreshAll(g);
    }
  }
};

/** Userspace GICD_IIDR write: only the revision may differ, and must be 2 or 3; enables IGROUPR user writes. */
const uwriteMisc: RegUWrite = (g, v, i, off, len, val) => {
  if ((off & 0xc) === U.GIC_DIST_IIDR) {
    const reg = iidr(g);
    if ((reg ^ val) & ~U.GICD_IIDR_REVISION_MASK) return -EINVAL;
    const rev = (val & U.GICD_IIDR_REVISION_MASK) >>> U.GICD_IIDR_REVISION_SHIFT;
    if (rev !== U.KVM_VGIC_IMP_REV_2 && rev !== U.KVM_VGIC_IMP_REV_3) return -EINVAL;
    g.v2GroupsUserWritable = true;
    g.implementationRev = rev;
    return 0;
  }
  writeMisc(g, v, i, off, len, val);
  return 0;
};

/** Userspace IGROUPR writes are ignored until userspace wrote GICD_IIDR. */
const uwriteGroupV2: RegUWrite = (g, v, i, off, len, val) => {
  if (g.v2GroupsUserWritable) writeGroup(g, v, i, off, len, val);
  return 0;
};

const readTarget: RegRead = (g, v, intid, _off, len) => {
  const c = v ?? g.cpus[0] ?? null;
  let val = 0;
  for (let i = 0; i < len; i++) {
    const id = intid + i;
    const b = c === null && id < 32 ? null : g.bank(c!, id);
    if (b !== null) val |= b.targets[id - b.base]! << (8 * i);
  }
  return val >>> 0;
};

const writeTarget: RegWrite = (g, _v, intid, _off, len, val) => {
  const mask = ((1 << g.cpus.length) - 1) & 0xff;
  for (let i = 0; i < len; i++) {
    const id = intid + i;
    if (id < U.VGIC_NR_PRIVATE_IRQS) continue;
    const b = g.spis;
    const k = id - b.base;
    if (k >= b.n) continue;
    const t = (val >>> (8 * i)) & mask;
    b.targets[k] = t;
    const idx = t ? 31 - Math.clz32(t & -t) : 0;
    b.target[k] = idx < g.cpus.length ? idx : -1;
    update(g, b, k);
  }
};

const writeSgir: RegWrite = (g, v, _i, _off, _len, val) => {
  const src = v ?? g.cpus[0];
  if (src) sendSgiV2(g, src, val);
};

const readSgiPend: RegRead = (g, v, _i, off, len) => {
  const c = v ?? g.cpus[0];
  if (!c) return 0;
  const intid = off & 0xf;
  let val = 0;
  for (let i = 0; i < len; i++) val |= c.priv.sources[intid + i]! << (8 * i);
  return val >>> 0;
};

function sgiPend(g: Vgic, v: VcpuGic | null, off: number, len: number, val: number, set: boolean): void {
  const c = v ?? g.cpus[0];
  if (!c) return;
  const b = c.priv;
  const intid = off & 0xf;
  for (let i = 0; i < len; i++) {
    const k = intid + i;
    const bits = (val >>> (8 * i)) & 0xff;
    if (set) {
      b.sources[k] = b.sources[k]! | bits;
      if (b.sources[k]) b.latch[k] = 1;
    } else {
      b.sources[k] = b.sources[k]! & ~bits;
      if (!b.sources[k]) b.latch[k] = 0;
    }
    update(g, b, k);
  }
}
const writeSgiPendC: RegWrite = (g, v, _i, off, len, val) => sgiPend(g, v, off, len, val, false);
const writeSgiPendS: RegWrite = (g, v, _i, off, len, val) => sgiPend(g, v, off, len, val, true);

/** The GICv2 distributor register table. */
export const GICV2_DIST = new RegTable([
  lenReg('GICD_CTLR/TYPER/IIDR', U.GIC_DIST_CTRL, 12, ACC_32, readMisc, writeMisc, { uwrite: uwriteMisc }),
  irqReg('GICD_IGROUPR', U.GIC_DIST_IGROUP, 1, ACC_32, readGroup, writeGroup, { uwrite: uwriteGroupV2 }),
  irqReg('GICD_ISENABLER', U.GIC_DIST_ENABLE_SET, 1, ACC_32, readEnable, writeSEnable),
  irqReg('GICD_ICENABLER', U.GIC_DIST_ENABLE_CLEAR, 1, ACC_32, readEnable, writeCEnable),
  irqReg('GICD_ISPENDR', U.GIC_DIST_PENDING_SET, 1, ACC_32, readPending, writeSPending, { uwrite: uwriteSPending }),
  irqReg('GICD_ICPENDR', U.GIC_DIST_PENDING_CLEAR, 1, ACC_32, readPending, writeCPending, { uwrite: uwriteCPending }),
  irqReg('GICD_ISACTIVER', U.GIC_DIST_ACTIVE_SET, 1, ACC_32, readActive, writeSActive, { uwrite: uwriteSActive }),
  irqReg('GICD_ICACTIVER', U.GIC_DIST_ACTIVE_CLEAR, 1, ACC_32, readActive, writeCActive, { uwrite: uwriteCActive }),
  irqReg('GICD_IPRIORITYR', U.GIC_DIST_PRI, 8, ACC_32 | ACC_8, readPriority, writePriority),
  irqReg('GICD_ITARGETSR', U.GIC_DIST_TARGET, 8, ACC_32 | ACC_8, readTarget, writeTarget),
  irqReg('GICD_ICFGR', U.GIC_DIST_CONFIG, 2, ACC_32, readConfig, writeConfig),
  lenReg('GICD_SGIR', U.GIC_DIST_SOFTINT, 4, ACC_32, raz, writeSgir),
  lenReg('GICD_CPENDSGIR', U.GIC_DIST_SGI_PENDING_CLEAR, 16, ACC_32 | ACC_8, readSgiPend, writeSgiPendC),
  lenReg('GICD_SPENDSGIR', U.GIC_DIST_SGI_PENDING_SET, 16, ACC_32 | ACC_8, readSgiPend, writeSgiPendS),
]);
