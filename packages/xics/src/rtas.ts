/**
 * In-kernel RTAS (book3s_rtas.c): KVM_PPC_RTAS_DEFINE_TOKEN on the VM fd, and the guest's RTAS
 * call, reached as KVM's H_RTAS hypercall (0xf000) with r4 = the guest address of a big-endian
 * `struct rtas_args` { be32 token, nargs, nret; be32 args[16]; rets pointer }. Guest memory is
 * the host's user memory (`host.mem`), as in a VMM that maps guest RAM from its own memory.
 * @packageDocumentation
 */
import { EEXIST, EFAULT, ENOENT, type UserMemory } from '@kvmdev/core';
import { KVM_HOOK_PASS, defineSlot, type Vcpu, type Vm } from '@kvmdev/core/plugin';
import { getXive, intOff, intOn, setXive } from './ics.js';
import { xicsOf } from './state.js';
import { xiveGetXive, xiveIntOff, xiveIntOn, xiveSetXive } from './xics-on-xive/rtas.js';
import { xicsOnXiveOf } from './xics-on-xive/state.js';
import {
  H_SUCCESS,
  KVM_RTAS_TOKEN_NAME_LEN,
  RTAS_ARGS_MAX,
  RTAS_IBM_GET_XIVE_NAME,
  RTAS_IBM_INT_OFF_NAME,
  RTAS_IBM_INT_ON_NAME,
  RTAS_IBM_SET_XIVE_NAME,
  RTAS_PARAMETER_ERROR,
  SIZEOF_KVM_RTAS_TOKEN_ARGS,
  SIZEOF_RTAS_ARGS,
} from './uapi.js';

/** Handler ids, in the kernel's table order. */
const SET_XIVE = 0;
const GET_XIVE = 1;
const INT_OFF = 2;
const INT_ON = 3;
/** The kernel's rtas_handlers[] names. */
export const RTAS_HANDLER_NAMES: readonly string[] = [
  RTAS_IBM_SET_XIVE_NAME,
  RTAS_IBM_GET_XIVE_NAME,
  RTAS_IBM_INT_OFF_NAME,
  RTAS_IBM_INT_ON_NAME,
];

/** One `struct rtas_token_definition`. The u64 token is kept as two u32 halves. */
export interface RtasToken {
  /** Index of the handler in {@link RTAS_HANDLER_NAMES} the token calls. */
  readonly handler: number;
  /** Low 32 bits of the guest's u64 RTAS token. */
  readonly tokenLo: number;
  /** High 32 bits of the guest's u64 RTAS token. */
  readonly tokenHi: number;
}

/** `kvm->arch.rtas_tokens`: per VM, independent of the XICS device, freed with the VM. */
export const RTAS_SLOT = defineSlot<RtasToken[]>('@kvmdev/xics:rtas-tokens');

/** The tokens defined on a VM (in definition order). */
export function rtasTokens(vm: Vm): readonly RtasToken[] {
  return vm.slot(RTAS_SLOT) ?? [];
}

