/** GICv3 guest interface and delivery through the guest port: ICC_* sysregs, GICD/GICR MMIO, lines. */
import * as U from '../src/uapi.js';
import { v3Guest } from './helpers.js';

const SPI = 1 << 24;

function setup(n = 8) {
  const w = v3Guest(n);
  const { guests, dist } = w;
  guests[0]!.mmioWrite32(dist + U.GICD_CTLR, 4, U.GICD_CTLR_ENABLE_SS_G1);
  for (const g of guests) {
    g.sysregWrite(U.ICC_PMR_EL1, 0xff);
    g.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
  }
  const lines = () => guests.map((g) => g.line('irq')).join('');
  const sgi1r = (intid: number, list: number, irm = false) =>
    (BigInt(intid) << 24n) | BigInt(list) | (irm ? 1n << 40n : 0n);
  return { ...w, lines, sgi1r };
}

describe('GICv3 SGIs (ICC_SGI1R_EL1) with 8 vCPUs', () => {
  test('to self', () => {
    const { guests, lines, sgi1r } = setup();
    expect(lines()).toBe('00000000');
    guests[3]!.sysregWrite(U.ICC_SGI1R_EL1, sgi1r(5, 1 << 3));
    expect(lines()).toBe('00010000');
    expect(guests[3]!.sysregRead(U.ICC_HPPIR1_EL1)).toBe(5n);
    expect(guests[3]!.sysregRead(U.ICC_IAR1_EL1)).toBe(5n);
    expect(lines()).toBe('00000000');
    expect(guests[3]!.sysregRead(U.ICC_RPR_EL1)).toBe(0n);
    guests[3]!.sysregWrite(U.ICC_EOIR1_EL1, 5);
    expect(guests[3]!.sysregRead(U.ICC_RPR_EL1)).toBe(0xffn);
    expect(guests[3]!.sysregRead(U.ICC_IAR1_EL1)).toBe(1023n);
  });
  test('to a target list', () => {
    const { guests, lines, sgi1r } = setup();
    guests[0]!.sysregWrite(U.ICC_SGI1R_EL1, sgi1r(2, (1 << 2) | (1 << 5) | (1 << 7)));
    expect(lines()).toBe('00100101');
    for (const i of [2, 5, 7]) expect(guests[i]!.sysregRead(U.ICC_IAR1_EL1)).toBe(2n);
    expect(lines()).toBe('00000000');
    // Aff1 = 1 names nobody here
    guests[0]!.sysregWrite(U.ICC_SGI1R_EL1, sgi1r(2, 1) | (1n << 16n));
    expect(lines()).toBe('00000000');
  });
  test('broadcast (IRM) reaches everyone but the sender', () => {
    const { guests, lines, sgi1r } = setup();
    guests[4]!.sysregWrite(U.ICC_SGI1R_EL1, sgi1r(7, 0, true));
    expect(lines()).toBe('11110111');
  });
  test('SGI0R only generates Group 0 SGIs; Group 0 signals FIQ', () => {
    const { guests, host, vcpus, sgi1r } = setup(2);
    guests[0]!.sysregWrite(U.ICC_SGI0R_EL1, sgi1r(1, 1 << 1));
    expect(guests[1]!.line('irq')).toBe(0);
    expect(guests[1]!.line('fiq')).toBe(0);
    // make SGI 1 Group 0 on vCPU 1 via its redistributor (GICR_IGROUPR0)
    const rd1 = 0x3fff0000 - 2 * 0x20000 + 0x20000;
    expect(guests[1]!.mmioWrite32(rd1 + U.GICR_IGROUPR0, 4, 0xfffffffd)).toBe(true);
    guests[1]!.sysregWrite(U.ICC_IGRPEN0_EL1, 1);
    guests[0]!.sysregWrite(U.ICC_SGI0R_EL1, sgi1r(1, 1 << 1));
    expect(guests[1]!.line('fiq')).toBe(1);
    expect(guests[1]!.sysregRead(U.ICC_IAR0_EL1)).toBe(1n);
    expect(guests[1]!.line('fiq')).toBe(0);
    expect(host.vcpuOf(vcpus[1]!.fd).line('irq')).toBe(0);
  });
});

