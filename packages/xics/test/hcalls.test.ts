/** Hypercall edge cases: H_HARDWARE / exit without an ICP, unknown numbers, 64-bit registers. */
import { EINVAL, type HypercallResult, KVM_EXIT_PAPR_HCALL } from '@kvmdev/core';
import {
  createXicsPlugin,
  H_CPPR,
  H_EOI,
  H_HARDWARE,
  H_IPI,
  H_IPOLL,
  H_SUCCESS,
  H_XIRR,
  H_XIRR_X,
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVM_XICS_LEVEL_SENSITIVE,
} from '../src/internal.js';
import { FACES, hcall, P5, setupT } from './harness.js';

const ALL = [H_XIRR, H_XIRR_X, H_IPOLL, H_CPPR, H_EOI, H_IPI];

/** The hcall exits to userspace: KVM_EXIT_PAPR_HCALL with its number and arguments (kvmppc_handle_exit_hv). */
function exitsToUser(r: HypercallResult, nr: number, args: number[]): void {
  expect(r.kind).toBe('exit');
  expect(r.run.exitReason).toBe(KVM_EXIT_PAPR_HCALL);
  expect(r.run.paprHcall.nr).toBe(nr);
  expect(r.run.paprHcall.args).toEqual([...args, ...new Array(9 - args.length).fill(0)]);
}

describe.each(FACES)('hypercalls (%s)', (_n, make) => {
  test('by default (as the kernel) XICS hcalls without an ICP or XICS exit to userspace; unknown hcalls always exit', () => {
    const f = setupT(make);
    f.createVcpu(1);
    for (const nr of ALL) exitsToUser(f.guest(1).hypercall(nr, [0, 7]), nr, [0, 7]);
    const g = make();
    g.createVcpu(0);
    for (const nr of ALL) exitsToUser(g.guest(0).hypercall(nr, [5]), nr, [5]);
    const h = setupT(make);
    exitsToUser(h.guest(0).hypercall(0x1234, []), 0x1234, []);
  });

  test("withoutIcp: 'h-hardware' answers H_HARDWARE as kvmppc_xics_hcall's own check does", () => {
    const f = setupT(make, [createXicsPlugin({ withoutIcp: 'h-hardware' })]);
    f.createVcpu(1);
    for (const nr of ALL) expect(hcall(f, 1, nr, [0, 0]).ret).toBe(H_HARDWARE);
    const g = make([createXicsPlugin({ withoutIcp: 'h-hardware' })]);
    g.createVcpu(0);
    for (const nr of ALL) expect(hcall(g, 0, nr, [0, 0]).ret).toBe(H_HARDWARE);
  });

  test('H_XIRR_X returns the timebase in r5', () => {
    let tb = 1000;
    const f = setupT(make, [createXicsPlugin({ timebase: () => (tb += 7) })]);
    f.setAttr(1, 0x1000, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(0x1000, KVM_INTERRUPT_SET);
    expect(hcall(f, 0, H_XIRR_X)).toEqual({ ret: H_SUCCESS, r4: 0xff001000, r5: 1007 });
    const d = setupT(make);
    const a = hcall(d, 0, H_XIRR_X).r5;
    const b = hcall(d, 0, H_XIRR_X).r5;
    expect(b).toBeGreaterThanOrEqual(a);
    expect(a).toBeGreaterThan(0);
  });

  test('H_IPI compares the full 64-bit MFRR but stores its low byte', () => {
    const f = setupT(make);
    hcall(f, 0, H_CPPR, [0xff]);
    expect(hcall(f, 0, H_IPI, [0, 0x104]).ret).toBe(H_SUCCESS);
    // 0x104 is not < CPPR, so nothing is presented, but MFRR reads 0x04
    expect(f.getIcp(0)).toBe(0xff00000004ff0000n);
    // a negative register is a huge u64: same low byte rule
    hcall(f, 0, H_IPI, [0, -1]);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
  });

  test('H_IPI and H_IPOLL look up a remote server as a u32', () => {
    const f = setupT(make);
    f.createVcpu(1);
    f.connect(1, 1);
    hcall(f, 0, H_CPPR, [0xff]);
    expect(hcall(f, 1, H_IPI, [2 ** 32, 6]).ret).toBe(H_SUCCESS); // (u32)2^32 = server 0
    expect(f.getIcp(0)).toBe(0xff00000206060000n);
    expect(hcall(f, 1, H_IPOLL, [2 ** 32])).toEqual({ ret: H_SUCCESS, r4: 0xff000002, r5: 6 });
    expect(f.guest(0).line('external')).toBe(1);
    expect(f.guest(1).line('external')).toBe(0);
  });

  test('H_CPPR compares the full register, stores its low byte', () => {
    const f = setupT(make);
    f.setAttr(1, 0x1000, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(0x1000, KVM_INTERRUPT_SET);
    // 0x105 > 0xff: Down_CPPR(0x05); then Up_CPPR stores 0x05 but 0x105 <= PPRI is false: no reject
    hcall(f, 0, H_CPPR, [0x105]);
    expect(f.getIcp(0)).toBe(0x05001000ff050000n);
    expect(f.guest(0).line('external')).toBe(0);
    // a state ONE_REG would refuse (PPRI >= CPPR)
    expect(f.setIcp(0, 0x05001000ff050000n)).toBe(-EINVAL);
  });

  test('H_EOI uses bits 31:24 of r4 as the new CPPR and bits 23:0 as the source', () => {
    const f = setupT(make);
    f.setAttr(1, 0x1000, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(0x1000, KVM_INTERRUPT_SET);
    hcall(f, 0, H_XIRR);
    expect(hcall(f, 0, H_EOI, [2 ** 40 + 0xff001000]).ret).toBe(H_SUCCESS);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    expect(f.getAttr(1, 0x1000)).toBe(0x0000000500000000n);
  });

  test('a resend does not re-check P: a deasserted LSI waiting for a resend is still presented', () => {
    const f = setupT(make);
    f.setAttr(1, 0x1001, P5 | KVM_XICS_LEVEL_SENSITIVE);
    f.irqLine(0x1001, KVM_INTERRUPT_SET_LEVEL); // refused at CPPR 0: resend
    f.irqLine(0x1001, KVM_INTERRUPT_UNSET); // PQ = 0
    expect(f.getAttr(1, 0x1001)).toBe(0x0000010500000000n);
    hcall(f, 0, H_CPPR, [0xff]);
    expect(f.getIcp(0)).toBe(0xff001001ff050000n);
  });
});
