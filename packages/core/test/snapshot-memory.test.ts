/**
 * The guest memory image of a snapshot: every memory slot and its nonzero pages (runs of
 * consecutive pages, base64), taken after the devices' `prepare` (what a device keeps in guest
 * memory is flushed there first), loaded before any device on restore, checked against the
 * target's slots first, and written back with the device state when a device refuses a value.
 */
import { EINVAL, KvmError, type Snapshot, SnapshotError, diffSnapshots, restoreSnapshot, saveSnapshot } from '@kvmdev/core';
import type { DeviceSnapshotSpec } from '@kvmdev/core/plugin';
import { type FakeState, snapshotRig } from './fixtures/fake-device.js';

const SLOT0 = 0x10_0000;
const SLOT1 = 0x80_0000;
const BAD = 0xbadn;
const order: string[] = [];

/** A device that keeps reg0 "in guest memory" at SLOT0 + 0x3000 (like ITS tables) and refuses reg0 = 0xbad on restore. */
const spec: DeviceSnapshotSpec<FakeState> = {
  params: () => ({}),
  prepare: (dev, io) => {
    order.push('prepare');
    dev.kvm.memory.writeU64(SLOT0 + 0x3000, Number(io.getAttr(1, 0n, 4)), 0x5a5a5a5a);
  },
  save: (_dev, io) => [{ key: 'reg0', group: 1, attr: 0n, size: 4 as const, value: io.getAttr(1, 0n, 4) }],
  restore: (dev, io, entries) => {
    order.push(`restore: memory at 0x3000 reads ${dev.kvm.memory.peekU64(SLOT0 + 0x3000)?.toString(16)}`);
    for (const e of entries) {
      if (e.value === BAD) throw new KvmError(EINVAL, 'reg0 refused');
      io.setAttr(e.group, e.attr, e.size, e.value);
    }
  },
  describe: () => [],
};

function build() {
  const { host, vm, dev } = snapshotRig('snap-mem', spec);
  const ram0 = host.mem.mmap(0x10000);
  const ram1 = host.mem.mmap(0x8000);
  vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: SLOT0, memorySize: 0x10000, userspaceAddr: ram0 });
  vm.setUserMemoryRegion({ slot: 3, guestPhysAddr: SLOT1, memorySize: 0x8000, userspaceAddr: ram1 });
  return { host, vm, dev, ram0, ram1 };
}
type W = ReturnType<typeof build>;

/** Some content: a one-page run, a two-page run, a three-page run in slot 0; one byte at the end of slot 1. */
function fill(w: W): void {
  w.host.mem.setU32(w.ram0 + 0x0, 0x11111111);
  w.host.mem.setU8(w.ram0 + 0x5fff, 0x22);
  w.host.mem.setU8(w.ram0 + 0x6000, 0x33);
  w.host.mem.setU8(w.ram0 + 0x9000, 0x44);
  w.host.mem.setU8(w.ram0 + 0xa000, 0x45);
  w.host.mem.setU8(w.ram0 + 0xbfff, 0x46);
  w.host.mem.setU8(w.ram1 + 0x7fff, 0x99);
}
const bytesOf = (w: W) => [w.host.mem.read(w.ram0, 0x10000), w.host.mem.read(w.ram1, 0x8000)];

test('the image holds every slot and only its nonzero pages, as runs, after the devices prepared', () => {
  const a = build();
  fill(a);
  a.dev.setAttr(1, 0, 0x1234);
  const s = saveSnapshot(a.host, a.vm.fd);
  const m = s.memory!;
  expect(m.pageSize).toBe(4096);
  expect(m.slots.map((x) => [x.slot, x.flags, x.guestPhysAddr, x.memorySize])).toEqual([
    [0, 0, '0x100000', '0x10000'],
    [3, 0, '0x800000', '0x8000'],
  ]);
  // page 3 holds what prepare wrote (reg0 | 0x5a5a5a5a << 32): it ran before the image was taken
  expect(m.slots[0]!.runs.map((r) => [r.offset, r.pages])).toEqual([
    ['0x0', 1],
    ['0x3000', 1],
    ['0x5000', 2],
    ['0x9000', 3],
  ]);
  expect(m.slots[1]!.runs.map((r) => [r.offset, r.pages])).toEqual([['0x7000', 1]]);
  expect(m.slots[0]!.runs.every((r) => r.data.length === Math.ceil((r.pages * 4096) / 3) * 4)).toBe(true);
});

