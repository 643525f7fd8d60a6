import {
  EBADF,
  EBUSY,
  EEXIST,
  EFAULT,
  EINVAL,
  ENOENT,
  ENXIO,
  EPERM,
  KVM_DEV_TYPE_MAX,
  KVM_DEV_TYPE_VFIO,
} from '@kvmdev/core';
import { createHost } from '@kvmdev/core';
import { KVM_DEV_TYPE_VENDOR_BASE, definePlugin } from '@kvmdev/core/plugin';
import { attrRaw, createDevice, getAttr, hasAttr, setAttr, trackLifecycle, vmWithVcpus } from '@kvmdev/testing';
import {
  KVM_DEV_VFIO_FILE,
  KVM_DEV_VFIO_FILE_ADD,
  KVM_DEV_VFIO_FILE_DEL,
  KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE,
  VFIO_DEVICE_KEY,
  kvmVfioState,
  openVfioGroup,
  spaprTcePayload,
  openSpaprTceTable,
  vfio,
  vfioFileOf,
} from '../src/index.js';

const F = KVM_DEV_VFIO_FILE;

function setup() {
  const fx = vmWithVcpus([vfio], 1);
  const type = fx.host.deviceType(VFIO_DEVICE_KEY);
  return { ...fx, type };
}

describe("device type: the kernel's number", () => {
  test('KVM-VFIO registers under KVM_DEV_TYPE_VFIO (4), as the kernel numbers it', () => {
    const { host, vmFd, type } = setup();
    expect(type).toBe(KVM_DEV_TYPE_VFIO);
    expect(createDevice(host, vmFd, 4).ret).toBe(0); // what a C port creates
  });

  test('a second plugin cannot take the kernel number too (EEXIST); a vendor device beside it gets a vendor number', () => {
    const kernelVfio = definePlugin({
      name: 'kernel-vfio-stub',
      version: '0.0.0',
      core: '*',
      devices: [{ key: 'KVM_DEV_TYPE_VFIO', type: KVM_DEV_TYPE_VFIO, ops: { name: 'kvm-vfio-stub', create: () => 0, release: () => {} } }],
    });
    expect(() => createHost({ plugins: [vfio, kernelVfio] })).toThrow(/already registered/);
    const vendor = definePlugin({
      name: '@acme/kvmdev-foo',
      version: '0.0.0',
      core: '*',
      devices: [{ key: '@acme/kvmdev-foo:foo', ops: { name: 'kvm-foo', create: () => 0, release: () => {} } }],
    });
    const fx = vmWithVcpus([vfio, vendor], 0);
    const foo = fx.host.deviceType('@acme/kvmdev-foo:foo');
    expect(foo).toBeGreaterThanOrEqual(KVM_DEV_TYPE_VENDOR_BASE);
    expect(foo).toBeGreaterThanOrEqual(KVM_DEV_TYPE_MAX);
    expect(createDevice(fx.host, fx.vmFd, VFIO_DEVICE_KEY).ret).toBe(0);
    expect(createDevice(fx.host, fx.vmFd, foo).ret).toBe(0);
  });

  test('TEST probe by the kernel number', () => {
    const { host, vmFd, type } = setup();
    const r = createDevice(host, vmFd, type, 1, 0x1234);
    expect(r).toEqual({ ret: 0, errno: 0, fd: 0x1234 });
  });
});

describe('one per VM, release-style (virt/kvm/vfio.c)', () => {
  test('a second create is EBUSY', () => {
    const { host, vmFd, type } = setup();
    expect(createDevice(host, vmFd, type).ret).toBe(0);
    expect(createDevice(host, vmFd, type)).toMatchObject({ ret: -1, errno: EBUSY });
  });

  test('immediate re-create after close succeeds (release unlinks before the lock drops, 2024 rculist fix)', () => {
    const { host, vmFd, type } = setup();
    const life = trackLifecycle(host);
    const a = createDevice(host, vmFd, type);
    expect(host.close(a.fd)).toBe(0);
    expect(life.released).toBe(1);
    const b = createDevice(host, vmFd, type);
    expect(b.ret).toBe(0);
  });

  test('dup keeps it alive; the last close releases it and drops the tracked files', () => {
    const { host, vmFd, type, kvm } = setup();
    const life = trackLifecycle(host);
    const { fd } = createDevice(host, vmFd, type);
    const g = openVfioGroup(host);
    expect(setAttr(host, fd, F, KVM_DEV_VFIO_FILE_ADD, g).ret).toBe(0);
    expect(vfioFileOf(host, g)?.kvm).toBe(kvm);
    const dup = host.dup(fd);
    host.close(fd);
    expect(life.released).toBe(0);
    expect(hasAttr(host, dup, F, KVM_DEV_VFIO_FILE_ADD).ret).toBe(0);
    expect(createDevice(host, vmFd, type).errno).toBe(EBUSY);
    host.close(dup);
    expect(life.released).toBe(1);
    expect(vfioFileOf(host, g)?.kvm).toBeNull();
  });

  test('a failed create calls neither release nor destroy', () => {
    const { host, vmFd, type, kvm } = setup();
    createDevice(host, vmFd, type);
    const life = trackLifecycle(host);
    const users = kvm.usersCount;
    createDevice(host, vmFd, type);
    expect(life.events).toEqual([]);
    expect(kvm.usersCount).toBe(users);
  });
});

