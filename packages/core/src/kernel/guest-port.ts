/**
 * The guest side of a vCPU: what the guest's instructions do. MMIO goes to the VM's bus,
 * hypercalls and system registers to the plugins' handlers, and the vCPU's output lines are
 * readable. Guest execution itself is driven by the embedding VMM through this port.
 *
 * A guest action has a guest outcome, never a host exception ({@link GuestOutcome}): the kernel
 * completes it (`'done'`), or KVM_RUN would return to the VMM with an exit reason and the
 * `struct kvm_run` fields the VMM reads (`'exit'`: KVM_EXIT_MMIO for an access no in-kernel
 * device claims, KVM_EXIT_PAPR_HCALL for a hypercall the kernel does not handle), or the kernel
 * injects an exception into the guest (`'undef'`: a system register it does not emulate). Like
 * `kvm_run`, the outcome and its run record are one object per vCPU, reused by every action.
 * @packageDocumentation
 */
import { KVM_EXIT_MMIO, KVM_EXIT_PAPR_HCALL, KVM_EXIT_UNKNOWN } from '../uapi/run.js';
import { KVM_HOOK_PASS } from './ops.js';
import { lineIndex, type LineName } from './lines.js';
import type { Vcpu } from './vcpu.js';

/**
 * What a guest action did:
 * - `'done'`: the kernel completed it (a device took the access, a plugin the hypercall, the
 *   register is emulated);
 * - `'exit'`: KVM_RUN returns to the VMM; `run.exitReason` says why and `run` holds the fields;
 * - `'undef'`: the kernel injected an UNDEF into the guest (`esr` is the ESR_EL1 it finds);
 * - `'bugged'`: a plugin handler threw; the VM is marked bugged (KVM_BUG_ON), so the VMM's next
 *   ioctl on it gets EIO.
 */
export type GuestOutcomeKind = 'done' | 'exit' | 'undef' | 'bugged';

/** `kvm_run.mmio` (KVM_EXIT_MMIO). */
export interface KvmRunMmio {
  /** `phys_addr`: the guest physical address accessed (a number: the port's addresses are numbers). */
  physAddr: number;
  /**
   * `data[8]`: a store's bytes, little-endian, in `data[0..len)`. For a load the kernel leaves
   * it as it was and the VMM writes the loaded bytes there before its next KVM_RUN.
   */
  readonly data: Uint8Array;
  /** `len`: the access size in bytes (1, 2, 4 or 8). */
  len: number;
  /** `is_write`: 1 for a store, 0 for a load. */
  isWrite: 0 | 1;
}

/** `kvm_run.papr_hcall` (KVM_EXIT_PAPR_HCALL). */
export interface KvmRunPaprHcall {
  /** `nr`: the hypercall number (the guest's r3). */
  nr: number;
  /** `args[9]`: the guest's r4..r12 (arguments the guest did not pass are 0). Always 9 entries. */
  readonly args: number[];
  /**
   * `ret`: for the VMM to fill with the hypercall's return code (the kernel puts it into r3 on the
   * next KVM_RUN). The kernel does not write it, so it keeps what the VMM last wrote.
   */
  ret: number;
}

/** The exit part of a vCPU's `struct kvm_run`, as the VMM sees it after an `'exit'` outcome. */
export interface KvmRunExit {
  /** `exit_reason`: KVM_EXIT_MMIO or KVM_EXIT_PAPR_HCALL (KVM_EXIT_UNKNOWN before the first exit). */
  exitReason: number;
  /** Valid when `exitReason` is KVM_EXIT_MMIO. */
  readonly mmio: KvmRunMmio;
  /** Valid when `exitReason` is KVM_EXIT_PAPR_HCALL. */
  readonly paprHcall: KvmRunPaprHcall;
}

/** The outcome of one guest action. The port reuses one object per vCPU: copy what you keep. */
export interface GuestOutcome {
  /** What happened (see {@link GuestOutcomeKind}). */
  kind: GuestOutcomeKind;
  /** `'undef'`: the ESR_EL1 the guest finds ({@link GUEST_UNDEF_ESR}); 0 otherwise. */
  esr: number;
  /** The vCPU's run record: after an `'exit'` it holds the exit; it keeps the last exit otherwise. */
  readonly run: KvmRunExit;
}

/**
 * The result of a hypercall: the outcome plus the return code and output registers. The object
 * is reused by the port: copy what you keep.
 */
export interface HypercallResult extends GuestOutcome {
  /** `'done'`: the return code (e.g. H_SUCCESS 0, H_PARAMETER -4); 0 otherwise. */
  ret: number;
  /** `'done'`: the output registers (e.g. r4, r5 on PAPR); zeros otherwise. */
  readonly out: number[];
}

