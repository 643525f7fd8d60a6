/**
 * Reliability: random raw ioctls on every kind of fd, random attribute traffic, faulty
 * plugins (KVM_BUG_ON), conflicting registrations, and a soak run of create/close cycles.
 * Property runs: KVMDEV_FC_RUNS (default 300), replay with KVMDEV_FC_SEED.
 */
import fc from 'fast-check';
import * as v8 from 'node:v8';
import * as vmModule from 'node:vm';
import {
  createHost,
  ERRNO_NAMES,
  isKvmError,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  type Host,
  type KvmPlugin,
} from '@kvmdev/core';
import { definePlugin, KVM_HOOK_PASS, type DeviceOps } from '@kvmdev/core/plugin';
import * as K from '@kvmdev/core';
import { FAKE_TYPE, fakeOps, fakePlugin, type CallLog } from './fixtures/fake-device.js';
import { createDevice, openVm } from './fixtures/sys.js';

const RUNS = Number(process.env.KVMDEV_FC_RUNS ?? 300);
const SEED = process.env.KVMDEV_FC_SEED ? Number(process.env.KVMDEV_FC_SEED) : undefined;
const DOCUMENTED = new Set(Object.keys(ERRNO_NAMES).map(Number));
DOCUMENTED.delete(K.ENOIOCTLCMD); // must never reach userspace

const KNOWN_REQUESTS = [
  K.KVM_GET_API_VERSION, K.KVM_CREATE_VM, K.KVM_CHECK_EXTENSION, K.KVM_GET_VCPU_MMAP_SIZE, K.KVM_CREATE_VCPU,
  K.KVM_CREATE_IRQCHIP, K.KVM_IRQ_LINE, K.KVM_IRQ_LINE_STATUS, K.KVM_SET_GSI_ROUTING, K.KVM_SIGNAL_MSI,
  K.KVM_CREATE_DEVICE, K.KVM_SET_DEVICE_ATTR, K.KVM_GET_DEVICE_ATTR, K.KVM_HAS_DEVICE_ATTR, K.KVM_RUN,
  K.KVM_ENABLE_CAP, K.KVM_GET_ONE_REG, K.KVM_SET_ONE_REG, K.KVM_ARM_VCPU_INIT, K.KVM_IRQFD,
];

function world(host: Host) {
  const { kvm, vm } = openVm(host);
  const vcpu = host.ioctl(vm, KVM_CREATE_VCPU, 0);
  const dev = createDevice(host, vm, FAKE_TYPE).fd;
  const closed = host.dup(dev);
  host.close(closed);
  const buf = host.mem.alloc(256);
  return { fds: [0, kvm, vm, vcpu, dev, closed, 999, -1], buf };
}

test('random raw ioctls on every kind of fd never throw and return only documented errno', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          fd: fc.nat(7),
          req: fc.oneof(fc.constantFrom(...KNOWN_REQUESTS), fc.nat({ max: 0xffffffff })),
          arg: fc.oneof(fc.constant(0), fc.nat(64), fc.constant(-1), fc.constant(2 ** 53), fc.constant(4092), fc.nat(255).map((o) => -o - 2), fc.constant(NaN)),
          fill: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        }),
        { minLength: 10, maxLength: 40, size: 'max' },
      ),
      (calls) => {
        const host = createHost({ plugins: [fakePlugin({ calls: [] })], fdLimit: 64 });
        const w = world(host);
        for (const c of calls) {
          host.mem.write(w.buf, c.fill);
          const arg = c.arg < -1 ? w.buf + (-c.arg - 2) : c.arg; // negative picks an offset into a mapped buffer
          const r = host.ioctl(w.fds[c.fd]!, c.req, arg);
          if (r < 0) {
            expect(r).toBe(-1);
            expect(DOCUMENTED.has(host.errno)).toBe(true);
          }
        }
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
});

