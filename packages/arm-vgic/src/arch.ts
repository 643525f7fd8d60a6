/**
 * The arm64 VM and vCPU hooks the vGIC needs (arch/arm64/kvm/arm.c): VM type (IPA size),
 * KVM_IRQ_LINE with the full irq field encoding, KVM_CREATE_IRQCHIP, KVM_ARM_SET_DEVICE_ADDR,
 * KVM_ARM_PREFERRED_TARGET, vCPU precreate limits, KVM_ARM_VCPU_INIT (and the register reset it
 * does), KVM_GET/SET_ONE_REG and KVM_GET_REG_LIST, the first-run checks of KVM_RUN, the guest's
 * ICC_* system registers and KVM_CHECK_EXTENSION, for one host profile ({@link armHooksFor}).
 *
 * A host that registers this plugin is an arm64 host: every VM on it is an arm64 VM, unless
 * another plugin installed its own irqchip on it.
 * @packageDocumentation
 */
import {
  EFAULT,
  EINVAL,
  ENOENT,
  ENOEXEC,
  ENXIO,
  KVM_CAP_ARM_EL1_32BIT,
  KVM_CAP_ARM_IRQ_LINE_LAYOUT_2,
  KVM_CAP_ARM_SET_DEVICE_ADDR,
  KVM_CAP_ARM_VM_IPA_SIZE,
  KVM_CAP_IRQCHIP,
  KVM_CAP_MAX_VCPUS,
  KVM_CAP_MAX_VCPU_ID,
  KVM_CAP_NR_VCPUS,
  KVM_CAP_VCPU_ATTRIBUTES,
  KVM_GET_DEVICE_ATTR,
  KVM_LINE_FIQ,
  KVM_LINE_IRQ,
  KVM_REG_ARCH_MASK,
  KVM_REG_ARM64,
} from '@kvmdev/core';
import { KVM_HOOK_PASS, type KvmHooks, type Vcpu, type Vm, type Kernel } from '@kvmdev/core/plugin';
import { type Arm64HostProfile, DEFAULT_ARM64_HOST, defaultMaxVcpus, vcpuMmapSize } from './arm64/host-profile.js';
import { armGetOneReg, armGetRegList, armSetOneReg } from './arm64/one-reg.js';
import { SYS_REG_MPIDR, sysRegIndexOfEncoding } from './arm64/sys-regs.js';
import * as R from './arm64/reg-ids.js';
import { ArmVcpu } from './arm64/vcpu-state.js';
import { ArmVm } from './arm64/vm-state.js';
import {
  ARM_VCPU,
  ARM_VM,
  VGIC,
  attachVcpu,
  injectPpi,
  injectSpi,
  mapResources,
  newVcpuRedistFails,
  vcpuRedistAttach,
  vgicCreate,
} from './init.js';
import { legacyV2Addr } from './kvm-device.js';
import { armIrqfdCheck, armMemoryCaps, configureArmMemslots } from './memory.js';
import { iccGuestRead, iccGuestWrite } from './regs/icc.js';
import * as U from './uapi.js';

function isArm(vm: Vm): boolean {
  return vm.slot(ARM_VM) !== undefined && (vm.irqchip === null || vm.slot(VGIC) !== undefined);
}

/** KVM_CREATE_VM type: IPA size in bits 7:0 (0 = 40 bits, else 32 .. the host's limit), protected VMs unsupported. */
export function vmTypeFor(host: Arm64HostProfile, type: number): number {
  const t = type >>> 0;
  if (t & ~(U.KVM_VM_TYPE_ARM_IPA_SIZE_MASK | U.KVM_VM_TYPE_ARM_PROTECTED)) return -EINVAL;
  if (t & U.KVM_VM_TYPE_ARM_PROTECTED) return -EINVAL;
  const ipa = t & U.KVM_VM_TYPE_ARM_IPA_SIZE_MASK;
  if (ipa && (ipa > host.ipaLimit || ipa < U.ARM64_MIN_PARANGE_BITS)) return -EINVAL;
  return 0;
}

