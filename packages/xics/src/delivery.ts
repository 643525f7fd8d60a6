/**
 * The presentation core of book3s_xics.c: the ICP state update and its EE output, delivery of a
 * source to its server (with rejection and resend), the resend scan and Down_CPPR. Every path
 * (KVM_IRQ_LINE, the hcalls, RTAS, GRP_SOURCES, ONE_REG) goes through these functions.
 *
 * The kernel updates an ICP with one compare-and-swap; this model is single-threaded, so each
 * update is a plain assignment followed by {@link icpUpdated}. The retry paths the kernel needs
 * for races cannot happen here.
 * @packageDocumentation
 */
import { KVM_LINE_EXTERNAL } from '@kvmdev/core';
import { type Icp, PQ_PRESENTED, SRC_MASKED_PENDING, SRC_RESEND, type XicsState } from './state.js';
import { MASKED, XICS_IPI } from './uapi.js';

/**
 * icp_try_update after the new state is in place: recompute out_ee and, when the new state
 * calls for it, raise the vCPU's external interrupt. The line is never lowered here; only
 * H_XIRR, an upward H_CPPR and a ONE_REG set lower it, before their own update.
 */
export function icpUpdated(icp: Icp): void {
  const ee = icp.xisr !== 0 && icp.pendingPri < icp.cppr;
  icp.outEe = ee;
  if (ee) icp.vcpu.setLine(KVM_LINE_EXTERNAL, 1);
}

/** kvmppc_book3s_dequeue_irqprio(EXTERNAL): lowers the vCPU's external interrupt. */
export function dropEe(icp: Icp): void {
  icp.vcpu.setLine(KVM_LINE_EXTERNAL, 0);
}

/** The XISR a successful {@link tryToDeliver} displaced (0 when none); a scratch, not state. */
let rejected = 0;

/**
 * icp_try_to_deliver: presents `irq` at `priority` iff CPPR, MFRR and PPRI are all less
 * favoured (numerically greater). On success the old XISR is left in `rejected`; on failure the
 * ICP gets need_resend.
 */
function tryToDeliver(icp: Icp, irq: number, priority: number): boolean {
  rejected = 0;
  const ok = icp.cppr > priority && icp.mfrr > priority && icp.pendingPri > priority;
  if (ok) {
    rejected = icp.xisr;
    icp.xisr = irq;
    icp.pendingPri = priority;
  } else {
    icp.needResend = true;
  }
  icpUpdated(icp);
  return ok;
}

/**
 * icp_deliver_irq: delivers source `irq` to the ICP of its server (`icp` is a hint: looked up
 * again when null or when the source targets another server). A rejected source is delivered
 * again in turn. With `checkResend`, only a source that still has its resend flag is delivered.
 */
export function deliverIrq(xics: XicsState, hint: Icp | null, irq: number, checkResend: boolean): void {
  let icp = hint;
  let n = irq;
  let check = checkResend;
  for (;;) {
    const ics = xics.findIcs(n);
    if (ics === null) return;
    const src = n & 0x3ff;
    const server = ics.server[src]!;
    if (icp === null || icp.server !== server) {
      const found = xics.findServer(server);
      // The kernel warns "server not found" and drops the interrupt.
      if (found === undefined) return;
      icp = found;
    }
    const flags = ics.flags;
    if (check && (flags[src]! & SRC_RESEND) === 0) return;
    flags[src] = flags[src]! & ~SRC_RESEND;
    const prio = ics.priority[src]!;
    if (prio === MASKED) {
      flags[src] = flags[src]! | SRC_MASKED_PENDING;
      return;
    }
    if (tryToDeliver(icp, n, prio)) {
      const r = rejected;
      if (r !== 0 && r !== XICS_IPI) {
        n = r;
        check = false;
        continue;
      }
      return;
    }
    // Refused: remember it for the next resend scan of this ICP. (The kernel re-checks
    // need_resend here against a racing scan; single-threaded, it is always still set.)
    flags[src] = flags[src]! | SRC_RESEND;
    icp.resendMap[ics.icsid >>> 5] = icp.resendMap[ics.icsid >>> 5]! | (1 << (ics.icsid & 31));
    return;
  }
}

/**
 * icp_check_resend: for each ICS block in the ICP's resend map (clearing its bit), every source
 * of the block that has its resend flag is delivered again. Walks only the blocks in the map.
 */
export function checkResend(xics: XicsState, icp: Icp): void {
  const map = icp.resendMap;
  const limit = xics.maxIcsid + 1;
  // Like for_each_set_bit: the position only moves forward, and each word is re-read, so a
  // block whose bit is set again behind the position waits for the next scan.
  let pos = 0;
  while (pos < limit) {
    const w = pos >>> 5;
    const bits = map[w]! & (-1 << (pos & 31));
    if (bits === 0) {
      pos = (w + 1) << 5;
      continue;
    }
    const icsid = (w << 5) | (31 - Math.clz32(bits & -bits));
    if (icsid >= limit) return;
    map[w] = map[w]! & ~(1 << (icsid & 31));
    pos = icsid + 1;
    const ics = xics.ics[icsid];
    if (ics === null || ics === undefined) continue;
    const flags = ics.flags;
    const base = icsid << 10;
    for (let i = 0; i < 1024; i++) {
      if (flags[i]! & SRC_RESEND) deliverIrq(xics, icp, base | i, true);
    }
  }
}

/**
 * icp_down_cppr (shared by H_CPPR and H_EOI): CPPR = new; an IPI whose MFRR is now more
 * favoured (and not worse than PPRI) is (re)presented; need_resend is latched and cleared and,
 * if it was set, the resend scan runs. No rejection check (PAPR leaves that to the OS).
 */
export function downCppr(xics: XicsState, icp: Icp, newCppr: number): void {
  icp.cppr = newCppr;
  if (icp.mfrr < newCppr && icp.mfrr <= icp.pendingPri) {
    icp.pendingPri = icp.mfrr;
    icp.xisr = XICS_IPI;
  }
  const resend = icp.needResend;
  icp.needResend = false;
  icpUpdated(icp);
  if (resend) checkResend(xics, icp);
}

/** Whether the P bit of source `irq` is set (for tests and snapshots). */
export function presented(xics: XicsState, irq: number): boolean {
  const ics = xics.findIcs(irq);
  return ics !== null && (ics.pq[irq & 0x3ff]! & PQ_PRESENTED) !== 0;
}
