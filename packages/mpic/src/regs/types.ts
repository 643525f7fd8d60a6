/**
 * The shape of the MPIC's register tables. Each sub-region of the 256 KiB window has one table;
 * guest MMIO and KVM_DEV_MPIC_GRP_REGISTER both decode through it.
 * @packageDocumentation
 */
import type { MpicState } from '../state.js';

/** Who may access a register: read, write, both. */
export type MpicRegAccess = 'r' | 'w' | 'rw';

/** One register (or a run of `count` identical registers `stride` bytes apart). */
export interface MpicReg {
  readonly name: string;
  /** Offset in the window of instance 0 (for per-CPU registers: on CPU 0's page). */
  readonly offset: number;
  readonly count: number;
  readonly stride: number;
  readonly access: MpicRegAccess;
  /** True when the register carries device state that a snapshot saves. */
  readonly state: boolean;
  readonly doc: string;
  /** Read of instance i by `cpu` (-1 = no current CPU): the u32 value, or -errno. */
  readonly read?: (s: MpicState, i: number, cpu: number) => number;
  /** Write of instance i: 0, or -errno (not handled in the kernel). */
  readonly write?: (s: MpicState, i: number, value: number, cpu: number) => number;
  /** Where a read of instance i is decoded, when that differs from `offset + i·stride` (timers). */
  readonly readOffset?: (i: number) => number;
}

/** One sub-region of the window and its table. */
export interface MpicRegion {
  readonly name: string;
  /** Start offset in the window. */
  readonly start: number;
  readonly size: number;
  readonly regs: readonly MpicReg[];
  /** A 4-byte read at `off` (relative to `start`): the u32 value, or -errno. */
  read(s: MpicState, off: number, cpu: number): number;
  /** A 4-byte write at `off` (relative to `start`): 0 or -errno. */
  write(s: MpicState, off: number, value: number, cpu: number): number;
}

/** Builds an offset → register lookup (`granule`-byte slots) from a table. */
export function buildLut(
  regs: readonly MpicReg[],
  base: number,
  size: number,
  granule: number,
): { reg: Int8Array; inst: Int16Array } {
  const n = Math.ceil(size / granule);
  const reg = new Int8Array(n).fill(-1);
  const inst = new Int16Array(n);
  regs.forEach((r, ri) => {
    for (let k = 0; k < r.count; k++) {
      const slot = (r.offset - base + k * r.stride) / granule;
      if (slot >= 0 && slot < n && Number.isInteger(slot)) {
        reg[slot] = ri;
        inst[slot] = k;
      }
    }
  });
  return { reg, inst };
}