/** {@link vmTypeFor} on the default host profile. */
export function vmType(_host: Kernel, type: number): number {
  return vmTypeFor(DEFAULT_ARM64_HOST, type);
}

/**
 * kvm_vm_ioctl_check_extension's arm64 answers (the generic ones come from the core). A VM another
 * plugin's irqchip took (a pseries VM on a host that also loads this plugin) is not asked.
 */
function checkExtensionFor(host: Arm64HostProfile, vm: Vm | null, cap: number): number {
  if (vm !== null && !isArm(vm)) return KVM_HOOK_PASS;
  switch (cap) {
    case KVM_CAP_IRQCHIP:
    case KVM_CAP_ARM_SET_DEVICE_ADDR:
    case KVM_CAP_ARM_IRQ_LINE_LAYOUT_2:
    case R.KVM_CAP_ARM_USER_IRQ:
    case KVM_CAP_VCPU_ATTRIBUTES: // the vCPU fd serves KVM_SET/GET/HAS_DEVICE_ATTR on arm64
      return 1;
    case KVM_CAP_ARM_VM_IPA_SIZE:
      return host.ipaLimit;
    case KVM_CAP_ARM_EL1_32BIT:
      return host.aarch32El1 ? 1 : 0;
    case KVM_CAP_NR_VCPUS:
      return Math.min(host.onlineCpus, defaultMaxVcpus(host));
    case KVM_CAP_MAX_VCPUS:
    case KVM_CAP_MAX_VCPU_ID:
      return vm ? vm.maxVcpus : defaultMaxVcpus(host);
    default:
      return armMemoryCaps(vm, cap); // KVM_CAP_SIGNAL_MSI, KVM_CAP_MSI_DEVID, KVM_CAP_READONLY_MEM
  }
}

/**
 * kvm_arch_vm_ioctl and the device-attr requests on a VM fd: arm64 serves KVM_HAS_DEVICE_ATTR and
 * KVM_SET_DEVICE_ATTR (the struct is copied first, then kvm_vm_has_attr/set_attr: ENXIO for a
 * group it does not have) and has no KVM_GET_DEVICE_ATTR (its default, EINVAL, before any copy).
 */
export function vmAttrIoctl(vm: Vm, req: number): number {
  if (!isArm(vm)) return KVM_HOOK_PASS;
  return req === KVM_GET_DEVICE_ATTR ? -EINVAL : 0;
}

/**
 * kvm_vm_ioctl_irq_line. arm64's version never writes `kvm_irq_level.status`, so
 * KVM_IRQ_LINE_STATUS copies the struct back as it came in: the status word (a union with `irq`)
 * still holds the irq field. `vm.irqLineStatus = irq` makes the core's copy-back do exactly that.
 */
