/**
 * The guest side of a vCPU: what the guest's instructions do. MMIO goes to the VM's bus,
 * hypercalls and system registers to the plugins' handlers, and the vCPU's output lines are
 * readable. Guest execution itself is driven by the embedding VMM through this port.
 * @packageDocumentation
 */
import { KvmError } from '../uapi/errors.js';
import { KVM_HOOK_PASS } from './ops.js';
import { EINVAL, EIO } from '../uapi/errno.js';
import { lineIndex, type LineName } from './lines.js';
import type { Vcpu } from './vcpu.js';

/** The result of a hypercall. The object is reused by the port: copy what you keep. */
export interface HypercallResult {
  /** The return code (e.g. H_SUCCESS 0, H_PARAMETER -4). */
  ret: number;
  /** The output registers (e.g. r4, r5 on PAPR). */
  readonly out: number[];
}

/** The guest side of one vCPU. */
export class GuestPort {
  readonly vcpu: Vcpu;
  private readonly result: HypercallResult = { ret: 0, out: [0, 0, 0, 0, 0, 0, 0, 0, 0] };

  constructor(vcpu: Vcpu) {
    this.vcpu = vcpu;
  }

  /**
   * A guest load. Sizes 1, 2, 4 give a number, 8 a bigint; `null` when no in-kernel device
   * handles the address (an MMIO exit to userspace).
   */
  mmioRead(gpa: number, size: 1 | 2 | 4): number | null;
  mmioRead(gpa: number, size: 8): bigint | null;
  mmioRead(gpa: number, size: 1 | 2 | 4 | 8): number | bigint | null;
  mmioRead(gpa: number, size: 1 | 2 | 4 | 8): number | bigint | null {
    const vm = this.vcpu.vm;
    const r = vm.mmio.find(gpa, size);
    if (r === null) return null;
    const off = gpa - r.base;
    try {
      if (size === 8) return r.read64 ? r.read64(this.vcpu, off) : null;
      const v = r.read(this.vcpu, off, size);
      return v < 0 ? null : v;
    } catch (e) {
      vm.bug(e, r.name);
      return null;
    }
  }

  /** A guest store; false when no in-kernel device handles it (an MMIO exit). */
  mmioWrite(gpa: number, size: 1 | 2 | 4 | 8, value: number | bigint): boolean {
    const vm = this.vcpu.vm;
    const r = vm.mmio.find(gpa, size);
    if (r === null) return false;
    const off = gpa - r.base;
    try {
      if (size === 8) return r.write64 ? r.write64(this.vcpu, off, BigInt.asUintN(64, BigInt(value))) >= 0 : false;
      const v = typeof value === 'number' ? value >>> 0 : Number(BigInt.asUintN(32, value));
      return r.write(this.vcpu, off, size, v) >= 0;
    } catch (e) {
      vm.bug(e, r.name);
      return false;
    }
  }

  /** A 1/2/4-byte guest store of a number (no bigint conversion). */
  mmioWrite32(gpa: number, size: 1 | 2 | 4, value: number): boolean {
    const vm = this.vcpu.vm;
    const r = vm.mmio.find(gpa, size);
    if (r === null) return false;
    const off = gpa - r.base;
    try {
      return r.write(this.vcpu, off, size, value >>> 0) >= 0;
    } catch (e) {
      vm.bug(e, r.name);
      return false;
    }
  }

  /**
   * A hypercall with number `nr` and argument registers `args`. Returns the reused result
   * object; `ret` is the plugin's return code. Throws EINVAL when no plugin handles `nr`
   * (the kernel would exit to userspace).
   */
  hypercall(nr: number, args: ArrayLike<number> = EMPTY): HypercallResult {
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.hypercallHooks;
    const res = this.result;
    res.out.fill(0);
    for (let i = 0; i < hooks.length; i++) {
      let ret: number;
      try {
        ret = hooks[i]!(this.vcpu, nr, args, res.out);
      } catch (e) {
        vm.bug(e, 'hypercall');
        throw new KvmError(EIO, 'hypercall handler failed; the VM is bugged');
      }
      if (ret !== KVM_HOOK_PASS) {
        res.ret = ret;
        return res;
      }
    }
    throw new KvmError(EINVAL, `hypercall 0x${nr.toString(16)} is not handled in the kernel`);
  }

