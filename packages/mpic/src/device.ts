/**
 * The MPIC's `DeviceOps` (kvm_mpic_ops): create (one MPIC per VM, empty GSI routing, reset),
 * destroy at VM teardown, the three attribute groups, the MMIO window on the VM's bus and the
 * VM's irqchip.
 * @packageDocumentation
 */
import {
  EFAULT,
  EINVAL,
  ENODEV,
  ENXIO,
  EOPNOTSUPP,
} from '@kvmdev/core';
import {
  type DeviceOps,
  type IrqChip,
  type KvmDevice,
  type KvmDeviceAttr,
  type MmioRegion,
  type Vcpu,
  type Vm,
  defineSlot,
} from '@kvmdev/core/plugin';
import { mpicReset, msiWrite, setIrq } from './delivery.js';
import { mpicRead, mpicWrite } from './regs/index.js';
import { MpicState } from './state.js';
import {
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
  KVM_IRQCHIP_NUM_PINS,
  KVM_NR_IRQCHIPS,
  MAX_SRC,
  MSIIR_OFFSET,
  OPENPIC_REG_SIZE,
} from './uapi.js';

/** What a connected vCPU carries (kernel vcpu->arch.mpic, irq_cpu_id, epr, epr_flags). */
export interface MpicVcpu {
  readonly mpic: MpicState;
  /** The MPIC CPU number given at connect. */
  readonly cpu: number;
  /** KVMPPC_EPR_KERNEL: v4.2 only. */
  readonly eprKernel: boolean;
  /** The External Proxy Register (written by the proxy-mode IACK). */
  epr: number;
}

/** kvm->arch.mpic: the VM's MPIC. */
export const MPIC_VM_SLOT = defineSlot<MpicState>('@kvmdev/mpic:vm');
/** The vCPU's MPIC connection. */
export const MPIC_VCPU_SLOT = defineSlot<MpicVcpu>('@kvmdev/mpic:vcpu');

/**
 * get_current_cpu for a guest access: the accessing vCPU's `irq_cpu_id`. A vCPU that never
 * connected has irq_cpu_id 0 (zeroed vcpu struct), so it acts as CPU 0. No vCPU → -1.
 */
export function currentCpu(vcpu: Vcpu | null): number {
  if (vcpu === null) return -1;
  const c = vcpu.slot(MPIC_VCPU_SLOT);
  return c === undefined ? 0 : c.cpu;
}

/** kvm_mpic_read / kvm_mpic_write: the window on the VM's MMIO bus. */
class MpicWindow implements MmioRegion {
  readonly name = 'kvm-mpic';
  readonly size = OPENPIC_REG_SIZE;
  readonly base: number;
  readonly s: MpicState;
  constructor(s: MpicState, base: number) {
    this.s = s;
    this.base = base;
  }
  /**
   * A read of 4 bytes gives the register; of 1 byte, byte (addr & 3) of the register as the
   * big-endian e500 host stores it (the register is read at the unaligned offset itself, so
   * most registers give 0xFF for bytes 1..3). Misaligned → EINVAL. Other sizes perform the
   * read (side effects included) and then fail with EINVAL, as the kernel does.
   */
  read(vcpu: Vcpu | null, off: number, size: 1 | 2 | 4): number {
    if ((off & (size - 1)) !== 0) return -EINVAL;
    const v = mpicRead(this.s, off, currentCpu(vcpu));
    if (size === 4) return v;
    if (size === 1) return v < 0 ? v : (v >>> (24 - 8 * (off & 3))) & 0xff;
    return -EINVAL;
  }
  /** Only aligned 4-byte writes are handled (else EOPNOTSUPP, an MMIO exit). */
  write(vcpu: Vcpu | null, off: number, size: 1 | 2 | 4, value: number): number {
    if (size !== 4 || (off & 3) !== 0) return -EOPNOTSUPP;
    return mpicWrite(this.s, off, value, currentCpu(vcpu));
  }
  /** 8-byte reads run the register read, then fail (bad length). */
  read64(vcpu: Vcpu | null, off: number): bigint | null {
    if ((off & 7) === 0) mpicRead(this.s, off, currentCpu(vcpu));
    return null;
  }
  write64(): number {
    return -EOPNOTSUPP;
  }
}

/** The VM's irqchip view of the MPIC: 256 pins (the SRC sources), MSIs through MSIIR. */
export function mpicIrqChip(s: MpicState): IrqChip {
  return {
    name: 'mpic',
    numPins: KVM_IRQCHIP_NUM_PINS,
    numIrqchips: KVM_NR_IRQCHIPS,
    msi: true,
    msiDevid: true,
    // CONFIG_KVM_MPIC selects CONFIG_HAVE_KVM_IRQ_ROUTING
    routing: true,
    // mpic_set_irq: always 0 ("all code paths we care about don't check")
    setPin(_chip: number, pin: number, level: number): number {
      setIrq(s, pin, level | 0);
      return 0;
    },
    // kvm_set_msi: the address is ignored (a single MSI bank), data is written to MSIIR
    setMsi(_lo: number, _hi: number, data: number): number {
      msiWrite(s, MSIIR_OFFSET, data >>> 0);
      return 0;
    },
  };
}

