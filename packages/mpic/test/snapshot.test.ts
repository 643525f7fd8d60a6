/**
 * Save/restore through GRP_MISC, GRP_REGISTER and GRP_IRQ_ACTIVE onto a second VM: identical
 * guest-visible behaviour under the same further actions.
 */
import type { DeviceStateIo, StateEntry } from '@kvmdev/core/plugin';
import { KvmError } from '@kvmdev/core';
import {
  MPIC_CTPR,
  MPIC_EOI,
  MPIC_GCR,
  MPIC_IACK,
  MPIC_IPI_IVPR0,
  MPIC_MSIIR,
  MPIC_MSIR0,
  MPIC_MSISR,
  MPIC_SPVE,
  MPIC_TFRR,
  mpicCpuReg,
  mpicIdr,
  mpicIlr,
  mpicIvpr,
  mpicSnapshot,
  type MpicState,
} from '../src/internal.js';
import { BASE, MODELS, type MpicKey, Typed, fingerprint, setupS1 } from './helpers.js';

function ioOf(t: Typed): DeviceStateIo {
  const buf = t.host.mem.alloc(8);
  const mem = t.host.mem;
  return {
    getAttr(group, attr, size) {
      t.dev.attrRaw('get', group, attr, buf);
      return size === 8 ? mem.getU64(buf) : BigInt(mem.getU32(buf));
    },
    setAttr(group, attr, size, value) {
      if (size === 8) mem.setU64(buf, value);
      else mem.setU32(buf, Number(value));
      t.dev.attrRaw('set', group, attr, buf);
    },
    hasAttr(group, attr) {
      try {
        t.dev.attrRaw('has', group, attr, 0);
        return true;
      } catch (e) {
        if (e instanceof KvmError) return false;
        throw e;
      }
    },
    getOneReg(id, reg) {
      return t.vm.vm.vcpuById(id) ? t.vcpus[id].getOneReg(reg) : 0n;
    },
    setOneReg(id, reg, v) {
      t.vcpus[id].setOneReg(reg, v);
    },
    vcpuIds: t.vcpus.map((v) => v.id),
  };
}

/** A busy but quiescent state: pending edges and levels, masked pending, MSIs, CTPRs, modes. */
function populate(t: Typed, key: MpicKey): void {
  t.setReg(MPIC_GCR, key === 'KVM_DEV_TYPE_FSL_MPIC_42' ? 0x60000000 : 0x20000000);
  t.setReg(MPIC_SPVE, 0xbeef);
  t.setReg(MPIC_TFRR, 1000000);
  t.setReg(0x1150, 0x1234); // TBCR1
  t.setReg(0x11a0, 0x000c00c2); // TVPR2
  t.setReg(mpicIvpr(1), 0x00050041); // edge, pending on CPU 0
  t.setActive(1, 1);
  t.setReg(mpicIvpr(2), 0x00460042); // level, asserted, to CPU 1
  t.setReg(mpicIdr(2), 2);
  t.setActive(2, 1);
  t.setReg(mpicIvpr(3), 0x80070043); // masked but pending
  t.setActive(3, 1);
  t.setReg(mpicIvpr(4), 0x00030044); // below CPU 1's CTPR
  t.setReg(mpicIdr(4), 3);
  t.setActive(4, 1);
  t.setReg(mpicIvpr(225), 0x00090061); // MSI bank 1
  t.setReg(mpicIdr(225), 2);
  t.setReg(MPIC_MSIIR, (1 << 29) | (4 << 24));
  t.setReg(MPIC_MSIIR, (1 << 29) | (9 << 24));
  t.setReg(MPIC_IPI_IVPR0 + 0x10, 0x000600b1);
  t.setReg(mpicCpuReg(1, MPIC_CTPR), 4);
  if (key === 'KVM_DEV_TYPE_FSL_MPIC_42') t.setReg(mpicIlr(30), 2);
  else t.setReg(mpicIdr(31), 0x80000001);
}

