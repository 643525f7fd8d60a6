/**
 * The presenters of the XIVE native device: the vCPU connect (KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE),
 * kvmppc_xive_native_connect_vcpu with kvmppc_xive_compute_vp_id), KVM_DEV_XIVE_NR_SERVERS
 * (kvmppc_xive_set_nr_servers), and the per-vCPU registers: KVM_REG_PPC_VP_STATE
 * (kvmppc_xive_native_get_vp / set_vp) and KVM_REG_PPC_ICP_STATE of a XIVE vCPU
 * (kvmppc_xive_get_icp).
 * @packageDocumentation
 */
import { EBUSY, EEXIST, EFAULT, EINVAL, ENOENT, ENXIO, EPERM, type UserMemory } from '@kvmdev/core';
import type { DeviceOps, KvmDeviceAttr, Vcpu } from '@kvmdev/core/plugin';
import { ppcVcpuOf } from '../ppc64/host.js';
import { XIVE_IRQ_CONNECTION, XIVE_PRESENTER_SLOT, XivePresenter, type XiveNativeState, xiveNativeOf, xivePresenterOf } from './state.js';
import { XIVE_MAX_SMT_THREADS } from './uapi.js';

/**
 * kvmppc_pack_vcpu_id with the default emulated SMT mode (1): a server below KVM_MAX_VCPUS is
 * its own index; any higher one packs to 0 (the kernel warns once and uses 0).
 */
export function packServer(server: number, maxVcpus: number): number {
  return server >>> 0 < maxVcpus ? server >>> 0 : 0;
}

/** Options of the connect. */
export interface XiveConnectOptions {
  /**
   * Whether a vCPU must be in PAPR mode (KVM-HV's kvmppc_sanity_check after a successful enable):
   * the connect then takes effect and still fails with EINVAL. Applied on a ppc64 host profile
   * (the vCPU has its book3s state). Default true.
   */
  readonly requirePapr?: boolean;
}

/**
 * KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE): args[0] is the device fd (an unsigned int), args[1] the
 * server (a u32). EBADF (no such fd), EPERM (not a KVM device, not a XIVE native one, another
 * VM's), EBUSY (the vCPU has a presenter of any controller), EINVAL (the packed server is not
 * below NR_SERVERS), EEXIST (its VP is taken). The VP block is allocated (NR_SERVERS fixed) by the
 * first connect that passes the range check, even one that fails with EEXIST.
 */
export function connectVcpu(ops: DeviceOps<XiveNativeState>, vcpu: Vcpu, args: readonly bigint[], opt: XiveConnectOptions): number {
  const fd = Number(BigInt.asUintN(32, args[0] ?? 0n));
  const dev = vcpu.vm.host.deviceFromFd(fd > 0x7fffffff ? -1 : fd);
  if (typeof dev === 'number') return dev;
  if (dev.ops !== (ops as DeviceOps)) return -EPERM;
  const x = dev.private as XiveNativeState | null;
  if (x === null || dev.kvm !== vcpu.vm) return -EPERM;
  if (vcpu.irqConnection !== null) return -EBUSY;
  const server = Number(BigInt.asUintN(32, args[1] ?? 0n));
  const vp = packServer(server, vcpu.vm.maxVcpus);
  if (vp >= x.nrServers) return -EINVAL;
  x.vpAllocated = true;
  if (x.vpInUse(vp)) return -EEXIST;
  const p = new XivePresenter(vcpu, server, vp);
  // the saved OS context: CPPR 0xff in word 1 (stored big-endian: byte 4 of the 16 bytes)
  p.w01Lo = 0;
  p.w01Hi = 0xff;
  x.presenters.set(server, p);
  vcpu.slots.set(XIVE_PRESENTER_SLOT, p);
  vcpu.irqConnection = XIVE_IRQ_CONNECTION;
  const book3s = ppcVcpuOf(vcpu);
  if ((opt.requirePapr ?? true) && book3s !== undefined && !book3s.papr) return -EINVAL;
  return 0;
}

/** Removes a vCPU's presenter (kvmppc_xive_native_cleanup_vcpu): irq_type back to default. */
export function cleanupVcpu(x: XiveNativeState, p: XivePresenter): void {
  const v = p.vcpu;
  if (xivePresenterOf(v) === p) {
    v.slots.set(XIVE_PRESENTER_SLOT, undefined);
    if (v.irqConnection === XIVE_IRQ_CONNECTION) v.irqConnection = null;
  }
  if (x.presenters.get(p.server) === p) x.presenters.delete(p.server);
}

/**
 * KVM_DEV_XIVE_NR_SERVERS SET: the u32 is read (EFAULT); 0 or above KVM_MAX_VCPU_IDS is EINVAL;
 * after the VP block is allocated EBUSY; above KVM_MAX_VCPUS it is clipped to it.
 */
export function setNrServers(x: XiveNativeState, mem: UserMemory, a: KvmDeviceAttr): number {
  if (!mem.ok(a.addr, 4)) return -EFAULT;
  const n = mem.getU32(a.addr);
  const max = x.vm.maxVcpus;
  if (n === 0 || n > max * XIVE_MAX_SMT_THREADS) return -EINVAL;
  if (x.vpAllocated) return -EBUSY;
  x.nrServers = Math.min(n, max);
  return 0;
}

/**
 * KVM_GET_ONE_REG(KVM_REG_PPC_VP_STATE) on a vCPU with a native presenter: the saved context
 * w01 (16 bytes copied out; the second u64 is 0 here, uninitialised stack in the kernel). The
 * IPB the kernel merges in from the VP's backup is 0: nothing is ever pending in the model.
 */
export function getVpState(p: XivePresenter, mem: UserMemory, addr: number): number {
  if (!mem.okWrite(addr, 16)) return -EFAULT;
  mem.setU64Parts(addr, p.w01Lo, p.w01Hi);
  mem.setU64Parts(addr + 8, 0, 0);
  return 0;
}

/** KVM_SET_ONE_REG(KVM_REG_PPC_VP_STATE): the 16 bytes were copied in; w01 takes the first u64. */
export function setVpState(p: XivePresenter, mem: UserMemory, addr: number): number {
  p.w01Lo = mem.getU64Lo(addr);
  p.w01Hi = mem.getU64Hi(addr);
  return 0;
}

/**
 * The VP_STATE register on a vCPU: ENXIO without a presenter of a XIVE device (the caller passes
 * then), EPERM for a presenter that is not native, ENOENT when the VM's device went away.
 */
export function vpStateOwner(vcpu: Vcpu): XivePresenter | number {
  const p = xivePresenterOf(vcpu);
  if (p === undefined) return -ENXIO;
  if (vcpu.irqConnection !== XIVE_IRQ_CONNECTION) return -EPERM;
  if (xiveNativeOf(vcpu.vm) === undefined) return -ENOENT;
  return p;
}

/**
 * KVM_GET_ONE_REG(KVM_REG_PPC_ICP_STATE) on a XIVE native vCPU (kvmppc_xive_get_icp, the
 * XICS-on-XIVE layout of the presenter's XICS view, which a native presenter never uses): CPPR 0,
 * MFRR 0, PPRI 0xff, XISR 0 = 0x0000000000ff0000.
 */
export function getIcpStateOfXive(mem: UserMemory, addr: number): number {
  if (!mem.okWrite(addr, 8)) return -EFAULT;
  mem.setU64Parts(addr, 0x00ff0000, 0);
  return 0;
}

