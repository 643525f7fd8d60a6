/**
 * A guest's MRS/MSR on an arm64 vCPU with a typed outcome, never an exception: the value (or a
 * completed write), or the UNDEF exception KVM injects for a system register it does not emulate
 * (kvm_inject_undefined: ESR_ELx.EC = 0 "unknown reason", IL = 1 for the 32-bit MRS/MSR
 * encoding). Served here: the ICC_* registers of an initialised GICv3 (without one they trap
 * and UNDEF, as on a host with the GICv3 CPU interface hidden), and the registers the vCPU keeps
 * (MPIDR_EL1 is read-only: an MSR to it is UNDEF; SCTLR_EL1, CPACR_EL1, VBAR_EL1 read and write).
 *
 * The core's guest port answers the same registers with the same outcomes (`vcpu.guest.mrs` /
 * `msr`: `'done'` or `'undef'` with ESR 0x02000000): the plugin serves the kept registers to it
 * through its sysreg hooks. This port keeps the arm64 names (`'ok'`, `mrs`/`msr` on a handle).
 * @packageDocumentation
 */
import type { Vcpu } from '@kvmdev/core/plugin';
import { VGIC } from '../init.js';
import { iccGuestRead, iccGuestWrite } from '../regs/icc.js';
import { SYS_REG_MPIDR, sysRegIndexOfEncoding } from './sys-regs.js';
import { ARM_VCPU } from './vcpu-state.js';

/** `ESR_ELx_EC_UNKNOWN`: the exception class of an UNDEF. */
export const ESR_ELx_EC_UNKNOWN = 0x00;
/** `ESR_ELx_EC_SHIFT`. */
export const ESR_ELx_EC_SHIFT = 26;
/** `ESR_ELx_IL`: the trapped instruction was 32 bits. */
export const ESR_ELx_IL = 1 << 25;
/** The ESR_EL1 value an UNDEF from an AArch64 MRS/MSR gets. */
export const UNDEF_ESR = ((ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT) | ESR_ELx_IL) >>> 0;

/** What a guest system-register access did. The port reuses one object: copy what you keep. */
export interface SysregResult {
  /** `'ok'`: the access completed; `'undef'`: KVM injected an UNDEF into the guest. */
  kind: 'ok' | 'undef';
  /** MRS: the value read (0n for an MSR or an UNDEF). */
  value: bigint;
  /** `'undef'`: the ESR_EL1 the guest finds ({@link UNDEF_ESR}); 0 otherwise. */
  esr: number;
  /** The 16-bit Op0<<14|Op1<<11|CRn<<7|CRm<<3|Op2 encoding accessed. */
  encoding: number;
}

/** The system-register side of one arm64 vCPU, as its guest sees it. */
export class Arm64GuestSysregs {
  /** The vCPU whose system registers these are. */
  readonly vcpu: Vcpu;
  private readonly result: SysregResult = { kind: 'ok', value: 0n, esr: 0, encoding: 0 };

  constructor(vcpu: Vcpu) {
    this.vcpu = vcpu;
  }

  private ok(enc: number, value: bigint): SysregResult {
    const r = this.result;
    r.kind = 'ok';
    r.value = value;
    r.esr = 0;
    r.encoding = enc;
    return r;
  }

  private undef(enc: number): SysregResult {
    const r = this.result;
    r.kind = 'undef';
    r.value = 0n;
    r.esr = UNDEF_ESR;
    r.encoding = enc;
    return r;
  }

  /** MRS: the register's value, or an UNDEF. */
  mrs(encoding: number): SysregResult {
    const enc = encoding & 0xffff;
    const g = this.vcpu.vm.slot(VGIC);
    if (g?.v3 && g.initialized) {
      const v = g.cpus[this.vcpu.index];
      if (v !== undefined) {
        const r = iccGuestRead(g, v, enc);
        if (r >= 0) return this.ok(enc, BigInt(r >>> 0));
      }
    }
    const a = this.vcpu.slot(ARM_VCPU);
    const i = sysRegIndexOfEncoding(enc);
    if (a !== undefined && i >= 0) return this.ok(enc, (BigInt(a.sys.hi(i)) << 32n) | BigInt(a.sys.lo(i)));
    return this.undef(enc);
  }

  /** MSR: the write, or an UNDEF. */
  msr(encoding: number, value: bigint | number): SysregResult {
    const enc = encoding & 0xffff;
    const u = BigInt.asUintN(64, BigInt(value));
    const lo = Number(u & 0xffffffffn);
    const hi = Number(u >> 32n);
    const g = this.vcpu.vm.slot(VGIC);
    if (g?.v3 && g.initialized) {
      const v = g.cpus[this.vcpu.index];
      if (v !== undefined && iccGuestWrite(g, v, enc, lo, hi)) return this.ok(enc, 0n);
    }
    const a = this.vcpu.slot(ARM_VCPU);
    const i = sysRegIndexOfEncoding(enc);
    if (a !== undefined && i >= 0 && i !== SYS_REG_MPIDR) {
      a.sys.set(i, lo, hi);
      return this.ok(enc, 0n);
    }
    return this.undef(enc);
  }
}

const PORTS = new WeakMap<Vcpu, Arm64GuestSysregs>();

/** The arm64 system-register port of a vCPU (a vCPU object or a typed-API handle). */
export function arm64GuestSysregs(vcpu: Vcpu | { readonly vcpu: Vcpu }): Arm64GuestSysregs {
  const v = 'vm' in vcpu ? vcpu : vcpu.vcpu;
  let p = PORTS.get(v);
  if (p === undefined) {
    p = new Arm64GuestSysregs(v);
    PORTS.set(v, p);
  }
  return p;
}
