/**
 * An example device: a "counter" with one u32 register (group 1, attr 0) that counts guest
 * MMIO writes at its 4 KiB window (group 2, attr 0 = base address, u64). Destroy-style: it
 * lives until VM teardown, like an irqchip.
 */
import { EEXIST, EINVAL, ENXIO } from '@kvmdev/core';
import { definePlugin, type KvmDevice, type KvmDeviceAttr, type MmioRegion } from '@kvmdev/core/plugin';

export const COUNTER_GRP_VALUE = 1;
export const COUNTER_GRP_BASE = 2;

interface Counter {
  value: number;
  base: number;
  region: MmioRegion | null;
}

function mapWindow(dev: KvmDevice<Counter>, base: number): number {
  const s = dev.state;
  if (s.region) dev.kvm.mmio.unregister(s.region);
  s.region = null;
  s.base = base;
  if (base === 0) return 0;
  const region: MmioRegion = {
    name: 'counter',
    base,
    size: 0x1000,
    read: () => s.value,
    write: () => {
      s.value = (s.value + 1) >>> 0;
      return 0;
    },
  };
  const r = dev.kvm.mmio.register(region);
  if (r === 0) s.region = region;
  return r;
}

export const counterPlugin = definePlugin({
  name: '@kvmdev/example-counter',
  version: '0.0.0',
  core: '^0.1.0',
  devices: [
    {
      key: '@kvmdev/example:counter',
      ops: {
        name: 'kvm-counter',
        create(dev: KvmDevice<Counter>) {
          if (dev.kvm.devices.some((d) => d.ops === dev.ops)) return -EEXIST;
          dev.private = { value: 0, base: 0, region: null };
          return 0;
        },
        destroy(dev: KvmDevice<Counter>) {
          dev.private = null;
        },
        setAttr(dev: KvmDevice<Counter>, a: KvmDeviceAttr) {
          const mem = dev.kvm.host.mem;
          if (a.group === COUNTER_GRP_VALUE && a.attrLo === 0 && a.attrHi === 0) {
            dev.state.value = mem.getU32(a.addr);
            return 0;
          }
          if (a.group === COUNTER_GRP_BASE && a.attrLo === 0 && a.attrHi === 0) {
            const lo = mem.getU64Lo(a.addr);
            const hi = mem.getU64Hi(a.addr);
            if (lo & 0xfff) return -EINVAL;
            return mapWindow(dev, hi * 2 ** 32 + lo);
          }
          return -ENXIO;
        },
        getAttr(dev: KvmDevice<Counter>, a: KvmDeviceAttr) {
          const mem = dev.kvm.host.mem;
          if (a.group === COUNTER_GRP_VALUE && a.attrLo === 0 && a.attrHi === 0) {
            mem.setU32(a.addr, dev.state.value);
            return 0;
          }
          if (a.group === COUNTER_GRP_BASE && a.attrLo === 0 && a.attrHi === 0) {
            mem.setU64(a.addr, dev.state.base);
            return 0;
          }
          return -ENXIO;
        },
        hasAttr(_dev: KvmDevice<Counter>, a: KvmDeviceAttr) {
          return (a.group === 1 || a.group === 2) && a.attrLo === 0 && a.attrHi === 0 ? 0 : -ENXIO;
        },
      },
      attrs: [
        { group: 1, name: 'COUNTER_GRP_VALUE', size: 4, access: 'rw', state: true, attrs: [{ attr: 0, name: 'COUNTER_VALUE' }] },
        { group: 2, name: 'COUNTER_GRP_BASE', size: 8, access: 'rw', state: true, attrs: [{ attr: 0, name: 'COUNTER_BASE' }] },
      ],
    },
  ],
});

declare module '@kvmdev/core' {
  interface KvmDeviceRegistry {
    '@kvmdev/example:counter': { type: number; groups: { 1: { attr: 0; value: number }; 2: { attr: 0; value: bigint } } };
  }
}
