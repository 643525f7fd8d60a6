/**
 * The GICv2 CPU interface frame (8 KiB). Two tables: the save/restore subset KVM exposes through
 * KVM_DEV_ARM_VGIC_GRP_CPU_REGS (`vgic_v2_cpu_registers`, PMR in the 5-bit VMPriMask format,
 * GICC_DIR at 0x1000 since Linux 7.x),
 * and the full architectural interface the guest sees on the MMIO bus (IAR, EOIR, RPR, HPPIR,
 * the aliases, APR, DIR), which KVM leaves to the hardware GICV frame and this model emulates.
 * @packageDocumentation
 */
import { gicv2AprsKept } from '../arm64/host-profile.js';
import { acknowledge, deactivate, endOfInterrupt, highestPending, refresh, runningPriority } from '../delivery.js';
import type { Vgic, VcpuGic } from '../state.js';
import * as U from '../uapi.js';
import { ACC_32, type RegRead, type RegWrite, RegTable, lenReg, raz, wi } from './common.js';

function ctlrOf(v: VcpuGic): number {
  const c = v.cpu;
  return (
    (c.grpen0 << 0) | (c.grpen1 << 1) | (c.ackctl << 2) | (c.fiqen << 3) | (c.cbpr << 4) | (c.eoim << 9)
  );
}

function setCtlr(g: Vgic, v: VcpuGic, val: number): void {
  const c = v.cpu;
  c.grpen0 = val & 1;
  c.grpen1 = (val >>> 1) & 1;
  c.ackctl = (val >>> 2) & 1;
  c.fiqen = (val >>> 3) & 1;
  c.cbpr = (val >>> 4) & 1;
  c.eoim = (val >>> 9) & 1;
  refresh(g, v);
}

/**
 * APRn (vgic_mmio_read_apr / vgic_mmio_write_apr): only the APRs the host keeps exist
 * ({@link gicv2AprsKept}: APR0 on a GICv2 host, the ICH_AP1Rn the priority bits need on a GICv3
 * host); the others read 0 and ignore writes.
 */
const readApr: RegRead = (g, v, _i, off) => {
  const idx = (off & 0xc) >>> 2;
  return v === null || idx >= gicv2AprsKept(g.arm.host) ? 0 : v.cpu.ap1r[idx]!;
};
const writeApr: RegWrite = (g, v, _i, off, _len, val) => {
  const idx = (off & 0xc) >>> 2;
  if (v === null || idx >= gicv2AprsKept(g.arm.host)) return;
  v.cpu.ap1r[idx] = val >>> 0;
  refresh(g, v);
};

/** vgic_mmio_read_vcpuif: the userspace view of CTLR/PMR/BPR/ABPR/IIDR. */
const ureadVcpuif: RegRead = (_g, v, _i, off) => {
  if (v === null) return 0;
  const c = v.cpu;
  switch (off & 0xff) {
    case U.GIC_CPU_CTRL:
      return ctlrOf(v);
    case U.GIC_CPU_PRIMASK:
      return (c.pmr & 0xf8) >>> 3;
    case U.GIC_CPU_BINPOINT:
      return c.bpr;
    case U.GIC_CPU_ALIAS_BINPOINT:
      return c.abpr;
    case U.GIC_CPU_IDENT:
      return U.GICC_IIDR_KVM;
    default:
      return 0;
  }
};

/** vgic_mmio_write_vcpuif (values packed into GICH_VMCR fields). */
const uwriteVcpuif: RegWrite = (g, v, _i, off, _len, val) => {
  if (v === null) return;
  const c = v.cpu;
  switch (off & 0xff) {
    case U.GIC_CPU_CTRL:
      setCtlr(g, v, val);
      return;
    case U.GIC_CPU_PRIMASK:
      c.pmr = (val << 3) & 0xf8;
      break;
    case U.GIC_CPU_BINPOINT:
      c.bpr = val & 7;
      break;
    case U.GIC_CPU_ALIAS_BINPOINT:
      c.abpr = val & 7;
      break;
    default:
      return;
  }
  refresh(g, v);
};

/** The KVM_DEV_ARM_VGIC_GRP_CPU_REGS table. */
export const GICV2_CPU_UACCESS = new RegTable([
  lenReg('GICC_CTLR', U.GIC_CPU_CTRL, 4, ACC_32, ureadVcpuif, uwriteVcpuif),
  lenReg('GICC_PMR', U.GIC_CPU_PRIMASK, 4, ACC_32, ureadVcpuif, uwriteVcpuif),
  lenReg('GICC_BPR', U.GIC_CPU_BINPOINT, 4, ACC_32, ureadVcpuif, uwriteVcpuif),
  lenReg('GICC_ABPR', U.GIC_CPU_ALIAS_BINPOINT, 4, ACC_32, ureadVcpuif, uwriteVcpuif),
  lenReg('GICC_APRn', U.GIC_CPU_ACTIVEPRIO, 16, ACC_32, readApr, writeApr),
  lenReg('GICC_IIDR', U.GIC_CPU_IDENT, 4, ACC_32, ureadVcpuif, wi),
  // Linux 7.x lists GICC_DIR here (HAS is 0, GET reads 0); a userspace write is ignored in the model
  lenReg('GICC_DIR', U.GIC_CPU_DEACTIVATE, 4, ACC_32, raz, wi),
]);

