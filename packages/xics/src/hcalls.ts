/**
 * The PAPR XICS hypercalls through the vCPU guest port: r3 = the hcall number, `args[0]` = r4,
 * `args[1]` = r5; results in `out[0]` = r4 and `out[1]` = r5; the return value is the H_* code.
 * @packageDocumentation
 */
import { KVM_HOOK_PASS, type Vcpu } from '@kvmdev/core/plugin';
import { hCppr, hEoi, hIpi, hIpoll, hXirr, ipollOut } from './icp.js';
import { rtasHcall } from './rtas.js';
import { icpOf, xicsOf } from './state.js';
import { H_CPPR, H_EOI, H_HARDWARE, H_IPI, H_IPOLL, H_RTAS, H_SUCCESS, H_XIRR, H_XIRR_X } from './uapi.js';

/** How the hcall handler behaves where the kernel has a choice of models. */
export interface XicsHcallOptions {
  /**
   * What an XICS hcall gets on a VM without an XICS or a vCPU without an ICP:
   * `'exit'` (default, as the kernel): KVM_HOOK_PASS, i.e. the exit to userspace that the kernel's
   * hcall dispatchers (book3s_hv.c, book3s_pr_papr.c) take when `kvmppc_xics_enabled(vcpu)` is
   * false, before kvmppc_xics_hcall is reached; `'h-hardware'`: H_HARDWARE, the check at the top
   * of kvmppc_xics_hcall, which a guest can only see through that function being called directly.
   */
  readonly withoutIcp?: 'h-hardware' | 'exit';
  /** The timebase H_XIRR_X returns in r5 (default: a 512 MHz clock from performance.now()). */
  readonly timebase?: () => number;
}

/**
 * A register argument as an integer (missing, NaN or infinite arguments read as 0; a negative
 * one is a 64-bit value with the top bit set).
 */
export function hcallArg(args: ArrayLike<number>, i: number): number {
  if (i >= args.length) return 0;
  const v = args[i]!;
  if (Number.isInteger(v)) return v;
  return Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** The default timebase of H_XIRR_X's r5: a 512 MHz clock from performance.now(). */
export function defaultTimebase(): number {
  return Math.floor(performance.now() * 512000);
}

/** Whether `nr` is one of the XICS presentation hcalls (H_XIRR, H_XIRR_X, H_IPOLL, H_CPPR, H_EOI, H_IPI). */
export function isXicsHcall(nr: number): boolean {
  switch (nr) {
    case H_XIRR:
    case H_XIRR_X:
    case H_IPOLL:
    case H_CPPR:
    case H_EOI:
    case H_IPI:
      return true;
    default:
      return false;
  }
}

/** Builds the `hypercall` hook. */
export function makeHypercallHook(
  options: XicsHcallOptions = {},
): (vcpu: Vcpu, nr: number, args: ArrayLike<number>, out: number[]) => number {
  const exit = options.withoutIcp !== 'h-hardware';
  const timebase = options.timebase ?? defaultTimebase;
  return (vcpu, nr, args, out) => {
    // the cases written out, not isXicsHcall(nr): with the call the hook can go over V8's inlining
    // budget, and the round trip then boxes a number (16 B per round trip in 2 of 8 runs of the
    // bench's allocation probe, 0 of 8 with the switch)
    switch (nr) {
      case H_XIRR:
      case H_XIRR_X:
      case H_IPOLL:
      case H_CPPR:
      case H_EOI:
      case H_IPI:
        break;
      case H_RTAS:
        return rtasHcall(vcpu, hcallArg(args, 0));
      default:
        return KVM_HOOK_PASS;
    }
    const xics = xicsOf(vcpu.vm);
    const icp = icpOf(vcpu);
    if (xics === undefined || icp === undefined) return exit ? KVM_HOOK_PASS : H_HARDWARE;
    switch (nr) {
      case H_XIRR:
        out[0] = hXirr(icp) >>> 0;
        return H_SUCCESS;
      case H_XIRR_X:
        out[0] = hXirr(icp) >>> 0;
        out[1] = timebase();
        return H_SUCCESS;
      case H_IPOLL: {
        const rc = hIpoll(xics, icp, hcallArg(args, 0));
        if (rc === H_SUCCESS) {
          out[0] = ipollOut[0]!;
          out[1] = ipollOut[1]!;
        }
        return rc;
      }
      case H_CPPR:
        hCppr(xics, icp, hcallArg(args, 0));
        return H_SUCCESS;
      case H_EOI:
        // only XIRR's low 32 bits count (CPPR in bits 24-31, XISR below): as an int32 the value
        // crosses the call without being boxed
        return hEoi(xics, icp, hcallArg(args, 0) | 0);
      default: // H_IPI
        return hIpi(xics, icp, hcallArg(args, 0), hcallArg(args, 1));
    }
  };
}
