/**
 * XIVE native sources: GRP_SOURCE, GRP_SOURCE_CONFIG, GRP_SOURCE_SYNC, KVM_IRQ_LINE and RESET, as
 * recorded on powernv9 (scenarios/xive/sources.kvms).
 */
import { E2BIG, EBUSY, EFAULT, EINVAL, ENOENT } from '@kvmdev/core';
import {
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE_SYNC,
  KVM_DEV_XIVE_RESET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVM_XIVE_LEVEL_ASSERTED,
  KVM_XIVE_LEVEL_SENSITIVE,
  KVM_XIVE_SOURCE_MASKED_MASK,
  XSRC_ASSERTED,
  XSRC_LSI,
  XSRC_VALID,
  xiveNativeOf,
  xiveSourceConfig,
  type XiveNativeState,
} from '../../src/internal.js';
import { Rig } from './rig.js';

const SRC = KVM_DEV_XIVE_GRP_SOURCE;
const CFG = KVM_DEV_XIVE_GRP_SOURCE_CONFIG;
const SYNC = KVM_DEV_XIVE_GRP_SOURCE_SYNC;

function setup(): { r: Rig; x: number; st: () => XiveNativeState } {
  const r = new Rig();
  const x = r.create();
  const vm = r.h.vmOf(r.vm);
  return { r, x, st: () => xiveNativeOf(vm)! };
}

describe('XIVE native: GRP_SOURCE', () => {
  it('0 <= n < 2^20; a negative or 64-bit attr is E2BIG (a signed long, not truncated)', () => {
    const { r, x } = setup();
    expect(r.set(x, SRC, 0)).toBe(0);
    expect(r.set(x, SRC, 0xfffff)).toBe(0);
    expect(r.set(x, SRC, 0x100000)).toBe(-E2BIG);
    expect(r.set(x, SRC, 0x100000000n)).toBe(-E2BIG);
    expect(r.set(x, SRC, -1n)).toBe(-E2BIG);
    expect(r.set(x, SRC, 0x8000000000001000n)).toBe(-E2BIG);
  });

  it('EFAULT after the block is made: the source is then EINVAL (never set), not ENOENT', () => {
    const { r, x, st } = setup();
    expect(r.set(x, CFG, 0x2000)).toBe(-ENOENT);
    expect(r.set(x, SRC, 0x2000, 0n, 0)).toBe(-EFAULT);
    expect(st().blocks[8]).not.toBeNull();
    expect(r.set(x, CFG, 0x2000)).toBe(-EINVAL);
    expect(r.set(x, SYNC, 0x2000)).toBe(-EINVAL);
    expect(st().sourceCount).toBe(0);
  });

  it('LSI flags only ever set the state; ASSERTED counts only with LEVEL_SENSITIVE', () => {
    const { r, x, st } = setup();
    r.set(x, SRC, 0x1000, KVM_XIVE_LEVEL_ASSERTED);
    r.set(x, SRC, 0x1001, KVM_XIVE_LEVEL_SENSITIVE | KVM_XIVE_LEVEL_ASSERTED);
    r.set(x, SRC, 0x1001, 0n);
    const b = st().blocks[4]!;
    expect(b.flags[0]).toBe(XSRC_VALID);
    expect(b.flags[1]).toBe(XSRC_VALID | XSRC_LSI | XSRC_ASSERTED);
    expect(st().sourceCount).toBe(2);
  });
});

