/**
 * The presenters of the XIVE native device: the vCPU connect (KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE),
 * kvmppc_xive_native_connect_vcpu with kvmppc_xive_compute_vp_id; the VP space is xive-vp.ts,
 * shared with XICS-on-XIVE), and the per-vCPU registers: KVM_REG_PPC_VP_STATE
 * (kvmppc_xive_native_get_vp / set_vp) and KVM_REG_PPC_ICP_STATE of a XIVE vCPU
 * (kvmppc_xive_get_icp).
 * @packageDocumentation
 */
import { EEXIST, EFAULT, EINVAL, ENOENT, ENXIO, EPERM, type UserMemory } from '@kvmdev/core';
import type { DeviceOps, Vcpu } from '@kvmdev/core/plugin';
import { ppcVcpuOf } from '../ppc64/host.js';
import { connectServer, connectingDevice } from '../vcpu-connect.js';
import { packVcpuId } from '../xive-vp.js';
import { XIVE_IRQ_CONNECTION, XIVE_PRESENTER_SLOT, XivePresenter, type XiveNativeState, xiveNativeOf, xivePresenterOf } from './state.js';

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
  const x = connectingDevice(ops, vcpu, args);
  if (typeof x === 'number') return x;
  const server = connectServer(args);
  const vp = packVcpuId(vcpu.vm.maxVcpus, server);
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