export function vmIrqLine(vm: Vm, irq: number, level: number): number {
  const g = vm.slot(VGIC);
  // with a vGIC the VM is an arm one when it has the arch slot (isArm without its second lookup)
  if (g === undefined ? !isArm(vm) : vm.slot(ARM_VM) === undefined) return KVM_HOOK_PASS;
  vm.irqLineStatus = irq | 0;
  // the hot case first, decoded with literals (module-level constants are a load and a check
  // each in optimised code): KVM_ARM_IRQ_TYPE_SPI in bits 27:24, the INTID in bits 15:0
  if (g !== undefined && ((irq >>> 24) & 0xf) === 1) {
    const num = irq & 0xffff;
    if (num < 32) return -EINVAL; // VGIC_NR_PRIVATE_IRQS
    return injectSpi(g, num, level !== 0);
  }
  const type = (irq >>> U.KVM_ARM_IRQ_TYPE_SHIFT) & U.KVM_ARM_IRQ_TYPE_MASK;
  const vcpuId =
    ((irq >>> U.KVM_ARM_IRQ_VCPU_SHIFT) & U.KVM_ARM_IRQ_VCPU_MASK) +
    ((irq >>> U.KVM_ARM_IRQ_VCPU2_SHIFT) & U.KVM_ARM_IRQ_VCPU2_MASK) * 256;
  const num = irq & U.KVM_ARM_IRQ_NUM_MASK;
  switch (type) {
    case U.KVM_ARM_IRQ_TYPE_CPU: {
      if (g !== undefined) return -ENXIO;
      const vcpu = vm.vcpuById(vcpuId);
      if (vcpu === undefined) return -EINVAL;
      if (num > U.KVM_ARM_IRQ_CPU_FIQ) return -EINVAL;
      vcpu.setLine(num === U.KVM_ARM_IRQ_CPU_IRQ ? KVM_LINE_IRQ : KVM_LINE_FIQ, level ? 1 : 0);
      return 0;
    }
    case U.KVM_ARM_IRQ_TYPE_PPI: {
      if (g === undefined) return -ENXIO;
      const vcpu = vm.vcpuById(vcpuId);
      if (vcpu === undefined) return -EINVAL;
      if (num < U.VGIC_NR_SGIS || num >= U.VGIC_NR_PRIVATE_IRQS) return -EINVAL;
      return injectPpi(g, g.cpus[vcpu.index]!, num, level !== 0);
    }
    case U.KVM_ARM_IRQ_TYPE_SPI:
      return -ENXIO; // no vGIC (the vGIC case returned above)
    default:
      return -EINVAL;
  }
}

function vmIoctl(vm: Vm, req: number, arg: number): number {
  if (!isArm(vm)) return KVM_HOOK_PASS;
  const mem = vm.host.mem;
  switch (req) {
    case U.KVM_CREATE_IRQCHIP:
      return vgicCreate(vm, U.KVM_DEV_TYPE_ARM_VGIC_V2);
    case U.KVM_ARM_SET_DEVICE_ADDR: {
      if (!mem.ok(arg, 16)) return -EFAULT;
      const idLo = mem.getU32(arg);
      const dev = (idLo & U.KVM_ARM_DEVICE_ID_MASK) >>> U.KVM_ARM_DEVICE_ID_SHIFT;
      if (dev !== U.KVM_ARM_DEVICE_VGIC_V2) return -19; // ENODEV
      return legacyV2Addr(vm.slot(VGIC), idLo & U.KVM_ARM_DEVICE_TYPE_MASK, mem.getU32(arg + 8), mem.getU32(arg + 12));
    }
    case U.KVM_ARM_PREFERRED_TARGET: {
      if (!mem.ok(arg, 32)) return -EFAULT;
      mem.fill(arg, 32, 0);
      mem.setU32(arg, U.KVM_ARM_TARGET_GENERIC_V8);
      return 0;
    }
    default:
      return -EINVAL; // kvm_arch_vm_ioctl's default on arm64
  }
}

/** kvm_arch_vcpu_precreate (+ the redistributor registration that would fail in kvm_arch_vcpu_create). */
function vcpuPrecreate(vm: Vm, id: number): number {
  if (!isArm(vm)) return 0;
  const g = vm.slot(VGIC);
  if (g?.initialized) return -16; // EBUSY
  if (id >= vm.maxVcpus) return -EINVAL;
  if (g !== undefined && newVcpuRedistFails(g)) return -EINVAL;
  return 0;
}

function vcpuCreated(vcpu: Vcpu): void {
  const vm = vcpu.vm;
  if (!isArm(vm)) return;
  vcpu.slots.set(ARM_VCPU, new ArmVcpu(vcpu.id));
  const g = vm.slot(VGIC);
  if (g !== undefined) vcpuRedistAttach(g, attachVcpu(g, vcpu));
}

/** The vGIC follows a changed MPIDR_EL1 (reset by KVM_ARM_VCPU_INIT, or written by SET_ONE_REG). */
function mpidrChanged(vm: Vm): void {
  vm.slot(VGIC)?.syncAffinities();
}