test('random attribute traffic: the facade never throws, the typed API throws only KvmError, a rejected SET changes nothing, HAS/GET/SET agree', () => {
  const host = createHost({ plugins: [fakePlugin({ calls: [] })] });
  const vm = host.createVm();
  const dev = vm.createDevice('KVM_DEV_TYPE_VFIO');
  const fingerprint = () => `${[0, 1, 2, 3].map((i) => dev.getAttr(1, i)).join(',')}|${dev.getAttr(2, 0)}`;
  const s = host.mem.alloc(24);
  const p = host.mem.alloc(8);
  fc.assert(
    fc.property(
      fc.constantFrom(KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR),
      fc.nat(5),
      fc.oneof(fc.nat(6), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
      fc.constantFrom('ok', 'null', 'unmapped', 'end', 'misaligned'),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      (req, group, attr, where, value) => {
        const addr = { ok: p, null: 0, unmapped: 0x7fff_0000_0000, end: p + 8 + 0x100000, misaligned: p + 1 }[where];
        host.mem.setU64(p, value);
        host.mem.setU32(s, 0);
        host.mem.setU32(s + 4, group);
        host.mem.setU64(s + 8, BigInt(attr));
        host.mem.setU64(s + 16, BigInt(addr));
        const before = fingerprint();
        const has = host.ioctl(dev.fd, KVM_HAS_DEVICE_ATTR, s);
        const r = host.ioctl(dev.fd, req, s);
        if (r < 0) {
          expect(DOCUMENTED.has(host.errno)).toBe(true);
          if (req === KVM_SET_DEVICE_ATTR) expect(fingerprint()).toBe(before);
        }
        if (has < 0 && req !== KVM_HAS_DEVICE_ATTR) expect(r).toBe(-1); // HAS rejects → never readable or writable
        try {
          if (req === KVM_GET_DEVICE_ATTR) dev.attrRaw('get', group, attr, addr);
          else if (req === KVM_SET_DEVICE_ATTR) dev.attrRaw('set', group, attr, addr);
          else dev.attrRaw('has', group, attr, addr);
        } catch (e) {
          expect(isKvmError(e)).toBe(true);
        }
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
});

describe('faulty plugins: an exception never corrupts the core', () => {
  const ops = (log: CallLog) => fakeOps(log, { style: 'destroy' }) as DeviceOps;
  const boom = () => {
    throw new RangeError('plugin bug');
  };
  test.each<[string, (o: DeviceOps) => DeviceOps, (h: Host, vm: number, dev: number) => number]>([
    ['create', (o) => ({ ...o, create: boom }), (h, vm) => createDevice(h, vm, FAKE_TYPE).errno],
    ['setAttr', (o) => ({ ...o, setAttr: boom }), (h, _vm, dev) => (h.ioctl(dev, KVM_SET_DEVICE_ATTR, h.mem.alloc(24)), h.errno)],
    ['hasAttr', (o) => ({ ...o, hasAttr: boom }), (h, _vm, dev) => (h.ioctl(dev, KVM_HAS_DEVICE_ATTR, h.mem.alloc(24)), h.errno)],
    ['ioctl', (o) => ({ ...o, ioctl: boom }), (h, _vm, dev) => (h.ioctl(dev, 0x1234, 0), h.errno)],
  ])('a throwing %s gives EIO, marks the VM bugged, and teardown frees everything', (_n, mutate, call) => {
    const log: CallLog = { calls: [] };
    let armed = false;
    const base = ops(log);
    const broken = mutate(base);
    const wrapped: DeviceOps = {
      ...broken,
      create: (d, t) => (armed ? broken.create(d, t) : base.create(d, t)),
    };
    const host = createHost({ plugins: [definePlugin({ name: 'f', version: '1', core: '*', devices: [{ key: 'K', type: 4, ops: wrapped }] })] });
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    const dev = createDevice(host, vm, FAKE_TYPE).fd;
    armed = true;
    expect(call(host, vm, dev)).toBe(K.EIO);
    expect(v.bugged).toBe(true);
    expect(host.ioctl(vm, KVM_CREATE_VCPU, 0)).toBe(-1);
    expect(host.errno).toBe(K.EIO);
    host.close(dev);
    host.close(vm);
    expect(v.freed).toBe(true);
    expect(log.calls.filter((c) => c === 'destroy')).toHaveLength(1);
  });

  test('a throwing destroy at teardown still frees the VM', () => {
    const log: CallLog = { calls: [] };
    const o = { ...ops(log), destroy: boom } as DeviceOps;
    const host = createHost({ plugins: [definePlugin({ name: 'f', version: '1', core: '*', devices: [{ key: 'K', type: 4, ops: o }] })] });
    const { vm } = openVm(host);
    const v = host.vmOf(vm);
    createDevice(host, vm, FAKE_TYPE);
    host.close(vm);
    host.files.entries().filter(([, f]) => f.target.kind === 'device').forEach(([fd]) => host.close(fd));
    expect(v.freed).toBe(true);
    expect(host.liveVms.size).toBe(0);
  });

  test('a throwing hook bugs the VM', () => {
    const host = createHost({ plugins: [definePlugin({ name: 'h', version: '1', core: '*', hooks: { vcpuRun: boom } })] });
    const vm = host.createVm();
    const c = vm.createVcpu(0);
    expect(host.ioctl(c.fd, K.KVM_RUN, 0)).toBe(-1);
    expect(host.errno).toBe(K.EIO);
    expect(vm.vm.bugged).toBe(true);
  });
});

describe('conflicting registrations are rejected with a clear error', () => {
  test('claims', () => {
    const a: KvmPlugin = { name: 'a', version: '1', core: '*', claims: { caps: [90], hypercalls: [0x74] }, hooks: { vcpuEnableCap: () => KVM_HOOK_PASS } };
    const b: KvmPlugin = { name: 'b', version: '1', core: '*', claims: { hypercalls: [0x74] } };
    const host = createHost({ plugins: [a] });
    expect(() => host.use(b)).toThrow(/hypercall 116 is already served by a/);
    expect(() => host.use({ name: 'c', version: '1', core: '*', profiles: [{ name: 'x', doc: '', devices: [] }, { name: 'x', doc: '', devices: [] }] })).not.toThrow();
    expect(() => host.use({ name: 'd', version: '1', core: '*', profiles: [{ name: 'x', doc: '', devices: [] }] })).toThrow(/profile x is already served by c/);
    host.registry.unregister('a');
    expect(() => host.use(b)).not.toThrow();
  });

  test('hooks that are not functions or unknown hook names', () => {
    const host = createHost();
    expect(() => host.use({ name: 'x', version: '1', core: '*', hooks: { vcpuRun: 5 } as never })).toThrow(/hook vcpuRun is not a function/);
    expect(() => host.use({ name: 'y', version: '1', core: '*', hooks: { vcpuJump: () => 0 } as never })).toThrow(/unknown hook vcpuJump/);
  });
});

describe('limits', () => {
  test('the fd limit gives EMFILE everywhere and nothing leaks', () => {
    const host = createHost({ plugins: [fakePlugin({ calls: [] })], fdLimit: 8 });
    const { vm } = openVm(host);
    const fds: number[] = [];
    for (;;) {
      const r = createDevice(host, vm, FAKE_TYPE);
      if (r.ret < 0) {
        expect(r.errno).toBe(K.EMFILE);
        break;
      }
      fds.push(r.fd);
    }
    expect(host.ioctl(vm, KVM_CREATE_VCPU, 0)).toBe(-1);
    expect(host.errno).toBe(K.EMFILE);
    expect(host.dup(vm)).toBe(-1);
    const v = host.vmOf(vm);
    expect(v.usersCount).toBe(1 + fds.length);
    expect(v.devices).toHaveLength(fds.length);
  });
});

test('soak: 100,000 create/close cycles with a device keep the heap flat', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vmModule.runInNewContext('gc') as () => void;
  const log: CallLog = { calls: [] };
  const host = createHost({ plugins: [fakePlugin(log, { style: 'destroy' })] });
  const kvm = host.open('/dev/kvm');
  const cd = host.mem.alloc(12);
  const cycle = () => {
    log.calls.length = 0; // the fake's call log is the test's, not the core's
    const vm = host.ioctl(kvm, K.KVM_CREATE_VM, 0);
    host.mem.setU32(cd, FAKE_TYPE);
    host.ioctl(vm, KVM_CREATE_DEVICE, cd);
    const dev = host.mem.getU32(cd + 4);
    host.close(dev);
    host.close(vm);
  };
  for (let i = 0; i < 10_000; i++) cycle();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100_000; i++) cycle();
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(host.liveVms.size).toBe(0);
  expect(host.files.openCount).toBe(4);
  expect(after - before).toBeLessThan(2 * 1024 * 1024); // generous: 20 bytes retained per cycle would fail
});
