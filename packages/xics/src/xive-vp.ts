/**
 * The VP (virtual processor) space that both XIVE devices give a VM, XICS-on-XIVE and XIVE
 * native alike: server numbers packed into VP ids (kvmppc_pack_vcpu_id) and the size of the VP
 * block (KVM_DEV_XICS_NR_SERVERS / KVM_DEV_XIVE_NR_SERVERS, one kernel function for both,
 * kvmppc_xive_set_nr_servers).
 * @packageDocumentation
 */
import { EBUSY, EFAULT, EINVAL, type UserMemory } from '@kvmdev/core';
import { PPC_MAX_SMT_THREADS } from './ppc64/host-profile.js';

/** kvmppc_pack_vcpu_id's offsets of the id blocks above KVM_MAX_VCPUS. */
const BLOCK_OFFSETS = [0, 4, 2, 6, 1, 5, 3, 7] as const;

/**
 * kvmppc_pack_vcpu_id with the VM's emulated SMT mode `stride` (1 unless set): ids below
 * KVM_MAX_VCPUS (`maxVcpus`) stand; higher ones go to a block offset; an id too large to pack,
 * or one that packs beyond KVM_MAX_VCPUS, packs to 0 (the kernel warns once). With stride 1
 * every id from KVM_MAX_VCPUS up packs to 0.
 */
export function packVcpuId(maxVcpus: number, id: number, stride = 1): number {
  const block = Math.floor((id >>> 0) / maxVcpus) * (PPC_MAX_SMT_THREADS / stride);
  if (block >= PPC_MAX_SMT_THREADS) return 0;
  const packed = ((id >>> 0) % maxVcpus) + BLOCK_OFFSETS[block]!;
  return packed >= maxVcpus ? 0 : packed;
}

/** A XIVE device's VP block: its size and whether a connect has allocated it. */
export interface XiveVpBlock {
  /** NR_SERVERS: VP ids at or above it are refused (EINVAL). */
  nrServers: number;
  /** Set by the first connect that passes the range check; NR_SERVERS is EBUSY from then on. */
  vpAllocated: boolean;
}

/**
 * kvmppc_xive_set_nr_servers: the u32 at `addr` (EFAULT); 0 or above KVM_MAX_VCPU_IDS
 * (MAX_SMT_THREADS × `maxVcpus`) EINVAL; EBUSY once the VP block exists; values above
 * KVM_MAX_VCPUS clamped to it.
 */
export function setNrServers(block: XiveVpBlock, maxVcpus: number, mem: UserMemory, addr: number): number {
  if (!mem.ok(addr, 4)) return -EFAULT;
  const n = mem.getU32(addr) >>> 0;
  if (n === 0 || n > PPC_MAX_SMT_THREADS * maxVcpus) return -EINVAL;
  if (block.vpAllocated) return -EBUSY;
  block.nrServers = Math.min(n, maxVcpus);
  return 0;
}
