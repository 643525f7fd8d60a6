import {
  composeVm,
  ConfigError,
  createHost,
  applySetup,
  presets,
  setupSteps,
  validateVmConfig,
  type VmConfig,
} from '@kvmdev/core';
import { definePlugin, parseAddress, type DeviceOps, type DeviceSetupSpec, type SetupDevice, type SetupStep } from '@kvmdev/core/plugin';
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
  // a bigint (a parsed u64) is reported, not a TypeError from JSON.stringify
  expect(validateVmConfig(h, { arch: 'toy', vcpus: 2n ** 53n, devices: [] })).toEqual([{ path: 'vcpus', message: 'expected an integer from 1 to 8, got 9007199254740992' }]);
  expect(validateVmConfig(h, { arch: 7n, vcpus: 1, devices: [] })[0]).toEqual({ path: 'arch', message: 'expected one of toy' });
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

/** A toy architecture with a stepped device ('a', 'b', and 'c' when settings.c) and a stepless one. */
function steppedHost() {
  const base = fakePlugin({ calls: [] }, { style: 'destroy' });
  const log: string[] = [];
  const dev = base.devices![0]!;
  const steps: readonly SetupStep[] = [
    { name: 'a', doc: 'step a', run: (_ctx, d) => void log.push(`a@${d.fd}`) },
    { name: 'b', doc: 'step b', run: (_ctx, d) => void log.push(`b@${d.fd}`) },
    { name: 'c', doc: 'step c', active: (s) => s.c === true, run: (_ctx, d) => void log.push(`c@${d.fd}`) },
  ];
  const plugin = definePlugin({
    name: 'stepped',
    version: '1',
    core: '*',
    devices: [
      {
        ...dev,
        ops: dev.ops as DeviceOps,
        setup: {
          settings: { c: 'run step c' },
          validate: () => [],
          steps,
        },
      },
    ],
    profiles: [{ name: 'toy', doc: 'a toy architecture', devices: ['KVM_DEV_TYPE_VFIO'], finalize: (ctx) => void log.push(`finalize:${ctx.vcpus.length}`) }],
  });
  return { host: createHost({ plugins: [plugin] }), log };
}

test('order interleaves the devices\' set-up steps and the finalize step as written', () => {
  const { host: h, log } = steppedHost();
  const config: VmConfig = {
    arch: 'toy',
    vcpus: 2,
    devices: [
      { type: 'KVM_DEV_TYPE_VFIO', name: 'x' },
      { type: 'KVM_DEV_TYPE_VFIO', name: 'y', settings: { c: true } },
    ],
    order: ['finalize', 'x', 'x.b', 'y', 'y.c', 'y.a', 'x.a', 'y.b'],
  };
  expect(validateVmConfig(h, config)).toEqual([]);
  const vm = composeVm(h, config);
  const [x, y] = vm.devices.map((d) => d.handle.fd);
  expect(vm.devices.map((d) => d.name)).toEqual(['x', 'y']);
  expect(log).toEqual(['finalize:2', `b@${x}`, `c@${y}`, `a@${y}`, `a@${x}`, `b@${y}`]);
  vm.close();
  // without order: each device in turn, its active steps in the spec's order, then finalize
  log.length = 0;
  const plain = composeVm(h, { ...config, order: undefined });
  const [px, py] = plain.devices.map((d) => d.handle.fd);
  expect(log).toEqual([`a@${px}`, `b@${px}`, `a@${py}`, `b@${py}`, `c@${py}`, 'finalize:2']);
  plain.close();
});

