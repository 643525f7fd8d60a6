/**
 * KVM_DEV_TYPE_XIVE creation and the attribute dispatch, as recorded on powernv9
 * (oracle-suite scenarios/xive/create.kvms).
 */
import { EEXIST, EFAULT, ENOENT, ENOTTY, ENXIO, EINVAL, KVM_CREATE_DEVICE_TEST } from '@kvmdev/core';
import {
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_TYPE_XIVE,
  KVM_DEV_XIVE_EQ_SYNC,
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_GRP_EQ_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE_SYNC,
  KVM_DEV_XIVE_NR_SERVERS,
  KVM_DEV_XIVE_RESET,
} from '../../src/internal.js';
import { Rig } from './rig.js';

describe('XIVE native: creation', () => {
  it('KVM_CAP_PPC_IRQ_XIVE is 1 on /dev/kvm and on a VM', () => {
    const r = new Rig();
    expect(r.h.ioctl(r.kvm, r.h.ioctls.KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE)).toBe(1);
    expect(r.h.ioctl(r.vm, r.h.ioctls.KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE)).toBe(1);
  });

  it('TEST creates nothing; a second device is EEXIST, TEST still 0', () => {
    const r = new Rig();
    expect(r.create(KVM_DEV_TYPE_XIVE, KVM_CREATE_DEVICE_TEST)).toBe(0);
    const fd = r.create();
    expect(fd).toBeGreaterThan(0);
    expect(r.create()).toBe(-EEXIST);
    expect(r.create(KVM_DEV_TYPE_XIVE, KVM_CREATE_DEVICE_TEST)).toBe(0);
    expect(r.create(KVM_DEV_TYPE_XIVE, 2)).toBe(-EEXIST);
  });

  it('one XIVE-or-XICS slot per VM: each refuses the other, both ways, until released', () => {
    const r = new Rig();
    const x = r.create();
    expect(r.createXics()).toBe(-EEXIST);
    expect(r.close(x)).toBe(0);
    const xi = r.createXics();
    expect(xi).toBeGreaterThan(0);
    expect(r.create()).toBe(-EEXIST);
    expect(r.create(KVM_DEV_TYPE_XIVE, KVM_CREATE_DEVICE_TEST)).toBe(0);
    expect(r.close(xi)).toBe(0);
    expect(r.create()).toBeGreaterThan(0);
  });

  it('a dup keeps the device alive; the last close frees the slot', () => {
    const r = new Rig();
    const x = r.create();
    const d = r.h.dup(x);
    r.close(x);
    expect(r.create()).toBe(-EEXIST);
    expect(r.set(d, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_RESET)).toBe(0);
    r.close(d);
    expect(r.create()).toBeGreaterThan(0);
  });

  it('HAS: CTRL 1-3, the source groups below 2^20 (a 64-bit compare), EQ_CONFIG any; else ENXIO', () => {
    const r = new Rig();
    const x = r.create();
    for (let a = 0; a < 5; a++) expect(r.has(x, KVM_DEV_XIVE_GRP_CTRL, a)).toBe(a >= 1 && a <= 3 ? 0 : -ENXIO);
    for (const g of [KVM_DEV_XIVE_GRP_SOURCE, KVM_DEV_XIVE_GRP_SOURCE_CONFIG, KVM_DEV_XIVE_GRP_SOURCE_SYNC]) {
      expect(r.has(x, g, 0)).toBe(0);
      expect(r.has(x, g, 0xfffff)).toBe(0);
      expect(r.has(x, g, 0x100000)).toBe(-ENXIO);
      expect(r.has(x, g, 0x100000000n)).toBe(-ENXIO);
      expect(r.has(x, g, -1n)).toBe(-ENXIO);
    }
    expect(r.has(x, KVM_DEV_XIVE_GRP_EQ_CONFIG, -1n)).toBe(0);
    expect(r.has(x, 0, 1)).toBe(-ENXIO);
    expect(r.has(x, 6, 1)).toBe(-ENXIO);
    expect(r.has(x, KVM_DEV_XIVE_GRP_CTRL, 0x100000001n)).toBe(-ENXIO);
  });

  it('GET: only EQ_CONFIG (ENOENT without the server); SET: unknown group or control ENXIO', () => {
    const r = new Rig();
    const x = r.create();
    for (const g of [0, 1, 2, 3, 5, 6, 7]) expect(r.get(x, g, 1)).toBe(-ENXIO);
    expect(r.get(x, KVM_DEV_XIVE_GRP_EQ_CONFIG, 1)).toBe(-ENOENT);
    expect(r.set(x, KVM_DEV_XIVE_GRP_CTRL, 0)).toBe(-ENXIO);
    expect(r.set(x, KVM_DEV_XIVE_GRP_CTRL, 4)).toBe(-ENXIO);
    expect(r.set(x, KVM_DEV_XIVE_GRP_CTRL, 0x100000001n)).toBe(-ENXIO);
    expect(r.set(x, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_RESET)).toBe(0);
    expect(r.set(x, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_EQ_SYNC, 0n, 0)).toBe(0);
    expect(r.set(x, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_NR_SERVERS)).toBe(-EINVAL);
    for (const g of [0, 6, 7, 9]) expect(r.set(x, g, 0)).toBe(-ENXIO);
  });

  it('bad kvm_device_attr pointers are EFAULT; the VM and vCPU fds have no attributes', () => {
    const r = new Rig();
    const x = r.create();
    expect(r.h.ioctl(x, r.h.ioctls.KVM_HAS_DEVICE_ATTR, 0)).toBe(-1);
    expect(r.h.errno).toBe(EFAULT);
    expect(r.has(r.vm, 1, 1)).toBe(-ENOTTY);
    r.vcpu(0);
    expect(r.has(r.cpus[0]!, 1, 1)).toBe(-EINVAL);
  });
});
