import {
  createHost,
  EBADF,
  EIO,
  KVM_CREATE_VCPU,
  KVM_GET_DEVICE_ATTR,
  KVM_CHECK_EXTENSION,
  KVM_CAP_DEVICE_CTRL,
  type VmEvent,
} from '@kvmdev/core';
import { definePlugin, type DeviceOps } from '@kvmdev/core/plugin';
import { FAKE_TYPE, fakeOps, fakePlugin, type CallLog } from './fixtures/fake-device.js';
import { attr, createDevice, ioctlErr, openVm } from './fixtures/sys.js';

function events(host: ReturnType<typeof createHost>): string[] {
  const out: string[] = [];
  host.on((e: VmEvent) => out.push(e.kind));
  return out;
}

describe('release-style device', () => {
  test('freed on the last close of its fd (dup-aware), then the VM ref is dropped', () => {
    const log: CallLog = { calls: [] };
    const host = createHost({ plugins: [fakePlugin(log, { style: 'release' })] });
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    const fd = createDevice(host, vm, FAKE_TYPE).fd;
    const fd2 = host.dup(fd);
    expect(v.usersCount).toBe(2); // dup shares the open file: one VM ref
    expect(host.close(fd)).toBe(0);
    expect(log.calls).not.toContain('release');
    expect(ioctlErr(host, fd2, KVM_GET_DEVICE_ATTR, attr(host, 1, 0).s)).toBe(0);
    expect(host.close(fd2)).toBe(0);
    expect(log.calls.filter((c) => c === 'release')).toHaveLength(1);
    expect(v.devices).toHaveLength(0);
    expect(v.usersCount).toBe(1);
  });

  test('double close gives EBADF and releases once', () => {
    const log: CallLog = { calls: [] };
    const host = createHost({ plugins: [fakePlugin(log, { style: 'release' })] });
    const { vm } = openVm(host);
    const fd = createDevice(host, vm, FAKE_TYPE).fd;
    expect(host.close(fd)).toBe(0);
    expect(host.close(fd)).toBe(-1);
    expect(host.errno).toBe(EBADF);
    expect(log.calls.filter((c) => c === 'release')).toHaveLength(1);
  });

  test('immediate re-create of a singleton after close succeeds (fully unlinked before release returns)', () => {
    const log: CallLog = { calls: [] };
    const host = createHost({ plugins: [fakePlugin(log, { style: 'release', singleton: true })] });
    const { vm } = openVm(host);
    const fd = createDevice(host, vm, FAKE_TYPE).fd;
    expect(createDevice(host, vm, FAKE_TYPE).ret).toBe(-1);
    host.close(fd);
    expect(createDevice(host, vm, FAKE_TYPE).ret).toBe(0);
  });
});

describe('destroy-style device', () => {
  test('outlives its fd and is destroyed at VM teardown, after the vCPUs, newest first', () => {
    const log: CallLog = { calls: [] };
    const ops = fakeOps(log, { style: 'destroy' });
    const named = (n: string): DeviceOps => ({ ...ops, name: n, destroy: () => void log.calls.push(`destroy:${n}`) }) as DeviceOps;
    const host = createHost({
      plugins: [
        definePlugin({
          name: 'two',
          version: '1.0.0',
          core: '*',
          devices: [
            { key: 'KVM_DEV_TYPE_VFIO', type: 4, ops: named('a') },
            { key: 'KVM_DEV_TYPE_FLIC', type: 6, ops: named('b') },
          ],
          hooks: { vcpuDestroy: (v) => void log.calls.push(`vcpu-destroy:${v.id}`) },
        }),
      ],
    });
    const ev = events(host);
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    const vcpu = host.ioctl(vm, KVM_CREATE_VCPU, 0);
    const a = createDevice(host, vm, 4).fd;
    const b = createDevice(host, vm, 6).fd;
    host.close(a);
    host.close(b);
    expect(log.calls.filter((c) => c.startsWith('destroy'))).toEqual([]);
    expect(v.devices).toHaveLength(2);
    host.close(vm);
    expect(v.freed).toBe(false); // the vCPU fd still holds the VM
    host.close(vcpu);
    expect(v.freed).toBe(true);
    expect(log.calls.filter((c) => !c.startsWith('create'))).toEqual(['vcpu-destroy:0', 'destroy:b', 'destroy:a']);
    expect(ev.slice(-3)).toEqual(['device-destroyed', 'device-destroyed', 'vm-freed']);
  });

  test('the last device fd close runs the full VM teardown when the VM fd was closed first', () => {
    const log: CallLog = { calls: [] };
    const host = createHost({ plugins: [fakePlugin(log, { style: 'destroy' })] });
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    const fd = createDevice(host, vm, FAKE_TYPE).fd;
    host.close(vm);
    expect(v.freed).toBe(false);
    expect(ioctlErr(host, fd, KVM_GET_DEVICE_ATTR, attr(host, 1, 0).s)).toBe(0); // device still works
    host.close(fd);
    expect(v.freed).toBe(true);
    expect(log.calls).toEqual([`create:${FAKE_TYPE}`, 'destroy']);
    expect(host.liveVms.size).toBe(0);
  });
});

