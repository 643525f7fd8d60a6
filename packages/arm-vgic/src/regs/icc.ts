/**
 * The GICv3 CPU interface system registers: the 15 ICC_* registers of
 * KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS (vgic-sys-reg-v3.c, with its checks), and the guest's
 * MRS/MSR view of all ICC_* registers (acknowledge, EOI, DIR, RPR, HPPIR, SGI generation).
 * Values are u32 numbers inside; the guest port's bigint is converted at the edge.
 * @packageDocumentation
 */
import { EINVAL, ENOENT, ENXIO } from '@kvmdev/core';
import {
  acknowledge,
  deactivateAndRefresh,
  endOfInterrupt,
  highestPending,
  refresh,
  runningPriority,
  sendSgiV3,
} from '../delivery.js';
import type { CpuIf, Vgic, VcpuGic } from '../state.js';
import * as U from '../uapi.js';

/** vgic_v3_max_apr_idx. */
export function maxAprIdx(c: CpuIf): number {
  return c.numPriBits === 7 ? 3 : c.numPriBits === 6 ? 1 : 0;
}

function ctlrOf(c: CpuIf): number {
  return (
    ((c.numPriBits - 1) << U.ICC_CTLR_EL1_PRI_BITS_SHIFT) |
    (c.numIdBits << U.ICC_CTLR_EL1_ID_BITS_SHIFT) |
    (c.seis ? U.ICC_CTLR_EL1_SEIS : 0) |
    (c.a3v ? U.ICC_CTLR_EL1_A3V : 0) |
    (c.cbpr ? U.ICC_CTLR_EL1_CBPR : 0) |
    (c.eoim ? U.ICC_CTLR_EL1_EOImode : 0)
  );
}

function bpr1Of(c: CpuIf): number {
  return c.cbpr ? Math.min(c.bpr + 1, 7) : c.abpr;
}

/** HAS_ATTR for CPU_SYSREGS: 0 for one of the 15 registers, else -ENXIO. */
export function iccHas(instr: number): number {
  return U.ICC_UACCESS_REGS.includes(instr) ? 0 : -ENXIO;
}

/** GET of a CPU_SYSREGS register: the value (>= 0), -ENOENT (unknown) or -EINVAL (AP index beyond the priority bits). */
export function iccUGet(v: VcpuGic, instr: number): number {
  const c = v.cpu;
  switch (instr) {
    case U.ICC_PMR_EL1:
      return c.pmr;
    case U.ICC_BPR0_EL1:
      return c.bpr & 7;
    case U.ICC_BPR1_EL1:
      return bpr1Of(c) & 7;
    case U.ICC_CTLR_EL1:
      return ctlrOf(c);
    case U.ICC_SRE_EL1:
      return c.sre;
    case U.ICC_IGRPEN0_EL1:
      return c.grpen0;
    case U.ICC_IGRPEN1_EL1:
      return c.grpen1;
    default:
      if (instr >= U.ICC_AP0R0_EL1 && instr <= U.ICC_AP1R3_EL1) {
        const idx = instr & 3;
        if (idx > maxAprIdx(c)) return -EINVAL;
        return (instr < U.ICC_AP1R0_EL1 ? c.ap0r[idx]! : c.ap1r[idx]!) >>> 0;
      }
      return -ENOENT;
  }
}

/** SET of a CPU_SYSREGS register (`lo`/`hi` halves of the u64): 0 or -errno; a refused value changes nothing. */
export function iccUSet(g: Vgic, v: VcpuGic, instr: number, lo: number, _hi: number): number {
  const c = v.cpu;
  switch (instr) {
    case U.ICC_PMR_EL1:
      c.pmr = lo & 0xff;
      break;
    case U.ICC_BPR0_EL1:
      c.bpr = lo & 7;
      break;
    case U.ICC_BPR1_EL1:
      if (!c.cbpr) c.abpr = lo & 7;
      break;
    case U.ICC_CTLR_EL1: {
      // set_gic_ctlr's order: each field is checked and stored before the next is looked at, so
      // a refused value can already have lowered PRIbits (or IDbits), as in the kernel
      const pri = ((lo & U.ICC_CTLR_EL1_PRI_BITS_MASK) >>> U.ICC_CTLR_EL1_PRI_BITS_SHIFT) + 1;
      if (pri > c.numPriBits) return -EINVAL;
      c.numPriBits = pri;
      const idb = (lo & U.ICC_CTLR_EL1_ID_BITS_MASK) >>> U.ICC_CTLR_EL1_ID_BITS_SHIFT;
      if (idb > c.numIdBits) return -EINVAL;
      c.numIdBits = idb;
      if ((lo & U.ICC_CTLR_EL1_SEIS ? 1 : 0) !== c.seis) return -EINVAL;
      if ((lo & U.ICC_CTLR_EL1_A3V ? 1 : 0) !== c.a3v) return -EINVAL;
      c.cbpr = lo & U.ICC_CTLR_EL1_CBPR ? 1 : 0;
      c.eoim = lo & U.ICC_CTLR_EL1_EOImode ? 1 : 0;
      break;
    }
    case U.ICC_SRE_EL1:
      if (!(lo & U.ICC_SRE_EL1_SRE)) return -EINVAL;
      break;
    case U.ICC_IGRPEN0_EL1:
      c.grpen0 = lo & 1;
      break;
    case U.ICC_IGRPEN1_EL1:
      c.grpen1 = lo & 1;
      break;
    default:
      if (instr >= U.ICC_AP0R0_EL1 && instr <= U.ICC_AP1R3_EL1) {
        const idx = instr & 3;
        if (idx > maxAprIdx(c)) return -EINVAL;
        if (instr < U.ICC_AP1R0_EL1) c.ap0r[idx] = lo >>> 0;
        else c.ap1r[idx] = lo >>> 0;
        break;
      }
      return -ENOENT;
  }
  refresh(g, v);
  return 0;
}

