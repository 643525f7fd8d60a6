/**
 * What a ppc64 (book3s-64) host answers around the XICS, from arch/powerpc/kvm/powerpc.c,
 * book3s.c and book3s_hv.c: the powerpc capabilities, the VM types, the vCPU limits and the HV
 * vcore slots, PAPR mode and kvmppc_sanity_check, KVM_INTERRUPT, KVM_REG_PPC_VP_STATE, and
 * KVM_GET_VCPU_MMAP_SIZE. The hooks wrap the XICS device's own (which answer for the device).
 * @packageDocumentation
 */
import { EFAULT, EINVAL, ENXIO, EPERM, KVM_CAP_ENABLE_CAP, KVM_EXIT_INTERNAL_ERROR, KVM_CAP_MAX_VCPU_ID, KVM_CAP_MAX_VCPUS, KVM_CAP_NR_VCPUS, KVM_LINE_EXTERNAL } from '@kvmdev/core';
import { KVM_HOOK_PASS, defineSlot, type Kernel, type KvmHooks, type Vcpu, type Vm } from '@kvmdev/core/plugin';
import {
  KVM_CAP_PPC_IRQ_LEVEL,
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_CAP_PPC_PAPR,
  KVM_CAP_PPC_SMT,
  KVM_CAP_PPC_UNSET_IRQ,
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_UNSET,
  KVM_REG_PPC_VP_STATE,
  KVM_VM_PPC_HV,
  KVM_VM_PPC_PR,
} from '../uapi.js';
import { PPC_MAX_SMT_THREADS, type Ppc64HostProfile, maxVcpuIds, recommendedVcpus, vcpuMmapSize, xicsOnXive } from './host-profile.js';
import { xicsOnXivePresenterOf } from '../xics-on-xive/state.js';

/** Per-VM state of a book3s VM: the HV vcore slots (`kvm->arch.vcores[]`) taken so far. */
export class PpcVm {
  /** `kvm->arch.smt_mode`: 1 on POWER9 and later, the threads per subcore before. */
  readonly smtMode: number;
  /** One byte per vcore (KVM_MAX_VCORES = NR_CPUS): 1 once a vCPU creation took it. */
  readonly vcores: Uint8Array;

  constructor(h: Ppc64HostProfile) {
    this.smtMode = h.arch300 ? 1 : PPC_MAX_SMT_THREADS;
    this.vcores = new Uint8Array(h.nrCpus);
  }
}

/** Per-vCPU state: PAPR mode and the queued external interrupt's one-shot flag. */
export class PpcVcpu {
  /** `vcpu->arch.papr_enabled` (KVM_ENABLE_CAP(KVM_CAP_PPC_PAPR)). */
  papr = false;
  /** `vcpu->arch.external_oneshot`: the external interrupt was queued by KVM_INTERRUPT_SET. */
  externalOneshot = false;
}

/** The per-VM slot. */
export const PPC_VM = defineSlot<PpcVm>('ppc64-vm');
/** The per-vCPU slot. */
export const PPC_VCPU = defineSlot<PpcVcpu>('ppc64-vcpu');

/** A vCPU's book3s state (created with the vCPU on a ppc64 host). */
export function ppcVcpuOf(vcpu: Vcpu): PpcVcpu | undefined {
  return vcpu.slot(PPC_VCPU);
}

/** kvm_vm_ioctl_check_extension (powerpc.c) for the capabilities the profile decides. */
function checkExtension(h: Ppc64HostProfile, vm: Vm | null, cap: number): number {
  switch (cap) {
    case KVM_CAP_PPC_UNSET_IRQ:
    case KVM_CAP_PPC_IRQ_LEVEL:
    case KVM_CAP_ENABLE_CAP:
    case KVM_CAP_PPC_PAPR: // book3s (not BookE)
      return 1;
    case KVM_CAP_PPC_IRQ_XIVE:
      // xive_enabled() && HV mode && kvmppc_xive_native_supported(): the bare-metal XIVE
      return xicsOnXive(h) ? 1 : 0;
    case KVM_CAP_PPC_SMT:
      // HV: the VM's smt_mode (emul_smt_mode is 1 unless set), or on /dev/kvm 1 from POWER9 on
      if (h.kvm !== 'hv') return 0;
      if (vm !== null) return vm.slot(PPC_VM)?.smtMode ?? 1;
      return h.arch300 ? 1 : PPC_MAX_SMT_THREADS;
    case KVM_CAP_NR_VCPUS:
      return recommendedVcpus(h);
    case KVM_CAP_MAX_VCPUS:
      return h.nrCpus;
    case KVM_CAP_MAX_VCPU_ID:
      return maxVcpuIds(h);
    default:
      return KVM_HOOK_PASS;
  }
}

