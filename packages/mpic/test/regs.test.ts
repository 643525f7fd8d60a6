/** Register map details: vectors 18 and 19, model differences, MMIO access rules and quirks. */
import { ENXIO } from '@kvmdev/core';
import {
  ILR_INTTGT_CINT,
  MPIC_BRR1,
  MPIC_CTPR,
  MPIC_EOI,
  MPIC_FRR,
  MPIC_GCR,
  MPIC_IACK,
  MPIC_MSIR0,
  MPIC_SPVE,
  MPIC_TFRR,
  MPIC_REGIONS,
  TIMER_REGS,
  mpicCpuReg,
  mpicIdr,
  mpicIlr,
  mpicIvpr,
  mpicTimerReg,
  MPIC_TBCR,
  MPIC_TVPR,
  MPIC_TDR,
  regionOf,
} from '../src/internal.js';
import { MODELS, Sys, Typed, errnoOf, setupS, setupS1, sysS } from './helpers.js';

const IACK0 = mpicCpuReg(0, MPIC_IACK);
const CTPR0 = mpicCpuReg(0, MPIC_CTPR);

describe('vector 18: shifted timer read decoding', () => {
  test.each(MODELS)('typed %s', (key) => {
    const t = setupS(key);
    t.setReg(0x1110, 0x12345678); // TBCR0 (write decoding)
    expect(t.reg(0x1100)).toBe(0x12345678);
    expect(t.reg(0x1110)).toBe(0x80000000); // TVPR0 after reset
    expect(t.reg(0x1120)).toBe(1); // TDR0 = IDR of timer 0
    expect(t.reg(0x1130)).toBe(0); // TCCR1
    expect(t.reg(0x1140)).toBe(0x80000000); // TBCR1 reset (CI)
    t.setReg(MPIC_TFRR, 0xabcdef);
    expect(t.reg(MPIC_TFRR)).toBe(0xabcdef);
    t.setReg(0x1120, 0x000700aa); // TVPR0
    expect(t.reg(0x1110)).toBe(0x000700aa);
    expect(t.gr(0, 0x1110)).toBe(0x000700aa);
    t.setReg(0x1100, 0x5555); // TCCR0: ignored
    expect(t.reg(0x11f0)).toBe(0); // TCCR0 is only reachable through the wrap
  });
  test('facade', () => {
    const s = sysS(2);
    expect(s.setReg(0x1110, 0x12345678)).toBe(0);
    expect(s.reg(0x1100)).toBe(0x12345678);
    expect(s.reg(0x1110)).toBe(0x80000000);
  });
  test('every timer register reads back where its readOffset says', () => {
    const t = setupS('KVM_DEV_TYPE_FSL_MPIC_42', 1);
    for (const r of TIMER_REGS) {
      if (r.write === undefined || r.readOffset === undefined) continue;
      for (let i = 0; i < r.count; i++) {
        const v = r.name === 'TDR' ? 1 : r.name === 'TVPR' ? 0x000300a0 + i : 0x100 + i;
        t.setReg(r.offset + i * r.stride, v);
        expect(t.reg(r.readOffset(i))).toBe(v);
      }
    }
    expect(mpicTimerReg(2, MPIC_TBCR)).toBe(0x1190);
    expect(mpicTimerReg(3, MPIC_TVPR)).toBe(0x11e0);
    expect(mpicTimerReg(0, MPIC_TDR)).toBe(0x1130);
  });
});

describe('vector 19: GCR', () => {
  test.each([
    ['KVM_DEV_TYPE_FSL_MPIC_20', 0x20000000],
    ['KVM_DEV_TYPE_FSL_MPIC_42', 0x60000000],
  ] as const)('%s mode mask', (key, mask) => {
    const t = setupS(key);
    t.setReg(MPIC_GCR, 0x60000000);
    expect(t.reg(MPIC_GCR)).toBe(mask);
    t.setReg(MPIC_GCR, 0x1fffffff);
    expect(t.reg(MPIC_GCR)).toBe(0);
    t.setReg(MPIC_GCR, 0x60000000);
    t.setReg(MPIC_GCR, 0x80000000);
    expect(t.reg(MPIC_GCR)).toBe(0);
  });
  test('a reset restores registers, keeps pending flags and MSI bits', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_20');
    t.setReg(mpicIvpr(1), 0x80050041);
    t.setActive(1, 1);
    t.setReg(mpicIvpr(224), 0x00010050);
    t.setReg(0x1740, 0x01000000);
    t.setReg(MPIC_SPVE, 0x1234);
    t.setReg(mpicIdr(3), 0);
    t.setReg(0x1110, 7);
    t.setReg(MPIC_GCR, 0x80000000);
    expect(t.reg(mpicIvpr(1))).toBe(0x80000000);
    expect(t.reg(mpicIvpr(224))).toBe(0x80800000);
    expect(t.reg(mpicIdr(3))).toBe(1);
    expect(t.reg(MPIC_SPVE)).toBe(0xffff);
    expect(t.reg(CTPR0)).toBe(15);
    expect(t.reg(0x1100)).toBe(0x80000000);
    expect(t.active(1)).toBe(1);
    expect(t.active(224)).toBe(1);
    expect(t.state.msir[0]).toBe(2);
    // the line is not explicitly lowered by the reset
    expect(t.line(0)).toBe(1);
  });
});

