/**
 * The snapshot engine's layout path: a spec with `layout` and `restoreValues` is saved, checked,
 * restored and rolled back through its layout (no StateEntry per entry), with the same JSON and
 * the same SnapshotErrors as a spec without one.
 */
import { isKvmError, restoreSnapshot, saveSnapshot, SnapshotError, type Snapshot } from '@kvmdev/core';
import type { DeviceSnapshotSpec, StateEntry, StateLayout } from '@kvmdev/core/plugin';
import { type FakeState, snapshotRig } from './fixtures/fake-device.js';

const KEYS = ['reg0', 'reg1', 'reg2', 'reg3', 'base'];

const layout: StateLayout = {
  keys: KEYS,
  groups: Int32Array.of(1, 1, 1, 1, 2),
  attrLo: Uint32Array.of(0, 1, 2, 3, 0),
  attrHi: new Uint32Array(5),
  sizes: Uint8Array.of(4, 4, 4, 4, 8),
  vcpus: Int32Array.of(-1, -1, -1, -1, -1),
};

/** What the specs were asked to do, in order. */
const calls: string[] = [];

const plain: DeviceSnapshotSpec<FakeState> = {
  params: (_dev, io) => ({ vcpus: io.vcpuIds.length }),
  save: (_dev, io) => {
    calls.push('save');
    return KEYS.map((key, k) => {
      const group = layout.groups[k]!;
      const attr = BigInt(layout.attrLo[k]!);
      const size = layout.sizes[k] as 4 | 8;
      return { key, group, attr, size, value: io.getAttr(group, attr, size) };
    });
  },
  restore: (_dev, io, entries: readonly StateEntry[]) => {
    calls.push(`restore ${entries.map((e) => e.key).join(',')}`);
    for (const e of entries) io.setAttr(e.group, e.attr, e.size, e.value);
  },
  describe: () => [],
};

const withLayout: DeviceSnapshotSpec<FakeState> = {
  ...plain,
  layout: () => layout,
  restoreValues: (_dev, io, l, v, present) => {
    calls.push(`values ${present === null ? 'all' : present.join('')}`);
    for (let k = 0; k < l.keys.length; k++) {
      if (present !== null && present[k] === 0) continue;
      io.writeAttr!(l.groups[k]!, l.attrLo[k]!, l.attrHi[k]!, l.sizes[k] as 4 | 8, v.lo[k]!, v.hi[k]!);
    }
  },
};

function build(spec: DeviceSnapshotSpec<FakeState>) {
  return snapshotRig('snap', spec);
}

function dirty(w: ReturnType<typeof build>): void {
  w.dev.setAttr(1, 0, 0xdeadbeef);
  w.dev.setAttr(1, 2, 0x42);
  w.dev.setAttr(1, 3, 0x7f);
  w.dev.setAttr(2, 0, 0xffff_ffff_ffff_fff0n);
}

const regs = (w: ReturnType<typeof build>) => [0, 1, 2, 3].map((i) => w.dev.getAttr(1, i)).concat([Number(w.dev.getAttr(2, 0) & 0xffffn)]);

test('a layout spec saves through its layout: the same JSON text as the plain spec, save() not called', () => {
  const a = build(plain);
  const b = build(withLayout);
  dirty(a);
  dirty(b);
  calls.length = 0;
  const sb = saveSnapshot(b.host, b.vm.fd);
  expect(calls).toEqual([]);
  expect(JSON.stringify(sb)).toBe(JSON.stringify(saveSnapshot(a.host, a.vm.fd)));
  expect(sb.devices[0]!.state.map((e) => e.value)).toEqual(['0xdeadbeef', '0x0', '0x42', '0x7f', '0xfffffffffffffff0']);
});

