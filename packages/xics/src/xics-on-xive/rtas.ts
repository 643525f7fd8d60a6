/**
 * The in-kernel RTAS calls on an XICS-on-XIVE (kvmppc_xive_set_xive, _get_xive, _int_on,
 * _int_off): they look the source's block up but not its validity, and a set-xive that changes
 * the server or priority retargets the source (its error, EINVAL for a missing server or EBUSY
 * for full queues, is the call's status after the rest is done).
 * @packageDocumentation
 */
import { EINVAL, ENODEV } from '@kvmdev/core';
import { KVMPPC_XICS_IRQ_PER_ICS, MASKED } from '../uapi.js';
import { prioFromGuest } from './esb.js';
import type { XicsOnXive } from './state.js';
import { checkProvisioning, finishUnmask, lockAndMask, targetInterrupt } from './targeting.js';

/** kvmppc_xive_set_xive: 0 or -errno (`priority` is the u32 the guest passed). */
export function xiveSetXive(x: XicsOnXive | undefined, irq: number, server: number, priority: number): number {
  if (x === undefined) return -ENODEV;
  const masked = priority >>> 0 === MASKED;
  const prio8 = priority & 0xff;
  if (!masked) checkProvisioning(x, prioFromGuest(prio8));
  const b = x.findBlock(irq);
  if (b === null) return -EINVAL;
  const idx = irq & (KVMPPC_XICS_IRQ_PER_ICS - 1);
  if (masked) lockAndMask(b, idx);
  const newAct = masked ? b.actPrio[idx]! : prioFromGuest(prio8);
  let rc = 0;
  if (newAct !== MASKED && (b.actServer[idx] !== server >>> 0 || b.actPrio[idx] !== newAct)) rc = targetInterrupt(x, b, idx, server >>> 0, newAct);
  if (!masked) finishUnmask(x, b, idx, prio8);
  b.savedPrio[idx] = prio8;
  return rc;
}

/** kvmppc_xive_get_xive: [server, priority] into `out` (the actual server, the guest priority). */
export function xiveGetXive(x: XicsOnXive | undefined, irq: number, out: number[]): number {
  if (x === undefined) return -ENODEV;
  const b = x.findBlock(irq);
  if (b === null) return -EINVAL;
  const idx = irq & (KVMPPC_XICS_IRQ_PER_ICS - 1);
  out[0] = b.actServer[idx]!;
  out[1] = b.guestPrio[idx]!;
  return 0;
}

/** kvmppc_xive_int_on: EINVAL on an untargeted source; a saved priority of 0xff does nothing. */
export function xiveIntOn(x: XicsOnXive | undefined, irq: number): number {
  if (x === undefined) return -ENODEV;
  const b = x.findBlock(irq);
  if (b === null) return -EINVAL;
  const idx = irq & (KVMPPC_XICS_IRQ_PER_ICS - 1);
  if (b.actPrio[idx] === MASKED) return -EINVAL;
  if (b.savedPrio[idx] === MASKED) return 0;
  finishUnmask(x, b, idx, b.savedPrio[idx]!);
  return 0;
}

/** kvmppc_xive_int_off: masks, keeping the old guest priority as the saved one. */
export function xiveIntOff(x: XicsOnXive | undefined, irq: number): number {
  if (x === undefined) return -ENODEV;
  const b = x.findBlock(irq);
  if (b === null) return -EINVAL;
  const idx = irq & (KVMPPC_XICS_IRQ_PER_ICS - 1);
  b.savedPrio[idx] = lockAndMask(b, idx);
  return 0;
}