/** The outcome of an MRS ({@link GuestPort.mrs}): the value read when `kind` is `'done'`, else 0n. */
export interface SysregReadOutcome extends GuestOutcome {
  /** The register's value (`'done'`), 0n otherwise. */
  value: bigint;
}

/**
 * The ESR_EL1 of the UNDEF KVM injects for an AArch64 MRS/MSR of a register it does not emulate
 * (kvm_inject_undefined: EC 0 "unknown reason", IL 1 for the 32-bit instruction): 0x02000000.
 * The port's system registers are AArch64's (the 16-bit Op0/Op1/CRn/CRm/Op2 encoding).
 */
export const GUEST_UNDEF_ESR = 0x02000000;

/** The reused per-vCPU object behind every outcome. */
interface Outcome extends HypercallResult, SysregReadOutcome {}

/**
 * Zeroes a hypercall's output registers. A plain loop over the nine words: V8's
 * `Array.prototype.fill` builtin cost about 1,000 instructions per call here, a third of an
 * XICS round trip (callgrind, issue 18).
 */
function zeroOut(out: number[]): void {
  for (let i = 0; i < out.length; i++) out[i] = 0;
}

/** The guest side of one vCPU. */
export class GuestPort {
  /** The vCPU whose guest this port acts for. */
  readonly vcpu: Vcpu;
  private readonly o: Outcome = {
    kind: 'done',
    esr: 0,
    run: {
      exitReason: KVM_EXIT_UNKNOWN,
      mmio: { physAddr: 0, data: new Uint8Array(8), len: 0, isWrite: 0 },
      paprHcall: { nr: 0, args: [0, 0, 0, 0, 0, 0, 0, 0, 0], ret: 0 },
    },
    ret: 0,
    out: [0, 0, 0, 0, 0, 0, 0, 0, 0],
    value: 0n,
  };

  constructor(vcpu: Vcpu) {
    this.vcpu = vcpu;
  }

  /** The outcome of the last guest action on this vCPU (the same object every time). */
  get last(): GuestOutcome {
    return this.o;
  }

  /** The vCPU's run record (`struct kvm_run`'s exit fields), filled by every `'exit'` outcome. */
  get run(): KvmRunExit {
    return this.o.run;
  }

  private done(): void {
    const o = this.o;
    o.kind = 'done';
    o.esr = 0;
  }

  private bugged(e: unknown, where: string): void {
    this.vcpu.vm.bug(e, where);
    const o = this.o;
    o.kind = 'bugged';
    o.esr = 0;
  }

