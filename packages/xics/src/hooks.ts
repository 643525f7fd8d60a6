/**
 * What the XICS adds to VMs and vCPUs: KVM_CHECK_EXTENSION, KVM_PPC_RTAS_DEFINE_TOKEN,
 * KVM_ENABLE_CAP(KVM_CAP_IRQ_XICS) (the vCPU connect that creates its ICP) and
 * KVM_GET/SET_ONE_REG(KVM_REG_PPC_ICP_STATE).
 * @packageDocumentation
 */
import {
  EEXIST,
  EFAULT,
  EINVAL,
  ENODEV,
  ENOTTY,
  ENXIO,
  KVM_CAP_IRQ_XICS,
  KVM_CAP_SIGNAL_MSI,
  KVM_CAP_PPC_RTAS,
} from '@kvmdev/core';
import {
  KVM_HOOK_PASS,
  type DeviceOps,
  type KvmHooks,
  type Vcpu,
  type Vm,
  type Kernel,
} from '@kvmdev/core/plugin';
import { makeHypercallHook, type XicsHcallOptions } from './hcalls.js';
import { setIcp } from './icp.js';
import { rtasDefineToken } from './rtas.js';
import { ICP_SLOT, Icp, icpOf, icpWords, type XicsState, xicsOf } from './state.js';
import { KVM_REG_PPC_ICP_STATE } from './uapi.js';
import { connectServer, connectingDevice } from './vcpu-connect.js';

/** `vcpu->arch.irq_type` once connected (KVMPPC_IRQ_XICS). */
export const XICS_IRQ_CONNECTION = 'xics';

const words = [0, 0];

/**
 * kvm_vcpu_ioctl_enable_cap(KVM_CAP_IRQ_XICS) + kvmppc_xics_connect_vcpu: args[0] is the XICS
 * fd (an unsigned int), args[1] the server number (a u32). EBADF (no such fd), EPERM (not a
 * KVM device, not an XICS, or another VM's), EBUSY (the vCPU is already attached to some
 * controller), ENODEV (no XICS), EEXIST (server number in use).
 */
export function connectVcpu(ops: DeviceOps<XicsState>, vcpu: Vcpu, args: readonly bigint[]): number {
  const xics = connectingDevice(ops, vcpu, args);
  if (typeof xics === 'number') return xics;
  if (xicsOf(vcpu.vm) === undefined) return -ENODEV;
  const server = connectServer(args);
  if (xics.findServer(server) !== undefined) return -EEXIST;
  const icp = new Icp(vcpu, server);
  xics.servers.set(server, icp);
  vcpu.slots.set(ICP_SLOT, icp);
  vcpu.irqConnection = XICS_IRQ_CONNECTION;
  return 0;
}

/** KVM_GET_ONE_REG(KVM_REG_PPC_ICP_STATE): ENXIO without an ICP, then EFAULT. */
export function getIcpReg(vcpu: Vcpu, addr: number): number {
  const icp = icpOf(vcpu);
  if (icp === undefined) return -ENXIO;
  const mem = vcpu.vm.host.mem;
  if (!mem.ok(addr, 8)) return -EFAULT;
  icpWords(icp, words);
  mem.setU64Parts(addr, words[0]!, words[1]!);
  return 0;
}

/** KVM_SET_ONE_REG(KVM_REG_PPC_ICP_STATE): EFAULT (the copy comes first), ENXIO, EINVAL. */
export function setIcpReg(vcpu: Vcpu, addr: number): number {
  const mem = vcpu.vm.host.mem;
  if (!mem.ok(addr, 8)) return -EFAULT;
  const lo = mem.getU64Lo(addr);
  const hi = mem.getU64Hi(addr);
  const icp = icpOf(vcpu);
  const xics = xicsOf(vcpu.vm);
  if (icp === undefined || xics === undefined) return -ENXIO;
  return setIcp(xics, icp, lo, hi);
}

/**
 * Whether a VM is a powerpc (book3s) VM as far as this plugin can tell: it has no in-kernel
 * irqchip yet, or its irqchip is the XICS. (On a host that also registers another
 * architecture's plugin, the plugin registered first answers for VMs without an irqchip.)
 */
function isPpcVm(vm: Vm): boolean {
  return vm.irqchip === null || xicsOf(vm) !== undefined;
}

/** Options of {@link makeHooks}. */
export type XicsHookOptions = XicsHcallOptions;

/**
 * The hooks the XICS and the XICS-on-XIVE plugins share (they do not depend on the device ops):
 * KVM_CHECK_EXTENSION's answers, the powerpc attr-ioctl and mmap-size answers, the RTAS token.
 */
export function makeCommonHooks(): KvmHooks {
  return {
    checkExtension(_host: Kernel, vm: Vm | null, cap: number): number {
      if (cap === KVM_CAP_IRQ_XICS || cap === KVM_CAP_PPC_RTAS) return 1;
      // book3s has no CONFIG_HAVE_KVM_MSI (only the e500 MPIC selects it); the model's
      // `msi` option (an XICS with GSI routing and MSIs) is the exception
      if (cap === KVM_CAP_SIGNAL_MSI && (vm === null || isPpcVm(vm)))
        return vm?.irqchip?.msi && vm.irqchip.routing !== false ? 1 : 0;
      return KVM_HOOK_PASS;
    },
    // powerpc's kvm_arch_vm_ioctl has no device-attr requests (its default, ENOTTY, before the
    // struct is read), and its kvm_arch_vcpu_ioctl none either (default EINVAL)
    vmAttrIoctl: (vm: Vm): number => (isPpcVm(vm) ? -ENOTTY : KVM_HOOK_PASS),
    vcpuAttrIoctl: (vcpu: Vcpu): number => (isPpcVm(vcpu.vm) ? -EINVAL : KVM_HOOK_PASS),
    // KVM_GET_VCPU_MMAP_SIZE on book3s-64: the run page only. There is no PIO page off x86, and
    // no coalesced-MMIO page: a kernel that can load kvm-hv has no CONFIG_KVM_MMIO (only a
    // PR-only build selects it). 64 KiB pages here; a host profile says its own page size
    // (Debian's ppc64el kernels have 4 KiB pages: 4096 there)
    vcpuMmapSize: () => 65536,
    vmIoctl(vm: Vm, request: number, arg: number): number {
      // the host's number: KVM_IOCTLS.powerpc's on a ppc64 host
      if (request === vm.host.ioctls.KVM_PPC_RTAS_DEFINE_TOKEN) return rtasDefineToken(vm, arg);
      return KVM_HOOK_PASS;
    },
  };
}

/** Builds the plugin's hooks around its device ops. */
export function makeHooks(ops: DeviceOps<XicsState>, options: XicsHookOptions = {}): KvmHooks {
  return {
    ...makeCommonHooks(),
    vcpuEnableCap(vcpu: Vcpu, cap: number, args: readonly bigint[]): number {
      if (cap !== KVM_CAP_IRQ_XICS) return KVM_HOOK_PASS;
      return connectVcpu(ops, vcpu, args);
    },
    getOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      if (id !== KVM_REG_PPC_ICP_STATE) return KVM_HOOK_PASS;
      return getIcpReg(vcpu, addr);
    },
    setOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      if (id !== KVM_REG_PPC_ICP_STATE) return KVM_HOOK_PASS;
      return setIcpReg(vcpu, addr);
    },
    hypercall: makeHypercallHook(options),
  };
}
