/**
 * The presenter side (ICP): the hypercall semantics of book3s_xics.c (H_XIRR, H_IPI, H_IPOLL,
 * H_CPPR, H_EOI) and the ICP state through ONE_REG. Hypercall registers are 64-bit: arguments
 * arrive as JS numbers (a negative number is read as its two's complement, i.e. a value of at
 * least 2^63), compared in full where the kernel compares `unsigned long`s and truncated where
 * the kernel stores into a u8 or passes a u32.
 * @packageDocumentation
 */
import { EINVAL } from '@kvmdev/core';
import { checkResend, deliverIrq, downCppr, dropEe, icpUpdated } from './delivery.js';
import { icsEoi } from './ics.js';
import type { Icp, XicsState } from './state.js';
import { H_PARAMETER, H_SUCCESS, MASKED, XICS_IPI } from './uapi.js';

/** A register value as an unsigned magnitude for comparisons (negative = at least 2^63). */
export function regU64(v: number): number {
  if (v >= 0) return v;
  return v < 0 ? Number.POSITIVE_INFINITY : 0;
}

/** Bits 31:24 of a register value (`xirr >> 24` passed as a u8). */
export function regByte3(v: number): number {
  return Math.floor(v / 16777216) & 0xff;
}

/** The result registers of {@link hIpoll}: [r4, r5] (reused). */
export const ipollOut = [0, 0];

/**
 * kvmppc_h_xirr (Accept_Interrupt): drops EE, returns the old CPPR<<24 | XISR as an int32 (the
 * caller stores `>>> 0`, the u32 r4 holds: an int32 crosses the call without being boxed),
 * accepts XISR.
 */
export function hXirr(icp: Icp): number {
  dropEe(icp);
  const xirr = (icp.cppr << 24) | icp.xisr;
  if (icp.xisr === 0) return xirr;
  icp.cppr = icp.pendingPri;
  icp.pendingPri = MASKED;
  icp.xisr = 0;
  icpUpdated(icp);
  return xirr;
}

/**
 * kvmppc_h_ipi (Set_MFRR, Check_IPI): sets the target's MFRR (a u8); an MFRR more favoured
 * than CPPR and not worse than PPRI takes XISR over (rejecting what was there); a larger MFRR
 * than before runs the pending resend scan. Comparisons use the full 64-bit value.
 */
export function hIpi(xics: XicsState, self: Icp, server: number, mfrr: number): number {
  let icp = self;
  if (self.server !== server) {
    const t = xics.findServer(server >>> 0);
    if (t === undefined) return H_PARAMETER;
    icp = t;
  }
  const m = regU64(mfrr);
  const old = icp.mfrr;
  icp.mfrr = mfrr & 0xff;
  let reject = 0;
  let resend = false;
  if (m < icp.cppr && m <= icp.pendingPri) {
    reject = icp.xisr;
    icp.pendingPri = m;
    icp.xisr = XICS_IPI;
  }
  if (m > old) {
    resend = icp.needResend;
    icp.needResend = false;
  }
  icpUpdated(icp);
  if (reject !== 0 && reject !== XICS_IPI) deliverIrq(xics, icp, reject, false);
  if (resend) checkResend(xics, icp);
  return H_SUCCESS;
}

/** kvmppc_h_ipoll: a read-only peek at any ICP; results in {@link ipollOut}. */
export function hIpoll(xics: XicsState, self: Icp, server: number): number {
  let icp = self;
  if (self.server !== server) {
    const t = xics.findServer(server >>> 0);
    if (t === undefined) return H_PARAMETER;
    icp = t;
  }
  ipollOut[0] = ((icp.cppr << 24) | icp.xisr) >>> 0;
  ipollOut[1] = icp.mfrr;
  return H_SUCCESS;
}

/**
 * kvmppc_h_cppr (Set_CPPR): a less favoured CPPR goes through Down_CPPR first; an equal one
 * does nothing; then (Up_CPPR) EE is dropped, CPPR is set and a pending interrupt that is not
 * more favoured than the new CPPR is rejected and delivered again.
 */
export function hCppr(xics: XicsState, icp: Icp, cppr: number): void {
  const c = regU64(cppr);
  const byte = cppr & 0xff;
  if (c > icp.cppr) downCppr(xics, icp, byte);
  else if (c === icp.cppr) return;
  dropEe(icp);
  icp.cppr = byte;
  let reject = 0;
  if (c <= icp.pendingPri) {
    reject = icp.xisr;
    icp.xisr = 0;
    icp.pendingPri = MASKED;
  }
  icpUpdated(icp);
  if (reject !== 0 && reject !== XICS_IPI) deliverIrq(xics, icp, reject, false);
}

/**
 * kvmppc_h_eoi: Down_CPPR(xirr >> 24) first, then (unless the source is the IPI) the ICS EOI,
 * which gives H_PARAMETER for a source whose block does not exist, after the CPPR change.
 */
export function hEoi(xics: XicsState, icp: Icp, xirr: number): number {
  downCppr(xics, icp, regByte3(xirr));
  const irq = xirr & 0xffffff;
  if (irq === XICS_IPI) return H_SUCCESS;
  return icsEoi(xics, icp, irq);
}

/**
 * kvmppc_xics_set_icp: validates the value (its two u32 halves), then replaces the ICP state
 * without rejecting what it displaces. EE is dropped and recomputed. The resend scan runs only
 * when the new MFRR is larger than the old one; otherwise need_resend is carried over.
 * Returns 0 or -EINVAL.
 */
export function setIcp(xics: XicsState, icp: Icp, lo: number, hi: number): number {
  const cppr = hi >>> 24;
  const xisr = hi & 0xffffff;
  const mfrr = lo >>> 24;
  const ppri = (lo >>> 16) & 0xff;
  if (xisr === 0) {
    if (ppri !== MASKED) return -EINVAL;
  } else if (xisr === XICS_IPI) {
    if (ppri !== mfrr || ppri >= cppr) return -EINVAL;
  } else {
    if (ppri >= mfrr || ppri >= cppr) return -EINVAL;
    if (xics.findIcs(xisr) === null) return -EINVAL;
  }
  dropEe(icp);
  let resend = false;
  if (mfrr > icp.mfrr) {
    resend = icp.needResend;
    icp.needResend = false;
  }
  icp.cppr = cppr;
  icp.xisr = xisr;
  icp.mfrr = mfrr;
  icp.pendingPri = ppri;
  icpUpdated(icp);
  if (resend) checkResend(xics, icp);
  return 0;
}