function readName(mem: UserMemory, addr: number): string {
  const bytes = mem.read(addr, KVM_RTAS_TOKEN_NAME_LEN);
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/**
 * kvm_vm_ioctl_rtas_define_token: copies the 128-byte struct kvm_rtas_token_args (EFAULT);
 * token != 0 defines (EEXIST when the token is taken, ENOENT for an unknown name); token 0
 * undefines the first definition of that name (an undefined name is not an error).
 */
export function rtasDefineToken(vm: Vm, arg: number): number {
  const mem = vm.host.mem;
  if (!mem.ok(arg, SIZEOF_KVM_RTAS_TOKEN_ARGS)) return -EFAULT;
  const name = readName(mem, arg);
  const lo = mem.getU64Lo(arg + KVM_RTAS_TOKEN_NAME_LEN);
  const hi = mem.getU64Hi(arg + KVM_RTAS_TOKEN_NAME_LEN);
  let list = vm.slot(RTAS_SLOT);
  if (lo === 0 && hi === 0) {
    if (list === undefined) return 0;
    const i = list.findIndex((d) => RTAS_HANDLER_NAMES[d.handler] === name);
    if (i >= 0) list.splice(i, 1);
    return 0;
  }
  if (list?.some((d) => d.tokenLo === lo && d.tokenHi === hi)) return -EEXIST;
  const handler = RTAS_HANDLER_NAMES.indexOf(name);
  if (handler < 0) return -ENOENT;
  if (list === undefined) {
    list = [];
    vm.slots.set(RTAS_SLOT, list);
  }
  list.push({ handler, tokenLo: lo, tokenHi: hi });
  return 0;
}

function be32(mem: UserMemory, addr: number): number {
  const v = mem.getU32(addr);
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function setBe32(mem: UserMemory, addr: number, value: number): void {
  const v = value >>> 0;
  mem.setU32(addr, ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24));
}

const xiveOut = [0, 0];

/**
 * kvmppc_rtas_hcall, as the H_RTAS hypercall: returns H_SUCCESS when a defined token handled
 * the call (the status is in rets[0] of the guest's rtas_args), or KVM_HOOK_PASS when the call
 * goes to userspace: no token defined on the VM, an unknown token, an unreadable args buffer
 * or nargs >= 16 (the kernel fails those out to the host, too).
 */
export function rtasHcall(vcpu: Vcpu, argsAddr: number): number {
  const vm = vcpu.vm;
  const list = vm.slot(RTAS_SLOT);
  if (list === undefined || list.length === 0) return KVM_HOOK_PASS;
  const mem = vm.host.mem;
  if (!mem.ok(argsAddr, SIZEOF_RTAS_ARGS)) return KVM_HOOK_PASS;
  const token = be32(mem, argsAddr);
  const nargs = be32(mem, argsAddr + 4);
  const nret = be32(mem, argsAddr + 8);
  if (nargs >= RTAS_ARGS_MAX) return KVM_HOOK_PASS;
  let d: RtasToken | undefined;
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (t.tokenHi === 0 && t.tokenLo === token) {
      d = t;
      break;
    }
  }
  if (d === undefined) return KVM_HOOK_PASS;
  const args = argsAddr + 12;
  const rets = args + 4 * nargs;
  const xics = xicsOf(vm);
  // on a XIVE host the XICS device is XICS-on-XIVE: kvmppc_rtas calls its handlers instead
  const onXive = xicsOnXiveOf(vm);
  let rc: number;
  switch (d.handler) {
    case SET_XIVE:
      if (nargs !== 3 || nret !== 1) rc = RTAS_PARAMETER_ERROR;
      else rc = (onXive ? xiveSetXive(onXive, be32(mem, args), be32(mem, args + 4), be32(mem, args + 8)) : setXive(xics, be32(mem, args), be32(mem, args + 4), be32(mem, args + 8))) ? RTAS_PARAMETER_ERROR : 0;
      break;
    case GET_XIVE:
      if (nargs !== 1 || nret !== 3) rc = RTAS_PARAMETER_ERROR;
      else if (onXive ? xiveGetXive(onXive, be32(mem, args), xiveOut) : getXive(xics, be32(mem, args), xiveOut)) rc = RTAS_PARAMETER_ERROR;
      else {
        rc = 0;
        setBe32(mem, rets + 4, xiveOut[0]!);
        setBe32(mem, rets + 8, xiveOut[1]!);
      }
      break;
    case INT_OFF:
      if (nargs !== 1 || nret !== 1) rc = RTAS_PARAMETER_ERROR;
      else rc = (onXive ? xiveIntOff(onXive, be32(mem, args)) : intOff(xics, be32(mem, args))) ? RTAS_PARAMETER_ERROR : 0;
      break;
    case INT_ON:
      if (nargs !== 1 || nret !== 1) rc = RTAS_PARAMETER_ERROR;
      else rc = (onXive ? xiveIntOn(onXive, be32(mem, args)) : intOn(xics, be32(mem, args))) ? RTAS_PARAMETER_ERROR : 0;
      break;
    default:
      return KVM_HOOK_PASS;
  }
  setBe32(mem, rets, rc);
  return H_SUCCESS;
}
