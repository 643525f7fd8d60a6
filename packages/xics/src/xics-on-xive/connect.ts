/**
 * Connecting vCPUs to an XICS-on-XIVE (kvmppc_xive_connect_vcpu) and sizing its VP block
 * (GRP_CTRL / KVM_DEV_XICS_NR_SERVERS, kvmppc_xive_set_nr_servers). A server number becomes a
 * VP id: the VP block's base plus the number packed below KVM_MAX_VCPUS (kvmppc_pack_vcpu_id),
 * so two server numbers that pack alike collide (EEXIST) and a packed number at or beyond
 * `nr_servers` is EINVAL. The VP block is allocated at the first connect; NR_SERVERS is EBUSY
 * from then on.
 * @packageDocumentation
 */
import { EBUSY, EEXIST, EFAULT, EINVAL, EPERM, type UserMemory } from '@kvmdev/core';
import type { DeviceOps, Vcpu } from '@kvmdev/core/plugin';
import { PPC_MAX_SMT_THREADS } from '../ppc64/host-profile.js';
import { XICS_IRQ_CONNECTION } from '../hooks.js';
import { XIVE_PRESENTER_SLOT, type XicsOnXive, XivePresenter } from './state.js';

/** kvmppc_pack_vcpu_id's offsets of the id blocks above KVM_MAX_VCPUS. */
const BLOCK_OFFSETS = [0, 4, 2, 6, 1, 5, 3, 7] as const;

/**
 * kvmppc_pack_vcpu_id with the VM's emulated SMT mode `stride` (1 unless set): ids below
 * KVM_MAX_VCPUS stand; higher ones go to a block offset; an id too large to pack, or one that
 * packs beyond KVM_MAX_VCPUS, packs to 0 (the kernel warns once).
 */
export function packVcpuId(maxVcpus: number, id: number, stride = 1): number {
  const block = Math.floor((id >>> 0) / maxVcpus) * (PPC_MAX_SMT_THREADS / stride);
  if (block >= PPC_MAX_SMT_THREADS) return 0;
  const packed = ((id >>> 0) % maxVcpus) + BLOCK_OFFSETS[block]!;
  return packed >= maxVcpus ? 0 : packed;
}

/** KVM_MAX_VCPU_IDS on book3s-64 HV: MAX_SMT_THREADS × KVM_MAX_VCORES. */
function maxVcpuIds(x: XicsOnXive): number {
  return PPC_MAX_SMT_THREADS * x.maxVcpus;
}

/**
 * kvmppc_xive_set_nr_servers: a u32 (EFAULT), 0 or above KVM_MAX_VCPU_IDS EINVAL, EBUSY once the
 * VP block exists, values above KVM_MAX_VCPUS clamped to it.
 */
export function setNrServers(x: XicsOnXive, mem: UserMemory, addr: number): number {
  if (!mem.ok(addr, 4)) return -EFAULT;
  const n = mem.getU32(addr) >>> 0;
  if (n === 0 || n > maxVcpuIds(x)) return -EINVAL;
  if (x.vpAllocated) return -EBUSY;
  x.nrServers = Math.min(n, x.maxVcpus);
  return 0;
}

/**
 * KVM_ENABLE_CAP(KVM_CAP_IRQ_XICS) on a XIVE host: args[0] the device fd (EBADF), a device that
 * is not this XICS-on-XIVE or another VM's (EPERM), a vCPU already attached (EBUSY), then the VP
 * id (kvmppc_xive_compute_vp_id: EINVAL beyond nr_servers, the VP block allocated, EEXIST when
 * another vCPU has that VP). On success the presenter starts with CPPR 0 and MFRR 0xff and gets
 * a queue for every priority already provisioned.
 */
export function connectVcpu(ops: DeviceOps<XicsOnXive>, vcpu: Vcpu, args: readonly bigint[]): number {
  const fd = Number(BigInt.asUintN(32, args[0] ?? 0n));
  const dev = vcpu.vm.host.deviceFromFd(fd > 0x7fffffff ? -1 : fd);
  if (typeof dev === 'number') return dev;
  if (dev.ops !== (ops as DeviceOps)) return -EPERM;
  const x = dev.private as XicsOnXive | null;
  if (x === null || dev.kvm !== vcpu.vm) return -EPERM;
  if (vcpu.irqConnection !== null) return -EBUSY;
  const server = Number(BigInt.asUintN(32, args[1] ?? 0n));
  const packed = packVcpuId(x.maxVcpus, server);
  if (packed >= x.nrServers) return -EINVAL;
  x.vpAllocated = true;
  // the VP block's base is arbitrary; VP ids are compared, never shown
  if (x.findVp(packed) !== undefined) return -EEXIST;
  const p = new XivePresenter(vcpu, server, packed);
  for (let prio = 0; prio < p.queues.length; prio++) if (x.qmap & (1 << prio)) p.queues[prio]!.provisioned = true;
  x.presenters.push(p);
  // kvm_for_each_vcpu order: creation order, whatever the order of the connects
  x.presenters.sort((a, b) => vcpuIndex(a.vcpu) - vcpuIndex(b.vcpu));
  vcpu.slots.set(XIVE_PRESENTER_SLOT, p);
  vcpu.irqConnection = XICS_IRQ_CONNECTION;
  return 0;
}

/** A vCPU's position in its VM (creation order). */
function vcpuIndex(v: Vcpu): number {
  return v.vm.vcpus.indexOf(v);
}
