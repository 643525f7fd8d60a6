import fc from 'fast-check';
import {
  diffSnapshots,
  isKvmError,
  restoreSnapshot,
  saveSnapshot,
  SnapshotError,
  type Snapshot,
} from '@kvmdev/core';
import type { DeviceSnapshotSpec } from '@kvmdev/core/plugin';
import { type FakeState, snapshotRig } from './fixtures/fake-device.js';

const spec: DeviceSnapshotSpec<FakeState> = {
  params: (_dev, io) => ({ vcpus: io.vcpuIds.length }),
  save: (_dev, io) => [
    ...[0, 1, 2, 3].map((i) => ({ key: `reg${i}`, group: 1, attr: BigInt(i), size: 4 as const, value: io.getAttr(1, BigInt(i), 4) })),
    { key: 'base', group: 2, attr: 0n, size: 8 as const, value: io.getAttr(2, 0n, 8) },
  ],
  restore: (_dev, io, entries) => {
    for (const e of entries) io.setAttr(e.group, e.attr, e.size, e.value);
  },
  describe: (e, a, b) => [`${e.key}: 0x${a.toString(16)} -> 0x${b.toString(16)}`],
};

function build(vcpus = 2) {
  return snapshotRig('snap', spec, vcpus);
}

test('save, restore on a new VM, save again: identical; values survive JSON with 64-bit precision', () => {
  const a = build();
  a.dev.setAttr(1, 0, 0xdeadbeef);
  a.dev.setAttr(1, 3, 0x7f);
  a.dev.setAttr(2, 0, 0xffff_ffff_ffff_fff0n);
  const snap = JSON.parse(JSON.stringify(saveSnapshot(a.host, a.vm.fd))) as Snapshot;
  expect(snap).toMatchObject({ format: 'kvmdev-snapshot', formatVersion: 1, vm: { vcpus: [0, 1] } });
  const b = build();
  restoreSnapshot(b.host, b.vm.fd, snap);
  expect(b.dev.getAttr(2, 0)).toBe(0xffff_ffff_ffff_fff0n);
  expect(saveSnapshot(b.host, b.vm.fd)).toEqual(snap);
});

test('diff speaks in device terms', () => {
  const a = build();
  const s1 = saveSnapshot(a.host, a.vm.fd);
  a.dev.setAttr(1, 2, 5);
  const s2 = saveSnapshot(a.host, a.vm.fd);
  expect(diffSnapshots(a.host, s1, s2)).toEqual(['reg2: 0x0 -> 0x5']);
  expect(diffSnapshots(a.host, s1, s1)).toEqual([]);
});

test('mismatched snapshots are refused with an error naming what differs; the target is untouched', () => {
  const a = build();
  a.dev.setAttr(1, 1, 9);
  const snap = saveSnapshot(a.host, a.vm.fd);
  const three = build(3);
  three.dev.setAttr(1, 1, 4);
  expect(() => restoreSnapshot(three.host, three.vm.fd, snap)).toThrow(/2 vCPUs, this VM has 3/);
  expect(three.dev.getAttr(1, 1)).toBe(4);
  const bad = structuredClone(snap);
  bad.formatVersion = 9;
  expect(() => restoreSnapshot(a.host, a.vm.fd, bad)).toThrow(/unknown version 9/);
});

test('entries in another order than this VM saves them are matched by key: checked, restored, and a changed attr is refused', () => {
  const a = build();
  a.dev.setAttr(1, 2, 0x42);
  a.dev.setAttr(2, 0, 0x1234_5678_9abcn);
  const snap = structuredClone(saveSnapshot(a.host, a.vm.fd));
  snap.devices[0]!.state.reverse();
  const b = build();
  restoreSnapshot(b.host, b.vm.fd, snap);
  expect([b.dev.getAttr(1, 2), b.dev.getAttr(2, 0)]).toEqual([0x42, 0x1234_5678_9abcn]);
  const moved = structuredClone(snap);
  moved.devices[0]!.state.find((e) => e.key === 'reg1')!.attr = '0x2';
  expect(() => restoreSnapshot(b.host, b.vm.fd, moved)).toThrow(/reg1 is group 1 attr 0x2 size 4 in the snapshot, group 1 attr 0x1 size 4 here/);
  const upper = structuredClone(saveSnapshot(a.host, a.vm.fd));
  upper.devices[0]!.state.find((e) => e.key === 'base')!.value = '0X12345678ABCDEF';
  restoreSnapshot(b.host, b.vm.fd, upper);
  expect(b.dev.getAttr(2, 0)).toBe(0x12345678abcdefn);
  for (const v of ['0x', '0x12g', '12', '0x1 ', 'x12', '0xＡ']) {
    const bad = structuredClone(upper);
    bad.devices[0]!.state.find((e) => e.key === 'base')!.value = v;
    expect(() => restoreSnapshot(b.host, b.vm.fd, bad)).toThrow(SnapshotError);
  }
  expect(b.dev.getAttr(2, 0)).toBe(0x12345678abcdefn);
});

