/**
 * What an XICS-on-XIVE plugin adds to VMs and vCPUs: the plain XICS plugin's capability, RTAS
 * token and attribute-ioctl answers, with the vCPU connect and the ICP state of XICS-on-XIVE.
 * The XICS hypercalls of a vCPU with a XIVE presenter are answered by `xive_vm_h_*` (hcalls.ts).
 * @packageDocumentation
 */
import { KVM_CAP_IRQ_XICS } from '@kvmdev/core';
import { KVM_HOOK_PASS, type DeviceOps, type KvmHooks, type Vcpu } from '@kvmdev/core/plugin';
import { defaultTimebase, hcallArg, isXicsHcall, makeHypercallHook } from '../hcalls.js';
import { makeCommonHooks, type XicsHookOptions } from '../hooks.js';
import { H_CPPR, H_EOI, H_HARDWARE, H_IPOLL, H_SUCCESS, H_XIRR, H_XIRR_X, KVM_REG_PPC_ICP_STATE } from '../uapi.js';
import { connectVcpu } from './connect.js';
import { xiveHCppr, xiveHEoi, xiveHIpi, xiveHIpoll, xiveHXirr } from './hcalls.js';
import { getXiveIcpReg, setXiveIcpReg } from './icp.js';
import { type XicsOnXive, xicsOnXiveOf, xicsOnXivePresenterOf } from './state.js';

const pollOut = [0];

/** Builds the hooks around the XICS-on-XIVE device ops. */
export function makeXicsOnXiveHooks(ops: DeviceOps<XicsOnXive>, options: XicsHookOptions = {}): KvmHooks {
  const withoutIcpExit = options.withoutIcp !== 'h-hardware';
  const timebase = options.timebase ?? defaultTimebase;
  // the plain XICS's hypercalls answer a vCPU without a XIVE presenter the way they answer any
  // non-XICS vCPU (H_TOO_HARD / pass)
  const plainHcall = makeHypercallHook(options);
  return {
    ...makeCommonHooks(),
    vcpuEnableCap(vcpu: Vcpu, cap: number, args: readonly bigint[]): number {
      if (cap !== KVM_CAP_IRQ_XICS) return KVM_HOOK_PASS;
      return connectVcpu(ops, vcpu, args);
    },
    getOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      if (id !== KVM_REG_PPC_ICP_STATE) return KVM_HOOK_PASS;
      // a vCPU attached to another controller (the XIVE native device) is that controller's to
      // answer, whichever plugin comes first
      if (xicsOnXivePresenterOf(vcpu) === undefined && vcpu.irqConnection !== null) return KVM_HOOK_PASS;
      return getXiveIcpReg(vcpu, addr);
    },
    setOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      if (id !== KVM_REG_PPC_ICP_STATE) return KVM_HOOK_PASS;
      return setXiveIcpReg(vcpu, addr);
    },
    hypercall(vcpu: Vcpu, nr: number, args: ArrayLike<number>, out: number[]): number {
      if (!isXicsHcall(nr)) return plainHcall(vcpu, nr, args, out);
      const x = xicsOnXiveOf(vcpu.vm);
      const p = xicsOnXivePresenterOf(vcpu);
      // kvmppc_xive_xics_hcall: H_TOO_HARD (to userspace) for a vCPU not in XICS mode
      if (x === undefined || p === undefined) return withoutIcpExit ? KVM_HOOK_PASS : H_HARDWARE;
      switch (nr) {
        case H_XIRR:
          out[0] = xiveHXirr(x, p);
          return H_SUCCESS;
        case H_XIRR_X:
          out[0] = xiveHXirr(x, p);
          out[1] = timebase();
          return H_SUCCESS;
        case H_IPOLL: {
          const r = xiveHIpoll(x, p, hcallArg(args, 0), pollOut);
          // the result lands in the polled vCPU's r4, which the caller sees only when it polled itself
          if (r.target === p) out[0] = pollOut[0]!;
          return r.rc;
        }
        case H_CPPR:
          xiveHCppr(x, p, hcallArg(args, 0));
          return H_SUCCESS;
        case H_EOI:
          return xiveHEoi(x, p, hcallArg(args, 0));
        default:
          return xiveHIpi(x, hcallArg(args, 0), hcallArg(args, 1));
      }
    },
  };
}
