import {
  composeVm,
  ConfigError,
  createHost,
  presets,
  validateVmConfig,
  type VmConfig,
} from '@kvmdev/core';
import { definePlugin, parseAddress, type DeviceOps } from '@kvmdev/core/plugin';
import { fakePlugin } from './fixtures/fake-device.js';

function host(singleton = false) {
  const base = fakePlugin({ calls: [] }, { style: 'destroy', singleton });
  const steps: string[] = [];
  const plugin = definePlugin({
    name: 'fake-arch',
    version: '1',
    core: '*',
    devices: [
      {
        ...base.devices![0]!,
        ops: base.devices![0]!.ops as DeviceOps,
        setup: {
          settings: { base: 'window base address (4 KiB aligned)', value: 'initial register 0' },
          validate(s) {
            const out = [];
            if (s.base !== undefined) {
              const a = parseAddress(s.base);
              if (a === null) out.push({ path: 'base', message: 'expected an address' });
              else if (a & 0xfffn) out.push({ path: 'base', message: 'must be 4 KiB aligned' });
            }
            return out;
          },
          apply(_ctx, dev, s) {
            steps.push('apply');
            if (s.base !== undefined) dev.attrRaw('has', 2, 0, 0);
            if (typeof s.value === 'number') (dev as unknown as { setAttr(g: number, a: number, v: number): void }).setAttr(1, 0, s.value);
          },
        },
      },
    ],
    profiles: [{ name: 'toy', doc: 'a toy architecture', devices: ['KVM_DEV_TYPE_VFIO'], maxVcpus: 8, finalize: (ctx) => void steps.push(`finalize:${ctx.vcpus.length}`) }],
  });
  return { host: createHost({ plugins: [plugin] }), steps };
}

test('composes a VM: vCPUs, devices with settings, the profile finalize step', () => {
  const { host: h, steps } = host();
  const vm = composeVm(h, { arch: 'toy', vcpus: 3, devices: [{ type: 'KVM_DEV_TYPE_VFIO', name: 'fake', settings: { value: 7 } }] });
  expect(vm.vcpus.map((v) => v.id)).toEqual([0, 1, 2]);
  expect(vm.devices[0]!.name).toBe('fake');
  expect(vm.devices[0]!.handle.getAttr(1, 0)).toBe(7);
  expect(steps).toEqual(['apply', 'finalize:3']);
  vm.close();
  expect(h.liveVms.size).toBe(0);
});

test('validation names every bad field and creates nothing', () => {
  const { host: h } = host();
  const bad = {
    arch: 'toy',
    vcpus: 9,
    devices: [
      { type: 'KVM_DEV_TYPE_NOPE' },
      { type: 'KVM_DEV_TYPE_VFIO', settings: { base: '0x1234', colour: 'red' } },
      { type: 'KVM_DEV_TYPE_VFIO' },
      7,
    ],
  };
  expect(validateVmConfig(h, bad)).toEqual([
    { path: 'vcpus', message: 'expected an integer from 1 to 8, got 9' },
    { path: 'devices[0].type', message: 'unknown device KVM_DEV_TYPE_NOPE; the loaded plugins register KVM_DEV_TYPE_VFIO' },
    { path: 'devices[1].settings.colour', message: 'unknown setting; KVM_DEV_TYPE_VFIO takes base, value' },
    { path: 'devices[1].settings.base', message: 'must be 4 KiB aligned' },
    { path: 'devices[2].name', message: 'duplicate device name KVM_DEV_TYPE_VFIO' },
    { path: 'devices[3]', message: 'expected an object with a type' },
  ]);
  expect(validateVmConfig(h, { arch: 'mips', vcpus: 1, devices: [] })[0]).toEqual({ path: 'arch', message: 'unknown architecture "mips"; the loaded plugins offer toy' });
  expect(() => composeVm(h, bad as unknown as VmConfig)).toThrow(ConfigError);
  expect(h.liveVms.size).toBe(0);
});

test('a failing step closes what was built and rethrows the KvmError', () => {
  const { host: h } = host(true);
  expect(() =>
    composeVm(h, { arch: 'toy', vcpus: 2, devices: [{ type: 'KVM_DEV_TYPE_VFIO', name: 'a' }, { type: 'KVM_DEV_TYPE_VFIO', name: 'b' }] }),
  ).toThrow(/EEXIST/);
  expect(h.liveVms.size).toBe(0);
  expect(h.files.openCount).toBe(4); // std fds and the typed API's /dev/kvm
});

test('presets match the real machines and import no plugin', () => {
  expect(presets.firecrackerArm64({ vcpus: 2 }).devices[0]).toEqual({
    type: 'KVM_DEV_TYPE_ARM_VGIC_V3',
    name: 'gic',
    settings: { dist: '0x3fff0000', redist: 'below-dist', nrIrqs: 128 },
  });
  expect(presets.firecrackerArm64({ gic: 'v2' }).devices[0]!.settings).toEqual({ dist: '0x3ffff000', cpu: '0x3fffd000', nrIrqs: 128 });
  expect(presets.qemuE500().devices[0]!.settings!.base).toBe('0xfe0040000');
  expect(presets.qemuPseries().arch).toBe('ppc-pseries');
  expect(presets.qemuVirtArm64({ gic: 'v2' }).devices[0]!.type).toBe('KVM_DEV_TYPE_ARM_VGIC_V2');
});

test('parseAddress', () => {
  expect(parseAddress('0x3fff_0000')).toBe(0x3fff0000n);
  expect(parseAddress(4096)).toBe(4096n);
  expect(parseAddress('12')).toBe(12n);
  expect(parseAddress(-1)).toBeNull();
  expect(parseAddress('zz')).toBeNull();
  expect(parseAddress('0x1ffffffffffffffff')).toBeNull();
});
