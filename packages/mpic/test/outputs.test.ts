/** The non-INT output counters: the three outputs in `outputsActive`, other v4.2 ILR selects in `outputsActiveOther`. */
import { ILR_INTTGT_CINT, mpicIlr, mpicIvpr } from '../src/internal.js';
import { setupS1 } from './helpers.js';

describe('output counters', () => {
  test('CINT is counted per CPU at cpu * 3 + output', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_42', 2);
    t.setReg(mpicIvpr(20), 0x00050054);
    t.setReg(mpicIlr(20), ILR_INTTGT_CINT);
    t.setActive(20, 1);
    expect(t.state.outputsActive[ILR_INTTGT_CINT]).toBe(1);
    expect(t.state.outputsActive.length).toBe(32 * 3);
    t.setActive(20, 0);
    expect(t.state.outputsActive[ILR_INTTGT_CINT]).toBe(0);
    expect(t.line(0)).toBe(0);
  });
  test('an ILR select that names no output is counted apart and changes no line', () => {
    const t = setupS1('KVM_DEV_TYPE_FSL_MPIC_42', 2);
    expect(t.state.outputsActiveOther).toBeNull();
    t.setReg(mpicIvpr(20), 0x00050054);
    t.setReg(mpicIlr(20), 0x7b);
    expect(t.reg(mpicIlr(20))).toBe(0x7b);
    t.setActive(20, 1);
    expect(t.state.outputsActiveOther?.get(0x7b)).toBe(1);
    expect(t.line(0)).toBe(0);
    expect(Array.from(t.state.outputsActive).every((c) => c === 0)).toBe(true);
    t.setActive(20, 0);
    expect(t.state.outputsActiveOther?.get(0x7b)).toBe(0);
    // an edge source pulses: up and down again
    t.setReg(mpicIvpr(1), 0x00050041);
    t.setReg(mpicIlr(1), 0xff);
    t.setActive(1, 1);
    expect(t.state.outputsActiveOther?.get(0xff)).toBe(0);
    expect(t.active(1)).toBe(0);
  });
});