/** Guest MRS of an ICC_* register: the value, or -1 when the encoding is not an ICC register. */
export function iccGuestRead(g: Vgic, v: VcpuGic, instr: number): number {
  const c = v.cpu;
  // the acknowledges first, as literals (see delivery.ts): ICC_IAR1_EL1 0xc660, ICC_IAR0_EL1 0xc640
  if (instr === 0xc660) return acknowledge(g, v, 2, false);
  if (instr === 0xc640) return acknowledge(g, v, 1, false);
  switch (instr) {
    case U.ICC_HPPIR1_EL1:
      return highestPending(g, v, 2);
    case U.ICC_HPPIR0_EL1:
      return highestPending(g, v, 1);
    case U.ICC_RPR_EL1:
      return runningPriority(c);
    case U.ICC_PMR_EL1:
      return c.pmr & 0xf8;
    case U.ICC_SRE_EL1:
      return 0x7;
    case U.ICC_EOIR0_EL1:
    case U.ICC_EOIR1_EL1:
    case U.ICC_DIR_EL1:
    case U.ICC_SGI0R_EL1:
    case U.ICC_SGI1R_EL1:
    case U.ICC_ASGI1R_EL1:
      return 0;
    default: {
      const r = iccUGet(v, instr);
      if (r >= 0) return r;
      if (r === -EINVAL) return 0;
      return -1;
    }
  }
}

/** Guest MSR of an ICC_* register; false when the encoding is not an ICC register. */
export function iccGuestWrite(g: Vgic, v: VcpuGic, instr: number, lo: number, hi: number): boolean {
  const c = v.cpu;
  // the EOIs first, as literals (see delivery.ts): ICC_EOIR1_EL1 0xc661, ICC_EOIR0_EL1 0xc641
  if (instr === 0xc661 || instr === 0xc641) {
    endOfInterrupt(g, v, lo & 0xffffff);
    return true;
  }
  switch (instr) {
    case U.ICC_DIR_EL1:
      deactivateAndRefresh(g, v, lo & 0xffffff);
      return true;
    case U.ICC_SGI1R_EL1:
    case U.ICC_ASGI1R_EL1:
      sendSgiV3(g, v, lo, hi, true);
      return true;
    case U.ICC_SGI0R_EL1:
      sendSgiV3(g, v, lo, hi, false);
      return true;
    case U.ICC_PMR_EL1:
      c.pmr = lo & 0xf8;
      refresh(g, v);
      return true;
    case U.ICC_BPR0_EL1:
      c.bpr = Math.max(lo & 7, 7 - c.numPriBits);
      refresh(g, v);
      return true;
    case U.ICC_BPR1_EL1:
      if (!c.cbpr) c.abpr = Math.max(lo & 7, 8 - c.numPriBits);
      refresh(g, v);
      return true;
    case U.ICC_CTLR_EL1:
      c.cbpr = lo & U.ICC_CTLR_EL1_CBPR ? 1 : 0;
      c.eoim = lo & U.ICC_CTLR_EL1_EOImode ? 1 : 0;
      refresh(g, v);
      return true;
    case U.ICC_SRE_EL1:
    case U.ICC_IAR0_EL1:
    case U.ICC_IAR1_EL1:
    case U.ICC_HPPIR0_EL1:
    case U.ICC_HPPIR1_EL1:
    case U.ICC_RPR_EL1:
      return true;
    default: {
      if (instr >= U.ICC_AP0R0_EL1 && instr <= U.ICC_AP1R3_EL1 && (instr & 3) > maxAprIdx(c)) return true;
      const r = iccUSet(g, v, instr, lo, hi);
      return r === 0;
    }
  }
}
