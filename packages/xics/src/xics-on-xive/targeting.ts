/**
 * Masking and targeting of an XICS-on-XIVE source (book3s_xive.c's rules): a masked source has
 * its ESB set to PQ 10 with the old P and Q remembered; unmasking ORs the old Q back and EOIs
 * when the old P was clear; targeting picks a presenter's queue (falling back to any presenter
 * whose queue has room) and reprograms the EAS; queues of a priority are provisioned on every
 * presenter the first time a source uses that priority.
 * @packageDocumentation
 */
import { EBUSY, EINVAL, ENXIO } from '@kvmdev/core';
import { MASKED } from '../uapi.js';
import { XIVE_Q_GAP, esbEoi, esbSetPq } from './esb.js';
import {
  ESB_P,
  ESB_Q,
  XS_OLD_P,
  XS_OLD_Q,
  type XicsOnXive,
  type XicsOnXivePresenter,
  type XiveSrcBlock,
} from './state.js';

/** xive_check_provisioning: the first use of a priority gives every presenter a queue page for it. */
export function checkProvisioning(x: XicsOnXive, prio: number): void {
  if (x.qmap & (1 << prio)) return;
  for (const p of x.presenters) p.queues[prio]!.provisioned = true;
  x.qmap |= 1 << prio;
}

/** xive_try_pick_queue: 0 and one more target counted, ENXIO (not routable) or EBUSY (full). */
function tryPickQueue(x: XicsOnXive, p: XicsOnXivePresenter, prio: number): number {
  if (!p.valid) return -ENXIO;
  const q = p.queues[prio]!;
  if (!q.provisioned) return -ENXIO;
  if (q.count >= x.queueEntries - XIVE_Q_GAP) return -EBUSY;
  q.count++;
  return 0;
}

/**
 * kvmppc_xive_select_target: the presenter of `server` (EINVAL without one) if its queue has
 * room, else the first presenter (vCPU order) whose queue has; EBUSY when none has. Returns the
 * chosen server number (>= 0) or -errno.
 */
export function selectTarget(x: XicsOnXive, server: number, prio: number): number {
  const p = x.findServer(server);
  if (p === undefined) return -EINVAL;
  if (tryPickQueue(x, p, prio) === 0) return p.server;
  for (const o of x.presenters) if (tryPickQueue(x, o, prio) === 0) return o.server;
  return -EBUSY;
}

/**
 * xive_target_interrupt: on success the old target's queue is told a target left, the source's
 * actual server and priority change, and the EAS routes to the new VP. On failure nothing changes.
 */
export function targetInterrupt(x: XicsOnXive, b: XiveSrcBlock, idx: number, server: number, prio: number): number {
  const chosen = selectTarget(x, server, prio);
  if (chosen < 0) return chosen;
  const oldPrio = b.actPrio[idx]!;
  if (oldPrio !== MASKED) {
    const old = x.findServer(b.actServer[idx]!);
    if (old !== undefined) old.queues[oldPrio]!.pendingCount++;
  }
  b.actPrio[idx] = prio;
  b.actServer[idx] = chosen;
  b.easVp[idx] = x.findServer(chosen)!.vpId;
  b.easPrio[idx] = prio;
  return 0;
}

/**
 * xive_lock_and_mask: the guest priority becomes MASKED; if it was not already, PQ is set to 10
 * and the old P and Q are remembered. Returns the old guest priority.
 */
export function lockAndMask(b: XiveSrcBlock, idx: number): number {
  const old = b.guestPrio[idx]!;
  b.guestPrio[idx] = MASKED;
  if (old === MASKED) return old;
  const pq = esbSetPq(b, idx, ESB_P);
  let f = b.flags[idx]! & ~(XS_OLD_P | XS_OLD_Q);
  if (pq & ESB_P) f |= XS_OLD_P;
  if (pq & ESB_Q) f |= XS_OLD_Q;
  b.flags[idx] = f;
  return old;
}

/**
 * xive_finish_unmask: from a masked source only, the old Q is put back (PQ 11) and, when the old
 * P was clear, the source is EOId (which re-triggers a set Q); the guest priority becomes `prio`.
 */
export function finishUnmask(x: XicsOnXive, b: XiveSrcBlock, idx: number, prio: number): void {
  if (b.guestPrio[idx] === MASKED) {
    const f = b.flags[idx]!;
    if (f & XS_OLD_Q) esbSetPq(b, idx, ESB_P | ESB_Q);
    if (!(f & XS_OLD_P)) esbEoi(x, b, idx);
  }
  b.guestPrio[idx] = prio;
}
