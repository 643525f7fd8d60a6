/**
 * GRP_SOURCES on XICS-on-XIVE: SET restores a source (xive_set_source: the priority is mapped to
 * a XIVE priority and targeted, a failed targeting leaves the source untargeted and still
 * answers 0, P and Q are kept for the unmask), GET answers from a snapshot (xive_get_source: the
 * first GET of a round masks every source, scans every queue and unmasks them again; the round
 * ends after as many GETs, of any sources, as there are valid sources).
 * @packageDocumentation
 */
import { EFAULT, ENOENT, type UserMemory } from '@kvmdev/core';
import {
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_IRQ_PER_ICS,
  KVMPPC_XICS_NR_IRQS,
  MASKED,
  XICS_HI_LEVEL_SENSITIVE,
  XICS_HI_MASKED,
  XICS_HI_PENDING,
  XICS_HI_PRESENTED,
  XICS_HI_QUEUED,
  XICS_IPI,
} from '../uapi.js';
import { prioFromGuest } from './esb.js';
import {
  XS_ASSERTED,
  XS_IN_QUEUE,
  XS_LSI,
  XS_OLD_P,
  XS_OLD_Q,
  XS_SAVED_P,
  XS_SAVED_Q,
  XS_VALID,
  type XicsOnXive,
} from './state.js';
import { checkProvisioning, finishUnmask, lockAndMask, targetInterrupt } from './targeting.js';

/** xive_check_delayed_irq: an ICP restore named `irq` before it existed; that restore is consumed. */
function takeDelayedIrq(x: XicsOnXive, irq: number): boolean {
  for (const p of x.presenters) {
    if (p.delayedIrq === irq) {
      p.delayedIrq = 0;
      x.delayedIrqs--;
      return true;
    }
  }
  return false;
}

/**
 * xive_set_source, in the kernel's order: the range (ENOENT; `attrHi` must be 0), the block
 * (created, and kept if a later step fails), the u64 (EFAULT), then the restore, which cannot fail.
 */
export function setSource(x: XicsOnXive, mem: UserMemory, attrLo: number, attrHi: number, addr: number): number {
  if (attrHi !== 0 || attrLo < KVMPPC_XICS_FIRST_IRQ || attrLo >= KVMPPC_XICS_NR_IRQS) return -ENOENT;
  const b = x.createBlock(attrLo);
  if (!mem.ok(addr, 8)) return -EFAULT;
  const server = mem.getU64Lo(addr);
  let hi = mem.getU64Hi(addr);
  const guestPrio = hi & 0xff;
  const idx = attrLo & (KVMPPC_XICS_IRQ_PER_ICS - 1);
  // mask it first (from priority 0, so that the ESB really goes to PQ 10), untargeted
  b.guestPrio[idx] = 0;
  lockAndMask(b, idx);
  const actPrio = prioFromGuest(guestPrio);
  b.actPrio[idx] = MASKED;
  if (actPrio !== MASKED) {
    checkProvisioning(x, actPrio);
    // a server that does not exist (EINVAL) or full queues (EBUSY) leave it untargeted: still 0
    targetInterrupt(x, b, idx, server, actPrio);
  }
  if (x.delayedIrqs && takeDelayedIrq(x, attrLo)) hi |= XICS_HI_PENDING;
  let f = b.flags[idx]! & ~(XS_OLD_P | XS_OLD_Q | XS_LSI | XS_ASSERTED);
  if (hi & XICS_HI_LEVEL_SENSITIVE) {
    f |= XS_LSI;
    if (hi & XICS_HI_PENDING) f |= XS_ASSERTED;
  }
  // a pending source comes back as Q without P: the unmask EOI re-triggers it
  if (hi & XICS_HI_PRESENTED && !(hi & XICS_HI_PENDING)) f |= XS_OLD_P;
  if (hi & (XICS_HI_QUEUED | XICS_HI_PENDING)) f |= XS_OLD_Q;
  b.flags[idx] = f;
  if (hi & XICS_HI_MASKED) b.guestPrio[idx] = MASKED;
  else finishUnmask(x, b, idx, guestPrio);
  b.savedPrio[idx] = guestPrio;
  if (!(f & XS_VALID)) {
    x.srcCount++;
    b.flags[idx] = f | XS_VALID;
  }
  return 0;
}

