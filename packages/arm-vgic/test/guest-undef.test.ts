/**
 * Issue 13 item 15 (arm64): a guest MRS/MSR of a system register KVM does not emulate gets an
 * UNDEF injected (kvm_inject_undefined: ESR_ELx.EC 0, IL 1), not a host exception; the arm64
 * port returns it as a typed result. ICC_* registers without an initialised GICv3 trap and
 * UNDEF too; the vCPU's own registers (MPIDR_EL1 read-only, VBAR_EL1) read and write.
 */
import { ICC_IAR1_EL1, ICC_PMR_EL1, UNDEF_ESR, arm64GuestSysregs, arm64SysReg } from '../src/index.js';
import { v3Guest, typed } from './helpers.js';

const enc = (id: bigint): number => Number(id & 0xffffn);
const MPIDR = enc(arm64SysReg(3, 0, 0, 0, 5));
const VBAR = enc(arm64SysReg(3, 0, 12, 0, 0));
const UNKNOWN = enc(arm64SysReg(3, 7, 15, 15, 7));

describe('arm64 guest system registers', () => {
  test('an unemulated register is an UNDEF result with ESR EC=0, IL=1; nothing throws', () => {
    const w = v3Guest(1);
    const p = arm64GuestSysregs(w.vcpus[0]!);
    expect(UNDEF_ESR).toBe(0x02000000);
    expect(p.mrs(UNKNOWN)).toEqual({ kind: 'undef', value: 0n, esr: 0x02000000, encoding: UNKNOWN });
    expect(p.msr(UNKNOWN, 1n)).toMatchObject({ kind: 'undef', esr: UNDEF_ESR });
  });
  test('MPIDR_EL1 reads the vCPU affinity; an MSR to it is UNDEF; VBAR_EL1 reads back', () => {
    const w = v3Guest(2);
    const p1 = arm64GuestSysregs(w.vcpus[1]!);
    expect(p1.mrs(MPIDR)).toMatchObject({ kind: 'ok', value: 0x80000001n });
    expect(p1.msr(MPIDR, 0n)).toMatchObject({ kind: 'undef' });
    expect(p1.mrs(MPIDR).value).toBe(0x80000001n);
    expect(p1.msr(VBAR, 0xffff800008010000n).kind).toBe('ok');
    expect(p1.mrs(VBAR).value).toBe(0xffff800008010000n);
  });
  test('ICC_* go to the GICv3; without one they UNDEF', () => {
    const w = v3Guest(1);
    const p = arm64GuestSysregs(w.vcpus[0]!);
    expect(p.msr(ICC_PMR_EL1, 0xf0).kind).toBe('ok');
    expect(p.mrs(ICC_PMR_EL1)).toMatchObject({ kind: 'ok', value: 0xf0n });
    expect(p.mrs(ICC_IAR1_EL1)).toMatchObject({ kind: 'ok', value: 1023n }); // spurious
    const { vm } = typed();
    const lone = vm.createVcpu(0);
    const q = arm64GuestSysregs(lone);
    expect(q.mrs(ICC_PMR_EL1).kind).toBe('undef');
    expect(q.msr(ICC_PMR_EL1, 0xf0).kind).toBe('undef');
  });
  test('the result object is reused: copy what you keep', () => {
    const w = v3Guest(1);
    const p = arm64GuestSysregs(w.vcpus[0]!.vcpu);
    expect(p).toBe(arm64GuestSysregs(w.vcpus[0]!));
    const a = p.mrs(UNKNOWN);
    const b = p.mrs(MPIDR);
    expect(a).toBe(b);
  });
  test('the core guest port gives the same outcomes (issue 13 item 15): UNDEF with ESR 0x02000000, kept registers served', () => {
    const w = v3Guest(2);
    const g = w.vcpus[1]!.guest;
    expect(g.mrs(UNKNOWN)).toMatchObject({ kind: 'undef', value: 0n, esr: UNDEF_ESR });
    expect(g.msr(UNKNOWN, 1n)).toMatchObject({ kind: 'undef', esr: UNDEF_ESR });
    expect(g.mrs(MPIDR)).toMatchObject({ kind: 'done', value: 0x80000001n });
    expect(g.msr(MPIDR, 0n).kind).toBe('undef');
    expect(g.msr(VBAR, 0xffff800008010000n).kind).toBe('done');
    expect(arm64GuestSysregs(w.vcpus[1]!).mrs(VBAR).value).toBe(0xffff800008010000n);
    expect(g.mrs(ICC_PMR_EL1)).toMatchObject({ kind: 'done', value: 0n });
    const { vm } = typed();
    const lone = vm.createVcpu(0).guest;
    expect(lone.mrs(ICC_PMR_EL1)).toMatchObject({ kind: 'undef', esr: UNDEF_ESR });
  });
});
