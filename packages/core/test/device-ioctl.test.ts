import {
  createHost,
  EBADF,
  EFAULT,
  EINVAL,
  EIO,
  ENOTTY,
  ENXIO,
  EPERM,
  KVM_CREATE_DEVICE,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  _IOWR,
  _IOW,
} from '@kvmdev/core';
import { FAKE_TYPE, fakePlugin, type CallLog, type FakeOptions } from './fixtures/fake-device.js';
import { attr, createDevice, ioctlErr, openVm } from './fixtures/sys.js';

function setup(o: FakeOptions = {}) {
  const log: CallLog = { calls: [] };
  const host = createHost({ plugins: [fakePlugin(log, o)] });
  const { kvm, vm } = openVm(host);
  const dev = createDevice(host, vm, FAKE_TYPE).fd;
  return { log, host, kvm, vm, dev };
}

describe('device fd: SET/GET/HAS', () => {
  test('SET then GET round-trips through user memory', () => {
    const { host, dev } = setup();
    const { s, p } = attr(host, 1, 2);
    host.mem.setU32(p, 0xcafe);
    expect(host.ioctl(dev, KVM_SET_DEVICE_ATTR, s)).toBe(0);
    host.mem.setU32(p, 0);
    expect(host.ioctl(dev, KVM_GET_DEVICE_ATTR, s)).toBe(0);
    expect(host.mem.getU32(p)).toBe(0xcafe);
  });

  test('the accessor value is returned unchanged (ENXIO, EINVAL, EPERM from the device)', () => {
    const { host, dev } = setup();
    expect(ioctlErr(host, dev, KVM_GET_DEVICE_ATTR, attr(host, 9, 0).s)).toBe(-ENXIO);
    const { s, p } = attr(host, 1, 3);
    host.mem.setU32(p, 0x100);
    expect(ioctlErr(host, dev, KVM_SET_DEVICE_ATTR, s)).toBe(-EINVAL);
    expect(ioctlErr(host, dev, KVM_SET_DEVICE_ATTR, attr(host, 3, 0).s)).toBe(-EPERM);
  });

  test('core ignores attr.flags', () => {
    const { host, dev } = setup();
    expect(ioctlErr(host, dev, KVM_GET_DEVICE_ATTR, attr(host, 1, 0, undefined, 0xffffffff).s)).toBe(0);
  });

  test('HAS ignores addr', () => {
    const { host, dev } = setup();
    const s = host.mem.alloc(24);
    host.mem.setU32(s + 4, 1);
    host.mem.setU64(s + 16, 0n); // NULL payload pointer
    expect(host.ioctl(dev, KVM_HAS_DEVICE_ATTR, s)).toBe(0);
  });

  test('a bad payload pointer inside the accessor gives EFAULT and changes nothing', () => {
    const { host, dev } = setup();
    const ok = attr(host, 1, 1);
    host.mem.setU32(ok.p, 7);
    host.ioctl(dev, KVM_SET_DEVICE_ATTR, ok.s);
    const bad = attr(host, 1, 1, 0);
    expect(ioctlErr(host, dev, KVM_SET_DEVICE_ATTR, bad.s)).toBe(-EFAULT);
    expect(ioctlErr(host, dev, KVM_GET_DEVICE_ATTR, bad.s)).toBe(-EFAULT);
    host.ioctl(dev, KVM_GET_DEVICE_ATTR, ok.s);
    expect(host.mem.getU32(ok.p)).toBe(7);
  });

  test('a bad struct pointer gives EFAULT', () => {
    const { host, dev } = setup();
    for (const req of [KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR]) {
      expect(ioctlErr(host, dev, req, 0)).toBe(-EFAULT);
      expect(ioctlErr(host, dev, req, 8)).toBe(-EFAULT);
    }
    // end of buffer: 24 bytes must be readable
    const end = host.mem.alloc(8);
    expect(ioctlErr(host, dev, KVM_GET_DEVICE_ATTR, end + 0x100000)).toBe(-EFAULT);
  });

  test.each([
    ['SET', KVM_SET_DEVICE_ATTR, { noSet: true }],
    ['GET', KVM_GET_DEVICE_ATTR, { noGet: true }],
    ['HAS', KVM_HAS_DEVICE_ATTR, { noHas: true }],
  ])('missing %s accessor gives EPERM before the struct is copied', (_n, req, o) => {
    const { host, dev } = setup(o);
    expect(ioctlErr(host, dev, req, 0)).toBe(-EPERM); // NULL struct: still EPERM, not EFAULT
  });

  test('requests are matched on the full 32-bit number: _IOWR or wrong size variants are "other"', () => {
    const { host, dev } = setup();
    const s = attr(host, 1, 0).s;
    expect(ioctlErr(host, dev, _IOWR(0xae, 0xe2, 24), s)).toBe(-ENOTTY);
    expect(ioctlErr(host, dev, _IOW(0xae, 0xe2, 16), s)).toBe(-ENOTTY);
    const withIoctl = setup({ withIoctl: true });
    expect(withIoctl.host.ioctl(withIoctl.dev, 0xae99, 41)).toBe(42);
    expect(ioctlErr(withIoctl.host, withIoctl.dev, _IOWR(0xae, 0xe2, 24), s)).toBe(-ENOTTY);
  });

  test('other requests without ops.ioctl give ENOTTY', () => {
    const { host, dev } = setup();
    expect(ioctlErr(host, dev, 0xae99, 0)).toBe(-ENOTTY);
  });

  test('a device ioctl on a non-device fd gives ENOTTY (VM, vCPU and /dev/kvm answer their own way)', () => {
    const { host, kvm, vm } = setup();
    const s = attr(host, 1, 0).s;
    expect(ioctlErr(host, 0, KVM_GET_DEVICE_ATTR, s)).toBe(-ENOTTY); // stdin
    expect(ioctlErr(host, vm, KVM_GET_DEVICE_ATTR, s)).toBe(-ENOTTY); // no plugin serves VM attrs
    expect(ioctlErr(host, kvm, KVM_GET_DEVICE_ATTR, s)).toBe(-EINVAL); // /dev/kvm: arch default
  });

  test('EBADF on a closed or never-opened fd', () => {
    const { host, dev } = setup();
    const s = attr(host, 1, 0).s;
    expect(host.close(dev)).toBe(0);
    expect(ioctlErr(host, dev, KVM_GET_DEVICE_ATTR, s)).toBe(-EBADF);
    expect(ioctlErr(host, 999, KVM_GET_DEVICE_ATTR, s)).toBe(-EBADF);
    expect(ioctlErr(host, -1, KVM_CREATE_DEVICE, s)).toBe(-EBADF);
  });

  test('a device fd used from another process gives EIO', () => {
    const { host, dev } = setup();
    const other = createHost();
    const fd = other.receiveFd(host, dev);
    const s = other.mem.alloc(24);
    expect(other.ioctl(fd, KVM_GET_DEVICE_ATTR, s)).toBe(-1);
    expect(other.errno).toBe(EIO);
  });
});
