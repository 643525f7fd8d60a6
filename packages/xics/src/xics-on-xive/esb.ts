/**
 * The XIVE hardware as XICS-on-XIVE drives it: the ESB PQ state machine of a source's backing
 * IPI (trigger, the SET_PQ loads, the EOI that re-triggers a queued event) and the routing of
 * a forwarded event through the source's EAS into a presenter's event queue.
 * @packageDocumentation
 */
import { KVM_LINE_EXTERNAL } from '@kvmdev/core';
import { MASKED, XICS_IPI } from '../uapi.js';
import { ESB_P, ESB_Q, NO_VP, type XicsOnXive, type XicsOnXivePresenter, type XiveSrcBlock } from './state.js';

/** Queue entries the kernel keeps free when it counts targets (XIVE_Q_GAP). */
export const XIVE_Q_GAP = 2;

/**
 * xive_prio_from_guest: guest priorities 0..5 and 0xff stand; anything else is 6 (the XIVE has
 * 8 priorities and KVM keeps 7 for itself).
 */
export function prioFromGuest(prio: number): number {
  return prio === MASKED || prio < 6 ? prio : 6;
}

/**
 * The thread context's exception line: the most favoured notified priority (PIPR) below the
 * context's CPPR raises the vCPU's external interrupt.
 */
export function timaUpdate(p: XicsOnXivePresenter): void {
  const pipr = p.ipb === 0 ? 0xff : 31 - Math.clz32(p.ipb & -p.ipb);
  p.vcpu.setLine(KVM_LINE_EXTERNAL, pipr < p.hwCppr ? 1 : 0);
}

/**
 * Writes an event into the queue `prio` of presenter `p` and notifies the VP (its IPB bit); a
 * queue without a page only notifies at priority 0 (the non-queued IPI) and escalates otherwise.
 */
function queueEvent(x: XicsOnXive, p: XicsOnXivePresenter, prio: number, eisn: number): void {
  const q = p.queues[prio]!;
  if (!q.provisioned) {
    if (prio !== 0) return;
  } else if (q.events.length - q.idx <= x.queueEntries) {
    // beyond queueEntries unread events the ring wrapped: the generation bit of the oldest
    // slots flipped and the queue reads as empty (see pendingEvents)
    q.events.push(eisn);
  }
  p.ipb |= 1 << prio;
  timaUpdate(p);
}

/** The unread events of a queue as the guest would read them (none once the ring overflowed). */
export function pendingEvents(x: XicsOnXive, p: XicsOnXivePresenter, prio: number): number {
  const q = p.queues[prio]!;
  const n = q.events.length - q.idx;
  return n > x.queueEntries ? 0 : n;
}

/** An event leaves the ESB of source `idx` (PQ went 00 to 10): routed by its EAS. */
function forward(x: XicsOnXive, b: XiveSrcBlock, idx: number): void {
  const prio = b.easPrio[idx]!;
  const vp = b.easVp[idx]!;
  if (prio === MASKED || vp === NO_VP) return;
  const p = x.findVp(vp);
  if (p === undefined || !p.valid) return;
  queueEvent(x, p, prio, (b.id << 10) | idx);
}

/** A trigger of source `idx`'s IPI (a store to its trigger page): 00 → 10 forwards, 10/11 → 11, 01 stays. */
export function esbTrigger(x: XicsOnXive, b: XiveSrcBlock, idx: number): void {
  const pq = b.pq[idx]!;
  if (pq === 0) {
    b.pq[idx] = ESB_P;
    forward(x, b, idx);
  } else if (pq & ESB_P) b.pq[idx] = ESB_P | ESB_Q;
}

/** An ESB SET_PQ load: sets PQ to `to` and returns the old bits. */
export function esbSetPq(b: XiveSrcBlock, idx: number, to: number): number {
  const old = b.pq[idx]!;
  b.pq[idx] = to;
  return old;
}

/** xive_vm_source_eoi on an IPI (no StoreEOI on POWER9): PQ → 00, and a set Q re-triggers. */
export function esbEoi(x: XicsOnXive, b: XiveSrcBlock, idx: number): void {
  const old = esbSetPq(b, idx, 0);
  if (old & ESB_Q) esbTrigger(x, b, idx);
}

/** A trigger of presenter `p`'s own IPI (routed to its VP at priority 0 with number XICS_IPI). */
export function vpIpiTrigger(x: XicsOnXive, p: XicsOnXivePresenter): void {
  if (p.ipiPq === 0) {
    p.ipiPq = ESB_P;
    if (p.valid) queueEvent(x, p, 0, XICS_IPI);
  } else if (p.ipiPq & ESB_P) p.ipiPq = ESB_P | ESB_Q;
}