/** xive_pre_save_scan: mask every valid source (saving P, Q and the priority), scan the queues, unmask. */
function preSaveScan(x: XicsOnXive): void {
  for (let id = 0; id <= x.maxSbid; id++) {
    const b = x.blocks[id];
    if (!b) continue;
    for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) {
      const f = b.flags[i]!;
      if (!(f & XS_VALID)) continue;
      b.scanPrio[i] = lockAndMask(b, i);
      const g = b.flags[i]! & ~(XS_SAVED_P | XS_SAVED_Q);
      b.flags[i] = g | (g & XS_OLD_P ? XS_SAVED_P : 0) | (g & XS_OLD_Q ? XS_SAVED_Q : 0);
    }
  }
  for (const p of x.presenters) {
    for (const q of p.queues) {
      if (!q.provisioned || q.events.length - q.idx > x.queueEntries) continue;
      for (let e = q.idx; e < q.events.length; e++) {
        const irq = q.events[e]!;
        if (irq <= XICS_IPI) continue;
        const b = x.findBlock(irq);
        const i = irq & (KVMPPC_XICS_IRQ_PER_ICS - 1);
        if (b !== null && b.flags[i]! & XS_VALID) b.flags[i] = b.flags[i]! | XS_IN_QUEUE;
      }
    }
  }
  for (let id = 0; id <= x.maxSbid; id++) {
    const b = x.blocks[id];
    if (!b) continue;
    for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) {
      if (!(b.flags[i]! & XS_VALID)) continue;
      if (b.scanPrio[i] !== MASKED) finishUnmask(x, b, i, b.scanPrio[i]!);
    }
  }
}

/** xive_post_save_scan: the round is over; in_queue flags clear and the next GET scans again. */
function postSaveScan(x: XicsOnXive): void {
  for (let id = 0; id <= x.maxSbid; id++) {
    const b = x.blocks[id];
    if (!b) continue;
    for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) b.flags[i] = b.flags[i]! & ~XS_IN_QUEUE;
  }
  x.savedSrcCount = 0;
}

/**
 * xive_get_source: ENOENT for a source never set (the number taken as a u32); the round's
 * scan and count happen before the value is written, so a bad pointer (EFAULT) still counts.
 */
export function getSource(x: XicsOnXive, mem: UserMemory, irq: number, addr: number): number {
  const b = x.findBlock(irq);
  if (b === null) return -ENOENT;
  const idx = irq & (KVMPPC_XICS_IRQ_PER_ICS - 1);
  if (!(b.flags[idx]! & XS_VALID)) return -ENOENT;
  if (x.savedSrcCount === 0) preSaveScan(x);
  x.savedSrcCount++;
  const f = b.flags[idx]!;
  let prio = b.scanPrio[idx]!;
  let hi = 0;
  if (prio === MASKED) {
    hi |= XICS_HI_MASKED;
    prio = b.savedPrio[idx]!;
  }
  hi |= prio;
  if (f & XS_LSI) {
    hi |= XICS_HI_LEVEL_SENSITIVE;
    if (f & XS_SAVED_P) hi |= XICS_HI_PENDING;
  } else {
    if (f & XS_SAVED_P) hi |= XICS_HI_PRESENTED;
    if (f & XS_SAVED_Q) hi |= XICS_HI_QUEUED;
    // "masked pending" is tested against the saved priority that replaced a masked one
    if (f & XS_IN_QUEUE || (prio === MASKED && f & XS_SAVED_Q)) hi |= XICS_HI_PENDING;
  }
  const server = b.actServer[idx]!;
  if (x.savedSrcCount === x.srcCount) postSaveScan(x);
  if (!mem.ok(addr, 8)) return -EFAULT;
  mem.setU64Parts(addr, server, hi >>> 0);
  return 0;
}
