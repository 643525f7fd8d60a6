/**
 * A fake device that measures the core alone: one u32 register (group 1, attr 0), an irqchip
 * whose KVM_IRQ_LINE raises the vCPU's IRQ line, and a 4 KiB MMIO window where a read at 0 is
 * the acknowledge (returns the pending IRQ, lowers the line) and a write at 4 is the EOI. Every
 * accessor is the minimum a device can do, so its figures are the floor the core imposes.
 * @packageDocumentation
 */
import { EFAULT, ENXIO, KVM_LINE_IRQ } from '@kvmdev/core';
import {
  definePlugin,
  type IrqChip,
  type KvmDevice,
  type KvmDeviceAttr,
  type MmioRegion,
  type Vcpu,
} from '@kvmdev/core/plugin';

export const FAKE_GRP_REG = 1;
export const FAKE_MMIO_BASE = 0x10000000;

interface Fake {
  reg: number;
  pending: number;
  vcpu: Vcpu | null;
}

class FakeWindow implements MmioRegion {
  readonly name = 'bench-fake';
  readonly base = FAKE_MMIO_BASE;
  readonly size = 0x1000;
  constructor(private readonly s: Fake) {}
  read(vcpu: Vcpu | null, off: number): number {
    if (off !== 0) return 0;
    const p = this.s.pending;
    this.s.pending = 0;
    vcpu?.setLine(KVM_LINE_IRQ, 0);
    return p === 0 ? 1023 : p;
  }
  write(): number {
    return 0;
  }
}

function chip(s: Fake): IrqChip {
  return {
    name: 'bench-fake',
    numPins: 1024,
    msi: false,
    irqLine(irq: number, level: number): number {
      if (level !== 0) {
        s.pending = irq;
        s.vcpu?.setLine(KVM_LINE_IRQ, 1);
      }
      return 0;
    },
  };
}

function getAttr(dev: KvmDevice<Fake>, a: KvmDeviceAttr): number {
  if (a.group !== FAKE_GRP_REG || a.attrLo !== 0 || a.attrHi !== 0) return -ENXIO;
  const mem = dev.kvm.host.mem;
  if (!mem.ok(a.addr, 4)) return -EFAULT;
  mem.setU32(a.addr, dev.state.reg);
  return 0;
}

function setAttr(dev: KvmDevice<Fake>, a: KvmDeviceAttr): number {
  if (a.group !== FAKE_GRP_REG || a.attrLo !== 0 || a.attrHi !== 0) return -ENXIO;
  const mem = dev.kvm.host.mem;
  if (!mem.ok(a.addr, 4)) return -EFAULT;
  dev.state.reg = mem.getU32(a.addr);
  return 0;
}

/** The fake device plugin (a vendor type, key `@kvmdev/bench:fake`). */
export const fakePlugin = definePlugin({
  name: '@kvmdev/bench-fake',
  version: '0.0.0',
  core: '^0.1.0',
  devices: [
    {
      key: '@kvmdev/bench:fake',
      attrs: [{ group: FAKE_GRP_REG, name: 'FAKE_GRP_REG', size: 4, access: 'rw', state: true, attrs: [{ attr: 0, name: 'REG' }] }],
      ops: {
        name: 'bench-fake',
        create(dev: KvmDevice<Fake>): number {
          const s: Fake = { reg: 0, pending: 0, vcpu: dev.kvm.vcpus[0] ?? null };
          dev.private = s;
          dev.kvm.irqchip = chip(s);
          dev.kvm.mmio.register(new FakeWindow(s));
          return 0;
        },
        destroy(dev: KvmDevice<Fake>): void {
          dev.kvm.irqchip = null;
          dev.private = null;
        },
        getAttr,
        setAttr,
        hasAttr: (_dev: KvmDevice<Fake>, a: KvmDeviceAttr) => (a.group === FAKE_GRP_REG ? 0 : -ENXIO),
      },
    },
  ],
});

declare module '@kvmdev/core' {
  interface KvmDeviceRegistry {
    '@kvmdev/bench:fake': { type: number; groups: { 1: { attr: 0; value: number } } };
  }
}