/** The same guest actions on a VM, recording everything the guest and the VMM can see. */
function drive(t: Typed): string[] {
  const log: string[] = [];
  const rec = (what: string, v: unknown) => log.push(`${what}=${String(v)}`);
  for (let c = 0; c < 2; c++) rec(`line${c}`, t.line(c));
  for (let round = 0; round < 3; round++) {
    for (let c = 0; c < 2; c++) {
      rec(`iack${c}`, t.gr(c, MPIC_IACK));
      rec(`line${c}`, t.line(c));
    }
    rec('msisr', t.gr(0, MPIC_MSISR));
    rec('msir1', t.gr(1, MPIC_MSIR0 + 0x10));
    for (let c = 0; c < 2; c++) {
      t.gw(c, MPIC_EOI, 0);
      rec(`eoi-line${c}`, t.line(c));
    }
    t.gw(1, MPIC_CTPR, 2 - round);
    rec('line1', t.line(1));
    t.setActive(2, round & 1);
    t.setActive(3 + round, 1);
    t.gw(0, mpicIvpr(3), 0x00070043);
    for (let c = 0; c < 2; c++) rec(`line${c}`, t.line(c));
  }
  for (let n = 0; n <= 256; n++) rec(`active${n}`, t.active(n));
  for (const off of [MPIC_GCR, MPIC_SPVE, MPIC_TFRR, 0x1140, mpicIvpr(1), mpicIvpr(3), mpicIdr(2), mpicIlr(30), mpicIdr(31)]) {
    rec(`reg${off.toString(16)}`, t.reg(off));
  }
  return log;
}

function fresh(key: MpicKey): Typed {
  const t = new Typed(key, 2);
  t.connect(0);
  t.connect(1);
  return t;
}

describe.each(MODELS)('%s', (key) => {
  test('round trip onto a second VM: same registers, same lines, same behaviour afterwards', () => {
    const a = setupS1(key, 2);
    populate(a, key);
    const ioA = ioOf(a);
    const params = mpicSnapshot.params(a.dev.device as never, ioA);
    expect(params).toEqual({ type: key === 'KVM_DEV_TYPE_FSL_MPIC_20' ? 1 : 2, nbCpus: 2 });
    const before = fingerprint(a.state, false);
    const saved: StateEntry[] = mpicSnapshot.save(a.dev.device as never, ioA);
    expect(fingerprint(a.state, false)).toBe(before); // the save re-signals the MSI banks it read
    expect(new Set(saved.map((e) => e.key)).size).toBe(saved.length);

    const b = fresh(key);
    const ioB = ioOf(b);
    expect(mpicSnapshot.params(b.dev.device as never, ioB)).toEqual(params);
    mpicSnapshot.restore(b.dev.device as never, ioB, saved);
    expect(b.dev.getAttr(1, 0)).toBe(BigInt(BASE));
    expect(fingerprint(b.state, false)).toBe(fingerprint(a.state, false));
    const again = mpicSnapshot.save(b.dev.device as never, ioB);
    expect(again.map((e) => [e.key, e.value])).toEqual(saved.map((e) => [e.key, e.value]));
    expect([b.line(0), b.line(1)]).toEqual([a.line(0), a.line(1)]);
    expect(drive(b)).toEqual(drive(a));
  });

  test('a snapshot taken right after S restores onto a VM whose MPIC was never reset', () => {
    const a = setupS1(key, 2);
    const saved = mpicSnapshot.save(a.dev.device as never, ioOf(a));
    const b = fresh(key);
    mpicSnapshot.restore(b.dev.device as never, ioOf(b), saved);
    expect(fingerprint(b.state)).toBe(fingerprint(a.state));
  });

  test('describe speaks in device terms', () => {
    const a = setupS1(key, 2);
    const saved = mpicSnapshot.save(a.dev.device as never, ioOf(a));
    const ivpr3 = saved.find((e) => e.key === 'sources.IVPR.3')!;
    expect(ivpr3.attr).toBe(BigInt(mpicIvpr(3)));
    expect(mpicSnapshot.describe(ivpr3, 0x80000000n, 0x00050043n)).toEqual(['source 3 IVPR: 0x80000000 -> 0x00050043']);
    const ctpr = saved.find((e) => e.key === 'per-cpu.CTPR.1')!;
    expect(ctpr.attr).toBe(BigInt(mpicCpuReg(1, MPIC_CTPR)));
    expect(mpicSnapshot.describe(ctpr, 15n, 0n)).toEqual(['CPU 1 CTPR: 0x0000000f -> 0x00000000']);
    const act = saved.find((e) => e.key === 'irq.ACTIVE.256')!;
    expect(mpicSnapshot.describe(act, 0n, 1n)).toEqual(['IRQ 256 input: 0x00000000 -> 0x00000001']);
    const tbcr = saved.find((e) => e.key === 'timers.TBCR.1')!;
    expect(tbcr.attr).toBe(0x1140n); // saved from the shifted read offset
  });
});

test('the state of the two VMs is really distinct (the check above can fail)', () => {
  const a = setupS1('KVM_DEV_TYPE_FSL_MPIC_42', 2);
  populate(a, 'KVM_DEV_TYPE_FSL_MPIC_42');
  const b = fresh('KVM_DEV_TYPE_FSL_MPIC_42');
  expect(drive(b)).not.toEqual(drive(a));
  const s: MpicState = a.state;
  expect(s.pending[1]).toBe(0); // drive() consumed it
});