test('an order with an unknown, repeated, missing or early step, or devices out of order, is refused before anything is created', () => {
  const { host: h, log } = steppedHost();
  const devices = [{ type: 'KVM_DEV_TYPE_VFIO', name: 'x' }, { type: 'KVM_DEV_TYPE_VFIO', name: 'y' }];
  const issues = (order: unknown) => validateVmConfig(h, { arch: 'toy', vcpus: 1, devices, order });
  expect(issues(['x', 'x.a', 'x.a', 'y.b', 'y', 'x.c', 7, 'finalize'])).toEqual([
    { path: 'order[2]', message: 'x.a is listed twice' },
    { path: 'order[3]', message: 'y.b comes before y is created' },
    { path: 'order[5]', message: 'unknown step "x.c"; this VM\'s are x, x.a, x.b, y, y.a, y.b, finalize' },
    { path: 'order[6]', message: 'expected a string' },
    { path: 'order', message: 'missing x.b, y.a (every device, each of its set-up steps and finalize appear once)' },
  ]);
  expect(issues(['y', 'x', 'x.a', 'x.b', 'y.a', 'y.b', 'finalize'])).toEqual([
    { path: 'order[0]', message: 'y is created before x: devices are created in the order of devices' },
    { path: 'order[1]', message: 'x is created before y: devices are created in the order of devices' },
  ]);
  expect(issues('x')).toEqual([{ path: 'order', message: 'expected a list of set-up steps (device names, <device>.<step>, finalize)' }]);
  expect(
    validateVmConfig(h, { arch: 'toy', vcpus: 1, devices: [{ type: 'KVM_DEV_TYPE_VFIO', name: 'finalize' }], order: ['finalize', 'finalize.a', 'finalize.b'] })[0],
  ).toEqual({ path: 'devices[0].name', message: '"finalize" cannot be named in order (no \'.\', not finalize)' });
  expect(() => composeVm(h, { arch: 'toy', vcpus: 1, devices, order: ['x'] })).toThrow(ConfigError);
  expect(h.liveVms.size).toBe(0);
  expect(log).toEqual([]);
});

test('a device whose setup spec has no steps is one step, setup', () => {
  const { host: h, steps } = host();
  const spec = h.registry.typeInfo('KVM_DEV_TYPE_VFIO')!.setup!;
  expect(setupSteps(spec, {}).map((s) => s.name)).toEqual(['setup']);
  expect(setupSteps(undefined, {})).toEqual([]);
  const vm = composeVm(h, { arch: 'toy', vcpus: 1, devices: [{ type: 'KVM_DEV_TYPE_VFIO', name: 'f', settings: { value: 3 } }], order: ['finalize', 'f', 'f.setup'] });
  expect(steps).toEqual(['finalize:1', 'apply']);
  expect(vm.devices[0]!.handle.getAttr(1, 0)).toBe(3);
  vm.close();
});

test('a device without a setup spec is created, with and without an order', () => {
  const base = fakePlugin({ calls: [] }, { style: 'destroy' });
  const plugin = definePlugin({
    name: 'bare',
    version: '1',
    core: '*',
    devices: [{ ...base.devices![0]!, ops: base.devices![0]!.ops as DeviceOps }],
    profiles: [{ name: 'toy', doc: 'a toy architecture', devices: ['KVM_DEV_TYPE_VFIO'] }],
  });
  const h = createHost({ plugins: [plugin] });
  for (const order of [undefined, ['d']]) {
    const vm = composeVm(h, { arch: 'toy', vcpus: 1, devices: [{ type: 'KVM_DEV_TYPE_VFIO', name: 'd' }], order });
    expect(vm.devices.map((d) => [d.name, h.files.get(d.handle.fd) !== undefined])).toEqual([['d', true]]);
    vm.close();
  }
  expect(validateVmConfig(h, { arch: 'toy', vcpus: 1, devices: [{ type: 'KVM_DEV_TYPE_VFIO', name: 'd' }], order: ['d', 'finalize'] })).toEqual([
    { path: 'order[1]', message: 'unknown step "finalize"; this VM\'s are d' },
  ]);
});

