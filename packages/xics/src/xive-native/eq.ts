/**
 * GRP_EQ_CONFIG: the event queues of the presenters (kvmppc_xive_native_set_queue_config and
 * get_queue_config). The EQ identifier packs the server (bits 31:3) and the priority (2:0); its
 * bits 63:32 are not looked at.
 * @packageDocumentation
 */
import { EFAULT, EINVAL, ENOENT, type UserMemory } from '@kvmdev/core';
import type { KvmDeviceAttr } from '@kvmdev/core/plugin';
import { xivePriorityValid } from './sources.js';
import type { XiveNativeState, XivePresenter } from './state.js';
import { KVM_XIVE_EQ_ALWAYS_NOTIFY, SIZEOF_KVM_PPC_XIVE_EQ, XIVE_EQ_SHIFT } from './uapi.js';

/** The presenter of an EQ identifier's server, or null. */
function presenterOf(x: XiveNativeState, a: KvmDeviceAttr): XivePresenter | null {
  return x.presenters.get(a.attrLo >>> 3) ?? null;
}

/** Whether the page at `gpa` is guest memory (gfn_to_page finds it). */
function inGuestMemory(x: XiveNativeState, gpa: bigint): boolean {
  return gpa <= BigInt(Number.MAX_SAFE_INTEGER) && x.vm.memslots.find(Number(gpa)) !== null;
}

/**
 * GRP_EQ_CONFIG SET. The 64-byte struct is copied first (EFAULT), then the server is looked up
 * (ENOENT) and the priority checked (7: EINVAL). qshift 0 resets the queue whatever the other
 * fields say. Otherwise flags must be exactly KVM_XIVE_EQ_ALWAYS_NOTIFY, qshift 16 (64 KiB), qaddr
 * aligned to the queue size, the host's page (kvm_host_page_size) at least the queue size and
 * the address in guest memory: EINVAL for each. qtoggle 1 with qindex 0 means "a fresh queue";
 * anything else restores that position.
 */
export function setQueueConfig(x: XiveNativeState, mem: UserMemory, a: KvmDeviceAttr): number {
  if (!mem.ok(a.addr, SIZEOF_KVM_PPC_XIVE_EQ)) return -EFAULT;
  const flags = mem.getU32(a.addr);
  const qshift = mem.getU32(a.addr + 4);
  const qaddrLo = mem.getU64Lo(a.addr + 8);
  const qaddrHi = mem.getU64Hi(a.addr + 8);
  const qtoggle = mem.getU32(a.addr + 16);
  const qindex = mem.getU32(a.addr + 20);
  const p = presenterOf(x, a);
  if (p === null) return -ENOENT;
  const prio = a.attrLo & 7;
  if (!xivePriorityValid(prio)) return -EINVAL;
  const q = p.queues[prio]!;
  if (qshift === 0) {
    q.reset();
    return 0;
  }
  if (flags !== KVM_XIVE_EQ_ALWAYS_NOTIFY) return -EINVAL;
  if (qshift !== XIVE_EQ_SHIFT) return -EINVAL;
  const qaddr = (BigInt(qaddrHi) << 32n) | BigInt(qaddrLo);
  if (qaddr & ((1n << BigInt(qshift)) - 1n)) return -EINVAL;
  // the host page backing the queue must hold it: a kernel with 4 KiB pages refuses every queue
  if (x.vm.host.pageSize() < 1 << qshift) return -EINVAL;
  if (!inGuestMemory(x, qaddr)) return -EINVAL;
  q.configured = true;
  q.qaddr = qaddr;
  q.qshift = qshift;
  q.count = 0;
  if (qtoggle !== 1 || qindex !== 0) {
    q.toggle = qtoggle & 1;
    q.index = qindex & ((1 << (qshift - 2)) - 1);
  } else {
    q.toggle = 1;
    q.index = 0;
  }
  return 0;
}

/**
 * GRP_EQ_CONFIG GET: ENOENT without the server, EINVAL for priority 7; a queue without a page
 * answers 0 and copies nothing out (not even to a bad address); else the struct (EFAULT).
 */
export function getQueueConfig(x: XiveNativeState, mem: UserMemory, a: KvmDeviceAttr): number {
  const p = presenterOf(x, a);
  if (p === null) return -ENOENT;
  const prio = a.attrLo & 7;
  if (!xivePriorityValid(prio)) return -EINVAL;
  const q = p.queues[prio]!;
  if (!q.configured) return 0;
  if (!mem.okWrite(a.addr, SIZEOF_KVM_PPC_XIVE_EQ)) return -EFAULT;
  mem.fill(a.addr, SIZEOF_KVM_PPC_XIVE_EQ, 0);
  mem.setU32(a.addr, KVM_XIVE_EQ_ALWAYS_NOTIFY);
  mem.setU32(a.addr + 4, q.qshift);
  mem.setU64(a.addr + 8, q.qaddr);
  mem.setU32(a.addr + 16, q.toggle);
  mem.setU32(a.addr + 20, q.index);
  return 0;
}
