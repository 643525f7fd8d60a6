/**
 * Connecting vCPUs to an XICS-on-XIVE (kvmppc_xive_connect_vcpu); the VP block is sized by
 * GRP_CTRL / KVM_DEV_XICS_NR_SERVERS (xive-vp.ts, shared with the XIVE native device). A server number becomes a
 * VP id: the VP block's base plus the number packed below KVM_MAX_VCPUS (kvmppc_pack_vcpu_id),
 * so two server numbers that pack alike collide (EEXIST) and a packed number at or beyond
 * `nr_servers` is EINVAL. The VP block is allocated at the first connect; NR_SERVERS is EBUSY
 * from then on.
 * @packageDocumentation
 */
import { EEXIST, EINVAL } from '@kvmdev/core';
import type { DeviceOps, Vcpu } from '@kvmdev/core/plugin';
import { XICS_IRQ_CONNECTION } from '../hooks.js';
import { connectServer, connectingDevice } from '../vcpu-connect.js';
import { packVcpuId } from '../xive-vp.js';
import { XIVE_PRESENTER_SLOT, type XicsOnXive, XicsOnXivePresenter } from './state.js';

/**
 * KVM_ENABLE_CAP(KVM_CAP_IRQ_XICS) on a XIVE host: args[0] the device fd (EBADF), a device that
 * is not this XICS-on-XIVE or another VM's (EPERM), a vCPU already attached (EBUSY), then the VP
 * id (kvmppc_xive_compute_vp_id: EINVAL beyond nr_servers, the VP block allocated, EEXIST when
 * another vCPU has that VP). On success the presenter starts with CPPR 0 and MFRR 0xff and gets
 * a queue for every priority already provisioned.
 */
export function connectVcpu(ops: DeviceOps<XicsOnXive>, vcpu: Vcpu, args: readonly bigint[]): number {
  const x = connectingDevice(ops, vcpu, args);
  if (typeof x === 'number') return x;
  const server = connectServer(args);
  const packed = packVcpuId(x.maxVcpus, server);
  if (packed >= x.nrServers) return -EINVAL;
  x.vpAllocated = true;
  // the VP block's base is arbitrary; VP ids are compared, never shown
  if (x.findVp(packed) !== undefined) return -EEXIST;
  const p = new XicsOnXivePresenter(vcpu, server, packed);
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
