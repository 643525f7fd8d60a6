/** Delivery: reference section 3 vectors 7–17 and 20a, through both faces and the guest port. */
import { checkServicing } from '../src/internal.js';
import {
  MPIC_CTPR,
  MPIC_EOI,
  MPIC_IACK,
  MPIC_IPIDR0,
  MPIC_IPI_IVPR0,
  MPIC_MSIIR,
  MPIC_MSIR0,
  MPIC_MSISR,
  MPIC_IRQ_IPI0,
  mpicCpuReg,
  mpicIvpr,
} from '../src/internal.js';
import { type Face, facesS, facesS1 } from './helpers.js';

const IACK = mpicCpuReg(0, MPIC_IACK);
const EOI = mpicCpuReg(0, MPIC_EOI);
const CTPR = mpicCpuReg(0, MPIC_CTPR);

describe.each(facesS1())('S′ %s', (_name, make) => {
  let f: Face;
  beforeEach(() => {
    f = make();
  });

  test('vector 7: edge delivery, IACK, spurious, EOI', () => {
    f.setReg(mpicIvpr(1), 0x00050041);
    expect(f.line()).toBe(0);
    f.setActive(1, 1);
    expect(f.reg(mpicIvpr(1))).toBe(0x40050041);
    expect(f.active(1)).toBe(1);
    expect(f.line()).toBe(1);
    expect(f.reg(IACK)).toBe(0x41);
    expect(f.reg(mpicIvpr(1))).toBe(0x00050041);
    expect(f.active(1)).toBe(0);
    expect(f.line()).toBe(0);
    expect(checkServicing(f.state, 0)).toBe(1);
    expect(f.reg(IACK)).toBe(0xffff);
    f.setReg(EOI, 0);
    expect(checkServicing(f.state, 0)).toBe(-1);
    expect(f.line()).toBe(0);
  });

  test('vector 7 through the guest port (per-CPU page and the current-CPU alias)', () => {
    f.setReg(mpicIvpr(1), 0x00050041);
    f.setActive(1, 1);
    expect(f.line()).toBe(1);
    expect(f.gr(MPIC_IACK)).toBe(0x41); // alias 0xA0 → vCPU 0's page
    expect(f.line()).toBe(0);
    expect(f.gr(IACK)).toBe(0xffff);
    expect(f.gw(MPIC_EOI, 0)).toBe(true);
    expect(checkServicing(f.state, 0)).toBe(-1);
  });

  test('vector 8: IRQ_ACTIVE ← 0 on an edge source changes nothing', () => {
    f.setReg(mpicIvpr(1), 0x00050041);
    f.setActive(1, 0);
    expect(f.active(1)).toBe(0);
    expect(f.reg(mpicIvpr(1))).toBe(0x00050041);
    f.setActive(1, 1);
    f.setActive(1, 0);
    expect(f.active(1)).toBe(1);
    expect(f.reg(mpicIvpr(1))).toBe(0x40050041);
    expect(f.line()).toBe(1);
  });

  test('vector 9: level delivery re-presents after EOI while asserted', () => {
    f.setReg(mpicIvpr(2), 0x00460042);
    f.setActive(2, 1);
    expect(f.line()).toBe(1);
    expect(f.reg(IACK)).toBe(0x42);
    expect(f.line()).toBe(0);
    f.setReg(EOI, 0);
    expect(f.line()).toBe(1);
    expect(f.reg(IACK)).toBe(0x42);
    f.setActive(2, 0);
    expect(f.reg(mpicIvpr(2)) & 0x40000000).toBe(0);
    expect(f.line()).toBe(0);
    expect(f.reg(IACK)).toBe(0xffff);
  });

  test('vector 10: priority ordering, ties to the lower source', () => {
    f.setReg(mpicIvpr(1), 0x00050041);
    f.setReg(mpicIvpr(3), 0x00090043);
    f.setActive(1, 1);
    f.setActive(3, 1);
    expect(f.reg(IACK)).toBe(0x43);
    f.setReg(EOI, 0);
    expect(f.reg(IACK)).toBe(0x41);
    f.setReg(EOI, 0);
    // equal priorities
    f.setReg(mpicIvpr(4), 0x00070044);
    f.setReg(mpicIvpr(6), 0x00070046);
    f.setActive(6, 1);
    f.setActive(4, 1);
    expect(f.reg(IACK)).toBe(0x44);
    f.setReg(EOI, 0);
    expect(f.reg(IACK)).toBe(0x46);
  });

  test('vector 11: nesting, hidden by servicing until EOI', () => {
    f.setReg(mpicIvpr(1), 0x00050041);
    f.setReg(mpicIvpr(3), 0x00090043);
    f.setActive(3, 1);
    expect(f.reg(IACK)).toBe(0x43);
    f.setActive(1, 1);
    expect(f.line()).toBe(0);
    expect(f.reg(mpicIvpr(1))).toBe(0x40050041);
    f.setReg(EOI, 0);
    expect(f.line()).toBe(1);
    expect(f.reg(IACK)).toBe(0x41);
  });

  test('EOI re-raises only for a raised IRQ above what is still in service', () => {
    f.setReg(mpicIvpr(1), 0x00070041);
    f.setReg(mpicIvpr(2), 0x00070042);
    f.setReg(mpicIvpr(3), 0x000c0043);
    f.setActive(1, 1);
    expect(f.gr(IACK)).toBe(0x41);
    f.setActive(2, 1); // equal priority: hidden
    expect(f.line()).toBe(0);
    f.setActive(3, 1);
    expect(f.line()).toBe(1);
    expect(f.gr(IACK)).toBe(0x43);
    f.gw(EOI, 0); // 3 retires; 1 (priority 7) is still in service, 2 (priority 7) stays hidden
    expect(f.line()).toBe(0);
    f.gw(EOI, 0);
    expect(f.line()).toBe(1);
    expect(f.gr(IACK)).toBe(0x42);
  });

  test('vector 12: CTPR masking loses an edge on a blocked IACK', () => {
    f.setReg(mpicIvpr(1), 0x00050041);
    f.setReg(CTPR, 5);
    f.setActive(1, 1);
    expect(f.line()).toBe(0);
    expect(f.reg(IACK)).toBe(0xffff);
    expect(f.active(1)).toBe(0);
    expect(f.reg(mpicIvpr(1))).toBe(0x00050041);
    f.setReg(CTPR, 0);
    expect(f.reg(IACK)).toBe(0xffff);
  });

  test('vector 12: CTPR ← 4 before any IACK raises the line', () => {
    f.setReg(mpicIvpr(1), 0x00050041);
    f.setReg(CTPR, 5);
    f.setActive(1, 1);
    expect(f.line()).toBe(0);
    f.setReg(CTPR, 4);
    expect(f.line()).toBe(1);
    expect(f.reg(IACK)).toBe(0x41);
  });

  test('vector 13: a masked source stays pending, unmasking delivers', () => {
    f.setReg(mpicIvpr(1), 0x80050041);
    f.setActive(1, 1);
    expect(f.reg(mpicIvpr(1))).toBe(0x80050041);
    expect(f.active(1)).toBe(1);
    expect(f.line()).toBe(0);
    f.setReg(mpicIvpr(1), 0x00050041);
    expect(f.reg(mpicIvpr(1))).toBe(0x40050041);
    expect(f.line()).toBe(1);
    // masking again withdraws it
    f.setReg(mpicIvpr(1), 0x80050041);
    expect(f.line()).toBe(0);
    expect(f.reg(mpicIvpr(1))).toBe(0x80050041);
  });

  test('vector 14: MODE and A are not writable', () => {
    f.setReg(mpicIvpr(1), 0x60050041);
    expect(f.reg(mpicIvpr(1))).toBe(0x00050041);
    expect(f.gw(mpicIvpr(5), 0xe0c5ffff)).toBe(true);
    expect(f.reg(mpicIvpr(5))).toBe(0x80c5ffff);
  });

  test('vector 15: FSL internal sources are always level', () => {
    f.setReg(mpicIvpr(16), 0x00460050);
    expect(f.reg(mpicIvpr(16))).toBe(0x00060050);
    f.setActive(16, 1);
    expect(f.reg(IACK)).toBe(0x50);
    f.setReg(EOI, 0);
    expect(f.line()).toBe(1);
    expect(f.reg(IACK)).toBe(0x50);
    f.setReg(EOI, 0);
    f.setActive(16, 0);
    expect(f.line()).toBe(0);
  });

  test('vector 16: IPI through IPIDR0, destmask cleared by IACK', () => {
    f.setReg(MPIC_IPI_IVPR0, 0x008a00aa); // polarity is forced off for IPIs
    expect(f.reg(MPIC_IPI_IVPR0)).toBe(0x000a00aa);
    f.setReg(mpicCpuReg(0, MPIC_IPIDR0), 1);
    expect(f.line()).toBe(1);
    expect(f.reg(mpicCpuReg(0, MPIC_IPIDR0))).toBe(0xffffffff);
    expect(f.reg(IACK)).toBe(0xaa);
    expect(f.state.destmask[MPIC_IRQ_IPI0] & 1).toBe(0);
    expect(f.reg(IACK)).toBe(0xffff);
    f.setReg(EOI, 0);
    // the guest's IPI through the current-CPU alias
    expect(f.gw(MPIC_IPIDR0, 1)).toBe(true);
    expect(f.gr(MPIC_IACK)).toBe(0xaa);
  });

  test('vector 17: MSI through MSIIR, MSISR, clear-on-read MSIR', () => {
    f.setReg(mpicIvpr(224), 0x00010050);
    f.setReg(MPIC_MSIIR, 0x00000000);
    expect(f.state.msir[0]).toBe(1);
    expect(f.active(224)).toBe(1);
    expect(f.line()).toBe(1);
    expect(f.reg(MPIC_MSISR)).toBe(1);
    expect(f.reg(MPIC_MSIR0)).toBe(0x1);
    expect(f.reg(MPIC_MSIR0)).toBe(0);
    expect(f.active(224)).toBe(0);
    expect(f.line()).toBe(0);
    f.setReg(MPIC_MSIIR, 0x21000000);
    expect(f.state.msir[1]).toBe(0b10);
    expect(f.active(225)).toBe(1);
    expect(f.reg(MPIC_MSISR)).toBe(0b10);
    expect(f.reg(MPIC_MSIR0 + 0x10)).toBe(0b10);
  });
});

describe.each(facesS())('vector 20a, plain S %s', (_n, make) => {
  test('CTPR 15: nothing raises the line; IACK gives SPVE and consumes edges', () => {
    const f = make();
    f.setReg(mpicIvpr(1), 0x000f0041);
    f.setReg(mpicIvpr(2), 0x004f0042);
    f.setReg(mpicIvpr(20), 0x000f0054);
    f.setActive(1, 1);
    f.setActive(2, 1);
    f.setActive(20, 1);
    f.setReg(MPIC_IPI_IVPR0, 0x000f00aa);
    f.setReg(mpicCpuReg(0, MPIC_IPIDR0), 1);
    expect(f.line()).toBe(0);
    expect(f.reg(IACK)).toBe(0xffff);
    expect(f.active(1)).toBe(0); // the highest (lowest-numbered) edge was consumed
    expect(f.reg(IACK)).toBe(0xffff);
    expect(f.reg(IACK)).toBe(0xffff);
    expect(f.active(2)).toBe(1); // levels stay
    expect(f.active(20)).toBe(1);
    expect(f.line()).toBe(0);
  });
});