describe('XIVE native: GRP_SOURCE_CONFIG and GRP_SOURCE_SYNC', () => {
  it('ENOENT without the block, EINVAL for a source never set, EFAULT, then the priority (7: EINVAL)', () => {
    const { r, x } = setup();
    expect(r.set(x, CFG, 0x1000)).toBe(-ENOENT);
    expect(r.set(x, SYNC, 0x1000)).toBe(-ENOENT);
    r.set(x, SRC, 0x1000);
    expect(r.set(x, CFG, 0x1000, 0n, 0)).toBe(-EFAULT);
    for (let p = 0; p < 8; p++) expect(r.set(x, CFG, 0x1000, KVM_XIVE_SOURCE_MASKED_MASK | BigInt(p))).toBe(p === 7 ? -EINVAL : 0);
    expect(r.set(x, CFG, 0x1000, KVM_XIVE_SOURCE_MASKED_MASK | 0xffn)).toBe(-EINVAL);
    expect(r.set(x, SYNC, 0x1000)).toBe(0);
    expect(r.set(x, SYNC, 0x1001)).toBe(-EINVAL);
    expect(r.set(x, SYNC, 0x100000)).toBe(-ENOENT);
  });

  it('the source number of CONFIG and SYNC is a u32: bits 63:32 are dropped', () => {
    const { r, x } = setup();
    r.set(x, SRC, 0x1000);
    expect(r.set(x, CFG, 0x100001000n, KVM_XIVE_SOURCE_MASKED_MASK)).toBe(0);
    expect(r.set(x, SYNC, 0x100001000n)).toBe(0);
  });

  it('unmasked: EINVAL without the server, EBUSY when no presenter has a queue at that priority', () => {
    const { r, x, st } = setup();
    r.set(x, SRC, 0x1001);
    expect(r.set(x, CFG, 0x1001, xiveSourceConfig({ priority: 3, server: 0 }))).toBe(-EINVAL);
    r.vcpu(0);
    expect(r.connect(0, x, 0)).toBe(0);
    for (let p = 0; p < 8; p++) expect(r.set(x, CFG, 0x1001, BigInt(p))).toBe(p === 7 ? -EINVAL : -EBUSY);
    expect(r.set(x, CFG, 0x1001, xiveSourceConfig({ priority: 3, server: 1 }))).toBe(-EINVAL);
    const b = st().blocks[4]!;
    expect(b.priority[1]).toBe(0xff);
    // masked with server 5 and an EISN: routed nowhere
    expect(r.set(x, CFG, 0x1001, xiveSourceConfig({ priority: 0, server: 5, masked: true, eisn: 0x1234 }))).toBe(0);
    expect([b.priority[1], b.server[1], b.eisn[1]]).toEqual([0xff, 0, 0]);
  });

  it('KVM_IRQ_LINE always returns 0; an LSI level is recorded; triggers on an "off" source queue nothing', () => {
    const { r, x, st } = setup();
    expect(r.irqLine(0x10, 1)).toBe(0);
    r.set(x, SRC, 0x1001, KVM_XIVE_LEVEL_SENSITIVE);
    expect(r.irqLine(0x1001, KVM_INTERRUPT_SET_LEVEL)).toBe(0);
    const b = st().blocks[4]!;
    expect(b.flags[1]! & XSRC_ASSERTED).toBe(XSRC_ASSERTED);
    expect(b.pq[1]).toBe(1);
    expect(r.irqLine(0x1001, KVM_INTERRUPT_UNSET)).toBe(0);
    expect(b.flags[1]! & XSRC_ASSERTED).toBe(0);
    expect(r.irqLine(0x100000, 0)).toBe(0);
  });

  it('RESET keeps the sources (they stay set and valid) and answers 0 whatever the address', () => {
    const { r, x } = setup();
    r.set(x, SRC, 0x1003);
    expect(r.set(x, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_RESET, 0n, 0)).toBe(0);
    expect(r.set(x, SYNC, 0x1003)).toBe(0);
    expect(r.set(x, CFG, 0x1003, KVM_XIVE_SOURCE_MASKED_MASK | 1n)).toBe(0);
  });

  it('a new device after release has no sources', () => {
    const { r, x } = setup();
    r.set(x, SRC, 0x1000);
    r.close(x);
    const y = r.create();
    expect(r.set(y, CFG, 0x1000)).toBe(-ENOENT);
  });
});
