/**
 * What the MPIC adds to VMs and vCPUs: KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC) to connect a vCPU,
 * KVM_CHECK_EXTENSION(KVM_CAP_IRQ_MPIC), the disconnect at vCPU teardown, the vCPU's EPR as a
 * ONE_REG, and the proxy-mode (EPR) acknowledge when a vCPU takes its external interrupt.
 * @packageDocumentation
 */
import {
  EBUSY,
  EEXIST,
  EFAULT,
  EPERM,
  KVM_CAP_IRQ_MPIC,
  KVM_LINE_EXTERNAL,
} from '@kvmdev/core';
import { KVM_HOOK_PASS, type Kernel, type KvmHooks, type Vcpu, type Vm } from '@kvmdev/core/plugin';
import { iack, proxyMode } from './delivery.js';
import { MPIC_VCPU_SLOT, mpicOps } from './device.js';
import type { MpicState } from './state.js';
import { KVM_REG_PPC_EPR, MAX_CPU } from './uapi.js';

/** The name a connected vCPU reports in `vcpu.irqConnection` (KVMPPC_IRQ_MPIC). */
export const MPIC_IRQ_CONNECTION = 'mpic';

const U32 = 0xffffffffn;

/**
 * kvm_vcpu_ioctl_enable_cap(KVM_CAP_IRQ_MPIC) + kvmppc_mpic_connect_vcpu, in the kernel's
 * order: EBADF (no such fd), EPERM (not a device fd), EPERM (not an MPIC, another VM's MPIC,
 * cpu >= 32), EEXIST (the CPU slot is taken), EBUSY (the vCPU is already connected).
 * args[0] is the MPIC fd (as an unsigned int), args[1] the CPU number (as a u32).
 */
export function connectVcpu(vcpu: Vcpu, args: readonly bigint[]): number {
  const host: Kernel = vcpu.vm.host;
  const fd = Number((args[0] ?? 0n) & U32);
  const dev = host.deviceFromFd(fd);
  if (typeof dev === 'number') return dev;
  if (dev.ops !== mpicOps) return -EPERM;
  // the ops identity check above makes the private state an MpicState
  const opp = dev.private as MpicState | null;
  if (opp === null || dev.kvm !== vcpu.vm) return -EPERM;
  const cpu = Number((args[1] ?? 0n) & U32);
  if (cpu >= MAX_CPU) return -EPERM;
  if (opp.vcpus[cpu] !== null) return -EEXIST;
  if (vcpu.irqConnection !== null) return -EBUSY;
  opp.vcpus[cpu] = vcpu;
  opp.nbCpus = Math.max(opp.nbCpus, cpu + 1);
  vcpu.irqConnection = MPIC_IRQ_CONNECTION;
  vcpu.slots.set(MPIC_VCPU_SLOT, { mpic: opp, cpu, eprKernel: opp.isV42, epr: 0 });
  return 0;
}

/**
 * The vCPU takes its external interrupt (booke's irqprio delivery). In proxy mode (v4.2 with
 * GCR mode = PROXY) the kernel acknowledges on the guest's behalf: the IACK result (vector or
 * SPVE) goes into EPR and is returned. Otherwise returns -1 (the guest reads IACK itself), and
 * also when the vCPU's external line is down or it is not connected to an MPIC.
 */
export function mpicTakeExternal(vcpu: Vcpu): number {
  const c = vcpu.slot(MPIC_VCPU_SLOT);
  if (c === undefined || vcpu.lines[KVM_LINE_EXTERNAL] === 0) return -1;
  if (!c.eprKernel || !proxyMode(c.mpic)) return -1;
  c.epr = iack(c.mpic, c.cpu);
  return c.epr;
}

/** The MPIC CPU number of a connected vCPU, or -1. */
export function mpicCpuOf(vcpu: Vcpu): number {
  return vcpu.slot(MPIC_VCPU_SLOT)?.cpu ?? -1;
}

function isEpr(id: bigint): boolean {
  return id === KVM_REG_PPC_EPR;
}

/** The plugin's hooks. */
export const mpicHooks: KvmHooks = {
  checkExtension(_host: Kernel, _vm: Vm | null, cap: number): number {
    return cap === KVM_CAP_IRQ_MPIC ? 1 : KVM_HOOK_PASS;
  },
  /** KVM_GET_VCPU_MMAP_SIZE on e500: the run page and the coalesced-MMIO ring page, 4 KiB pages (no PIO page off x86). */
  vcpuMmapSize: () => 2 * 4096,
  vcpuEnableCap(vcpu: Vcpu, cap: number, args: readonly bigint[]): number {
    if (cap !== KVM_CAP_IRQ_MPIC) return KVM_HOOK_PASS;
    return connectVcpu(vcpu, args);
  },
  vcpuTakeInterrupt(vcpu: Vcpu, line: number): number {
    if (line !== KVM_LINE_EXTERNAL || vcpu.slot(MPIC_VCPU_SLOT) === undefined) return KVM_HOOK_PASS;
    const epr = mpicTakeExternal(vcpu);
    return epr < 0 ? KVM_HOOK_PASS : epr;
  },
  vcpuDestroy(vcpu: Vcpu): void {
    // kvmppc_mpic_disconnect_vcpu
    const c = vcpu.slot(MPIC_VCPU_SLOT);
    if (c === undefined) return;
    if (c.mpic.vcpus[c.cpu] === vcpu) c.mpic.vcpus[c.cpu] = null;
  },
  getOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
    if (!isEpr(id)) return KVM_HOOK_PASS;
    const c = vcpu.slot(MPIC_VCPU_SLOT);
    if (c === undefined) return KVM_HOOK_PASS;
    const mem = vcpu.vm.host.mem;
    if (!mem.ok(addr, 4)) return -EFAULT;
    mem.setU32(addr, c.epr);
    return 0;
  },
  setOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
    if (!isEpr(id)) return KVM_HOOK_PASS;
    const c = vcpu.slot(MPIC_VCPU_SLOT);
    if (c === undefined) return KVM_HOOK_PASS;
    const mem = vcpu.vm.host.mem;
    if (!mem.ok(addr, 4)) return -EFAULT;
    c.epr = mem.getU32(addr);
    return 0;
  },
};