  /** KVM_EXIT_MMIO: the access goes to the VMM; a store's bytes are in `data` (little-endian). */
  private mmioExit(gpa: number, size: number, isWrite: 0 | 1, lo: number, hi: number): void {
    const o = this.o;
    o.kind = 'exit';
    o.esr = 0;
    const run = o.run;
    run.exitReason = KVM_EXIT_MMIO;
    const m = run.mmio;
    m.physAddr = gpa;
    m.len = size;
    m.isWrite = isWrite;
    if (isWrite) {
      const d = m.data;
      for (let i = 0; i < size; i++) d[i] = (i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4))) & 0xff;
    }
  }

  /**
   * A guest load. Sizes 1, 2, 4 give a number, 8 a bigint; `null` when no in-kernel device
   * handles the address: then {@link GuestPort.last} is an `'exit'` with KVM_EXIT_MMIO and
   * `run.mmio` holds the load (or `'bugged'` when the device's handler threw).
   */
  mmioRead(gpa: number, size: 1 | 2 | 4): number | null;
  /** A guest 8-byte load: a bigint, or `null` when no in-kernel device handles the address. */
  mmioRead(gpa: number, size: 8): bigint | null;
  /** A guest load of any size: a number for 1, 2, 4 bytes, a bigint for 8, `null` as above. */
  mmioRead(gpa: number, size: 1 | 2 | 4 | 8): number | bigint | null;
  mmioRead(gpa: number, size: 1 | 2 | 4 | 8): number | bigint | null {
    const vm = this.vcpu.vm;
    const r = vm.mmio.find(gpa, size);
    if (r !== null) {
      const off = gpa - r.base;
      try {
        if (size === 8) {
          if (r.read64) {
            const v = r.read64(this.vcpu, off);
            if (v !== null) {
              this.done();
              return v;
            }
          }
        } else {
          const v = r.read(this.vcpu, off, size);
          if (v >= 0) {
            this.done();
            return v;
          }
        }
      } catch (e) {
        this.bugged(e, r.name);
        return null;
      }
    }
    this.mmioExit(gpa, size, 0, 0, 0);
    return null;
  }

  /**
   * A guest store; false when no in-kernel device handles it: then {@link GuestPort.last} is an
   * `'exit'` with KVM_EXIT_MMIO and `run.mmio` holds the store (or `'bugged'`).
   */
  mmioWrite(gpa: number, size: 1 | 2 | 4 | 8, value: number | bigint): boolean {
    if (size !== 8 && typeof value === 'number') return this.mmioWrite32(gpa, size, value);
    const vm = this.vcpu.vm;
    const r = vm.mmio.find(gpa, size);
    const v64 = BigInt.asUintN(64, BigInt(value));
    if (r !== null) {
      const off = gpa - r.base;
      try {
        const ok =
          size === 8
            ? r.write64 !== undefined && r.write64(this.vcpu, off, v64) >= 0
            : r.write(this.vcpu, off, size, Number(v64 & 0xffffffffn)) >= 0;
        if (ok) {
          this.done();
          return true;
        }
      } catch (e) {
        this.bugged(e, r.name);
        return false;
      }
    }
    this.mmioExit(gpa, size, 1, Number(v64 & 0xffffffffn), Number(v64 >> 32n));
    return false;
  }

  /** A 1/2/4-byte guest store of a number (no bigint conversion); false on an exit, as {@link GuestPort.mmioWrite}. */
  mmioWrite32(gpa: number, size: 1 | 2 | 4, value: number): boolean {
    const vm = this.vcpu.vm;
    const r = vm.mmio.find(gpa, size);
    if (r !== null) {
      const off = gpa - r.base;
      try {
        if (r.write(this.vcpu, off, size, value >>> 0) >= 0) {
          this.done();
          return true;
        }
      } catch (e) {
        this.bugged(e, r.name);
        return false;
      }
    }
    this.mmioExit(gpa, size, 1, value >>> 0, 0);
    return false;
  }

  /**
   * A PAPR hypercall (`sc 1`) with number `nr` (r3) and argument registers `args` (r4..r12).
   * Returns the reused result: `'done'` with `ret` and `out` when a plugin handles `nr`;
   * `'exit'` with KVM_EXIT_PAPR_HCALL and `run.paprHcall` (nr, args, ret for the VMM to fill)
   * when none does, as kvmppc_handle_exit_hv punts it to userspace; `'bugged'` when a handler
   * threw. Never throws.
   */
  hypercall(nr: number, args: ArrayLike<number> = EMPTY): HypercallResult {
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.hypercallHooks;
    const res = this.o;
    zeroOut(res.out);
    res.ret = 0;
    for (let i = 0; i < hooks.length; i++) {
      let ret: number;
      try {
        ret = hooks[i]!(this.vcpu, nr, args, res.out);
      } catch (e) {
        zeroOut(res.out);
        this.bugged(e, 'hypercall');
        return res;
      }
      if (ret !== KVM_HOOK_PASS) {
        res.ret = ret;
        this.done();
        return res;
      }
    }
    zeroOut(res.out);
    res.kind = 'exit';
    res.esr = 0;
    const run = res.run;
    run.exitReason = KVM_EXIT_PAPR_HCALL;
    const h = run.paprHcall;
    h.nr = nr;
    const a = h.args;
    const n = args.length;
    for (let i = 0; i < 9; i++) a[i] = i < n ? args[i]! : 0;
    return res;
  }

  private undef(): void {
    const o = this.o;
    o.kind = 'undef';
    o.esr = GUEST_UNDEF_ESR;
  }

  /**
   * An MRS with a typed outcome: `'done'` with `value`, `'undef'` (the kernel injects an UNDEF:
   * `esr` is {@link GUEST_UNDEF_ESR}) for a register no plugin emulates, or `'bugged'`.
   * `encoding` as {@link GuestPort.sysregRead}.
   */
  mrs(encoding: number): SysregReadOutcome {
    const v = this.sysregRead(encoding);
    const o = this.o;
    o.value = o.kind === 'done' ? v : 0n;
    return o;
  }

  /** An MSR with a typed outcome (`'done'`, `'undef'` or `'bugged'`); the same as {@link GuestPort.sysregWrite}. */
  msr(encoding: number, value: bigint | number): GuestOutcome {
    return this.sysregWrite(encoding, value);
  }

  /**
   * A system-register read (MRS). `encoding` is the 16-bit `Op0<<14 | Op1<<11 | CRn<<7 | CRm<<3 |
   * Op2` form that KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS uses (ICC_PMR_EL1 = 0xC230). A register no
   * plugin emulates reads 0n and {@link GuestPort.last} is `'undef'` (the guest took an UNDEF).
   */
  sysregRead(encoding: number): bigint {
    const v = this.read32(encoding);
    if (v !== KVM_HOOK_PASS) return this.o.kind === 'bugged' ? 0n : BigInt(v);
    if (this.o.kind === 'bugged') return 0n;
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.sysregReadHooks;
    for (let i = 0; i < hooks.length; i++) {
      let r: bigint | null;
      try {
        r = hooks[i]!(this.vcpu, encoding);
      } catch (e) {
        this.bugged(e, 'sysreg');
        return 0n;
      }
      if (r !== null) {
        this.done();
        return r;
      }
    }
    this.undef();
    return 0n;
  }

  /**
   * A system-register read as a number (bits 31:0), without bigint: the hot path for the GIC's
   * ICC_IAR1_EL1 and friends. Registers only a 64-bit hook serves are truncated to 32 bits; an
   * unemulated register reads 0 with an `'undef'` outcome, as {@link GuestPort.sysregRead}.
   */
  sysregRead32(encoding: number): number {
    const v = this.read32(encoding);
    if (v !== KVM_HOOK_PASS) return v;
    if (this.o.kind === 'bugged') return 0;
    return Number(BigInt.asUintN(32, this.sysregRead(encoding)));
  }

  /** The 32-bit hooks: the value (outcome `'done'`), or KVM_HOOK_PASS (outcome `'bugged'` when one threw). */
  private read32(encoding: number): number {
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.sysregRead32Hooks;
    this.o.kind = 'done';
    for (let i = 0; i < hooks.length; i++) {
      let r: number;
      try {
        r = hooks[i]!(this.vcpu, encoding);
      } catch (e) {
        this.bugged(e, 'sysreg');
        return KVM_HOOK_PASS;
      }
      if (r !== KVM_HOOK_PASS) {
        this.done();
        return r >>> 0;
      }
    }
    return KVM_HOOK_PASS;
  }

  /**
   * A system-register write (MSR), same encoding as {@link GuestPort.sysregRead}. Returns the
   * outcome: `'done'`, `'undef'` for a register no plugin emulates, or `'bugged'`.
   */
  sysregWrite(encoding: number, value: bigint | number): GuestOutcome {
    if (typeof value === 'number' && value >= 0 && value <= 0xffffffff) return this.sysregWrite32(encoding, value);
    const v = BigInt.asUintN(64, BigInt(value));
    let r = this.write32(encoding, Number(v & 0xffffffffn), Number(v >> 32n));
    if (r === PASSED) r = this.write64(encoding, v);
    if (r === PASSED) this.undef();
    return this.o;
  }

  /** A system-register write of a 32-bit value (bits 63:32 zero), without bigint; the outcome as {@link GuestPort.sysregWrite}. */
  sysregWrite32(encoding: number, value: number): GuestOutcome {
    let r = this.write32(encoding, value >>> 0, 0);
    if (r === PASSED) r = this.write64(encoding, BigInt(value >>> 0));
    if (r === PASSED) this.undef();
    return this.o;
  }

  /** The 32-bit write hooks: HANDLED (outcome `'done'`), PASSED, or FAILED (outcome `'bugged'`). */
  private write32(encoding: number, lo: number, hi: number): number {
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.sysregWrite32Hooks;
    for (let i = 0; i < hooks.length; i++) {
      let done: boolean;
      try {
        done = hooks[i]!(this.vcpu, encoding, lo, hi);
      } catch (e) {
        this.bugged(e, 'sysreg');
        return FAILED;
      }
      if (done) {
        this.done();
        return HANDLED;
      }
    }
    return PASSED;
  }

  /** The 64-bit write hooks, as {@link GuestPort.write32}. */
  private write64(encoding: number, v: bigint): number {
    const vm = this.vcpu.vm;
    const hooks = vm.host.tables.sysregWriteHooks;
    for (let i = 0; i < hooks.length; i++) {
      let done: boolean;
      try {
        done = hooks[i]!(this.vcpu, encoding, v);
      } catch (e) {
        this.bugged(e, 'sysreg');
        return FAILED;
      }
      if (done) {
        this.done();
        return HANDLED;
      }
    }
    return PASSED;
  }

  /**
   * The vCPU takes the interrupt signalled on `line` (its exception entry). Returns what an
   * irqchip that acknowledges on the guest's behalf gives it (the MPIC's EPR in proxy mode), or
   * null when no plugin acts (the guest acknowledges itself, e.g. by reading IACK) or a handler
   * threw (then {@link GuestPort.last} is `'bugged'`).
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
        this.bugged(e, 'takeInterrupt');
        return null;
      }
      if (r !== KVM_HOOK_PASS) {
        this.done();
        return r;
      }
    }
    this.done();
    return null;
  }

  /** Level of an output line: `'irq'`, `'fiq'`, `'external'`, `'critical'` or `'mcheck'`. */
  line(name: LineName): 0 | 1 {
    return this.vcpu.line(name);
  }
}

const EMPTY: ArrayLike<number> = Object.freeze([]);

/** write32/write64 results. */
const HANDLED = 1;
const PASSED = 0;
const FAILED = -1;
