/**
 * The source side (ICS): KVM_IRQ_LINE injection with the PQ bits, the ICS part of H_EOI, the
 * GRP_SOURCES 64-bit state, and the XIVE updates behind the in-kernel RTAS calls.
 * @packageDocumentation
 */
import { EFAULT, EINVAL, ENODEV, ENOENT, type UserMemory } from '@kvmdev/core';
import { deliverIrq } from './delivery.js';
import {
  type IcsBlock,
  PQ_PRESENTED,
  PQ_QUEUED,
  SRC_EXISTS,
  SRC_LSI,
  SRC_MASKED_PENDING,
  SRC_RESEND,
  type XicsState,
} from './state.js';
import {
  H_PARAMETER,
  H_SUCCESS,
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_NR_IRQS,
  MASKED,
  XICS_HI_LEVEL_SENSITIVE,
  XICS_HI_MASKED,
  XICS_HI_PENDING,
  XICS_HI_PRESENTED,
  XICS_HI_QUEUED,
} from './uapi.js';
import type { Icp } from './state.js';

/**
 * The outcome of {@link icsDeliverIrq} beyond success: the source is unknown (the kernel's
 * internal -EINVAL, which KVM_IRQ_LINE does not report).
 */
export const IRQ_NOT_FOUND = -EINVAL;

/**
 * ics_deliver_irq: KVM_IRQ_LINE / irqfd on source `irq`. Level normalisation: SET and
 * SET_LEVEL are 1, UNSET is 0, any other nonzero value counts as 1. MSI: level 0 is a no-op,
 * else PQ = (PQ << 1 & 3) | P. LSI: asserting an already-presented LSI is a no-op, else PQ = P;
 * deasserting gives PQ = 0 (an interrupt already at an ICP stays there). Delivery is attempted
 * only when the new PQ is exactly P.
 * Returns 1 when a delivery was attempted, 0 when not, or IRQ_NOT_FOUND.
 */
export function icsDeliverIrq(xics: XicsState, irq: number, level: number): number {
  const ics = xics.findIcs(irq);
  if (ics === null) return IRQ_NOT_FOUND;
  const src = irq & 0x3ff;
  const f = ics.flags[src]!;
  if ((f & SRC_EXISTS) === 0) return IRQ_NOT_FOUND;
  let l = level >>> 0;
  if (l === KVM_INTERRUPT_SET_LEVEL || l === KVM_INTERRUPT_SET) l = 1;
  else if (l === KVM_INTERRUPT_UNSET) l = 0;
  const lsi = (f & SRC_LSI) !== 0;
  if (!lsi && l === 0) return 0;
  const old = ics.pq[src]!;
  let pq: number;
  if (lsi) {
    if (l !== 0) {
      if (old & PQ_PRESENTED) return 0;
      pq = PQ_PRESENTED;
    } else {
      pq = 0;
    }
  } else {
    pq = ((old << 1) & 3) | PQ_PRESENTED;
  }
  ics.pq[src] = pq;
  if (pq !== PQ_PRESENTED) return 0;
  deliverIrq(xics, null, irq, false);
  return 1;
}

/**
 * ics_eoi: the ICS part of H_EOI. LSI: PQ unchanged; MSI: PQ >>= 1. If P is still set, the
 * source is delivered again. H_PARAMETER when the source's ICS block does not exist.
 */
export function icsEoi(xics: XicsState, icp: Icp, irq: number): number {
  const ics = xics.findIcs(irq);
  if (ics === null) return H_PARAMETER;
  const src = irq & 0x3ff;
  let pq = ics.pq[src]!;
  if ((ics.flags[src]! & SRC_LSI) === 0) {
    pq >>>= 1;
    ics.pq[src] = pq;
  }
  if (pq & PQ_PRESENTED) deliverIrq(xics, icp, irq, false);
  // kvm_notify_acked_irq: no ack notifiers in this model.
  return H_SUCCESS;
}

/** The high word of a source's GRP_SOURCES value (the low word is the server). */
export function sourceHiWord(ics: IcsBlock, src: number): number {
  let prio = ics.priority[src]!;
  let hi = 0;
  if (prio === MASKED) {
    hi |= XICS_HI_MASKED;
    prio = ics.savedPriority[src]!;
  }
  hi |= prio;
  const f = ics.flags[src]!;
  const pq = ics.pq[src]!;
  if (f & SRC_LSI) {
    hi |= XICS_HI_LEVEL_SENSITIVE;
    if (pq & PQ_PRESENTED) hi |= XICS_HI_PENDING;
  } else if (f & (SRC_MASKED_PENDING | SRC_RESEND)) {
    hi |= XICS_HI_PENDING;
  }
  if (pq & PQ_PRESENTED) hi |= XICS_HI_PRESENTED;
  if (pq & PQ_QUEUED) hi |= XICS_HI_QUEUED;
  return hi;
}

/**
 * xics_get_source: writes the 64-bit state of source `irq` (the attr taken as a u32, as the
 * kernel's lookup does) to `addr`. ENOENT when the block or the source does not exist, then
 * EFAULT.
 */