function setBaseAddr(dev: KvmDevice<MpicState>, a: KvmDeviceAttr): number {
  const s = dev.state;
  const mem = dev.kvm.host.mem;
  if (!mem.ok(a.addr, 8)) return -EFAULT;
  const lo = mem.getU64Lo(a.addr) >>> 0;
  const hi = mem.getU64Hi(a.addr) >>> 0;
  if ((lo & 0x3ffff) !== 0) return -EINVAL;
  if (lo === s.baseLo && hi === s.baseHi) return 0;
  const bus = dev.kvm.mmio;
  if (s.region !== null) {
    bus.unregister(s.region);
    s.region = null;
  }
  s.baseLo = lo;
  s.baseHi = hi;
  if (lo === 0 && hi === 0) return 0;
  // map_mmio ignores a failed bus registration; so do we (the base is stored either way)
  const base = hi * 4294967296 + lo;
  if (Number.isSafeInteger(base + OPENPIC_REG_SIZE)) {
    const w = new MpicWindow(s, base);
    if (bus.register(w) === 0) s.region = w;
  }
  return 0;
}

/** access_reg: GRP_REGISTER attr → window offset, or -1 when it cannot be one (ENXIO). */
function regOffset(a: KvmDeviceAttr): number {
  if ((a.attrLo & 3) !== 0 || a.attrHi !== 0) return -1;
  return a.attrLo >>> 0;
}

function setAttr(dev: KvmDevice<MpicState>, a: KvmDeviceAttr): number {
  const s = dev.state;
  const mem = dev.kvm.host.mem;
  switch (a.group) {
    case KVM_DEV_MPIC_GRP_MISC:
      if (a.attrLo === KVM_DEV_MPIC_BASE_ADDR && a.attrHi === 0) return setBaseAddr(dev, a);
      return -ENXIO;
    case KVM_DEV_MPIC_GRP_REGISTER: {
      if (!mem.ok(a.addr, 4)) return -EFAULT;
      const v = mem.getU32(a.addr);
      const off = regOffset(a);
      if (off < 0) return -ENXIO;
      return mpicWrite(s, off, v, -1);
    }
    case KVM_DEV_MPIC_GRP_IRQ_ACTIVE: {
      if (a.attrHi !== 0 || a.attrLo >>> 0 > MAX_SRC) return -EINVAL;
      if (!mem.ok(a.addr, 4)) return -EFAULT;
      const v = mem.getU32(a.addr);
      if (v !== 0 && v !== 1) return -EINVAL;
      setIrq(s, a.attrLo >>> 0, v);
      return 0;
    }
    default:
      return -ENXIO;
  }
}

function getAttr(dev: KvmDevice<MpicState>, a: KvmDeviceAttr): number {
  const s = dev.state;
  const mem = dev.kvm.host.mem;
  switch (a.group) {
    case KVM_DEV_MPIC_GRP_MISC:
      if (a.attrLo !== KVM_DEV_MPIC_BASE_ADDR || a.attrHi !== 0) return -ENXIO;
      if (!mem.ok(a.addr, 8)) return -EFAULT;
      mem.setU64Parts(a.addr, s.baseLo, s.baseHi);
      return 0;
    case KVM_DEV_MPIC_GRP_REGISTER: {
      const off = regOffset(a);
      if (off < 0) return -ENXIO;
      const v = mpicRead(s, off, -1);
      if (v < 0) return v;
      if (!mem.ok(a.addr, 4)) return -EFAULT;
      mem.setU32(a.addr, v);
      return 0;
    }
    case KVM_DEV_MPIC_GRP_IRQ_ACTIVE: {
      if (a.attrHi !== 0 || a.attrLo >>> 0 > MAX_SRC) return -EINVAL;
      if (!mem.ok(a.addr, 4)) return -EFAULT;
      mem.setU32(a.addr, s.pending[a.attrLo >>> 0] >>> 0);
      return 0;
    }
    default:
      return -ENXIO;
  }
}

function hasAttr(_dev: KvmDevice<MpicState>, a: KvmDeviceAttr): number {
  switch (a.group) {
    case KVM_DEV_MPIC_GRP_MISC:
      return a.attrLo === KVM_DEV_MPIC_BASE_ADDR && a.attrHi === 0 ? 0 : -ENXIO;
    case KVM_DEV_MPIC_GRP_REGISTER:
      return 0;
    case KVM_DEV_MPIC_GRP_IRQ_ACTIVE:
      return a.attrHi === 0 && a.attrLo >>> 0 <= MAX_SRC ? 0 : -ENXIO;
    default:
      return -ENXIO;
  }
}

/** kvm_mpic_ops, shared by both types. */
export const mpicOps: DeviceOps<MpicState> = {
  name: 'kvm-mpic',
  create(dev, type) {
    const vm = dev.kvm;
    // only one MPIC at a time, of either type
    if (vm.slot(MPIC_VM_SLOT) !== undefined) return -EINVAL;
    if (type !== 1 && type !== 2) return -ENODEV;
    const s = new MpicState(type, vm);
    const chip = mpicIrqChip(s);
    // a nop default routing table: zero entries
    vm.routing.set(chip, [], 0);
    mpicReset(s);
    dev.private = s;
    vm.irqchip = chip;
    vm.slots.set(MPIC_VM_SLOT, s);
    return 0;
  },
  destroy(dev) {
    const vm = dev.kvm;
    const s = dev.private;
    if (s !== null && vm.slot(MPIC_VM_SLOT) === s) {
      vm.slots.set(MPIC_VM_SLOT, undefined);
      if (s.region !== null) vm.mmio.unregister(s.region);
      s.region = null;
      vm.irqchip = null;
    }
  },
  setAttr,
  getAttr,
  hasAttr,
};

/** The MPIC of a VM (kvm->arch.mpic), if one was created. */
export function vmMpic(vm: Vm): MpicState | undefined {
  return vm.slot(MPIC_VM_SLOT);
}
