/**
 * The start of every vCPU connect of this package's controllers (KVM_ENABLE_CAP with
 * KVM_CAP_IRQ_XICS on an XICS or an XICS-on-XIVE, KVM_CAP_PPC_IRQ_XIVE on a XIVE native device):
 * args[0] is the device fd, read as an unsigned int. A bad fd is EBADF; a file that is not a
 * KVM device, a device of another type or another VM's is EPERM; a vCPU already attached to a
 * controller is EBUSY. What follows (server numbers, VP ids) is each controller's own.
 * @packageDocumentation
 */
import { EBUSY, EPERM } from '@kvmdev/core';
import type { DeviceOps, Vcpu } from '@kvmdev/core/plugin';

/**
 * The controller state behind the connect's device fd, or the -errno of the checks every
 * connect makes first (EBADF, EPERM, EBUSY, in the kernel's order).
 */
export function connectingDevice<T>(ops: DeviceOps<T>, vcpu: Vcpu, args: readonly bigint[]): T | number {
  const fd = Number(BigInt.asUintN(32, args[0] ?? 0n));
  const dev = vcpu.vm.host.deviceFromFd(fd > 0x7fffffff ? -1 : fd);
  if (typeof dev === 'number') return dev;
  if (dev.ops !== (ops as DeviceOps)) return -EPERM;
  const state = dev.private as T | null;
  if (state === null || dev.kvm !== vcpu.vm) return -EPERM;
  if (vcpu.irqConnection !== null) return -EBUSY;
  return state;
}

/** The connect's server number, args[1] read as a u32. */
export function connectServer(args: readonly bigint[]): number {
  return Number(BigInt.asUintN(32, args[1] ?? 0n));
}
