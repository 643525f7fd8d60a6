import {
  createHost,
  EEXIST,
  EFAULT,
  EINVAL,
  EIO,
  EMFILE,
  ENODEV,
  KVM_CREATE_DEVICE,
  KVM_CREATE_DEVICE_TEST,
  KVM_DEV_TYPE_MAX,
  type VmEvent,
} from '@kvmdev/core';
import { FAKE_TYPE, fakePlugin, type CallLog } from './fixtures/fake-device.js';
import { createDevice, ioctlErr, openVm } from './fixtures/sys.js';

function setup(o: Parameters<typeof fakePlugin>[1] = {}, hostOpts: Parameters<typeof createHost>[0] = {}) {
  const log: CallLog = { calls: [] };
  const host = createHost({ ...hostOpts, plugins: [fakePlugin(log, o)] });
  const { kvm, vm } = openVm(host);
  return { log, host, kvm, vm, kvmVm: host.vmOf(vm) };
}

describe('KVM_CREATE_DEVICE: type checks', () => {
  test.each([
    ['type 0', 0],
    ['an unregistered type', 7],
    ['KVM_DEV_TYPE_MAX', KVM_DEV_TYPE_MAX],
    ['0xFFFFFFFF', 0xffffffff],
  ])('%s gives ENODEV and creates nothing', (_n, type) => {
    const { host, vm, log, kvmVm } = setup();
    const r = createDevice(host, vm, type);
    expect([r.ret, r.errno]).toEqual([-1, ENODEV]);
    expect(log.calls).toEqual([]);
    expect(kvmVm.devices).toHaveLength(0);
  });

  test('ENODEV for a registered type is checked before TEST', () => {
    const { host, vm } = setup();
    expect(createDevice(host, vm, 9, KVM_CREATE_DEVICE_TEST).errno).toBe(ENODEV);
  });
});

describe('KVM_CREATE_DEVICE: TEST', () => {
  test('returns 0, creates nothing, leaves fd untouched', () => {
    const { host, vm, log, kvmVm } = setup();
    const before = kvmVm.usersCount;
    const open = host.files.openCount;
    const r = createDevice(host, vm, FAKE_TYPE, KVM_CREATE_DEVICE_TEST, 0x12345678);
    expect(r.ret).toBe(0);
    expect(r.fdField).toBe(0x12345678);
    expect(log.calls).toEqual([]);
    expect(kvmVm.devices).toHaveLength(0);
    expect(kvmVm.usersCount).toBe(before);
    expect(host.files.openCount).toBe(open);
  });

  test('TEST with other bits still probes; unknown flag bits alone are ignored', () => {
    const { host, vm, log } = setup();
    expect(createDevice(host, vm, FAKE_TYPE, 0xffffffff).ret).toBe(0);
    expect(log.calls).toEqual([]);
    const r = createDevice(host, vm, FAKE_TYPE, 0xfffffffe);
    expect(r.ret).toBe(0);
    expect(r.fd).toBeGreaterThan(2);
    expect(log.calls).toEqual([`create:${FAKE_TYPE}`]);
  });
});

