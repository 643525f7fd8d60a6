import { EBADF, EEXIST, EFAULT, ENOTTY, ENXIO, KVM_CHECK_EXTENSION, KVM_CREATE_DEVICE_TEST, KVM_GET_API_VERSION, KVM_HAS_DEVICE_ATTR } from '@kvmdev/core';
import {
  attrRaw,
  createDevice,
  describeDeviceConformance,
  getAttr,
  guest,
  hasAttr,
  ioctlRet,
  setAttr,
  trackLifecycle,
  u32,
  u64,
  vmWithVcpus,
} from '../src/index.js';
import { FAKE_GRP_ID, FAKE_GRP_REGS, FAKE_ID, makeFake } from './fixtures/fake-device.js';

describe('selftest-style fixtures', () => {
  test('vmWithVcpus, createDevice, set/get/hasAttr, trackLifecycle', () => {
    const { plugin } = makeFake();
    const { host, vmFd, vcpuFds, vm, kvm } = vmWithVcpus([plugin], 3);
    expect(vcpuFds).toHaveLength(3);
    expect(vm.vm).toBe(kvm);
    const life = trackLifecycle(host);
    const key = plugin.devices[0]!.key;
    expect(createDevice(host, vmFd, key, KVM_CREATE_DEVICE_TEST, 7)).toEqual({ ret: 0, errno: 0, fd: 7 });
    const d = createDevice(host, vmFd, key);
    expect(d.ret).toBe(0);
    expect(createDevice(host, vmFd, key)).toMatchObject({ ret: -1, errno: EEXIST });
    expect(setAttr(host, d.fd, FAKE_GRP_REGS, 2, 0x42).ret).toBe(0);
    expect(getAttr(host, d.fd, FAKE_GRP_REGS, 2)).toMatchObject({ ret: 0, errno: 0, value: 0x42 });
    expect(getAttr(host, d.fd, FAKE_GRP_ID, 0, 8).value).toBe(FAKE_ID);
    expect(hasAttr(host, d.fd, FAKE_GRP_REGS, 7)).toEqual({ ret: -1, errno: ENXIO });
    expect(attrRaw(host, d.fd, 'get', FAKE_GRP_REGS, 0, 0).errno).toBe(EFAULT);
    expect(host.mem.getU32(u32(host, 0xdeadbeef))).toBe(0xdeadbeef);
    expect(host.mem.getU64(u64(host, 1n << 40n))).toBe(1n << 40n);
    host.close(d.fd);
    expect(life).toMatchObject({ created: 1, released: 0, destroyed: 0 });
    for (const fd of [...vcpuFds, vmFd]) host.close(fd);
    expect(life).toMatchObject({ destroyed: 1, vmFreed: 1, bugged: 0 });
  });

  test('ioctlRet: the result, or -errno', () => {
    const { host, kvmFd, vmFd } = vmWithVcpus([], 0);
    expect(ioctlRet(host, kvmFd, KVM_GET_API_VERSION, 0)).toBe(12);
    expect(ioctlRet(host, vmFd, KVM_CHECK_EXTENSION, 0x7fffffff)).toBe(0); // an unknown cap: 0, not an error
    expect(ioctlRet(host, vmFd, KVM_HAS_DEVICE_ATTR, 0)).toBe(-ENOTTY); // no device-attr ioctl on this VM fd
    expect(ioctlRet(host, 9999, KVM_GET_API_VERSION, 0)).toBe(-EBADF);
  });

  test('guest().expectLine', () => {
    const { host, vcpuFds } = vmWithVcpus([], 1);
    const g = guest(host, vcpuFds[0]!);
    g.expectLine('irq', 0);
    expect(() => g.expectLine('irq', 1)).toThrow(/expected irq line 1, got 0/);
    expect(g.mmioRead(0x1000, 4)).toBeNull();
  });
});

describe('describeDeviceConformance', () => {
  function collect(spec: Parameters<typeof describeDeviceConformance>[0]) {
    const tests: [string, () => void][] = [];
    let suite = '';
    describeDeviceConformance(spec, {
      describe: (name, fn) => {
        suite = name;
        fn();
      },
      test: (name, fn) => tests.push([name, fn]),
    });
    return { suite, tests };
  }

  test('one test per rule; a correct plugin passes them all', () => {
    const { suite, tests } = collect(makeFake().spec);
    expect(suite).toMatch(/conformance \(@kvmdev\/testing\)$/);
    expect(tests.map(([n]) => n.split(':')[0])).toContain('fuzz');
    for (const [, fn] of tests) fn();
  });

  test('a broken plugin fails the test of its rule with a message naming it', () => {
    const { tests } = collect(makeFake({ fault: 'set-ignores-efault' }).spec);
    const efault = tests.find(([n]) => n.startsWith('efault:'))!;
    expect(efault[1]).toThrow(/\[efault\] SET REG0/);
  });
});
