import {
  createHost,
  EBADF,
  EEXIST,
  ENODEV,
  ENXIO,
  EPERM,
  isKvmError,
  KvmError,
  KVM_GET_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  type Host,
} from '@kvmdev/core';
import { FAKE_TYPE, fakePlugin, type CallLog } from './fixtures/fake-device.js';
import { attr, createDevice, ioctlErr, openVm } from './fixtures/sys.js';

function thrown(fn: () => unknown): KvmError | null {
  try {
    fn();
  } catch (e) {
    if (isKvmError(e)) return e;
    throw e;
  }
  return null;
}

function host(o: Parameters<typeof fakePlugin>[1] = {}): Host {
  return createHost({ plugins: [fakePlugin({ calls: [] } as CallLog, o)] });
}

describe('typed API', () => {
  test('create, set/get with payload sizes from the attribute table, has, close', () => {
    const h = host();
    const vm = h.createVm();
    const dev = vm.createDevice('KVM_DEV_TYPE_VFIO');
    dev.setAttr(1, 2, 0x1234);
    expect(dev.getAttr(1, 2)).toBe(0x1234);
    dev.setAttr(2, 0, 0xfe00_0400_00n);
    expect(dev.getAttr(2, 0)).toBe(0xfe00_0400_00n);
    expect(dev.getAttr(3, 0)).toBe(0xfeed);
    expect(dev.hasAttr(1, 3)).toBe(true);
    expect(dev.hasAttr(1, 4)).toBe(false);
    dev.close();
    expect(thrown(() => dev.getAttr(1, 0))?.code).toBe('EBADF');
  });

  test('a u64 GET returns the current value after every change (the handle reuses its last bigint only for an equal value)', () => {
    const h = host();
    const dev = h.createVm().createDevice('KVM_DEV_TYPE_VFIO');
    const seen: bigint[] = [];
    for (const v of [0x1_0000_0000n, 0x1_0000_0000n, 0x2_0000_0000n, 0x1_0000_0000n, 0xffff_ffff_ffff_ffffn, 0n, 0n]) {
      dev.setAttr(2, 0, v);
      seen.push(dev.getAttr(2, 0));
    }
    expect(seen).toEqual([0x1_0000_0000n, 0x1_0000_0000n, 0x2_0000_0000n, 0x1_0000_0000n, 0xffff_ffff_ffff_ffffn, 0n, 0n]);
  });

  test('errors are KvmError with errno name and number', () => {
    const h = host({ singleton: true });
    const vm = h.createVm();
    const dev = vm.createDevice('KVM_DEV_TYPE_VFIO');
    const e = thrown(() => dev.getAttr(1, 9));
    expect(e).toBeInstanceOf(KvmError);
    expect([e?.errno, e?.code]).toEqual([ENXIO, 'ENXIO']);
    expect(thrown(() => dev.setAttr(3, 0, 1))?.errno).toBe(EPERM);
    expect(thrown(() => vm.createDevice('KVM_DEV_TYPE_VFIO'))?.errno).toBe(EEXIST);
    expect(vm.testDevice('KVM_DEV_TYPE_VFIO')).toBe(true);
    expect(vm.testDevice(6)).toBe(false);
    expect(thrown(() => vm.createDeviceByType(0))?.errno).toBe(ENODEV);
  });

  test('isKvmError works across copies of the package (brand, not instanceof)', () => {
    const foreign = Object.assign(new Error('ENXIO'), { [Symbol.for('@kvmdev/core/KvmError')]: true, errno: 6 });
    expect(isKvmError(foreign)).toBe(true);
    expect(isKvmError(new Error('x'))).toBe(false);
    expect(isKvmError(null)).toBe(false);
  });
});

describe('the two faces agree', () => {
  test('same state through either face, same errno for the same calls', () => {
    const h = host();
    const { vm } = openVm(h);
    const fd = createDevice(h, vm, FAKE_TYPE).fd;
    const typed = h.createVm().createDevice('KVM_DEV_TYPE_VFIO');
    const facade = (op: number, g: number, a: number, v?: number) => {
      const { s, p } = attr(h, g, a);
      if (v !== undefined) h.mem.setU32(p, v);
      const r = ioctlErr(h, fd, op, s);
      return r < 0 ? r : h.mem.getU32(p);
    };
    const viaTyped = (op: 'set' | 'get', g: 1 | 3, a: number, v?: number) => {
      try {
        if (op === 'set') {
          if (g === 1) typed.setAttr(1, a, v ?? 0);
          else typed.setAttr(3, 0, v ?? 0);
          return 0;
        }
        return g === 1 ? typed.getAttr(1, a) : typed.getAttr(3, 0);
      } catch (e) {
        return isKvmError(e) ? -e.errno : NaN;
      }
    };
    const script: ['set' | 'get', 1 | 3, number, number?][] = [
      ['set', 1, 0, 5], ['get', 1, 0], ['set', 1, 3, 0x100], ['get', 1, 3], ['set', 1, 7, 1], ['get', 1, 9],
      ['set', 3, 0, 1], ['get', 3, 0], ['set', 1, 3, 0xff], ['get', 1, 3],
    ];
    for (const [op, g, a, v] of script) {
      const f = facade(op === 'set' ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, g, a, v);
      const t = viaTyped(op, g, a, v);
      expect([op, g, a, t]).toEqual([op, g, a, op === 'set' && f >= 0 ? 0 : f]);
    }
  });

  test('a typed handle and the facade see the same fd table', () => {
    const h = host();
    const vm = h.createVm();
    const dev = vm.createDevice('KVM_DEV_TYPE_VFIO');
    const { s, p } = attr(h, 1, 1);
    h.mem.setU32(p, 9);
    expect(h.ioctl(dev.fd, KVM_SET_DEVICE_ATTR, s)).toBe(0);
    expect(dev.getAttr(1, 1)).toBe(9);
    expect(h.close(dev.fd)).toBe(0);
    expect(thrown(() => dev.setAttr(1, 1, 1))?.errno).toBe(EBADF);
  });
});