export function getSource(xics: XicsState, mem: UserMemory, irq: number, addr: number): number {
  const ics = xics.findIcs(irq);
  if (ics === null) return -ENOENT;
  const src = irq & 0x3ff;
  if ((ics.flags[src]! & SRC_EXISTS) === 0) return -ENOENT;
  if (!mem.ok(addr, 8)) return -EFAULT;
  mem.setU64Parts(addr, ics.server[src]!, sourceHiWord(ics, src));
  return 0;
}

/**
 * xics_set_source, in the kernel's order: range (ENOENT; `attrHi` must be 0), create the block
 * (it persists even if a later step fails), read the u64 (EFAULT), a server is needed unless the
 * priority is 0xff (EINVAL), store, and deliver when PENDING is set.
 */
export function setSource(xics: XicsState, mem: UserMemory, attrLo: number, attrHi: number, addr: number): number {
  if (attrHi !== 0 || attrLo < KVMPPC_XICS_FIRST_IRQ || attrLo >= KVMPPC_XICS_NR_IRQS) return -ENOENT;
  const ics = xics.createIcs(attrLo);
  if (!mem.ok(addr, 8)) return -EFAULT;
  const server = mem.getU64Lo(addr);
  const hi = mem.getU64Hi(addr);
  const prio = hi & 0xff;
  if (prio !== MASKED && xics.findServer(server) === undefined) return -EINVAL;
  const src = attrLo & 0x3ff;
  ics.server[src] = server;
  ics.savedPriority[src] = prio;
  ics.priority[src] = hi & XICS_HI_MASKED ? MASKED : prio;
  let f = SRC_EXISTS;
  if (hi & XICS_HI_LEVEL_SENSITIVE) f |= SRC_LSI;
  ics.flags[src] = f;
  let pq = 0;
  if (hi & (XICS_HI_PRESENTED | XICS_HI_PENDING)) pq |= PQ_PRESENTED;
  if (hi & XICS_HI_QUEUED) pq |= PQ_QUEUED;
  ics.pq[src] = pq;
  if (hi & XICS_HI_PENDING) deliverIrq(xics, null, attrLo, false);
  return 0;
}

/**
 * write_xive: stores server, priority (as a u8) and saved priority; when the source was
 * masked-pending or waiting for a resend and the new priority (compared in full) is not 0xff,
 * clears both and reports that a delivery is due.
 */
function writeXive(ics: IcsBlock, src: number, server: number, priority: number, saved: number): boolean {
  ics.server[src] = server;
  ics.priority[src] = priority & 0xff;
  ics.savedPriority[src] = saved & 0xff;
  const f = ics.flags[src]!;
  if (f & (SRC_MASKED_PENDING | SRC_RESEND) && priority !== MASKED) {
    ics.flags[src] = f & ~(SRC_MASKED_PENDING | SRC_RESEND);
    return true;
  }
  return false;
}

/** kvmppc_xics_set_xive (ibm,set-xive): 0, -ENODEV (no XICS) or -EINVAL (no block, no server). */
export function setXive(xics: XicsState | undefined, irq: number, server: number, priority: number): number {
  if (xics === undefined) return -ENODEV;
  const ics = xics.findIcs(irq);
  if (ics === null) return -EINVAL;
  const icp = xics.findServer(server);
  if (icp === undefined) return -EINVAL;
  const src = irq & 0x3ff;
  if (writeXive(ics, src, server >>> 0, priority >>> 0, priority >>> 0)) deliverIrq(xics, icp, irq, false);
  return 0;
}

/** kvmppc_xics_get_xive (ibm,get-xive): writes [server, current priority] into `out`. */
export function getXive(xics: XicsState | undefined, irq: number, out: number[]): number {
  if (xics === undefined) return -ENODEV;
  const ics = xics.findIcs(irq);
  if (ics === null) return -EINVAL;
  const src = irq & 0x3ff;
  out[0] = ics.server[src]!;
  out[1] = ics.priority[src]!;
  return 0;
}

/** kvmppc_xics_int_on (ibm,int-on): back to the saved priority; EINVAL when the server is unknown. */
export function intOn(xics: XicsState | undefined, irq: number): number {
  if (xics === undefined) return -ENODEV;
  const ics = xics.findIcs(irq);
  if (ics === null) return -EINVAL;
  const src = irq & 0x3ff;
  const icp = xics.findServer(ics.server[src]!);
  if (icp === undefined) return -EINVAL;
  const saved = ics.savedPriority[src]!;
  if (writeXive(ics, src, ics.server[src]!, saved, saved)) deliverIrq(xics, icp, irq, false);
  return 0;
}

/** kvmppc_xics_int_off (ibm,int-off): priority 0xff, saved priority = the current priority. */
export function intOff(xics: XicsState | undefined, irq: number): number {
  if (xics === undefined) return -ENODEV;
  const ics = xics.findIcs(irq);
  if (ics === null) return -EINVAL;
  const src = irq & 0x3ff;
  writeXive(ics, src, ics.server[src]!, MASKED, ics.priority[src]!);
  return 0;
}