/**
 * KVM_ARM_VCPU_INIT: target must be KVM_ARM_TARGET_GENERIC_V8 (EINVAL), unknown features
 * ENOENT, KVM_ARM_VCPU_EL1_32BIT on a host without AArch32 EL1 EINVAL; then the vCPU's
 * registers are reset (core registers, MPIDR_EL1 and the other kept system registers).
 */
function vcpuInit(host: Arm64HostProfile, vcpu: Vcpu, st: ArmVcpu, arg: number): number {
  const mem = vcpu.vm.host.mem;
  if (!mem.ok(arg, 32)) return -EFAULT;
  const target = mem.getU32(arg);
  if (target !== U.KVM_ARM_TARGET_GENERIC_V8) return -EINVAL;
  const f0 = mem.getU32(arg + 4);
  if (f0 & ~((1 << U.KVM_VCPU_MAX_FEATURES) - 1)) return -ENOENT;
  for (let i = 1; i < 7; i++) if (mem.getU32(arg + 4 + 4 * i)) return -ENOENT;
  if (f0 & (1 << R.KVM_ARM_VCPU_EL1_32BIT) && !host.aarch32El1) return -EINVAL;
  st.init = true;
  st.features = f0 & ~(1 << R.KVM_ARM_VCPU_POWER_OFF);
  st.reset();
  mpidrChanged(vcpu.vm);
  return 0;
}

/** The arm64 vCPU ioctls: KVM_ARM_VCPU_INIT, KVM_GET_REG_LIST; anything else EINVAL (kvm_arch_vcpu_ioctl's default). */
function vcpuIoctlFor(host: Arm64HostProfile, vcpu: Vcpu, req: number, arg: number): number {
  const st = vcpu.slot(ARM_VCPU);
  if (st === undefined || !isArm(vcpu.vm)) return KVM_HOOK_PASS;
  if (req === U.KVM_ARM_VCPU_INIT) return vcpuInit(host, vcpu, st, arg);
  if (req === R.KVM_GET_REG_LIST) return armGetRegList(st, vcpu.vm.host.mem, arg);
  return -EINVAL;
}

/**
 * Whether a ONE_REG call is this plugin's: an arm64 vCPU (of a VM no other irqchip took) and an id
 * of the arm64 space. Other ids pass, so another architecture's plugin on the same host keeps its
 * registers (on a real arm64 kernel such an id is EINVAL, ENOEXEC before KVM_ARM_VCPU_INIT).
 */
function ownsOneReg(vcpu: Vcpu, id: bigint): boolean {
  return (id & KVM_REG_ARCH_MASK) === KVM_REG_ARM64 && isArm(vcpu.vm);
}

/** KVM_GET_ONE_REG on an arm64 vCPU. */
function getOneReg(vcpu: Vcpu, id: bigint, addr: number): number {
  const st = vcpu.slot(ARM_VCPU);
  if (st === undefined || !ownsOneReg(vcpu, id)) return KVM_HOOK_PASS;
  return armGetOneReg(st, vcpu.vm.host.mem, id, addr);
}

/** KVM_SET_ONE_REG on an arm64 vCPU. */
function setOneRegFor(host: Arm64HostProfile, vcpu: Vcpu, id: bigint, addr: number): number {
  const st = vcpu.slot(ARM_VCPU);
  if (st === undefined || !ownsOneReg(vcpu, id)) return KVM_HOOK_PASS;
  return armSetOneReg(st, vcpu.vm.host.mem, id, addr, host.aarch32El0, () => mpidrChanged(vcpu.vm));
}

/** KVM_RUN: ENOEXEC before KVM_ARM_VCPU_INIT, then (first run of the vCPU) kvm_vgic_map_resources. */
function vcpuRun(vcpu: Vcpu): number {
  const st = vcpu.slot(ARM_VCPU);
  if (st === undefined) return 0;
  if (!st.init) return -ENOEXEC;
  if (vcpu.hasRun) return 0;
  const g = vcpu.vm.slot(VGIC);
  return g === undefined ? 0 : mapResources(g);
}