describe('VM references', () => {
  test('the VM lives until its fd and every vCPU/device fd are gone', () => {
    const log: CallLog = { calls: [] };
    const host = createHost({ plugins: [fakePlugin(log)] });
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    const c0 = host.ioctl(vm, KVM_CREATE_VCPU, 0);
    const c1 = host.ioctl(vm, KVM_CREATE_VCPU, 1);
    const d = createDevice(host, vm, FAKE_TYPE).fd;
    expect(v.usersCount).toBe(4);
    for (const fd of [vm, c0, d]) {
      host.close(fd);
      expect(v.freed).toBe(false);
    }
    host.close(c1);
    expect(v.freed).toBe(true);
  });

  test('an in-kernel holder keeps the VM alive after every fd is closed', () => {
    const host = createHost();
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    v.get(); // e.g. a vCPU connected to an irqchip, an ITS bound to a GIC
    host.close(vm);
    expect(v.freed).toBe(false);
    v.put();
    expect(v.freed).toBe(true);
    expect(() => v.put()).toThrow(/underflow/);
  });

  test('a VM fd shared with another process still counts once', () => {
    const host = createHost();
    const other = createHost();
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    const ofd = other.receiveFd(host, vm);
    host.close(vm);
    expect(v.freed).toBe(false);
    expect(other.ioctl(ofd, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)).toBe(-1);
    expect(other.errno).toBe(EIO); // not the creator's mm
    other.close(ofd);
    expect(v.freed).toBe(true);
  });
});

describe('plugin bugs (KVM_BUG_ON)', () => {
  test('an exception in an accessor gives EIO, bugs the VM, and teardown still frees everything', () => {
    const log: CallLog = { calls: [] };
    const ops = fakeOps(log, { style: 'destroy' });
    ops.getAttr = () => {
      throw new TypeError('oops');
    };
    const host = createHost({
      plugins: [definePlugin({ name: 'buggy', version: '1.0.0', core: '*', devices: [{ key: 'KVM_DEV_TYPE_VFIO', type: 4, ops: ops as DeviceOps }] })],
    });
    const ev = events(host);
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    const fd = createDevice(host, vm, FAKE_TYPE).fd;
    expect(ioctlErr(host, fd, KVM_GET_DEVICE_ATTR, attr(host, 1, 0).s)).toBe(-EIO);
    expect(v.bugged).toBe(true);
    expect(ev).toContain('vm-bugged');
    expect(ioctlErr(host, vm, KVM_CREATE_VCPU, 0)).toBe(-EIO);
    expect(ioctlErr(host, fd, KVM_GET_DEVICE_ATTR, attr(host, 2, 0).s)).toBe(-EIO);
    host.close(fd);
    host.close(vm);
    expect(v.freed).toBe(true);
    expect(log.calls).toContain('destroy');
  });
});

describe('a dead VM (kvm_vm_dead)', () => {
  test('KVM_RUN gives EIO; other ioctls still work (only a bugged VM rejects them)', () => {
    const host = createHost();
    const vm = host.createVm();
    const c = vm.createVcpu(0);
    vm.vm.markDead();
    expect(host.ioctl(c.fd, 0xae80, 0)).toBe(-1);
    expect(host.errno).toBe(EIO);
    expect(host.ioctl(vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)).toBe(1);
    expect(vm.createVcpu(1).id).toBe(1);
  });
});
