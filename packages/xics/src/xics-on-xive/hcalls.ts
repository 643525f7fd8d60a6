/**
 * The XICS hypercalls of a vCPU connected to an XICS-on-XIVE (kvmppc_xive_xics_hcall and the
 * `xive_vm_h_*` handlers): the guest's XIRR is synthesised from the VP's event queues, its CPPR
 * and MFRR. The XIVE thread context is modelled as its pending buffer (IPB, a bit per notified
 * priority) and CPPR: the acknowledge cycle takes the most favoured notified priority below the
 * CPPR. Results in `out[0]` (r4) and, for H_XIRR_X, `out[1]` (r5).
 * @packageDocumentation
 */
import { H_PARAMETER, H_SUCCESS, MASKED, XICS_IPI } from '../uapi.js';
import { esbEoi, esbTrigger, pendingEvents, prioFromGuest, timaUpdate, vpIpiTrigger } from './esb.js';
import { ESB_P, ESB_Q, XS_ASSERTED, XS_LSI, XS_OLD_P, XIVE_Q_COUNT, type XicsOnXive, type XicsOnXivePresenter } from './state.js';

/** The dummy entry H_CPPR leaves where it took a rerouted event out of a queue (XICS_DUMMY). */
const XICS_DUMMY = 1;

const SCAN_FETCH = 0;
const SCAN_POLL = 1;
const SCAN_EOI = 2;

/** The lowest set bit's index of an 8-bit mask, or 0xff when it is 0 (ffs - 1 as a u8). */
function lowestBit(mask: number): number {
  return mask === 0 ? 0xff : 31 - Math.clz32(mask & -mask);
}

/** The thread context's CPPR is written (`hw_cppr`). */
function writeHwCppr(p: XicsOnXivePresenter, cppr: number): void {
  p.hwCppr = cppr;
  timaUpdate(p);
}

/** xive_vm_ack_pending: the acknowledge cycle; a priority below the context's CPPR becomes pending. */
function ackPending(p: XicsOnXivePresenter): void {
  const pipr = lowestBit(p.ipb);
  if (pipr >= p.hwCppr) return;
  p.ipb &= ~(1 << pipr);
  p.pending |= 1 << pipr;
  writeHwCppr(p, pipr);
}

/** EOI of the VP's own IPI (PQ 00; a queued one re-triggers). */
function vpIpiEoi(x: XicsOnXive, p: XicsOnXivePresenter): void {
  const old = p.ipiPq;
  p.ipiPq = 0;
  if (old & ESB_Q) vpIpiTrigger(x, p);
}

/**
 * xive_vm_scan_interrupts: the most favoured interrupt the guest can take, from the pending
 * priorities' queues and the MFRR. `fetch` consumes what it returns; `poll` only looks; `eoi`
 * cleans up the pending bits. Returns the source number (XICS_IPI for the MFRR), or 0.
 */
function scan(x: XicsOnXive, p: XicsOnXivePresenter, pendingIn: number, type: number): number {
  let pending = pendingIn;
  let hirq = 0;
  let prio = 0xff;
  while ((p.mfrr !== MASKED || pending !== 0) && hirq === 0) {
    prio = lowestBit(pending);
    if (prio >= p.cppr || prio > 7) {
      if (p.mfrr < p.cppr) {
        prio = p.mfrr;
        hirq = XICS_IPI;
      }
      break;
    }
    const q = p.queues[prio]!;
    let idx = q.idx;
    const avail = q.idx + pendingEvents(x, p, prio);
    for (;;) {
      hirq = q.provisioned && idx < avail ? q.events[idx++]! : 0;
      if (hirq === XICS_IPI || (prio === 0 && !q.provisioned)) {
        if (type === SCAN_FETCH) {
          vpIpiEoi(x, p);
          q.idx = idx;
        }
        if (hirq) continue;
      }
      if (hirq === XICS_DUMMY) continue;
      break;
    }
    if (!hirq) {
      pending &= ~(1 << prio);
      if (q.pendingCount) {
        q.count = Math.max(0, q.count - q.pendingCount);
        q.pendingCount = 0;
      }
    }
    if (prio >= p.mfrr && p.mfrr < p.cppr) {
      prio = p.mfrr;
      hirq = XICS_IPI;
      break;
    }
    if (type === SCAN_FETCH) q.idx = idx;
  }
  if (type === SCAN_POLL) return hirq;
  p.pending = pending;
  if (type === SCAN_EOI) return hirq;
  if (hirq) p.cppr = prio;
  if (p.cppr !== p.hwCppr) writeHwCppr(p, p.cppr);
  return hirq;
}

/** xive_vm_push_pending_to_hw: the pending priorities and the MFRR are notified again. */
function pushPendingToHw(p: XicsOnXivePresenter): void {
  let pending = p.pending;
  if (p.mfrr !== MASKED) pending |= p.mfrr < 8 ? 1 << p.mfrr : 0x80;
  if (!pending) return;
  p.ipb |= 1 << lowestBit(pending);
  timaUpdate(p);
}