describe('GICv3 SPIs', () => {
  test('IROUTER targets one vCPU; ICACTIVER clears the active state', () => {
    const { guests, vm, dist, lines } = setup();
    guests[0]!.mmioWrite32(dist + U.GICD_ISENABLER + 4, 4, 1 << 8); // SPI 40
    guests[0]!.mmioWrite(dist + U.GICD_IROUTER + 8 * 40, 8, 6n); // → vCPU 6
    expect(guests[0]!.mmioRead(dist + U.GICD_IROUTER + 8 * 40, 8)).toBe(6n);
    vm.irqLine(SPI | 40, 1);
    expect(lines()).toBe('00000010');
    expect(guests[6]!.sysregRead(U.ICC_IAR1_EL1)).toBe(40n);
    expect(lines()).toBe('00000000');
    vm.irqLine(SPI | 40, 1); // pending while active: not signalled
    expect(lines()).toBe('00000000');
    expect(guests[2]!.mmioRead(dist + U.GICD_ISACTIVER + 4, 4)).toBe(1 << 8);
    guests[2]!.mmioWrite32(dist + U.GICD_ICACTIVER + 4, 4, 1 << 8);
    expect(guests[2]!.mmioRead(dist + U.GICD_ISACTIVER + 4, 4)).toBe(0);
    // inactive and pending, but vCPU 6 still runs at priority 0 until its priority drop
    expect(lines()).toBe('00000000');
    guests[6]!.sysregWrite(U.ICC_EOIR1_EL1, 40);
    expect(lines()).toBe('00000010');
    // retarget while pending moves the signal
    guests[0]!.mmioWrite32(dist + U.GICD_IROUTER + 8 * 40, 4, 1);
    expect(lines()).toBe('01000000');
    // routing to an affinity nobody has: nobody
    guests[0]!.mmioWrite32(dist + U.GICD_IROUTER + 8 * 40, 4, 0x100);
    expect(lines()).toBe('00000000');
  });
  test('PMR masking (priority must be strictly higher)', () => {
    const { guests, vm, dist } = setup(1);
    const g = guests[0]!;
    g.mmioWrite32(dist + U.GICD_ISENABLER + 4, 4, 1 << 9);
    g.mmioWrite32(dist + U.GICD_IPRIORITYR + 41, 1, 0x80);
    expect(g.mmioRead(dist + U.GICD_IPRIORITYR + 40, 4)).toBe(0x8000);
    g.sysregWrite(U.ICC_PMR_EL1, 0x80);
    vm.irqLine(SPI | 41, 1);
    expect(g.line('irq')).toBe(0);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(1023n);
    g.sysregWrite(U.ICC_PMR_EL1, 0x88);
    expect(g.line('irq')).toBe(1);
    g.sysregWrite(U.ICC_IGRPEN1_EL1, 0);
    expect(g.line('irq')).toBe(0);
    g.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
    g.mmioWrite32(dist + U.GICD_CTLR, 4, 0);
    expect(g.line('irq')).toBe(0);
    g.mmioWrite32(dist + U.GICD_CTLR, 4, 2);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(41n);
  });
  test('preemption follows the binary point', () => {
    const { guests, vm, dist } = setup(1);
    const g = guests[0]!;
    g.mmioWrite32(dist + U.GICD_ISENABLER + 4, 4, 0b11 << 8); // SPIs 40, 41
    g.mmioWrite32(dist + U.GICD_IPRIORITYR + 40, 4, 0x8890); // 40: 0x90, 41: 0x88
    g.sysregWrite(U.ICC_BPR1_EL1, 5); // group priority = bits [7:5]
    vm.irqLine(SPI | 40, 1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(40n);
    expect(g.sysregRead(U.ICC_RPR_EL1)).toBe(0x80n);
    vm.irqLine(SPI | 41, 1);
    expect(g.line('irq')).toBe(0); // same group priority 0x80: no preemption
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(1023n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 40);
    expect(g.line('irq')).toBe(1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(41n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 41);
    // with BPR1 = 3 every priority bit counts: 0x88 preempts 0x90
    g.sysregWrite(U.ICC_BPR1_EL1, 3);
    vm.irqLine(SPI | 40, 1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(40n);
    vm.irqLine(SPI | 41, 1);
    expect(g.line('irq')).toBe(1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(41n);
    expect(g.sysregRead(U.ICC_RPR_EL1)).toBe(0x88n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 41);
    expect(g.sysregRead(U.ICC_RPR_EL1)).toBe(0x90n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 40);
    expect(g.sysregRead(U.ICC_RPR_EL1)).toBe(0xffn);
  });
  test('EOImode split: EOIR drops priority, DIR deactivates', () => {
    const { guests, vm, dist } = setup(1);
    const g = guests[0]!;
    g.sysregWrite(U.ICC_CTLR_EL1, U.ICC_CTLR_EL1_EOImode);
    expect(g.sysregRead(U.ICC_CTLR_EL1)).toBe(0x8402n);
    g.mmioWrite32(dist + U.GICD_ISENABLER + 4, 4, 1 << 8);
    vm.irqLine(SPI | 40, 1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(40n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 40);
    expect(g.sysregRead(U.ICC_RPR_EL1)).toBe(0xffn);
    expect(g.mmioRead(dist + U.GICD_ISACTIVER + 4, 4)).toBe(1 << 8);
    vm.irqLine(SPI | 40, 1);
    expect(g.line('irq')).toBe(0);
    g.sysregWrite(U.ICC_DIR_EL1, 40);
    expect(g.mmioRead(dist + U.GICD_ISACTIVER + 4, 4)).toBe(0);
    expect(g.line('irq')).toBe(1);
  });
  test('level vs edge', () => {
    const { guests, vm, dist } = setup(1);
    const g = guests[0]!;
    g.mmioWrite32(dist + U.GICD_ISENABLER + 4, 4, 0b11 << 8);
    // SPI 41 level: clear bit 2*9+1 of ICFGR2
    g.mmioWrite32(dist + U.GICD_ICFGR + 8, 4, 0xaaaaaaaa & ~(2 << 18));
    expect(g.mmioRead(dist + U.GICD_ICFGR + 8, 4)).toBe((0xaaaaaaaa & ~(2 << 18)) >>> 0);
    // edge: the latch survives the line going low, is consumed by the acknowledge
    vm.irqLine(SPI | 40, 1);
    vm.irqLine(SPI | 40, 0);
    expect(g.line('irq')).toBe(1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(40n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 40);
    expect(g.line('irq')).toBe(0);
    // level: pending while the line is high, again after EOI if still high
    vm.irqLine(SPI | 41, 1);
    expect(g.line('irq')).toBe(1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(41n);
    expect(g.mmioRead(dist + U.GICD_ISPENDR + 4, 4)).toBe(1 << 9); // active and pending
    g.sysregWrite(U.ICC_EOIR1_EL1, 41);
    expect(g.line('irq')).toBe(1);
    vm.irqLine(SPI | 41, 0);
    expect(g.line('irq')).toBe(0);
    expect(g.mmioRead(dist + U.GICD_ISPENDR + 4, 4)).toBe(0);
    // a guest ISPENDR write on a level IRQ latches until ICPENDR
    g.mmioWrite32(dist + U.GICD_ISPENDR + 4, 4, 1 << 9);
    expect(g.line('irq')).toBe(1);
    g.mmioWrite32(dist + U.GICD_ICPENDR + 4, 4, 1 << 9);
    expect(g.line('irq')).toBe(0);
  });
  test('PPIs are per vCPU', () => {
    const { guests, vm, redist } = setup(2);
    guests[1]!.mmioWrite32(redist + 0x20000 + U.GICR_ISENABLER0, 4, 1 << 27);
    vm.irqLine((2 << 24) | (1 << 16) | 27, 1);
    expect(guests[1]!.line('irq')).toBe(1);
    expect(guests[0]!.line('irq')).toBe(0);
    vm.irqLine((2 << 24) | (0 << 16) | 27, 1); // vCPU 0 has it disabled
    expect(guests[0]!.line('irq')).toBe(0);
    expect(guests[1]!.sysregRead(U.ICC_IAR1_EL1)).toBe(27n);
    // GICR_TYPER from the guest: vCPU 1 is the last redistributor
    expect(guests[0]!.mmioRead(redist + 0x20000 + U.GICR_TYPER, 8)).toBe((1n << 32n) | 0x110n);
  });
  test('unknown encodings are not handled (UNDEF)', () => {
    const { guests } = setup(1);
    expect(guests[0]!.sysregRead(0xffff)).toBe(0n); // S3_7_C15_C15_7 (0xc600 is VBAR_EL1, which the vCPU keeps)
    expect(guests[0]!.last.kind).toBe('undef');
    expect(guests[0]!.sysregRead(U.ICC_SRE_EL1)).toBe(7n);
  });
});