/** kvm_arch_init_vm: 0 is the loaded module's type; 1 needs kvm-hv, 2 kvm-pr; anything else EINVAL. */
function vmType(h: Ppc64HostProfile, type: number): number {
  if (type === KVM_VM_PPC_HV) return h.kvm === 'hv' ? 0 : -EINVAL;
  if (type === KVM_VM_PPC_PR) return h.kvm === 'pr' ? 0 : -EINVAL;
  return KVM_HOOK_PASS;
}

/** The vcore a new vCPU id goes to on HV (kvmppc_core_vcpu_create_hv), or -1 when the id is refused. */
function vcoreOf(h: Ppc64HostProfile, pvm: PpcVm, id: number): number {
  if (h.arch300) {
    // id >= KVM_MAX_VCPUS * emul_smt_mode: too high; else kvmppc_pack_vcpu_id, the identity
    // with emul_smt_mode 1 and ids below KVM_MAX_VCPUS
    return id >= h.nrCpus ? -1 : id;
  }
  const core = Math.floor(id / pvm.smtMode);
  return core < h.nrCpus ? core : -1;
}

/**
 * kvm_vcpu_ioctl_enable_cap's tail: kvmppc_sanity_check after any successful enable. HV runs only
 * PAPR vCPUs, so on an HV host a vCPU not in PAPR mode fails with EINVAL even though the
 * capability took effect (an XICS connect has made the ICP: a retry is EBUSY).
 */
function sanityCheck(h: Ppc64HostProfile, vcpu: Vcpu): number {
  if (h.kvm === 'hv' && !vcpu.slot(PPC_VCPU)?.papr) return -EINVAL;
  return 0;
}

/**
 * KVM_REG_PPC_VP_STATE's answer before the XIVE native code: ENXIO without a XIVE presenter
 * (`vcpu->arch.xive_vcpu`), EPERM with an XICS-on-XIVE one (kvmppc_xive_native_get/set_vp want
 * XIVE native mode); a vCPU attached to another controller is that controller's (KVM_HOOK_PASS).
 */
function vpState(h: Ppc64HostProfile, vcpu: Vcpu): number {
  if (xicsOnXive(h)) {
    if (xicsOnXivePresenterOf(vcpu) !== undefined) return -EPERM;
    if (vcpu.irqConnection !== null) return KVM_HOOK_PASS;
  }
  return -ENXIO;
}

/** kvm_arch_vcpu_async_ioctl(KVM_INTERRUPT) + kvm_vcpu_ioctl_interrupt: 0 for every value. */
function vcpuInterrupt(vcpu: Vcpu, arg: number): number {
  const mem = vcpu.vm.host.mem;
  if (!mem.ok(arg, 4)) return -EFAULT;
  const irq = mem.getU32(arg);
  const s = vcpu.slot(PPC_VCPU);
  if (irq === KVM_INTERRUPT_UNSET) {
    // kvmppc_core_dequeue_external: the external interrupt is no longer pending
    if (s) s.externalOneshot = false;
    vcpu.setLine(KVM_LINE_EXTERNAL, 0);
    return 0;
  }
  // kvmppc_core_queue_external: any other value queues it (SET as a one-shot)
  if (s) s.externalOneshot = irq === KVM_INTERRUPT_SET;
  vcpu.setLine(KVM_LINE_EXTERNAL, 1);
  return 0;
}

/**
 * The hooks of a ppc64 host around the XICS device's `device` hooks: the profile's answers first,
 * the device's for everything else.
 */
