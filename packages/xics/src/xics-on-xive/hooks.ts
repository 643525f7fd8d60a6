/**
 * What an XICS-on-XIVE plugin adds to VMs and vCPUs: the plain XICS plugin's capability, RTAS
 * token and attribute-ioctl answers, with the vCPU connect and the ICP state of XICS-on-XIVE.
 * The XICS hypercalls of a vCPU with a XIVE presenter are not modelled: they exit to userspace.
 * @packageDocumentation
 */
import { KVM_CAP_IRQ_XICS } from '@kvmdev/core';
import { KVM_HOOK_PASS, type DeviceOps, type KvmHooks, type Vcpu } from '@kvmdev/core/plugin';
import { makeHooks, type XicsHookOptions } from '../hooks.js';
import type { XicsState } from '../state.js';
import { KVM_REG_PPC_ICP_STATE } from '../uapi.js';
import { connectVcpu } from './connect.js';
import { getXiveIcpReg, setXiveIcpReg } from './icp.js';
import type { XicsOnXive } from './state.js';

/** Builds the hooks around the XICS-on-XIVE device ops. */
export function makeXicsOnXiveHooks(ops: DeviceOps<XicsOnXive>, options: XicsHookOptions = {}): KvmHooks {
  // the plain hooks' connect is replaced below; the ops they are given are never compared
  const plain = makeHooks(ops as unknown as DeviceOps<XicsState>, options);
  return {
    ...plain,
    vcpuEnableCap(vcpu: Vcpu, cap: number, args: readonly bigint[]): number {
      if (cap !== KVM_CAP_IRQ_XICS) return KVM_HOOK_PASS;
      return connectVcpu(ops, vcpu, args);
    },
    getOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      if (id !== KVM_REG_PPC_ICP_STATE) return KVM_HOOK_PASS;
      return getXiveIcpReg(vcpu, addr);
    },
    setOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      if (id !== KVM_REG_PPC_ICP_STATE) return KVM_HOOK_PASS;
      return setXiveIcpReg(vcpu, addr);
    },
  };
}
