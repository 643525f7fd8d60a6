/** In-kernel RTAS: KVM_PPC_RTAS_DEFINE_TOKEN and the four XICS calls through H_RTAS. */
import { EEXIST, EFAULT, ENOENT, KVM_EXIT_PAPR_HCALL } from '@kvmdev/core';
import {
  H_CPPR,
  H_RTAS,
  H_SUCCESS,
  KVM_INTERRUPT_SET,
  KVM_PPC_RTAS_DEFINE_TOKEN,
  readRtasRets,
  rtasTokens,
  writeRtasArgs,
  writeRtasTokenArgs,
} from '../src/internal.js';
import { FACES, type Face, hcall, P5, setupT } from './harness.js';

const SET_XIVE = 0x200a;
const GET_XIVE = 0x200b;
const INT_OFF = 0x200c;
const INT_ON = 0x200d;

function define(f: Face, name: string, token: number | bigint): number {
  const a = f.host.mem.alloc(128);
  writeRtasTokenArgs(f.host.mem, a, name, token);
  return f.vmIoctl(KVM_PPC_RTAS_DEFINE_TOKEN, a);
}

function defineAll(f: Face): void {
  expect(define(f, 'ibm,set-xive', SET_XIVE)).toBe(0);
  expect(define(f, 'ibm,get-xive', GET_XIVE)).toBe(0);
  expect(define(f, 'ibm,int-on', INT_ON)).toBe(0);
  expect(define(f, 'ibm,int-off', INT_OFF)).toBe(0);
}

function call(f: Face, token: number, args: number[], nret: number, i = 0): number[] {
  const a = f.host.mem.alloc(88);
  writeRtasArgs(f.host.mem, a, token, args, nret);
  const r = hcall(f, i, H_RTAS, [a]);
  return [r.ret, ...readRtasRets(f.host.mem, a, args.length, nret)];
}

/** H_RTAS goes to userspace: a KVM_EXIT_PAPR_HCALL exit with the args buffer in args[0]. */
function exits(f: Face, addr: number): boolean {
  const r = f.guest(0).hypercall(H_RTAS, [addr]);
  return r.kind === 'exit' && r.run.exitReason === KVM_EXIT_PAPR_HCALL && r.run.paprHcall.nr === H_RTAS && r.run.paprHcall.args[0] === addr;
}

describe.each(FACES)('RTAS (%s)', (_n, make) => {
  test('define / undefine tokens', () => {
    const f = setupT(make);
    expect(define(f, 'ibm,set-xive', SET_XIVE)).toBe(0);
    expect(define(f, 'ibm,get-xive', SET_XIVE)).toBe(-EEXIST);
    expect(define(f, 'ibm,nothing', 0x3000)).toBe(-ENOENT);
    expect(f.vmIoctl(KVM_PPC_RTAS_DEFINE_TOKEN, 8)).toBe(-EFAULT);
    expect(define(f, 'ibm,int-on', 0)).toBe(0); // undefining an undefined name is fine
    expect(rtasTokens(f.vcpu(0).vm).length).toBe(1);
    expect(define(f, 'ibm,set-xive', 0)).toBe(0);
    expect(rtasTokens(f.vcpu(0).vm).length).toBe(0);
  });

  test('calls go to userspace without tokens, for unknown tokens, bad buffers, nargs >= 16', () => {
    const f = setupT(make);
    const a = f.host.mem.alloc(88);
    writeRtasArgs(f.host.mem, a, GET_XIVE, [0x1000], 3);
    expect(exits(f, a)).toBe(true);
    defineAll(f);
    writeRtasArgs(f.host.mem, a, 0x2fff, [0x1000], 3);
    expect(exits(f, a)).toBe(true);
    expect(exits(f, 8)).toBe(true);
    writeRtasArgs(f.host.mem, a, GET_XIVE, new Array<number>(16).fill(0), 1);
    expect(exits(f, a)).toBe(true);
    // a u64 token above 2^32 never matches the be32 token of a call
    expect(define(f, 'ibm,get-xive', 0x1_0000_200bn)).toBe(0);
  });

  test('set-xive / get-xive / int-off / int-on', () => {
    const f = setupT(make);
    defineAll(f);
    f.setAttr(1, 0x1000, 0xffn << 32n);
    expect(call(f, SET_XIVE, [0x1000, 0, 5], 1)).toEqual([H_SUCCESS, 0]);
    expect(f.getAttr(1, 0x1000)).toBe(P5);
    expect(call(f, GET_XIVE, [0x1000], 3)).toEqual([H_SUCCESS, 0, 0, 5]);
    expect(call(f, INT_OFF, [0x1000], 1)).toEqual([H_SUCCESS, 0]);
    expect(f.getAttr(1, 0x1000)).toBe(0x0000020500000000n);
    expect(call(f, GET_XIVE, [0x1000], 3)).toEqual([H_SUCCESS, 0, 0, 0xff]);
    expect(call(f, INT_ON, [0x1000], 1)).toEqual([H_SUCCESS, 0]);
    expect(f.getAttr(1, 0x1000)).toBe(P5);
    // int-off twice: the saved priority becomes 0xff (it is taken from the current one)
    call(f, INT_OFF, [0x1000], 1);
    call(f, INT_OFF, [0x1000], 1);
    expect(f.getAttr(1, 0x1000)).toBe(0x000002ff00000000n);
  });

  test('status -3 for bad counts, unknown ICS or server', () => {
    const f = setupT(make);
    defineAll(f);
    f.setAttr(1, 0x1000, P5);
    expect(call(f, SET_XIVE, [0x1000, 0], 1)).toEqual([H_SUCCESS, -3]);
    expect(call(f, SET_XIVE, [0x1000, 9, 5], 1)).toEqual([H_SUCCESS, -3]);
    expect(call(f, SET_XIVE, [0x5000, 0, 5], 1)).toEqual([H_SUCCESS, -3]);
    expect(call(f, GET_XIVE, [0x1000], 1)).toEqual([H_SUCCESS, -3]);
    expect(call(f, GET_XIVE, [0x5000], 3)).toEqual([H_SUCCESS, -3, 0, 0]);
    expect(call(f, INT_OFF, [0x1000, 1], 1)).toEqual([H_SUCCESS, -3]);
    expect(call(f, INT_ON, [0x5000], 1)).toEqual([H_SUCCESS, -3]);
    f.setAttr(1, 0x1001, 9n | (0xffn << 32n)); // server 9 does not exist
    expect(call(f, INT_ON, [0x1001], 1)).toEqual([H_SUCCESS, -3]);
  });

  test('set-xive delivers a resend source; a VM without an XICS answers -3', () => {
    const f = setupT(make);
    defineAll(f);
    f.setAttr(1, 0x1000, P5);
    f.irqLine(0x1000, KVM_INTERRUPT_SET); // CPPR 0: refused
    hcall(f, 0, H_CPPR, [0xff]); // resend delivers it
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    const g = make();
    g.createVcpu(0);
    defineAll(g);
    expect(call(g, GET_XIVE, [0x1000], 3)).toEqual([H_SUCCESS, -3, 0, 0]);
  });
});
