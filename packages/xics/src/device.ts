/**
 * The XICS `DeviceOps` (kvm_xics_ops): create (one per VM), release-style lifetime (closing the
 * last fd frees every ICP and every ICS), and the attribute accessors: GRP_SOURCES get/set/has;
 * any other group, GRP_CTRL included, is ENXIO as in the emulated XICS.
 * @packageDocumentation
 */
import { EEXIST, EINVAL, ENXIO } from '@kvmdev/core';
import type { DeviceOps, IrqChip, KvmDevice, KvmDeviceAttr } from '@kvmdev/core/plugin';
import { getSource, icsDeliverIrq, IRQ_NOT_FOUND, setSource } from './ics.js';
import { ICP_SLOT, XICS_SLOT, XicsState, xicsOf } from './state.js';
import { KVM_DEV_XICS_GRP_SOURCES, KVMPPC_XICS_FIRST_IRQ, KVMPPC_XICS_NR_IRQS } from './uapi.js';

/** Options of the in-kernel irqchip the XICS installs on its VM. */
export interface XicsIrqChipOptions {
  /**
   * Whether KVM_SIGNAL_MSI is accepted (MSI data = source number). Default false, as in the
   * kernel: KVM_XICS selects neither HAVE_KVM_MSI nor HAVE_KVM_IRQ_ROUTING, so KVM_SIGNAL_MSI and
   * KVM_SET_GSI_ROUTING are ENOTTY and KVM_CAP_SIGNAL_MSI is 0. MSIs reach the XICS as source
   * triggers through KVM_IRQ_LINE (QEMU's xics_kvm does exactly that). `true` is a model extension.
   */
  readonly msi?: boolean;
}

/** KVM_IRQCHIP_NUM_PINS on PPC. */
const PPC_IRQCHIP_NUM_PINS = 256;

/**
 * The irqchip of one XICS: KVM_IRQ_LINE maps the GSI to the source number (identity) and
 * always succeeds (the kernel puts the injection result in `status`, which is always 0 here);
 * MSIs deliver source `data`. GSI routing tables are refused (no HAVE_KVM_IRQ_ROUTING).
 */
function makeIrqChip(xics: XicsState, msi: boolean): IrqChip {
  return {
    name: 'xics',
    numPins: PPC_IRQCHIP_NUM_PINS,
    numIrqchips: 1,
    msi,
    msiDevid: false,
    routing: msi,
    irqLine(irq: number, level: number): number {
      // ics_deliver_irq's result is the status (KVM_IRQ_LINE_STATUS): -EINVAL for a source that
      // does not exist; the ioctl itself always succeeds
      if (icsDeliverIrq(xics, irq >>> 0, level >>> 0) === IRQ_NOT_FOUND) xics.vm.irqLineStatus = -EINVAL;
      return 0;
    },
    setMsi(_lo: number, _hi: number, data: number): number {
      return icsDeliverIrq(xics, data >>> 0, 1);
    },
    canSetRouting(): boolean {
      return false;
    },
  };
}

/** Builds the device ops (one set per plugin instance: KVM_ENABLE_CAP compares against them). */
export function makeXicsOps(options: XicsIrqChipOptions = {}): DeviceOps<XicsState> {
  const msi = options.msi ?? false;
  const ops: DeviceOps<XicsState> = {
    name: 'kvm-xics',
    create(dev: KvmDevice<XicsState>): number {
      const vm = dev.kvm;
      if (xicsOf(vm) !== undefined) return -EEXIST;
      // Model-only: one in-kernel irqchip per VM (the kernel cannot build MPIC and XICS together).
      if (vm.irqchip !== null) return -EEXIST;
      const xics = new XicsState(vm, dev);
      dev.private = xics;
      vm.slots.set(XICS_SLOT, xics);
      const chip = makeIrqChip(xics, msi);
      xics.chip = chip;
      vm.irqchip = chip;
      return 0;
    },
    release(dev: KvmDevice<XicsState>): void {
      const xics = dev.private;
      if (xics === null) return;
      const vm = dev.kvm;
      // kvmppc_xics_free_icp for every vCPU: the ICP goes, irq_type back to default. The
      // queued external interrupt is not dequeued, so the EE line stays as it was.
      for (const v of vm.vcpus) {
        if (v.slot(ICP_SLOT) !== undefined) {
          v.slots.set(ICP_SLOT, undefined);
          v.irqConnection = null;
        }
      }
      xics.servers.clear();
      if (vm.slot(XICS_SLOT) === xics) vm.slots.set(XICS_SLOT, undefined);
      if (vm.irqchip === xics.chip) vm.irqchip = null;
      xics.chip = null;
      xics.ics.fill(null);
      xics.icsCount = 0;
    },
    setAttr(dev: KvmDevice<XicsState>, attr: KvmDeviceAttr): number {
      if (attr.group === KVM_DEV_XICS_GRP_SOURCES) return setSource(dev.state, dev.kvm.host.mem, attr.attrLo, attr.attrHi, attr.addr);
      return -ENXIO;
    },
    getAttr(dev: KvmDevice<XicsState>, attr: KvmDeviceAttr): number {
      if (attr.group === KVM_DEV_XICS_GRP_SOURCES) return getSource(dev.state, dev.kvm.host.mem, attr.attrLo, attr.addr);
      return -ENXIO;
    },
    hasAttr(_dev: KvmDevice<XicsState>, attr: KvmDeviceAttr): number {
      if (
        attr.group === KVM_DEV_XICS_GRP_SOURCES &&
        attr.attrHi === 0 &&
        attr.attrLo >= KVMPPC_XICS_FIRST_IRQ &&
        attr.attrLo < KVMPPC_XICS_NR_IRQS
      )
        return 0;
      return -ENXIO;
    },
  };
  return ops;
}
