/**
 * The source groups of the XIVE native device: GRP_SOURCE (kvmppc_xive_native_set_source),
 * GRP_SOURCE_CONFIG (kvmppc_xive_native_set_source_config and its target selection) and
 * GRP_SOURCE_SYNC, and KVM_IRQ_LINE on a source (kvmppc_xive_set_irq).
 * @packageDocumentation
 */
import { E2BIG, EBUSY, EFAULT, EINVAL, ENOENT, type UserMemory } from '@kvmdev/core';
import type { KvmDeviceAttr } from '@kvmdev/core/plugin';
import { KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET } from '../uapi.js';
import { PQ_OFF, XSRC_ASSERTED, XSRC_LSI, XSRC_VALID, type XiveNativeState, type XiveQueue, xivePresenterOf } from './state.js';
import { KVMPPC_XIVE_NR_IRQS, XIVE_MASKED, XIVE_Q_GAP } from './uapi.js';

/**
 * xive_prio_from_guest: priorities 0-5 (and MASKED) are kept, anything else becomes 6; a source
 * or queue priority is valid when it maps to itself (so 0-6; 7 is EINVAL).
 */
export function xivePriorityValid(p: number): boolean {
  return p === XIVE_MASKED || p <= 6;
}

/**
 * GRP_SOURCE SET: the attr is a signed long, so a negative one or one at or above 2^20 is E2BIG.
 * The block is created before the u64 is read (a failed read leaves it); the source is masked
 * (server 0, priority MASKED, PQ "off"), marked valid, and an LSI flag only ever sets the state.
 */
export function setSource(x: XiveNativeState, mem: UserMemory, a: KvmDeviceAttr): number {
  if (a.attrHi !== 0 || a.attrLo >>> 0 >= KVMPPC_XIVE_NR_IRQS) return -E2BIG;
  const irq = a.attrLo >>> 0;
  const b = x.createBlock(irq);
  if (!mem.ok(a.addr, 8)) return -EFAULT;
  const lo = mem.getU64Lo(a.addr);
  const i = irq & 0x3ff;
  let f = b.flags[i]!;
  // LEVEL_SENSITIVE (bit 0) sets lsi, and with it LEVEL_ASSERTED (bit 1) sets asserted; neither
  // is ever cleared here
  if (lo & 1) {
    f |= XSRC_LSI;
    if (lo & 2) f |= XSRC_ASSERTED;
  }
  b.server[i] = 0;
  b.priority[i] = XIVE_MASKED;
  b.pq[i] = PQ_OFF;
  if (!(f & XSRC_VALID)) x.sourceCount++;
  b.flags[i] = f | XSRC_VALID;
  return 0;
}

/**
 * xive_try_pick_queue over the presenters: the given server's queue at `prio` first, then any
 * presenter's; returns the server picked, or -1 (EBUSY). A queue without a page never takes one.
 */
function selectTarget(x: XiveNativeState, server: number, prio: number): number {
  const first = x.presenters.get(server);
  if (first === undefined) return -2;
  if (take(first.queues[prio]!)) return server;
  // kvm_for_each_vcpu: the vCPUs in creation order
  for (const v of x.vm.vcpus) {
    const p = xivePresenterOf(v);
    if (p !== undefined && x.presenters.get(p.server) === p && take(p.queues[prio]!)) return p.server;
  }
  return -1;
}

/** atomic_add_unless(&q->count, 1, entries - XIVE_Q_GAP) on a queue with a page. */
function take(q: XiveQueue): boolean {
  if (!q.configured || q.count >= q.entries() - XIVE_Q_GAP) return false;
  q.count++;
  return true;
}

/**
 * GRP_SOURCE_CONFIG SET: the source number is taken as a u32 (ENOENT without its block, EINVAL
 * for a source never set), then the u64 is read (EFAULT). Priority 7 is EINVAL. Nothing changes
 * when server, priority and EISN are already those. Masked: the source is unrouted (MASKED,
 * server 0, EISN 0). Unmasked: EINVAL without that server, EBUSY when no presenter has a queue
 * with room at that priority; else routed to the presenter picked.
 */
export function setSourceConfig(x: XiveNativeState, mem: UserMemory, a: KvmDeviceAttr): number {
  const irq = a.attrLo >>> 0;
  const b = x.findBlock(irq);
  if (b === null) return -ENOENT;
  const i = irq & 0x3ff;
  if (!(b.flags[i]! & XSRC_VALID)) return -EINVAL;
  if (!mem.ok(a.addr, 8)) return -EFAULT;
  const lo = mem.getU64Lo(a.addr);
  const hi = mem.getU64Hi(a.addr);
  const priority = lo & 7;
  const server = lo >>> 3;
  const masked = (hi & 1) !== 0;
  const eisn = hi >>> 1;
  if (!xivePriorityValid(priority)) return -EINVAL;
  if (b.server[i] === server && b.priority[i] === priority && b.eisn[i] === eisn) return 0;
  if (!masked) {
    const picked = selectTarget(x, server, priority);
    if (picked === -2) return -EINVAL;
    if (picked < 0) return -EBUSY;
    b.priority[i] = priority;
    b.server[i] = picked;
    b.eisn[i] = eisn;
    return 0;
  }
  b.priority[i] = XIVE_MASKED;
  b.server[i] = 0;
  b.eisn[i] = 0;
  return 0;
}

/** GRP_SOURCE_SYNC SET: ENOENT without the block (the number taken as a u32), EINVAL for a source never set. */
export function syncSource(x: XiveNativeState, a: KvmDeviceAttr): number {
  const irq = a.attrLo >>> 0;
  const b = x.findBlock(irq);
  if (b === null) return -ENOENT;
  return b.flags[irq & 0x3ff]! & XSRC_VALID ? 0 : -EINVAL;
}

/**
 * kvmppc_xive_set_irq (KVM_IRQ_LINE): the result is the status the kernel keeps to itself (the
 * ioctl returns 0). -EINVAL for an unknown source; an LSI's level is recorded; a trigger reaches
 * the source's ESB, which GRP_SOURCE left "off" (PQ 01) and only the guest's ESB accesses (not
 * modelled) turn on, so nothing is queued.
 */
export function sourceIrqLine(x: XiveNativeState, irq: number, level: number): number {
  level >>>= 0;
  const b = x.findBlock(irq >>> 0);
  if (b === null) return -EINVAL;
  const i = irq & 0x3ff;
  const f = b.flags[i]!;
  if (!(f & XSRC_VALID)) return -EINVAL;
  if ((level === 1 && f & XSRC_LSI) || level === KVM_INTERRUPT_SET_LEVEL) b.flags[i] = f | XSRC_ASSERTED;
  else if (level === 0 || level === KVM_INTERRUPT_UNSET) {
    b.flags[i] = f & ~XSRC_ASSERTED;
    return 0;
  }
  // the trigger: PQ 00 -> 10 (notify), 01 stays (off), 10 / 11 -> 11
  const pq = b.pq[i]!;
  if (pq !== PQ_OFF) b.pq[i] = pq === 0 ? 2 : 3;
  return 0;
}

