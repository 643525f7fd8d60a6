/**
 * KVM_DEV_TYPE_XICS on a XIVE host (kvm_xive_ops): one per VM (the slot it shares with the
 * native XIVE device, `kvm->arch.xive`), released when its last fd closes (every presenter goes
 * and the vCPUs can connect again), GRP_SOURCES get/set/has and GRP_CTRL NR_SERVERS (set and
 * has; get is ENXIO), and the irqchip behind KVM_IRQ_LINE.
 * @packageDocumentation
 */
import { EEXIST, EINVAL, ENXIO } from '@kvmdev/core';
import type { DeviceOps, IrqChip, KvmDevice, KvmDeviceAttr } from '@kvmdev/core/plugin';
import {
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_DEV_XICS_NR_SERVERS,
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_NR_IRQS,
} from '../uapi.js';
import { setNrServers } from '../xive-vp.js';
import { xiveSetIrq } from './irq-line.js';
import { getSource, setSource } from './sources.js';
import { XIVE_PRESENTER_SLOT, XIVE_XICS_SLOT, XicsOnXive, xicsOnXiveOf } from './state.js';

/** KVM_IRQCHIP_NUM_PINS on PPC. */
const PPC_IRQCHIP_NUM_PINS = 256;

/** What the XICS-on-XIVE needs from the host profile. */
export interface XicsOnXiveHost {
  /** KVM_MAX_VCPUS (NR_CPUS): the VP block's default size and the NR_SERVERS clamp. */
  readonly nrCpus: number;
  /** PAGE_SIZE: an event queue is one page of 4-byte entries (the host's default queue shift). */
  readonly pageSize: number;
}

function makeIrqChip(x: XicsOnXive): IrqChip {
  return {
    name: 'xics',
    numPins: PPC_IRQCHIP_NUM_PINS,
    numIrqchips: 1,
    msi: false,
    msiDevid: false,
    routing: false,
    irqLine(irq: number, level: number): number {
      // the injection result is the line status; the ioctl itself succeeds
      if (xiveSetIrq(x, irq >>> 0, level >>> 0) === -EINVAL) x.vm.irqLineStatus = -EINVAL;
      return 0;
    },
    setMsi(): number {
      return -EINVAL;
    },
    canSetRouting(): boolean {
      return false;
    },
  };
}

/** Builds the device ops of one plugin instance (KVM_ENABLE_CAP compares against them). */
export function makeXicsOnXiveOps(h: XicsOnXiveHost): DeviceOps<XicsOnXive> {
  const queueEntries = h.pageSize / 4;
  return {
    name: 'kvm-xive',
    create(dev: KvmDevice<XicsOnXive>): number {
      const vm = dev.kvm;
      if (xicsOnXiveOf(vm) !== undefined) return -EEXIST;
      // kvm->arch.xive is shared with KVM_DEV_TYPE_XIVE; the model's one irqchip per VM covers it
      if (vm.irqchip !== null) return -EEXIST;
      const x = new XicsOnXive(vm, dev, h.nrCpus, queueEntries);
      dev.private = x;
      vm.slots.set(XIVE_XICS_SLOT, x);
      const chip = makeIrqChip(x);
      x.chip = chip;
      vm.irqchip = chip;
      return 0;
    },
    release(dev: KvmDevice<XicsOnXive>): void {
      const x = dev.private;
      if (x === null) return;
      const vm = dev.kvm;
      // kvmppc_xive_cleanup_vcpu for every vCPU: the presenter goes, irq_type back to default
      for (const p of x.presenters) {
        p.valid = false;
        p.vcpu.slots.set(XIVE_PRESENTER_SLOT, undefined);
        p.vcpu.irqConnection = null;
      }
      x.presenters.length = 0;
      if (vm.slot(XIVE_XICS_SLOT) === x) vm.slots.set(XIVE_XICS_SLOT, undefined);
      if (vm.irqchip === x.chip) vm.irqchip = null;
      x.chip = null;
      x.blocks.length = 0;
    },
    setAttr(dev: KvmDevice<XicsOnXive>, attr: KvmDeviceAttr): number {
      if (attr.group === KVM_DEV_XICS_GRP_SOURCES) return setSource(dev.state, dev.kvm.host.mem, attr.attrLo, attr.attrHi, attr.addr);
      if (attr.group === KVM_DEV_XICS_GRP_CTRL && attr.attrHi === 0 && attr.attrLo === KVM_DEV_XICS_NR_SERVERS)
        return setNrServers(dev.state, dev.state.maxVcpus, dev.kvm.host.mem, attr.addr);
      return -ENXIO;
    },
    getAttr(dev: KvmDevice<XicsOnXive>, attr: KvmDeviceAttr): number {
      // NR_SERVERS cannot be read back
      if (attr.group === KVM_DEV_XICS_GRP_SOURCES) return getSource(dev.state, dev.kvm.host.mem, attr.attrLo, attr.addr);
      return -ENXIO;
    },
    hasAttr(_dev: KvmDevice<XicsOnXive>, attr: KvmDeviceAttr): number {
      if (attr.group === KVM_DEV_XICS_GRP_SOURCES && attr.attrHi === 0 && attr.attrLo >= KVMPPC_XICS_FIRST_IRQ && attr.attrLo < KVMPPC_XICS_NR_IRQS)
        return 0;
      if (attr.group === KVM_DEV_XICS_GRP_CTRL && attr.attrHi === 0 && attr.attrLo === KVM_DEV_XICS_NR_SERVERS) return 0;
      return -ENXIO;
    },
  };
}
