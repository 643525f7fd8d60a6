import {
  createHost,
  EEXIST,
  ENODEV,
  ENOSPC,
  isKvmError,
  KVM_DEV_TYPE_MAX,
  PluginError,
} from '@kvmdev/core';
import { definePlugin, KVM_DEV_TYPE_VENDOR_BASE, satisfies, type DeviceOps } from '@kvmdev/core/plugin';
import { KernelTables } from '../src/kernel/tables.js';
import { FAKE_TYPE, fakeOps, fakePlugin, type CallLog } from './fixtures/fake-device.js';
import { createDevice, openVm } from './fixtures/sys.js';

const log: CallLog = { calls: [] };
const ops = fakeOps(log) as DeviceOps;

describe('kvm_register_device_ops', () => {
  test('ENOSPC past the table, EEXIST for a taken slot, 0 otherwise', () => {
    const r = new KernelTables();
    expect(r.registerDeviceOps(ops, KVM_DEV_TYPE_MAX)).toBe(-ENOSPC);
    expect(r.registerDeviceOps(ops, 3)).toBe(0);
    expect(r.registerDeviceOps(ops, 3)).toBe(-EEXIST);
    r.unregisterDeviceOps(3);
    expect(r.registerDeviceOps(ops, 3)).toBe(0);
    r.unregisterDeviceOps(999); // no bounds check needed, no effect
  });
});

describe('plugins', () => {
  test('a type registered twice is EEXIST, a type past the table ENOSPC, with clear messages', () => {
    const host = createHost({ plugins: [fakePlugin(log)] });
    expect(() => host.use(fakePlugin(log, { key: 'other' }))).toThrow(/type 4 is already registered by fake-dev/);
    let err: unknown = null;
    try {
      host.use(fakePlugin(log, { key: 'KVM_DEV_TYPE_FLIC', type: KVM_DEV_TYPE_MAX }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PluginError);
    expect(isKvmError(err) && err.errno).toBe(ENOSPC);
    expect(() => host.use(fakePlugin(log, { key: 'X', type: 0 }))).toThrow(/outside the kernel table/);
  });

  test('registration is all-or-nothing', () => {
    const host = createHost({ plugins: [fakePlugin(log)] });
    const p = definePlugin({
      name: 'half',
      version: '1.0.0',
      core: '*',
      devices: [
        { key: 'A', type: 6, ops },
        { key: 'B', type: 4, ops },
      ],
    });
    expect(() => host.use(p)).toThrow(/EEXIST/);
    expect(host.registry.lookup(6)).toBeNull();
    expect(host.registry.hasPlugin('half')).toBe(false);
  });

  test('core version range, dependencies, metadata', () => {
    const host = createHost();
    expect(() => host.use({ name: 'old', version: '1.0.0', core: '^2.0.0' })).toThrow(/needs @kvmdev\/core \^2\.0\.0/);
    expect(() => host.use({ name: 'bad', version: '1.0.0', core: 'banana' })).toThrow(/cannot parse core range/);
    expect(() => host.use({ name: 'dep', version: '1.0.0', core: '*', dependencies: ['base'] })).toThrow(/depends on base/);
    host.use({ name: 'base', version: '1.0.0', core: '*' });
    host.use({ name: 'dep', version: '1.0.0', core: '*', dependencies: ['base'] });
    expect(() => host.use({ name: 'dep', version: '1.0.0', core: '*' })).toThrow(/already registered/);
    expect(() => host.use({ name: 'noops', version: '1', core: '*', devices: [{ key: 'K', type: 9, ops: { name: 'x', create: () => 0 } }] })).toThrow(/destroy or release/);
  });

  test('one registry per host: no global state', () => {
    const a = createHost({ plugins: [fakePlugin(log)] });
    const b = createHost();
    expect(a.registry.lookup(FAKE_TYPE)).not.toBeNull();
    expect(b.registry.lookup(FAKE_TYPE)).toBeNull();
    const { vm } = openVm(b);
    expect(createDevice(b, vm, FAKE_TYPE).errno).toBe(ENODEV);
  });

  test('unregistering leaves live devices working; new creates get ENODEV', () => {
    const l: CallLog = { calls: [] };
    const host = createHost({ plugins: [fakePlugin(l, { style: 'destroy' })] });
    const { vm } = openVm(host);
    const dev = host.createVm().createDevice('KVM_DEV_TYPE_VFIO');
    dev.setAttr(1, 0, 5);
    expect(host.registry.unregister('fake-dev')).toBe(true);
    expect(dev.getAttr(1, 0)).toBe(5);
    expect(createDevice(host, vm, FAKE_TYPE).errno).toBe(ENODEV);
  });

  test('vendor types: assigned from the vendor range by namespaced key, never colliding', () => {
    const l: CallLog = { calls: [] };
    const vend = (key: string) =>
      definePlugin({ name: key, version: '1.0.0', core: '*', devices: [{ key, ops: fakeOps(l) as DeviceOps }] });
    const host = createHost({ plugins: [fakePlugin(l), vend('@acme/foo:foo'), vend('@other/bar:bar')] });
    const a = host.deviceType('@acme/foo:foo');
    const b = host.deviceType('@other/bar:bar');
    expect(a).toBe(KVM_DEV_TYPE_VENDOR_BASE);
    expect(b).toBe(KVM_DEV_TYPE_VENDOR_BASE + 1);
    expect(host.deviceType('KVM_DEV_TYPE_VFIO')).toBe(4);
    expect(() => host.use(vend('not-namespaced'))).toThrow(/namespaced/);
    const { vm } = openVm(host);
    expect(createDevice(host, vm, a).ret).toBe(0);
    expect(createDevice(host, vm, KVM_DEV_TYPE_VENDOR_BASE + 5).errno).toBe(ENODEV);
  });
});

describe('semver', () => {
  test.each([
    ['0.1.0', '^0.1.0', true],
    ['0.2.0', '^0.1.0', false],
    ['1.4.2', '^1.2.0', true],
    ['2.0.0', '^1.2.0', false],
    ['0.1.5', '~0.1.0', true],
    ['0.1.0', '>=0.1.0 <0.3.0', true],
    ['0.3.0', '>=0.1.0 <0.3.0', false],
    ['0.3.0', '^0.1.0 || ^0.3.0', true],
    ['0.1.0', '*', true],
  ])('%s satisfies %s: %s', (v, r, ok) => expect(satisfies(v, r)).toBe(ok));
});