  /**
   * A system-register read (MRS). `encoding` is the 16-bit `Op0<<14 | Op1<<11 | CRn<<7 | CRm<<3 |
   * Op2` form that KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS uses (ICC_PMR_EL1 = 0xC230). Throws EINVAL for
   * a register no plugin handles (the guest would take an UNDEF).
   */
  sysregRead(encoding: number): bigint {
    const v = this.read32(encoding);
    if (v !== KVM_HOOK_PASS) return BigInt(v);
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.sysregReadHooks;
    for (let i = 0; i < hooks.length; i++) {
      let r: bigint | null;
      try {
        r = hooks[i]!(this.vcpu, encoding);
      } catch (e) {
        vm.bug(e, 'sysreg');
        throw new KvmError(EIO, 'system register handler failed; the VM is bugged');
      }
      if (r !== null) return r;
    }
    throw undef(encoding);
  }

  /**
   * A system-register read as a number (bits 31:0), without bigint: the hot path for the GIC's
   * ICC_IAR1_EL1 and friends. Registers only a 64-bit hook serves are truncated to 32 bits.
   */
  sysregRead32(encoding: number): number {
    const v = this.read32(encoding);
    if (v !== KVM_HOOK_PASS) return v;
    return Number(BigInt.asUintN(32, this.sysregRead(encoding)));
  }

  private read32(encoding: number): number {
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.sysregRead32Hooks;
    for (let i = 0; i < hooks.length; i++) {
      let r: number;
      try {
        r = hooks[i]!(this.vcpu, encoding);
      } catch (e) {
        vm.bug(e, 'sysreg');
        throw new KvmError(EIO, 'system register handler failed; the VM is bugged');
      }
      if (r !== KVM_HOOK_PASS) return r >>> 0;
    }
    return KVM_HOOK_PASS;
  }

  /** A system-register write (MSR), same encoding as {@link GuestPort.sysregRead}; throws EINVAL (UNDEF) when unhandled. */
  sysregWrite(encoding: number, value: bigint | number): void {
    if (typeof value === 'number' && value >= 0 && value <= 0xffffffff) {
      this.sysregWrite32(encoding, value);
      return;
    }
    const v = BigInt.asUintN(64, BigInt(value));
    if (this.write32(encoding, Number(v & 0xffffffffn), Number(v >> 32n))) return;
    if (this.write64(encoding, v)) return;
    throw undef(encoding);
  }

  /** A system-register write of a 32-bit value (bits 63:32 zero), without bigint. */
  sysregWrite32(encoding: number, value: number): void {
    if (this.write32(encoding, value >>> 0, 0)) return;
    if (this.write64(encoding, BigInt(value >>> 0))) return;
    throw undef(encoding);
  }

  private write32(encoding: number, lo: number, hi: number): boolean {
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.sysregWrite32Hooks;
    for (let i = 0; i < hooks.length; i++) {
      let done: boolean;
      try {
        done = hooks[i]!(this.vcpu, encoding, lo, hi);
      } catch (e) {
        vm.bug(e, 'sysreg');
        throw new KvmError(EIO, 'system register handler failed; the VM is bugged');
      }
      if (done) return true;
    }
    return false;
  }

  private write64(encoding: number, v: bigint): boolean {
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.sysregWriteHooks;
    for (let i = 0; i < hooks.length; i++) {
      let done: boolean;
      try {
        done = hooks[i]!(this.vcpu, encoding, v);
      } catch (e) {
        vm.bug(e, 'sysreg');
        throw new KvmError(EIO, 'system register handler failed; the VM is bugged');
      }
      if (done) return true;
    }
    return false;
  }

  /**
   * The vCPU takes the interrupt signalled on `line` (its exception entry). Returns what an
   * irqchip that acknowledges on the guest's behalf gives it (the MPIC's EPR in proxy mode), or
   * null when no plugin acts (the guest acknowledges itself, e.g. by reading IACK).
   */
  takeInterrupt(line: LineName): number | null {
    const vm = this.vcpu.vm;
    const idx = lineIndex(line);
    const hooks = vm.host.tables.vcpuTakeInterruptHooks;
    for (let i = 0; i < hooks.length; i++) {
      let r: number;
      try {
        r = hooks[i]!(this.vcpu, idx);
      } catch (e) {
        vm.bug(e, 'takeInterrupt');
        throw new KvmError(EIO, 'interrupt entry failed; the VM is bugged');
      }
      if (r !== KVM_HOOK_PASS) return r;
    }
    return null;
  }

  /** Level of an output line: `'irq'`, `'fiq'`, `'external'`, `'critical'` or `'mcheck'`. */
  line(name: LineName): 0 | 1 {
    return this.vcpu.line(name);
  }
}

const EMPTY: ArrayLike<number> = Object.freeze([]);

function undef(encoding: number): KvmError {
  return new KvmError(EINVAL, `system register 0x${encoding.toString(16)} is not emulated (UNDEF)`);
}