describe('KVM_DEV_VFIO_FILE', () => {
  test('ADD/DEL with the kernel errnos', () => {
    const { host, vmFd, type } = setup();
    const { fd } = createDevice(host, vmFd, type);
    const g = openVfioGroup(host);
    expect(setAttr(host, fd, F, KVM_DEV_VFIO_FILE_ADD, 999).errno).toBe(EBADF);
    expect(setAttr(host, fd, F, KVM_DEV_VFIO_FILE_ADD, vmFd).errno).toBe(EINVAL);
    expect(setAttr(host, fd, F, KVM_DEV_VFIO_FILE_ADD, g).ret).toBe(0);
    expect(setAttr(host, fd, F, KVM_DEV_VFIO_FILE_ADD, g).errno).toBe(EEXIST);
    expect(setAttr(host, fd, F, KVM_DEV_VFIO_FILE_DEL, g).ret).toBe(0);
    expect(setAttr(host, fd, F, KVM_DEV_VFIO_FILE_DEL, g).errno).toBe(ENOENT);
    expect(setAttr(host, fd, F, 9, g).errno).toBe(ENXIO);
    expect(setAttr(host, fd, 2, KVM_DEV_VFIO_FILE_ADD, g).errno).toBe(ENXIO);
    expect(attrRaw(host, fd, 'set', F, KVM_DEV_VFIO_FILE_ADD, 0).errno).toBe(EFAULT);
    expect(getAttr(host, fd, F, KVM_DEV_VFIO_FILE_ADD).errno).toBe(EPERM);
  });

  test('the device holds a reference on the file (get_file): closing the group fd does not release it', () => {
    const { host, vmFd, type } = setup();
    const { fd } = createDevice(host, vmFd, type);
    const g = openVfioGroup(host);
    setAttr(host, fd, F, KVM_DEV_VFIO_FILE_ADD, g);
    const info = vfioFileOf(host, g)!;
    host.close(g);
    expect(info.released).toBe(false);
    host.close(fd);
    expect(info.released).toBe(true);
  });

  test('non-coherent DMA follows the tracked files', () => {
    const { host, vmFd, type } = setup();
    const { fd } = createDevice(host, vmFd, type);
    const g = openVfioGroup(host, { coherent: false });
    setAttr(host, fd, F, KVM_DEV_VFIO_FILE_ADD, g);
    const kv = kvmVfioState(host.deviceOf(fd))!;
    expect(kv.noncoherent).toBe(true);
    setAttr(host, fd, F, KVM_DEV_VFIO_FILE_DEL, g);
    expect(kv.noncoherent).toBe(false);
  });

  test('SET_SPAPR_TCE through the typed API', () => {
    const { host, vm, vmFd } = setup();
    const dev = vm.createDevice(VFIO_DEVICE_KEY);
    const g = openVfioGroup(host);
    dev.setAttr(F, KVM_DEV_VFIO_FILE_ADD, g);
    const t = openSpaprTceTable(host, vmFd);
    expect(() => dev.setAttr(F, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, spaprTcePayload(g, 999))).toThrow(expect.objectContaining({ code: 'EBADF' }));
    dev.setAttr(F, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, spaprTcePayload(g, t));
    expect(kvmVfioState(dev.device)!.files[0]!.tceTable).not.toBeNull();
    expect(dev.hasAttr(F, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE)).toBe(true);
  });
});