export function ppc64HostHooks(h: Ppc64HostProfile, device: KvmHooks): KvmHooks {
  const mmap = vcpuMmapSize(h);
  return {
    ...device,
    checkExtension(host: Kernel, vm: Vm | null, cap: number): number {
      const r = checkExtension(h, vm, cap);
      if (r !== KVM_HOOK_PASS) return r;
      return device.checkExtension ? device.checkExtension(host, vm, cap) : KVM_HOOK_PASS;
    },
    vcpuMmapSize: () => mmap,
    pageSize: () => h.pageSize,
    vmType: (_host: Kernel, type: number) => vmType(h, type),
    vmCreated(vm: Vm): void {
      vm.maxVcpus = h.nrCpus; // KVM_MAX_VCPUS = NR_CPUS
      vm.slots.set(PPC_VM, new PpcVm(h));
    },
    vcpuPrecreate(vm: Vm, id: number): number {
      if (h.kvm !== 'hv') return 0;
      const pvm = vm.slot(PPC_VM);
      if (pvm === undefined) return 0;
      const core = vcoreOf(h, pvm, id);
      if (core < 0) return -EINVAL;
      // POWER9: one vCPU per vcore; a taken slot (even by a creation that failed later) is EINVAL
      if (h.arch300 && pvm.vcores[core]) return -EINVAL;
      return 0;
    },
    vcpuCreated(vcpu: Vcpu): void {
      vcpu.slots.set(PPC_VCPU, new PpcVcpu());
      const pvm = vcpu.vm.slot(PPC_VM);
      if (h.kvm !== 'hv' || pvm === undefined) return;
      const core = vcoreOf(h, pvm, vcpu.id);
      // kvm->arch.vcores[core] is set in the arch create and stays when the vCPU fd cannot be
      // installed (kvm_arch_vcpu_destroy does not give the vcore back)
      if (core >= 0) pvm.vcores[core] = 1;
    },
    vcpuRun(vcpu: Vcpu): number {
      // kvmppc_vcpu_run_hv: a vCPU kvmppc_sanity_check found unfit (on HV: not in PAPR mode)
      // does not enter; exit_reason KVM_EXIT_INTERNAL_ERROR and EINVAL
      if (sanityCheck(h, vcpu) < 0) {
        vcpu.guest.run.exitReason = KVM_EXIT_INTERNAL_ERROR;
        return -EINVAL;
      }
      return device.vcpuRun ? device.vcpuRun(vcpu) : 0;
    },
    vcpuIoctl(vcpu: Vcpu, request: number, arg: number): number {
      if (request === vcpu.vm.host.ioctls.KVM_INTERRUPT) return vcpuInterrupt(vcpu, arg);
      return device.vcpuIoctl ? device.vcpuIoctl(vcpu, request, arg) : KVM_HOOK_PASS;
    },
    vcpuEnableCap(vcpu: Vcpu, cap: number, args: readonly bigint[]): number {
      if (cap === KVM_CAP_PPC_PAPR) {
        const s = vcpu.slot(PPC_VCPU);
        if (s) s.papr = true;
        return sanityCheck(h, vcpu);
      }
      const r = device.vcpuEnableCap ? device.vcpuEnableCap(vcpu, cap, args) : KVM_HOOK_PASS;
      return r === 0 ? sanityCheck(h, vcpu) : r;
    },
    getOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      // kvmppc_get_one_reg (book3s.c): no XIVE presenter, ENXIO before anything is copied out
      if (id === KVM_REG_PPC_VP_STATE && h.kvmXive) {
        const r = vpState(h, vcpu);
        if (r !== KVM_HOOK_PASS) return r;
      }
      return device.getOneReg ? device.getOneReg(vcpu, id, addr) : KVM_HOOK_PASS;
    },
    setOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
      // kvm_vcpu_ioctl_set_one_reg copies the 16 bytes in first (EFAULT), then ENXIO
      if (id === KVM_REG_PPC_VP_STATE && h.kvmXive) {
        if (!vcpu.vm.host.mem.ok(addr, 16)) return -EFAULT;
        const r = vpState(h, vcpu);
        if (r !== KVM_HOOK_PASS) return r;
      }
      return device.setOneReg ? device.setOneReg(vcpu, id, addr) : KVM_HOOK_PASS;
    },
  };
}