// ------------------------------------------------------------------ guest view

const gReadCtlr: RegRead = (_g, v) => (v === null ? 0 : ctlrOf(v));
const gWriteCtlr: RegWrite = (g, v, _i, _o, _l, val) => {
  if (v !== null) setCtlr(g, v, val);
};
const gReadPmr: RegRead = (_g, v) => (v === null ? 0 : v.cpu.pmr & 0xf8);
const gWritePmr: RegWrite = (g, v, _i, _o, _l, val) => {
  if (v === null) return;
  v.cpu.pmr = val & 0xf8;
  refresh(g, v);
};
const gReadBpr: RegRead = (_g, v) => (v === null ? 0 : v.cpu.bpr);
const gWriteBpr: RegWrite = (g, v, _i, _o, _l, val) => {
  if (v === null) return;
  v.cpu.bpr = val & 7;
  refresh(g, v);
};
const gReadAbpr: RegRead = (_g, v) => (v === null ? 0 : v.cpu.abpr);
const gWriteAbpr: RegWrite = (g, v, _i, _o, _l, val) => {
  if (v === null) return;
  v.cpu.abpr = val & 7;
  refresh(g, v);
};
const gIar: RegRead = (g, v) => (v === null ? U.GIC_SPURIOUS : acknowledge(g, v, 3, true));
const gAiar: RegRead = (g, v) => (v === null ? U.GIC_SPURIOUS : acknowledge(g, v, 2, false));
const gEoir: RegWrite = (g, v, _i, _o, _l, val) => {
  if (v !== null) endOfInterrupt(g, v, val & 0x3ff);
};
const gRpr: RegRead = (_g, v) => (v === null ? 0xff : runningPriority(v.cpu));
const gHppir: RegRead = (g, v) => (v === null ? U.GIC_SPURIOUS : highestPending(g, v, 3));
const gAhppir: RegRead = (g, v) => (v === null ? U.GIC_SPURIOUS : highestPending(g, v, 2));
const gIidr: RegRead = () => U.GICC_IIDR_KVM;
const gDir: RegWrite = (g, v, _i, _o, _l, val) => {
  if (v !== null) deactivate(g, v, val & 0x3ff);
};

/** The guest's GICv2 CPU interface (architectural, no Security Extensions). */
export const GICV2_CPU_GUEST = new RegTable([
  lenReg('GICC_CTLR', U.GIC_CPU_CTRL, 4, ACC_32, gReadCtlr, gWriteCtlr),
  lenReg('GICC_PMR', U.GIC_CPU_PRIMASK, 4, ACC_32, gReadPmr, gWritePmr),
  lenReg('GICC_BPR', U.GIC_CPU_BINPOINT, 4, ACC_32, gReadBpr, gWriteBpr),
  lenReg('GICC_IAR', U.GIC_CPU_INTACK, 4, ACC_32, gIar, wi),
  lenReg('GICC_EOIR', U.GIC_CPU_EOI, 4, ACC_32, raz, gEoir),
  lenReg('GICC_RPR', U.GIC_CPU_RUNNINGPRI, 4, ACC_32, gRpr, wi),
  lenReg('GICC_HPPIR', U.GIC_CPU_HIGHPRI, 4, ACC_32, gHppir, wi),
  lenReg('GICC_ABPR', U.GIC_CPU_ALIAS_BINPOINT, 4, ACC_32, gReadAbpr, gWriteAbpr),
  lenReg('GICC_AIAR', U.GIC_CPU_AIAR, 4, ACC_32, gAiar, wi),
  lenReg('GICC_AEOIR', U.GIC_CPU_AEOIR, 4, ACC_32, raz, gEoir),
  lenReg('GICC_AHPPIR', U.GIC_CPU_AHPPIR, 4, ACC_32, gAhppir, wi),
  lenReg('GICC_APRn', U.GIC_CPU_ACTIVEPRIO, 16, ACC_32, readApr, writeApr),
  lenReg('GICC_NSAPRn', U.GIC_CPU_NSAPR, 16, ACC_32, raz, wi),
  lenReg('GICC_IIDR', U.GIC_CPU_IDENT, 4, ACC_32, gIidr, wi),
  lenReg('GICC_DIR', U.GIC_CPU_DEACTIVATE, 4, ACC_32, raz, gDir),
]);