test('restore by layout index: all entries (no mask), another order or a missing entry (a mask), an entry not in the layout (restore)', () => {
  const a = build(withLayout);
  dirty(a);
  const snap = JSON.parse(JSON.stringify(saveSnapshot(a.host, a.vm.fd))) as Snapshot;
  const b = build(withLayout);
  calls.length = 0;
  restoreSnapshot(b.host, b.vm.fd, snap);
  expect(calls).toEqual(['values all']);
  expect(regs(b)).toEqual(regs(a));
  expect(b.dev.getAttr(2, 0)).toBe(0xffff_ffff_ffff_fff0n);

  const c = build(withLayout);
  const reversed = structuredClone(snap);
  reversed.devices[0]!.state.reverse();
  calls.length = 0;
  restoreSnapshot(c.host, c.vm.fd, reversed);
  expect(calls).toEqual(['values 11111']);
  expect(regs(c)).toEqual(regs(a));

  const d = build(withLayout);
  d.dev.setAttr(1, 2, 9);
  const missing = structuredClone(snap);
  missing.devices[0]!.state.splice(2, 1);
  calls.length = 0;
  restoreSnapshot(d.host, d.vm.fd, missing);
  expect(calls).toEqual(['values 11011']);
  expect(d.dev.getAttr(1, 2)).toBe(9);

  const e = build(withLayout);
  const extra = structuredClone(missing);
  extra.devices[0]!.state.push({ key: 'other', group: 1, attr: '0x2', size: 4, value: '0x55' });
  calls.length = 0;
  restoreSnapshot(e.host, e.vm.fd, extra);
  expect(calls).toEqual(['restore reg0,reg1,reg3,base,other']);
  expect(e.dev.getAttr(1, 2)).toBe(0x55);
});

test('a value rejected during a layout restore rolls the VM back through restoreValues, and the error is thrown', () => {
  const a = build(withLayout);
  const snap = structuredClone(saveSnapshot(a.host, a.vm.fd));
  snap.devices[0]!.state[3]!.value = '0x100'; // the fake device rejects reg3 > 0xff with EINVAL
  const b = build(withLayout);
  dirty(b);
  const before = regs(b);
  calls.length = 0;
  let err: unknown;
  try {
    restoreSnapshot(b.host, b.vm.fd, snap);
  } catch (e) {
    err = e;
  }
  expect(isKvmError(err) && err.code).toBe('EINVAL');
  expect((err as Error).message).toMatch(/SET group 1 attr 0x3 = 0x100/);
  expect(calls).toEqual(['values all', 'values all']);
  expect(regs(b)).toEqual(before);
  expect(b.dev.getAttr(2, 0)).toBe(0xffff_ffff_ffff_fff0n);
});

test('bad entries of a layout spec get the same SnapshotErrors: a duplicate key (also once the layout is known), another attr, a value too wide', () => {
  const a = build(withLayout);
  dirty(a);
  const good = JSON.parse(JSON.stringify(saveSnapshot(a.host, a.vm.fd))) as Snapshot;
  const b = build(withLayout);
  restoreSnapshot(b.host, b.vm.fd, good); // the layout's keys are known from here on
  dirty(b);
  const fp = JSON.stringify(saveSnapshot(b.host, b.vm.fd));
  const refused = (mutate: (s: Snapshot) => void, path: string, message: RegExp) => {
    const s = structuredClone(good);
    mutate(s);
    let err: unknown;
    try {
      restoreSnapshot(b.host, b.vm.fd, s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapshotError);
    expect((err as SnapshotError).path).toBe(path);
    expect((err as SnapshotError).message).toMatch(message);
    expect(JSON.stringify(saveSnapshot(b.host, b.vm.fd))).toBe(fp);
  };
  refused((s) => (s.devices[0]!.state[2]!.key = 'reg0'), '$.devices[0].state[2].key', /duplicate key reg0$/);
  refused((s) => (s.devices[0]!.state[4]!.key = 'reg3'), '$.devices[0].state[4].key', /duplicate key reg3$/);
  refused((s) => (s.devices[0]!.state[1]!.attr = '0x2'), '$.devices[0].state[1]', /reg1 is group 1 attr 0x2 size 4 in the snapshot, group 1 attr 0x1 size 4 here/);
  refused((s) => (s.devices[0]!.state[0]!.value = '0x100000000'), '$.devices[0].state[0].value', /0x100000000 does not fit the field/);
  refused((s) => (s.devices[0]!.state[4]!.value = '0x10000000000000000'), '$.devices[0].state[4].value', /does not fit the field/);
  refused((s) => (s.devices[0]!.state[4]!.attr = '0x1ffffffffffffffff'), '$.devices[0].state[4].attr', /does not fit the field/);
  refused((s) => (s.devices[0]!.state[4]!.value = '0x12g'), '$.devices[0].state[4].value', /expected a hex string like "0x1f"/);
  // leading zeros and upper case still read as the same number
  const wide = structuredClone(good);
  wide.devices[0]!.state[4]!.value = '0X000000000000FFFFFFFFFFFFFFF0';
  wide.devices[0]!.state[0]!.value = '0x0000000000000000000000deadbeef';
  restoreSnapshot(b.host, b.vm.fd, wide);
  expect(b.dev.getAttr(2, 0)).toBe(0xffff_ffff_ffff_fff0n);
  expect(b.dev.getAttr(1, 0)).toBe(0xdeadbeef);
});