test('a value rejected during restore rolls the VM back', () => {
  const a = build();
  const snap = structuredClone(saveSnapshot(a.host, a.vm.fd));
  const reg3 = snap.devices[0]!.state.find((e) => e.key === 'reg3')!;
  reg3.value = '0x100'; // the fake device rejects reg3 > 0xff with EINVAL
  const b = build();
  b.dev.setAttr(1, 0, 77);
  let err: unknown;
  try {
    restoreSnapshot(b.host, b.vm.fd, snap);
  } catch (e) {
    err = e;
  }
  expect(isKvmError(err) && err.code).toBe('EINVAL');
  expect(b.dev.getAttr(1, 0)).toBe(77);
});

test('fuzzed malformed snapshots are rejected with a SnapshotError and never change the target', () => {
  const a = build();
  a.dev.setAttr(1, 0, 1);
  const good = saveSnapshot(a.host, a.vm.fd);
  const target = build();
  target.dev.setAttr(1, 0, 0x55);
  const fingerprint = () => JSON.stringify(saveSnapshot(target.host, target.vm.fd));
  // biome-ignore lint/suspicious/noExplicitAny: each mutator writes one path of arbitrary snapshot JSON
  const paths: ((s: Record<string, any>, v: unknown) => void)[] = [
    (s, v) => (s.format = v),
    (s, v) => (s.formatVersion = v),
    (s, v) => (s.kvmdevVersion = v),
    (s, v) => (s.vm = v),
    (s, v) => (s.vm.vcpus = v),
    (s, v) => (s.vm.type = v),
    (s, v) => (s.devices = v),
    (s, v) => (s.devices[0] = v),
    (s, v) => (s.devices[0].key = v),
    (s, v) => (s.devices[0].type = v),
    (s, v) => (s.devices[0].params = v),
    (s, v) => (s.devices[0].params.vcpus = v),
    (s, v) => (s.devices[0].state = v),
    (s, v) => (s.devices[0].state[0] = v),
    (s, v) => (s.devices[0].state[0].value = v),
    (s, v) => (s.devices[0].state[0].size = v),
    (s, v) => (s.devices[0].state[0].attr = v),
    (s, v) => (s.devices[0].state[0].group = v),
    (s, v) => (s.devices[0].state[1].key = v ?? 'reg0'),
    (s) => s.devices.push(structuredClone(s.devices[0])),
    (s) => s.devices.pop(),
    (s) => s.vm.vcpus.push(7),
  ];
  const junk = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string(), fc.constant('0xzz'), fc.constant('0x1ffffffffffffffff'), fc.constant([]), fc.constant({}), fc.constant(-2), fc.constant(3));
  let rejected = 0;
  fc.assert(
    fc.property(fc.nat(paths.length - 1), junk, (i, v) => {
      // biome-ignore lint/suspicious/noExplicitAny: the mutators' view of the cloned JSON
      const s = structuredClone(good) as unknown as Record<string, any>;
      paths[i]!(s, v);
      target.dev.setAttr(1, 0, 0x55);
      const fp = fingerprint();
      try {
        restoreSnapshot(target.host, target.vm.fd, s);
      } catch (e) {
        expect(e).toBeInstanceOf(SnapshotError);
        expect((e as SnapshotError).path).toMatch(/^\$/);
        expect(fingerprint()).toBe(fp);
        rejected++;
      }
    }),
    { numRuns: 300 },
  );
  expect(rejected).toBeGreaterThan(200);
  target.dev.setAttr(1, 0, 0x55);
  expect(() => restoreSnapshot(target.host, target.vm.fd, { ...good, format: 'x' })).toThrow(SnapshotError);
  expect(target.dev.getAttr(1, 0)).toBe(0x55);
});
