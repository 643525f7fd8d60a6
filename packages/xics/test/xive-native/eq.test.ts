/**
 * XIVE native event queues (GRP_EQ_CONFIG), as recorded on powernv9 with 4 KiB host pages
 * (scenarios/xive/eq-config.kvms), and on a 64 KiB-page host profile where a queue can be set.
 */
import { EFAULT, EINVAL, ENOENT, createHost } from '@kvmdev/core';
import {
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_XIVE_EQ_ALWAYS_NOTIFY,
  createXicsPlugin,
  powernv9,
  xive,
  xiveEqId,
  xiveNativeOf,
  xiveSourceConfig,
} from '../../src/internal.js';
import { Rig } from './rig.js';

const Q16 = { flags: KVM_XIVE_EQ_ALWAYS_NOTIFY, qshift: 16, qaddr: 0x10000n, qtoggle: 1, qindex: 0 };

function connected(r: Rig): number {
  const x = r.create();
  r.vcpu(0);
  r.vcpu(1);
  expect(r.connect(0, x, 0)).toBe(0);
  expect(r.connect(1, x, 5)).toBe(0);
  return x;
}

describe('XIVE native: GRP_EQ_CONFIG on a 4 KiB-page host', () => {
  it('GET: ENOENT without the server, EINVAL for priority 7, 0 and nothing copied for a queue without a page', () => {
    const r = new Rig();
    const x = r.create();
    for (let p = 0; p < 8; p++) expect(r.getEq(x, p)).toBe(-ENOENT);
    r.vcpu(0);
    r.vcpu(1);
    r.connect(0, x, 0);
    r.connect(1, x, 5);
    r.h.mem.fill(r.eq, 64, 0xaa);
    for (let p = 0; p < 8; p++) expect(r.getEq(x, p)).toBe(p === 7 ? -EINVAL : 0);
    expect(r.h.mem.getU32(r.eq)).toBe(0xaaaaaaaa);
    expect(r.getEq(x, xiveEqId(5, 2))).toBe(0);
    expect(r.getEq(x, xiveEqId(1, 2))).toBe(-ENOENT);
    expect(r.getEq(x, xiveEqId(5, 2) | 0xffffffff00000000n)).toBe(0);
    expect(r.getEq(x, 0, 0)).toBe(0); // not even a bad address is looked at
    expect(r.getEq(x, 8, 0)).toBe(-ENOENT);
  });

  it('SET: EFAULT first (before ENOENT), then ENOENT, priority 7 EINVAL; qshift 0 resets whatever the rest', () => {
    const r = new Rig();
    const x = connected(r);
    expect(r.setEq(x, 0, null, 0)).toBe(-EFAULT);
    expect(r.setEq(x, 8, null, 0)).toBe(-EFAULT);
    for (let p = 0; p < 8; p++) expect(r.setEq(x, p, { qshift: 0, flags: 0xff, qaddr: 0x1234n })).toBe(p === 7 ? -EINVAL : 0);
    expect(r.setEq(x, 8, { qshift: 0 })).toBe(-ENOENT);
    expect(r.setEq(x, xiveEqId(5, 6), { qshift: 0 })).toBe(0);
  });

  it('SET: flags exactly ALWAYS_NOTIFY, qshift 16, aligned, and a 64 KiB host page: 4 KiB pages refuse every queue', () => {
    const r = new Rig();
    r.memory(0x40000);
    const x = connected(r);
    for (const flags of [0, 2, 3]) expect(r.setEq(x, 1, { ...Q16, flags })).toBe(-EINVAL);
    for (let sh = 1; sh < 33; sh++) expect(r.setEq(x, 1, { ...Q16, qshift: sh })).toBe(-EINVAL);
    for (let a = 0; a < 0x40000; a += 0x8000) expect(r.setEq(x, 1, { ...Q16, qaddr: BigInt(a) })).toBe(-EINVAL);
    const st = xiveNativeOf(r.h.vmOf(r.vm))!;
    expect(st.presenters.get(0)!.queues[1]!.configured).toBe(false);
  });
});

describe('XIVE native: GRP_EQ_CONFIG on a 64 KiB-page host (model only)', () => {
  const host64 = () => createHost({ plugins: [xive, createXicsPlugin({ host: { ...powernv9, name: 'powernv9-64k', pageSize: 65536 } })] });

  it('a 64 KiB queue in guest memory is set, read back, and sources route to it', () => {
    const r = new Rig([], host64());
    r.memory(0x40000);
    const x = connected(r);
    expect(r.setEq(x, 1, { ...Q16, qaddr: 0x1000000n })).toBe(-EINVAL); // not guest memory
    expect(r.setEq(x, 1, { ...Q16, qaddr: 0x8000n })).toBe(-EINVAL); // not aligned
    expect(r.setEq(x, 1, Q16)).toBe(0);
    r.h.mem.fill(r.eq, 64, 0xaa);
    expect(r.getEq(x, 1)).toBe(0);
    expect(r.readEq()).toEqual({ flags: 1, qshift: 16, qaddr: 0x10000n, qtoggle: 1, qindex: 0 });
    expect(r.getEq(x, 1, 0)).toBe(-EFAULT);
    r.set(x, KVM_DEV_XIVE_GRP_SOURCE, 0x1000);
    expect(r.set(x, KVM_DEV_XIVE_GRP_SOURCE_CONFIG, 0x1000, xiveSourceConfig({ priority: 1, server: 5, eisn: 0x42 }))).toBe(0);
    const b = xiveNativeOf(r.h.vmOf(r.vm))!.blocks[4]!;
    // server 5 has no queue at priority 1: the source goes to server 0's
    expect([b.priority[0], b.server[0], b.eisn[0]]).toEqual([1, 0, 0x42]);
    // qshift 0 takes the page away
    expect(r.setEq(x, 1, { qshift: 0 })).toBe(0);
    r.h.mem.fill(r.eq, 64, 0);
    expect(r.getEq(x, 1)).toBe(0);
    expect(r.readEq().qshift).toBe(0);
  });

  it('a restored position (qtoggle != 1 or qindex != 0) is kept', () => {
    const r = new Rig([], host64());
    r.memory(0x40000);
    const x = connected(r);
    expect(r.setEq(x, 2, { ...Q16, qtoggle: 0, qindex: 7 })).toBe(0);
    expect(r.getEq(x, 2)).toBe(0);
    expect(r.readEq()).toMatchObject({ qtoggle: 0, qindex: 7 });
  });
});
