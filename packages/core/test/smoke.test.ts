import {
  createHost,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VM,
  KVM_GET_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_GET_API_VERSION,
  ENXIO,
} from '@kvmdev/core';
import { definePlugin, type KvmDevice, type KvmDeviceAttr } from '@kvmdev/core/plugin';

const fake = definePlugin({
  name: 'fake',
  version: '1.0.0',
  core: '*',
  devices: [
    {
      key: 'KVM_DEV_TYPE_VFIO',
      type: 4,
      ops: {
        name: 'kvm-fake',
        create(dev: KvmDevice<{ v: number }>) {
          dev.private = { v: 0 };
          return 0;
        },
        release() {},
        setAttr(dev: KvmDevice<{ v: number }>, a: KvmDeviceAttr) {
          if (a.group !== 1) return -ENXIO;
          dev.state.v = dev.kvm.host.mem.getU32(a.addr);
          return 0;
        },
        getAttr(dev: KvmDevice<{ v: number }>, a: KvmDeviceAttr) {
          if (a.group !== 1) return -ENXIO;
          dev.kvm.host.mem.setU32(a.addr, dev.state.v);
          return 0;
        },
        hasAttr(_dev: KvmDevice<{ v: number }>, a: KvmDeviceAttr) {
          return a.group === 1 ? 0 : -ENXIO;
        },
      },
    },
  ],
});

test('smoke', () => {
  const host = createHost({ plugins: [fake] });
  const kvm = host.open('/dev/kvm');
  expect(kvm).toBe(3);
  expect(host.ioctl(kvm, KVM_GET_API_VERSION)).toBe(12);
  const vmfd = host.ioctl(kvm, KVM_CREATE_VM, 0);
  expect(vmfd).toBe(4);
  const cd = host.mem.alloc(12);
  host.mem.setU32(cd, 4);
  expect(host.ioctl(vmfd, KVM_CREATE_DEVICE, cd)).toBe(0);
  const dfd = host.mem.getU32(cd + 4);
  expect(dfd).toBe(5);
  const attr = host.mem.alloc(24);
  const val = host.mem.alloc(8);
  host.mem.setU32(attr + 4, 1);
  host.mem.setU64(attr + 16, BigInt(val));
  host.mem.setU32(val, 42);
  expect(host.ioctl(dfd, KVM_SET_DEVICE_ATTR, attr)).toBe(0);
  host.mem.setU32(val, 0);
  expect(host.ioctl(dfd, KVM_GET_DEVICE_ATTR, attr)).toBe(0);
  expect(host.mem.getU32(val)).toBe(42);
  host.mem.setU32(attr + 4, 2);
  expect(host.ioctl(dfd, KVM_HAS_DEVICE_ATTR, attr)).toBe(-1);
  expect(host.errno).toBe(ENXIO);
});
