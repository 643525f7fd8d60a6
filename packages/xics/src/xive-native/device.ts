/**
 * The XIVE native `DeviceOps` (kvm_xive_native_ops): create (one per VM, sharing the VM's single
 * XIVE-or-XICS slot with the XICS through the VM's in-kernel irqchip), release-style lifetime
 * (closing the last fd frees every presenter and every source), and the attribute dispatch.
 * @packageDocumentation
 */
import { EEXIST, EINVAL, ENXIO } from '@kvmdev/core';
import type { AttrTable, DeviceOps, IrqChip, KvmDevice, KvmDeviceAttr } from '@kvmdev/core/plugin';
import { setNrServers } from '../xive-vp.js';
import { cleanupVcpu } from './connect.js';
import { getQueueConfig, setQueueConfig } from './eq.js';
import { setSource, setSourceConfig, sourceIrqLine, syncSource } from './sources.js';
import { XIVE_NATIVE_SLOT, XiveNativeState, xiveNativeOf } from './state.js';
import {
  KVMPPC_XIVE_NR_IRQS,
  KVM_DEV_XIVE_EQ_SYNC,
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_GRP_EQ_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE_SYNC,
  KVM_DEV_XIVE_NR_SERVERS,
  KVM_DEV_XIVE_RESET,
  XIVE_MASKED,
} from './uapi.js';

/** The XIVE native attribute table (what HAS answers 0 for). */
export const XIVE_NATIVE_ATTRS: AttrTable = [
  {
    group: KVM_DEV_XIVE_GRP_CTRL,
    name: 'KVM_DEV_XIVE_GRP_CTRL',
    size: 4,
    access: 'w',
    state: false,
    attrs: 'KVM_DEV_XIVE_RESET (1), KVM_DEV_XIVE_EQ_SYNC (2), KVM_DEV_XIVE_NR_SERVERS (3, u32)',
    doc: 'Controls: reset every queue and mask every source, sync the queues, the size of the VP block.',
  },
  {
    group: KVM_DEV_XIVE_GRP_SOURCE,
    name: 'KVM_DEV_XIVE_GRP_SOURCE',
    size: 8,
    access: 'w',
    state: false,
    attrs: 'source number, 0 <= n < 2^20',
    doc: 'Creates or resets a source, masked: bit 0 LEVEL_SENSITIVE, bit 1 LEVEL_ASSERTED.',
  },
  {
    group: KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
    name: 'KVM_DEV_XIVE_GRP_SOURCE_CONFIG',
    size: 8,
    access: 'w',
    state: false,
    attrs: 'source number, 0 <= n < 2^20',
    doc: 'Routes a source: priority (bits 2:0), server (31:3), masked (32), EISN (63:33).',
  },
  {
    group: KVM_DEV_XIVE_GRP_EQ_CONFIG,
    name: 'KVM_DEV_XIVE_GRP_EQ_CONFIG',
    size: 0,
    access: 'rw',
    state: true,
    attrs: 'EQ identifier: priority (bits 2:0), server (31:3)',
    doc: 'An event queue of a presenter, a 64-byte struct kvm_ppc_xive_eq (flags, qshift, qaddr, qtoggle, qindex).',
  },
  {
    group: KVM_DEV_XIVE_GRP_SOURCE_SYNC,
    name: 'KVM_DEV_XIVE_GRP_SOURCE_SYNC',
    size: 0,
    access: 'w',
    state: false,
    attrs: 'source number, 0 <= n < 2^20',
    doc: 'Syncs one source (no payload).',
  },
];

/**
 * KVM_DEV_XIVE_RESET (kvmppc_xive_reset): every presenter's queues lose their page, every routed
 * source is masked again (server 0, EISN 0, PQ "off"); the presenters and the sources stay.
 */
export function resetXive(x: XiveNativeState): number {
  for (const p of x.presenters.values()) for (const q of p.queues) q.reset();
  for (const b of x.blocks) {
    if (b === null) continue;
    for (let i = 0; i < b.priority.length; i++) {
      if (b.priority[i] === XIVE_MASKED) continue;
      b.priority[i] = XIVE_MASKED;
      b.server[i] = 0;
      b.eisn[i] = 0;
      b.pq[i] = 1;
    }
  }
  return 0;
}