describe('v2.0 / v4.2 differences', () => {
  test('v2.0 IDR keeps EP and critical bits; a critical source never raises INT', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_20');
    t.setReg(mpicIdr(1), 0xffffffff);
    expect(t.reg(mpicIdr(1))).toBe(0xc0000001);
    expect(t.reg(mpicIlr(1))).toBe(0xffffffff);
    t.setReg(mpicIlr(1), 1); // ignored on v2.0
    t.setReg(mpicIvpr(1), 0x80050041); // masked, but critical outputs ignore the mask
    t.setActive(1, 1);
    expect(t.reg(mpicIvpr(1))).toBe(0x80050041); // edge on a non-INT output is a pulse
    expect(t.active(1)).toBe(0);
    expect(t.line(0)).toBe(0);
    t.setReg(mpicIvpr(2), 0x80460042);
    t.setReg(mpicIdr(2), 0x40000000);
    t.setActive(2, 1);
    expect(t.reg(mpicIvpr(2))).toBe(0xc0460042); // A set despite MSK (nomask)
    expect(t.state.outputsActive[ILR_INTTGT_CINT]).toBe(1);
    expect(t.vcpus[0].guest.line('critical')).toBe(0); // raising critical is a kernel TODO
    expect(t.reg(IACK0)).toBe(0xffff);
    t.setActive(2, 0);
    expect(t.state.outputsActive[ILR_INTTGT_CINT]).toBe(0);
  });
  test('v4.2 IDR is the destination mask only; ILR selects the output', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_42');
    t.setReg(mpicIdr(1), 0xffffffff);
    expect(t.reg(mpicIdr(1))).toBe(1);
    expect(t.reg(mpicIlr(1))).toBe(0);
    t.setReg(mpicIlr(1), 0x1234502);
    expect(t.reg(mpicIlr(1))).toBe(2);
    t.setReg(mpicIvpr(2), 0x00460042);
    t.setReg(mpicIlr(2), 1);
    t.setActive(2, 1);
    expect(t.line(0)).toBe(0);
    expect(t.state.outputsActive[1]).toBe(1);
    t.setReg(mpicIlr(2), 0);
    expect(t.line(0)).toBe(0); // an ILR write does not re-evaluate
    t.setActive(2, 1);
    expect(t.line(0)).toBe(1); // the next input change goes through the INT pipe
    expect(t.state.outputsActive[1]).toBe(1); // and the critical count is never given back
  });
  test('v2.0 with 31 CPUs: normal and critical IDR bits overlap, IDR 1 means CPU 30 critical', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_20', 1);
    t.connect(0, 30);
    t.setReg(MPIC_GCR, 0x80000000);
    expect(t.reg(mpicIdr(5))).toBe(1);
    expect(t.state.output[5]).toBe(ILR_INTTGT_CINT);
    expect(t.state.destmask[5]).toBe(1 << 30);
  });
});