describe('KVM_CREATE_DEVICE: create', () => {
  test('the device create error propagates and nothing else runs', () => {
    const { host, vm, log, kvmVm } = setup({ createErrno: EINVAL, withInit: true, style: 'both' });
    const users = kvmVm.usersCount;
    const r = createDevice(host, vm, FAKE_TYPE);
    expect(r.errno).toBe(EINVAL);
    expect(r.fdField).toBe(0xdeadbeef);
    expect(log.calls).toEqual([`create:${FAKE_TYPE}`]);
    expect(kvmVm.devices).toHaveLength(0);
    expect(kvmVm.usersCount).toBe(users);
  });

  test('success: init after create, device on the list head, VM ref taken, fd installed', () => {
    const { host, vm, log, kvmVm } = setup({ withInit: true });
    const events: string[] = [];
    host.on((e: VmEvent) => events.push(e.kind));
    const a = createDevice(host, vm, FAKE_TYPE);
    const b = createDevice(host, vm, FAKE_TYPE);
    expect(log.calls).toEqual([`create:${FAKE_TYPE}`, 'init', `create:${FAKE_TYPE}`, 'init']);
    expect(kvmVm.devices.map((d) => d.file)).toEqual([host.files.get(b.fd), host.files.get(a.fd)]);
    expect(kvmVm.usersCount).toBe(3);
    expect(host.files.get(a.fd)?.name).toBe('kvm-fake');
    expect(events).toEqual(['device-created', 'device-created']);
  });

  test('a singleton device refuses a second instance with its own errno', () => {
    const { host, vm } = setup({ singleton: true });
    expect(createDevice(host, vm, FAKE_TYPE).ret).toBe(0);
    expect(createDevice(host, vm, FAKE_TYPE).errno).toBe(EEXIST);
  });

  test('bad struct pointer gives EFAULT', () => {
    const { host, vm } = setup();
    expect(ioctlErr(host, vm, KVM_CREATE_DEVICE, 0)).toBe(-EFAULT);
    expect(ioctlErr(host, vm, KVM_CREATE_DEVICE, 0x7fff_ffff_0000)).toBe(-EFAULT);
    expect(ioctlErr(host, vm, KVM_CREATE_DEVICE, 2n ** 60n)).toBe(-EFAULT);
  });

  test('fd install failure (EMFILE): release then destroy run, the VM ref is dropped, the VM survives', () => {
    const { host, vm, log, kvmVm } = setup({ style: 'both' }, { fdLimit: 6 });
    // fds 0-2 std, 3 kvm, 4 vm; one fd left
    expect(createDevice(host, vm, FAKE_TYPE).fd).toBe(5);
    log.calls.length = 0;
    const users = kvmVm.usersCount;
    const r = createDevice(host, vm, FAKE_TYPE);
    expect(r.errno).toBe(EMFILE);
    expect(log.calls).toEqual([`create:${FAKE_TYPE}`, 'release', 'destroy']);
    expect(kvmVm.usersCount).toBe(users);
    expect(kvmVm.devices).toHaveLength(1);
    expect(kvmVm.freed).toBe(false);
    expect(createDevice(host, vm, FAKE_TYPE, KVM_CREATE_DEVICE_TEST).ret).toBe(0);
  });

  test('fd install failure with a release-only device (no destroy op) does not crash', () => {
    const { host, vm, log } = setup({ style: 'release' }, { fdLimit: 5 });
    expect(createDevice(host, vm, FAKE_TYPE).errno).toBe(EMFILE);
    expect(log.calls).toEqual([`create:${FAKE_TYPE}`, 'release']);
  });

  test('fd install failure with a destroy-only device', () => {
    const { host, vm, log } = setup({ style: 'destroy' }, { fdLimit: 5 });
    expect(createDevice(host, vm, FAKE_TYPE).errno).toBe(EMFILE);
    expect(log.calls).toEqual([`create:${FAKE_TYPE}`, 'destroy']);
  });

  test('CVE-2019-6974: a racing close of the fresh fd before create returns is safe', () => {
    const log: CallLog = { calls: [] };
    let raced = -1;
    const host = createHost({
      plugins: [fakePlugin(log, { style: 'release' })],
      hooks: {
        afterFdInstall(fd) {
          raced = fd;
          expect(host.close(fd)).toBe(0); // another thread guesses the fd and closes it
        },
      },
    });
    const { vm } = openVm(host);
    const kvmVm = host.vmOf(vm);
    const r = createDevice(host, vm, FAKE_TYPE);
    expect(r.ret).toBe(0);
    expect(r.fdField).toBe(raced);
    expect(log.calls).toEqual([`create:${FAKE_TYPE}`, 'release']);
    expect(kvmVm.usersCount).toBe(1);
    expect(kvmVm.freed).toBe(false);
    expect(host.close(vm)).toBe(0);
    expect(kvmVm.freed).toBe(true);
  });

  test('a VM ioctl from another process gives EIO (foreign mm)', () => {
    const { host, vm } = setup();
    const other = createHost();
    const fd = other.receiveFd(host, vm);
    const cd = other.mem.alloc(12);
    other.mem.setU32(cd, FAKE_TYPE);
    expect(other.ioctl(fd, KVM_CREATE_DEVICE, cd)).toBe(-1);
    expect(other.errno).toBe(EIO);
  });
});

test('copy_to_user of the new fd fails: EFAULT, but the fd stays installed and the device alive (unfixed upstream)', () => {
  const log: CallLog = { calls: [] };
  const host = createHost({ plugins: [fakePlugin(log, { style: 'release' })] });
  const { vm } = openVm(host);
  const cd = host.mem.alloc(12);
  host.mem.setU32(cd, FAKE_TYPE);
  host.mem.protect(cd, 12);
  const open = host.files.openCount;
  expect(ioctlErr(host, vm, KVM_CREATE_DEVICE, cd)).toBe(-EFAULT);
  expect(host.files.openCount).toBe(open + 1);
  expect(host.vmOf(vm).devices).toHaveLength(1);
  expect(log.calls).toEqual([`create:${FAKE_TYPE}`]);
  const [fd] = host.files.entries().find(([, f]) => f.target.kind === 'device')!;
  host.close(fd);
  expect(log.calls).toEqual([`create:${FAKE_TYPE}`, 'release']);
});