function ctrl(x: XiveNativeState, a: KvmDeviceAttr): number {
  if (a.attrHi !== 0) return -ENXIO;
  switch (a.attrLo) {
    case KVM_DEV_XIVE_RESET:
      return resetXive(x);
    case KVM_DEV_XIVE_EQ_SYNC:
      // kvmppc_xive_native_eq_sync: syncs the routed sources and marks the queue pages dirty
      return 0;
    case KVM_DEV_XIVE_NR_SERVERS:
      return setNrServers(x, x.vm.maxVcpus, x.vm.host.mem, a.addr);
    default:
      return -ENXIO;
  }
}

function makeIrqChip(x: XiveNativeState): IrqChip {
  return {
    name: 'xive-native',
    numPins: 256,
    numIrqchips: 1,
    msi: false,
    msiDevid: false,
    routing: false,
    irqLine(irq: number, level: number): number {
      // kvm_set_irq's result goes to the status KVM_IRQ_LINE does not copy back: always 0
      if (sourceIrqLine(x, irq, level) < 0) x.vm.irqLineStatus = -EINVAL;
      return 0;
    },
    canSetRouting: () => false,
  };
}

/** Builds the device ops (one set per plugin instance: the connect compares against them). */
export function makeXiveNativeOps(): DeviceOps<XiveNativeState> {
  return {
    name: 'kvm-xive-native',
    create(dev: KvmDevice<XiveNativeState>): number {
      const vm = dev.kvm;
      // kvm->arch.xive: one XIVE native or XICS(-on-XIVE) device per VM, whichever comes first
      if (xiveNativeOf(vm) !== undefined || vm.irqchip !== null) return -EEXIST;
      const x = new XiveNativeState(vm, dev);
      dev.private = x;
      vm.slots.set(XIVE_NATIVE_SLOT, x);
      const chip = makeIrqChip(x);
      x.chip = chip;
      vm.irqchip = chip;
      return 0;
    },
    release(dev: KvmDevice<XiveNativeState>): void {
      const x = dev.private;
      if (x === null) return;
      const vm = dev.kvm;
      for (const p of [...x.presenters.values()]) cleanupVcpu(x, p);
      if (vm.slot(XIVE_NATIVE_SLOT) === x) vm.slots.set(XIVE_NATIVE_SLOT, undefined);
      if (vm.irqchip === x.chip) vm.irqchip = null;
      x.chip = null;
      x.blocks.fill(null);
      x.sourceCount = 0;
    },
    setAttr(dev: KvmDevice<XiveNativeState>, a: KvmDeviceAttr): number {
      const x = dev.state;
      const mem = dev.kvm.host.mem;
      switch (a.group) {
        case KVM_DEV_XIVE_GRP_CTRL:
          return ctrl(x, a);
        case KVM_DEV_XIVE_GRP_SOURCE:
          return setSource(x, mem, a);
        case KVM_DEV_XIVE_GRP_SOURCE_CONFIG:
          return setSourceConfig(x, mem, a);
        case KVM_DEV_XIVE_GRP_EQ_CONFIG:
          return setQueueConfig(x, mem, a);
        case KVM_DEV_XIVE_GRP_SOURCE_SYNC:
          return syncSource(x, a);
        default:
          return -ENXIO;
      }
    },
    getAttr(dev: KvmDevice<XiveNativeState>, a: KvmDeviceAttr): number {
      if (a.group === KVM_DEV_XIVE_GRP_EQ_CONFIG) return getQueueConfig(dev.state, dev.kvm.host.mem, a);
      return -ENXIO;
    },
    hasAttr(_dev: KvmDevice<XiveNativeState>, a: KvmDeviceAttr): number {
      switch (a.group) {
        case KVM_DEV_XIVE_GRP_CTRL:
          return a.attrHi === 0 && a.attrLo >= KVM_DEV_XIVE_RESET && a.attrLo <= KVM_DEV_XIVE_NR_SERVERS ? 0 : -ENXIO;
        case KVM_DEV_XIVE_GRP_SOURCE:
        case KVM_DEV_XIVE_GRP_SOURCE_CONFIG:
        case KVM_DEV_XIVE_GRP_SOURCE_SYNC:
          return a.attrHi === 0 && a.attrLo >>> 0 < KVMPPC_XIVE_NR_IRQS ? 0 : -ENXIO;
        case KVM_DEV_XIVE_GRP_EQ_CONFIG:
          return 0;
        default:
          return -ENXIO;
      }
    },
  };
}