/** H_XIRR: acknowledge, take the most favoured interrupt; r4 = old CPPR << 24 | source. */
export function xiveHXirr(x: XicsOnXive, p: XicsOnXivePresenter): number {
  ackPending(p);
  const oldCppr = p.cppr;
  const hirq = scan(x, p, p.pending, SCAN_FETCH);
  return ((oldCppr << 24) | hirq) >>> 0;
}

/**
 * H_IPOLL: a look at a presenter's most favoured interrupt. **The result goes to the target's
 * r4** (`xive_vm_h_ipoll` sets the GPR of the vCPU it looked up), so polling another server
 * leaves the caller's r4 alone: `target` says whose r4 `out[0]` is.
 */
export function xiveHIpoll(x: XicsOnXive, self: XicsOnXivePresenter, server: number, out: number[]): { rc: number; target: XicsOnXivePresenter | null } {
  let p = self;
  let pending = self.pending;
  if (self.server !== server) {
    // the compare with self is in full, the lookup takes a u32
    const t = x.findServer(server);
    if (t === undefined) return { rc: H_PARAMETER, target: null };
    p = t;
    pending = 0xff;
  } else {
    const pipr = lowestBit(self.ipb);
    if (pipr < 8) pending |= 1 << pipr;
  }
  const hirq = scan(x, p, pending, SCAN_POLL);
  out[0] = ((p.cppr << 24) | hirq) >>> 0;
  return { rc: H_SUCCESS, target: p };
}

/** xive_vm_scan_for_rerouted_irqs: events of sources moved to another server are taken out and resent. */
function scanForReroutedIrqs(x: XicsOnXive, p: XicsOnXivePresenter): void {
  for (let prio = p.cppr; prio < XIVE_Q_COUNT; prio++) {
    const q = p.queues[prio]!;
    if (!q.provisioned) continue;
    const end = q.idx + pendingEvents(x, p, prio);
    for (let i = q.idx; i < end; i++) {
      const irq = q.events[i]!;
      if (irq === XICS_DUMMY || irq === XICS_IPI) continue;
      const b = x.findBlock(irq);
      if (b === null) continue;
      const idx = irq & 0x3ff;
      if (b.actServer[idx] === p.server) continue;
      q.events[i] = XICS_DUMMY;
      // the IPI backing a source is never an LSI in hardware: PQ 11, and the EOI resends it
      b.pq[idx] = ESB_P | ESB_Q;
      esbEoi(x, b, idx);
    }
  }
}

/** H_CPPR: masking less notifies what is pending; masking more takes rerouted events out. */
export function xiveHCppr(x: XicsOnXive, p: XicsOnXivePresenter, cpprArg: number): void {
  const cppr = prioFromGuest(cpprArg & 0xff);
  const old = p.cppr;
  p.cppr = cppr;
  if (cppr > old) pushPendingToHw(p);
  else scanForReroutedIrqs(x, p);
  writeHwCppr(p, cppr);
}

/**
 * H_EOI: CPPR from the XIRR's top byte; the source's EOI (on a masked source only the saved P
 * clears; an asserted LSI triggers again); H_PARAMETER for a block that does not exist, after
 * the CPPR change. The pending priorities are notified again.
 */
export function xiveHEoi(x: XicsOnXive, p: XicsOnXivePresenter, xirr: number): number {
  const newCppr = (xirr >>> 24) & 0xff;
  const irq = xirr & 0xffffff;
  let rc = H_SUCCESS;
  p.cppr = prioFromGuest(newCppr);
  if (irq !== XICS_IPI && irq !== 0) {
    const b = x.findBlock(irq);
    if (b === null) rc = H_PARAMETER;
    else {
      const idx = irq & 0x3ff;
      if (b.guestPrio[idx] === MASKED) b.flags[idx] = b.flags[idx]! & ~XS_OLD_P;
      else {
        esbEoi(x, b, idx);
        const f = b.flags[idx]!;
        if (f & XS_LSI && f & XS_ASSERTED) esbTrigger(x, b, idx);
      }
    }
  }
  scan(x, p, p.pending, SCAN_EOI);
  pushPendingToHw(p);
  writeHwCppr(p, p.cppr);
  return rc;
}

/**
 * H_IPI: MFRR stored as a u8 but compared in full with the target's CPPR; a more favoured one
 * triggers the target VP's IPI. H_PARAMETER for a server nobody has.
 */
export function xiveHIpi(x: XicsOnXive, server: number, mfrr: number): number {
  const t = x.findServer(server);
  if (t === undefined) return H_PARAMETER;
  t.mfrr = mfrr & 0xff;
  // a negative argument stands for an unsigned long of 2^63 or more: never below CPPR
  if (mfrr >= 0 && mfrr < t.cppr) vpIpiTrigger(x, t);
  return H_SUCCESS;
}