describe('access rules and quirks', () => {
  test('unaligned and unknown offsets', () => {
    const t = setupS('KVM_DEV_TYPE_FSL_MPIC_42');
    expect(t.reg(0x1004)).toBe(0xffffffff);
    expect(t.reg(0x0010)).toBe(0xffffffff);
    expect(t.reg(mpicIvpr(3) + 4)).toBe(0xffffffff);
    expect(t.reg(0x20084)).toBe(0xffffffff);
    expect(t.reg(0x20100)).toBe(0xffffffff);
    expect(t.reg(0x3800)).toBe(0);
    t.setReg(0x3800, 0xffffffff);
    expect(t.reg(0x3ffc)).toBe(0);
    expect(errnoOf(() => t.reg(0x1604))).toBe(ENXIO);
    expect(t.gr(0, 0x1604)).toBeNull();
    expect(t.reg(0x1700)).toBe(0);
    t.setReg(MPIC_MSIR0, 0xffffffff); // read-only
    expect(t.state.msir[0]).toBe(0);
    t.setReg(0x1004, 1); // ignored
    t.setReg(0x10f4, 1);
    expect(t.reg(0x10f4)).toBe(0xffffffff);
  });
  test('offsets outside every sub-region are ENXIO', () => {
    const t = setupS();
    for (const off of [0x1310, 0x15fc, 0x1800, 0x37fc, 0x4000, 0xfffc, 0x12000, 0x1fffc, 0x3f100, 0x3fffc]) {
      expect(regionOf(off)).toBeNull();
      expect(errnoOf(() => t.reg(off))).toBe(ENXIO);
      expect(errnoOf(() => t.setReg(off, 0))).toBe(ENXIO);
      expect(t.gr(0, off)).toBeNull();
      expect(t.gw(0, off, 0)).toBe(false);
    }
    expect(MPIC_REGIONS.map((r) => r.name)).toEqual(['global', 'timers', 'sources', 'per-cpu', 'msi', 'summary']);
  });
  test('userspace alias pages read 0xFFFFFFFF and ignore writes, with no side effect', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_20');
    t.setReg(mpicIvpr(1), 0x00050041);
    t.setActive(1, 1);
    expect(t.reg(MPIC_IACK)).toBe(0xffffffff);
    expect(t.reg(0x80)).toBe(0xffffffff);
    expect(t.reg(0xb0)).toBe(0xffffffff);
    t.setReg(0x80, 15);
    t.setReg(0x40, 1);
    expect(t.reg(CTPR0)).toBe(0);
    expect(t.active(1)).toBe(1);
    expect(t.line(0)).toBe(1);
    expect(t.reg(IACK0)).toBe(0x41); // the explicit page works from userspace
  });
  test('guest MMIO sizes: 1-byte reads (big-endian host byte order), 2/8-byte reads fail after the access', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_42');
    expect(t.gr(0, MPIC_BRR1, 1)).toBe(0x00);
    expect(t.gr(0, MPIC_FRR, 1)).toBe(0x00);
    expect(t.gr(0, MPIC_FRR + 1, 1)).toBe(0xff); // the register is read at the unaligned offset
    expect(t.gr(0, 0x3801, 1)).toBe(0);
    t.setReg(MPIC_SPVE, 0xabcd);
    expect(t.gr(0, mpicIvpr(7), 1)).toBe(0x80);
    t.setReg(mpicIvpr(1), 0x00050041);
    t.setActive(1, 1);
    expect(t.gr(0, IACK0, 2)).toBeNull(); // bad length, but the IACK happened
    expect(t.active(1)).toBe(0);
    t.setReg(mpicCpuReg(0, MPIC_EOI), 0);
    t.setActive(1, 1);
    expect(t.gr(0, IACK0 + 1, 1)).toBe(0xff); // unaligned: no IACK
    expect(t.active(1)).toBe(1);
    expect(t.vcpus[0].guest.mmioRead(0xfe0040000 + IACK0, 8)).toBeNull();
    expect(t.active(1)).toBe(0);
    expect(t.gr(0, IACK0 + 2, 4)).toBeNull();
    expect(t.gw(0, MPIC_SPVE, 1, 1)).toBe(false);
    expect(t.gw(0, MPIC_SPVE, 1, 2)).toBe(false);
    expect(t.gw(0, MPIC_SPVE + 2, 1, 4)).toBe(false);
    expect(t.vcpus[0].guest.mmioWrite(0xfe0040000 + MPIC_SPVE, 8, 1n)).toBe(false);
    expect(t.reg(MPIC_SPVE)).toBe(0xabcd);
  });
  test('SPVE is masked to 16 bits and is what a spurious IACK returns', () => {
    const s = sysS(1);
    expect(s.setReg(MPIC_SPVE, 0xffff1234)).toBe(0);
    expect(s.reg(MPIC_SPVE)).toBe(0x1234);
    expect(s.reg(IACK0)).toBe(0x1234);
  });
  test('stale cached priorities: a CTPR write after an IACK raises the line spuriously', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_20');
    t.setReg(mpicIvpr(1), 0x00050041);
    t.setActive(1, 1);
    expect(t.gr(0, MPIC_IACK)).toBe(0x41);
    expect(t.line(0)).toBe(0);
    t.gw(0, MPIC_CTPR, 0);
    expect(t.line(0)).toBe(1); // raised.priority is still the cached 5, servicing the cached -1
    expect(t.gr(0, MPIC_IACK)).toBe(0xffff);
    expect(t.line(0)).toBe(0);
  });
  test('EOI raises without a CTPR check; the next IACK then drops a blocked edge', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_20');
    t.setReg(mpicIvpr(1), 0x00050041);
    t.setReg(mpicIvpr(3), 0x00090043);
    t.setActive(3, 1);
    expect(t.gr(0, MPIC_IACK)).toBe(0x43);
    t.gw(0, MPIC_CTPR, 7);
    t.setActive(1, 1);
    t.gw(0, MPIC_EOI, 0);
    expect(t.line(0)).toBe(1);
    expect(t.gr(0, MPIC_IACK)).toBe(0xffff);
    expect(t.active(1)).toBe(0);
  });
  test('KVM_IRQ_LINE levels are stored raw on level sources (IRQ_ACTIVE reads them back)', () => {
    const s = new Sys(1);
    s.create(1);
    const vm = s.host.vmOf(s.vm);
    vm.routing.set(vm.irqchip, [{ gsi: 5, type: 1, flags: 0, irqchip: 0, pin: 20 }], 0);
    expect(s.host.irqLine(vm, 5, 7)).toBe(0);
    expect(s.get32(3, 20)).toBe(7);
  });
});