test('the ITS presets: the GICv3 and the ITS below it, and each VMM\'s order', () => {
  expect(presets.firecrackerArm64Pci({ vcpus: 2 })).toEqual({
    name: 'firecracker-arm64-gicv3-its',
    arch: 'arm64',
    vcpus: 2,
    devices: [
      { type: 'KVM_DEV_TYPE_ARM_VGIC_V3', name: 'gic', settings: { dist: '0x3fff0000', redist: 'below-dist', nrIrqs: 128 } },
      { type: 'KVM_DEV_TYPE_ARM_VGIC_ITS', name: 'its', settings: { addr: '0x3ff90000' } },
    ],
    order: ['gic', 'gic.dist', 'gic.redist', 'its', 'its.addr', 'its.init', 'gic.nrIrqs', 'gic.init', 'finalize'],
  });
  const ch = presets.cloudHypervisorArm64({ vcpus: 3 });
  // Cloud Hypervisor's Gic::new: the 32 legacy routes (GSI 32 + k -> pin k) right after CTRL_INIT
  expect(ch.devices.map((d) => d.settings)).toEqual([
    { dist: '0x8ff0000', redist: 'below-dist', nrIrqs: 256, routing: { firstGsi: 32, count: 32 } },
    { addr: '0x8f70000' },
  ]);
  expect(ch.order).toEqual(['gic', 'gic.dist', 'gic.redist', 'its', 'its.addr', 'its.init', 'gic.nrIrqs', 'gic.init', 'gic.routing', 'finalize']);
  // QEMU virt its=off: vCPUs first, realize, then the addresses at machine-init-done, the last registered first
  expect(presets.qemuVirtArm64().order).toEqual(['finalize', 'gic', 'gic.nrIrqs', 'gic.init', 'gic.routing', 'gic.redist', 'gic.dist']);
  expect(presets.qemuVirtArm64({ gic: 'v2' }).order).toEqual(['finalize', 'gic', 'gic.nrIrqs', 'gic.init', 'gic.routing', 'gic.cpu', 'gic.dist']);
  expect(presets.firecrackerArm64().order).toBeUndefined();
  const q = presets.qemuVirtArm64Its();
  expect([q.vcpus, q.vmType]).toEqual([4, 40]);
  expect(q.devices.map((d) => d.settings)).toEqual([
    { dist: '0x08000000', redistRegions: [{ base: '0x080a0000', count: 4 }], nrIrqs: 288, routing: 'identity' },
    { addr: '0x08080000', reset: true },
  ]);
  expect(q.order).toEqual(['finalize', 'gic', 'gic.nrIrqs', 'gic.init', 'gic.routing', 'its', 'its.init', 'its.addr', 'gic.redist', 'gic.dist', 'its.reset']);
  expect(Object.keys(presets)).toEqual(['qemuE500', 'qemuPseries', 'firecrackerArm64', 'qemuVirtArm64', 'firecrackerArm64Pci', 'cloudHypervisorArm64', 'qemuVirtArm64Its']);
});

test('parseAddress', () => {
  expect(parseAddress('0x3fff_0000')).toBe(0x3fff0000n);
  expect(parseAddress(4096)).toBe(4096n);
  expect(parseAddress('12')).toBe(12n);
  expect(parseAddress(-1)).toBeNull();
  expect(parseAddress('zz')).toBeNull();
  expect(parseAddress('0x1ffffffffffffffff')).toBeNull();
});

test('applySetup runs a stepped spec\'s active steps in order, and an applied spec\'s apply; a spec is one or the other', () => {
  const log: string[] = [];
  const dev: SetupDevice = { fd: 7, host: createHost(), attrRaw: () => 0 };
  const ctx = { host: dev.host, vm: { ioctl: () => 0, setGsiRouting: () => undefined }, vcpus: [] };
  const stepped: DeviceSetupSpec = {
    settings: { c: 'run step c' },
    validate: () => [],
    steps: [
      { name: 'a', doc: 'a', run: (_c, d) => void log.push(`a@${d.fd}`) },
      { name: 'c', doc: 'c', active: (s) => s.c === true, run: () => void log.push('c') },
      { name: 'b', doc: 'b', run: (_c, _d, s) => void log.push(`b:${String(s.c)}`) },
    ],
  };
  applySetup(stepped, ctx, dev, {});
  applySetup(stepped, ctx, dev, { c: true });
  expect(log).toEqual(['a@7', 'b:undefined', 'a@7', 'c', 'b:true']);
  const applied: DeviceSetupSpec = { settings: {}, validate: () => [], apply: (_c, d, s) => void log.push(`apply@${d.fd}:${Object.keys(s).join()}`) };
  log.length = 0;
  applySetup(applied, ctx, dev, { x: 1 });
  expect(log).toEqual(['apply@7:x']);
  expect(setupSteps(applied, {}).map((st) => st.name)).toEqual(['setup']);
  // @ts-expect-error a spec gives its setup as steps or as apply, not both
  const both: DeviceSetupSpec = { settings: {}, validate: () => [], apply: () => undefined, steps: [] };
  expect(both).toBeDefined();
});