test('restore loads the memory (zeroing what the image does not hold) before the devices; save again is identical', () => {
  const a = build();
  fill(a);
  a.dev.setAttr(1, 0, 0x77);
  const snap = JSON.parse(JSON.stringify(saveSnapshot(a.host, a.vm.fd))) as Snapshot;
  const b = build();
  b.host.mem.fill(b.ram0, 0x10000, 0xee); // garbage everywhere
  b.host.mem.fill(b.ram1, 0x8000, 0xee);
  order.length = 0;
  restoreSnapshot(b.host, b.vm.fd, snap);
  expect(order).toEqual(['prepare', 'restore: memory at 0x3000 reads 5a5a5a5a00000077']);
  expect(bytesOf(b)).toEqual(bytesOf(a));
  expect(b.dev.getAttr(1, 0)).toBe(0x77);
  expect(saveSnapshot(b.host, b.vm.fd)).toEqual(snap);
});

test('a device refusing a value: the memory the target had (before its own prepare) and its device state come back', () => {
  const a = build();
  fill(a);
  const snap = saveSnapshot(a.host, a.vm.fd);
  snap.devices[0]!.state[0]!.value = `0x${BAD.toString(16)}`;
  const b = build();
  b.host.mem.fill(b.ram0 + 0x2000, 0x3000, 0xc3); // covers page 3, which prepare overwrites
  b.dev.setAttr(1, 0, 0x55);
  const before = bytesOf(b);
  expect(() => restoreSnapshot(b.host, b.vm.fd, snap)).toThrow(/EINVAL: reg0 refused/);
  expect(bytesOf(b)).toEqual(before);
  expect(b.dev.getAttr(1, 0)).toBe(0x55);
});

test('another slot layout, a truncated or overlapping run: SnapshotError naming the field, nothing written', () => {
  const a = build();
  fill(a);
  const good = JSON.stringify(saveSnapshot(a.host, a.vm.fd));
  const b = build();
  b.host.mem.fill(b.ram0, 0x10000, 0xee);
  const before = bytesOf(b);
  const cases: [(s: Snapshot) => void, string][] = [
    [(s) => (s.memory!.slots[1]!.slot = 4), '$.memory.slots[1].slot: this VM has no memory slot 4'],
    [(s) => (s.memory!.slots[1]!.flags = 1), '$.memory.slots[1].flags: 1 in the snapshot, 0 here'],
    [(s) => s.memory!.slots.pop(), '$.memory.slots: the snapshot has memory slots [0@0x100000+0x10000], this VM has [0@0x100000+0x10000, 3@0x800000+0x8000]'],
    [(s) => (s.memory!.slots[0]!.runs[2]!.data = s.memory!.slots[0]!.runs[2]!.data.slice(0, -8)), '$.memory.slots[0].runs[2].data: holds 8187 bytes, 2 pages are 8192 (truncated image)'],
    [(s) => (s.memory!.slots[0]!.runs[2]!.pages = 3), '$.memory.slots[0].runs[2].data: holds 8192 bytes, 3 pages are 12288 (truncated image)'],
    [(s) => (s.memory!.slots[0]!.runs[2]!.offset = '0x3000'), '$.memory.slots[0].runs[2].offset: 0x3000 overlaps the previous run or is out of order'],
    [(s) => (s.memory!.slots[0]!.runs[3]!.offset = '0xe000'), '$.memory.slots[0].runs[3]: 3 pages at 0xe000 run past the slot\'s end (0x10000)'],
    [(s) => (s.memory!.slots[0]!.memorySize = '0x10001'), '$.memory.slots[0].memorySize: 0x10001 is not a nonzero multiple of the page size'],
    [(s) => (s.memory!.slots[0]!.runs[0]!.pages = 0), '$.memory.slots[0].runs[0].pages: expected a positive page count'],
    [(s) => ((s.memory as unknown as { slots: unknown }).slots = {}), '$.memory.slots: expected an array'],
  ];
  for (const [mutate, msg] of cases) {
    const s = JSON.parse(good) as Snapshot;
    mutate(s);
    let err: unknown;
    try {
      restoreSnapshot(b.host, b.vm.fd, s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapshotError);
    expect((err as SnapshotError).errno).toBe(EINVAL);
    expect((err as SnapshotError).message).toBe(`EINVAL: ${msg}`);
  }
  expect(bytesOf(b)).toEqual(before);
});

test('a snapshot without an image leaves the memory as it is; diff names the pages that differ', () => {
  const a = build();
  const s1 = saveSnapshot(a.host, a.vm.fd);
  fill(a);
  const s2 = saveSnapshot(a.host, a.vm.fd);
  expect(diffSnapshots(a.host, s1, s2)).toEqual([
    'memory slot 0: 6 pages differ (0x100000, 0x105000, 0x106000, 0x109000, 0x10a000, 0x10b000)',
    'memory slot 3: 1 page differs (0x807000)',
  ]);
  const b = build();
  fill(b);
  const { memory: _m, ...without } = s1;
  restoreSnapshot(b.host, b.vm.fd, without);
  expect(bytesOf(b)).toEqual(bytesOf(a));
});