/**
 * Guest MRS of an ICC_* register, as a u32 (every ICC register reads as 32 bits or less), or
 * KVM_HOOK_PASS when the encoding is not the vGIC's. The guest port serves its bigint
 * `sysregRead` from this hook too, so no bigint hook is needed.
 */
function sysregRead32(vcpu: Vcpu, enc: number): number {
  const g = vcpu.vm.slot(VGIC);
  if (g === undefined || !g.v3 || !g.initialized) return KVM_HOOK_PASS;
  const v = g.cpus[vcpu.index];
  if (v === undefined) return KVM_HOOK_PASS;
  const r = iccGuestRead(g, v, enc & 0xffff);
  return r < 0 ? KVM_HOOK_PASS : r;
}

/**
 * Guest MSR of an ICC_* register with the u64 value as halves (`hi` = bits 63:32, which only
 * ICC_SGI0R/SGI1R/ASGI1R_EL1 look at). The guest port routes its bigint `sysregWrite` here too
 * (split into halves), so no bigint hook is needed.
 */
function sysregWrite32(vcpu: Vcpu, enc: number, lo: number, hi: number): boolean {
  const g = vcpu.vm.slot(VGIC);
  if (g === undefined || !g.v3 || !g.initialized) return false;
  const v = g.cpus[vcpu.index];
  if (v === undefined) return false;
  return iccGuestWrite(g, v, enc & 0xffff, lo >>> 0, hi >>> 0);
}

/**
 * Guest MRS of a register the vCPU keeps (MPIDR_EL1, SCTLR_EL1, CPACR_EL1, VBAR_EL1: the ones
 * ONE_REG serves), so the core's guest port answers them; anything else passes (an UNDEF when no
 * plugin takes it).
 */
function keptSysregRead(vcpu: Vcpu, enc: number): bigint | null {
  const a = vcpu.slot(ARM_VCPU);
  const i = sysRegIndexOfEncoding(enc & 0xffff);
  if (a === undefined || i < 0) return null;
  return (BigInt(a.sys.hi(i)) << 32n) | BigInt(a.sys.lo(i));
}

/** Guest MSR of a kept register; MPIDR_EL1 is read-only (the MSR is an UNDEF). */
function keptSysregWrite(vcpu: Vcpu, enc: number, value: bigint): boolean {
  const a = vcpu.slot(ARM_VCPU);
  const i = sysRegIndexOfEncoding(enc & 0xffff);
  if (a === undefined || i < 0 || i === SYS_REG_MPIDR) return false;
  a.sys.set(i, Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn));
  return true;
}

/** The plugin's hooks for one host profile. */
export function armHooksFor(host: Arm64HostProfile): KvmHooks {
  return {
    checkExtension: (_h, vm, cap) => checkExtensionFor(host, vm, cap),
    vcpuMmapSize: () => vcpuMmapSize(host),
    pageSize: () => host.pageSize,
    vmAttrIoctl,
    vmType: (_h, type) => vmTypeFor(host, type),
    vmCreated(vm: Vm): void {
      vm.slots.set(ARM_VM, new ArmVm(vm.type & U.KVM_VM_TYPE_ARM_IPA_SIZE_MASK || U.KVM_PHYS_SHIFT, host));
      vm.maxVcpus = Math.min(defaultMaxVcpus(host), vm.host.maxVcpus);
      configureArmMemslots(vm);
    },
    vmIrqLine,
    vmIoctl,
    vcpuPrecreate,
    vcpuCreated,
    vcpuIoctl: (vcpu, req, arg) => vcpuIoctlFor(host, vcpu, req, arg),
    getOneReg,
    setOneReg: (vcpu, id, addr) => setOneRegFor(host, vcpu, id, addr),
    vcpuRun,
    sysregRead32,
    sysregWrite32,
    sysregRead: keptSysregRead,
    sysregWrite: keptSysregWrite,
    irqfdCheck: armIrqfdCheck,
  };
}

/** The hooks on the default host profile ({@link DEFAULT_ARM64_HOST}). */
export const armHooks: KvmHooks = armHooksFor(DEFAULT_ARM64_HOST);
