/** The no-bigint system-register hooks (sysregRead32 / sysregWrite32) give the same results as the bigint port methods. */
import { armHooks } from '../src/arch.js';
import * as U from '../src/uapi.js';
import { UNDEF_ESR } from '../src/index.js';
import { v3Guest } from './helpers.js';

const SPI = 1 << 24;

function setup(n = 4) {
  const w = v3Guest(n);
  w.guests[0]!.mmioWrite32(w.dist + U.GICD_CTLR, 4, U.GICD_CTLR_ENABLE_SS_G1);
  for (const g of w.guests) {
    g.sysregWrite32(U.ICC_PMR_EL1, 0xff);
    g.sysregWrite32(U.ICC_IGRPEN1_EL1, 1);
  }
  const lines = () => w.guests.map((g) => g.line('irq')).join('');
  return { ...w, lines };
}

describe('GICv3 ICC registers through the 32-bit hooks', () => {
  test('the ICC registers use the 32-bit hooks; the 64-bit hooks only serve the registers the vCPU keeps', () => {
    expect(typeof armHooks.sysregRead32).toBe('function');
    expect(typeof armHooks.sysregWrite32).toBe('function');
    const { vcpus } = setup(1);
    const v = vcpus[0]!.vcpu;
    expect(armHooks.sysregRead!(v, U.ICC_IAR1_EL1)).toBeNull();
    expect(armHooks.sysregWrite!(v, U.ICC_PMR_EL1, 0xffn)).toBe(false);
  });
  test('SPI round trip: IAR1, RPR, EOIR1', () => {
    const { guests, vm, dist, lines } = setup(1);
    const g = guests[0]!;
    g.mmioWrite32(dist + U.GICD_ICFGR + 8, 4, 0); // SPIs 32..47 level-sensitive
    g.mmioWrite32(dist + U.GICD_ISENABLER + 4, 4, 1 << 8); // SPI 40
    vm.irqLine(SPI | 40, 1);
    expect(lines()).toBe('1');
    expect(g.sysregRead32(U.ICC_HPPIR1_EL1)).toBe(40);
    expect(g.sysregRead32(U.ICC_IAR1_EL1)).toBe(40);
    expect(g.sysregRead(U.ICC_RPR_EL1)).toBe(0n);
    expect(g.sysregRead32(U.ICC_IAR1_EL1)).toBe(1023);
    g.sysregWrite32(U.ICC_EOIR1_EL1, 40);
    expect(g.sysregRead32(U.ICC_RPR_EL1)).toBe(0xff);
    // still pending (level high): signalled again
    expect(lines()).toBe('1');
    vm.irqLine(SPI | 40, 0);
    expect(lines()).toBe('0');
    expect(g.sysregRead32(U.ICC_PMR_EL1)).toBe(0xf8);
    expect(g.sysregRead32(U.ICC_SRE_EL1)).toBe(7);
  });
  test('ICC_SGI1R_EL1: bits 63:32 (IRM, Aff2) arrive through the bigint write as the high half', () => {
    const { guests, lines } = setup(4);
    guests[1]!.sysregWrite(U.ICC_SGI1R_EL1, (7n << 24n) | (1n << 40n)); // IRM: all but self
    expect(lines()).toBe('1011');
    for (const i of [0, 2, 3]) {
      expect(guests[i]!.sysregRead32(U.ICC_IAR1_EL1)).toBe(7);
      guests[i]!.sysregWrite32(U.ICC_EOIR1_EL1, 7);
    }
    guests[1]!.sysregWrite(U.ICC_SGI1R_EL1, (3n << 24n) | 1n | (1n << 32n)); // Aff2 = 1: nobody
    expect(lines()).toBe('0000');
    guests[1]!.sysregWrite32(U.ICC_SGI1R_EL1, (3 << 24) | 1); // Aff2 = 0: vCPU 0
    expect(lines()).toBe('1000');
  });
  test('a register no one emulates is an UNDEF outcome on both paths (reads 0, nothing thrown)', () => {
    const { guests } = setup(1);
    const g = guests[0]!;
    const UNKNOWN = 0xffff; // S3_7_C15_C15_7
    expect(g.sysregRead32(UNKNOWN)).toBe(0);
    expect(g.last).toMatchObject({ kind: 'undef', esr: UNDEF_ESR });
    expect(g.sysregRead(UNKNOWN)).toBe(0n);
    expect(g.last.kind).toBe('undef');
    expect(g.sysregWrite32(UNKNOWN, 1).kind).toBe('undef');
    expect(g.sysregWrite(UNKNOWN, 1n << 40n).kind).toBe('undef');
    expect(g.sysregRead32(U.ICC_PMR_EL1)).toBe(0xf8);
    expect(g.last.kind).toBe('done');
  });
});
