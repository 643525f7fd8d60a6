/**
 * The 32 per-CPU pages (0x20000 + cpu·0x1000): IPI dispatch, CTPR, WHOAMI, IACK, EOI. The page's
 * CPU number is not checked against the connected CPUs. The global aliases at 0x40–0xB0 decode
 * through the same table with the current CPU.
 * @packageDocumentation
 */
import { eoi, iack, writeCtpr, writeIpidr } from '../delivery.js';
import type { MpicState } from '../state.js';
import {
  MPIC_CTPR,
  MPIC_EOI,
  MPIC_IACK,
  MPIC_IPIDR0,
  MPIC_WHOAMI,
  OPENPIC_CPU_REG_SIZE,
  OPENPIC_CPU_REG_START,
} from '../uapi.js';
import { buildLut, type MpicReg, type MpicRegion } from './types.js';

const P = OPENPIC_CPU_REG_START;

/** The registers of one CPU page (offsets on CPU 0's page). */
export const PERCPU_REGS: readonly MpicReg[] = [
  {
    name: 'IPIDR',
    offset: P + MPIC_IPIDR0,
    count: 4,
    stride: 0x10,
    access: 'w',
    state: false,
    doc: 'IPI k dispatch: destmask |= value, then a pulse of IPI k. Reads 0xFFFFFFFF.',
    write: (s, k, v) => {
      writeIpidr(s, k, v);
      return 0;
    },
  },
  {
    name: 'CTPR',
    offset: P + MPIC_CTPR,
    count: 1,
    stride: 0,
    access: 'rw',
    state: true,
    doc: 'Current task priority (value & 0xF); reset 15, which blocks every priority.',
    read: (s, _i, cpu) => s.ctpr[cpu] >>> 0,
    write: (s, _i, v, cpu) => {
      writeCtpr(s, cpu, v);
      return 0;
    },
  },
  {
    name: 'WHOAMI',
    offset: P + MPIC_WHOAMI,
    count: 1,
    stride: 0,
    access: 'r',
    state: false,
    doc: "The page's CPU number.",
    read: (_s, _i, cpu) => cpu,
  },
  {
    name: 'IACK',
    offset: P + MPIC_IACK,
    count: 1,
    stride: 0,
    access: 'r',
    state: false,
    doc: 'Interrupt acknowledge: the vector of the highest raised IRQ, or SPVE. Side effects on read.',
    read: (s, _i, cpu) => iack(s, cpu),
  },
  {
    name: 'EOI',
    offset: P + MPIC_EOI,
    count: 1,
    stride: 0,
    access: 'rw',
    state: false,
    doc: 'End of interrupt (value ignored). Reads 0.',
    read: () => 0,
    write: (s, _i, _v, cpu) => {
      eoi(s, cpu);
      return 0;
    },
  },
];

const LUT = buildLut(PERCPU_REGS, P, 0x1000, 0x10);

/**
 * openpic_cpu_read_internal: `pageOff` is the offset inside the page (only bits 11:0 matter),
 * `cpu` the page's CPU or the current CPU (-1: none, reads 0xFFFFFFFF).
 */
export function percpuRead(s: MpicState, pageOff: number, cpu: number): number {
  if (cpu < 0 || (pageOff & 0xf) !== 0) return 0xffffffff;
  // the hot registers first (same results as the table below)
  switch (pageOff & 0xff0) {
    case MPIC_IACK:
      return iack(s, cpu);
    case MPIC_EOI:
      return 0;
    case MPIC_CTPR:
      return s.ctpr[cpu] >>> 0;
  }
  const slot = (pageOff & 0xff0) >>> 4;
  const ri = LUT.reg[slot];
  if (ri < 0) return 0xffffffff;
  const r = PERCPU_REGS[ri];
  return r.read === undefined ? 0xffffffff : r.read(s, LUT.inst[slot], cpu);
}

/** openpic_cpu_write_internal: no current CPU or a misaligned offset is silently ignored. */
export function percpuWrite(s: MpicState, pageOff: number, value: number, cpu: number): number {
  if (cpu < 0 || (pageOff & 0xf) !== 0) return 0;
  switch (pageOff & 0xff0) {
    case MPIC_EOI:
      eoi(s, cpu);
      return 0;
    case MPIC_CTPR:
      writeCtpr(s, cpu, value);
      return 0;
  }
  const slot = (pageOff & 0xff0) >>> 4;
  const ri = LUT.reg[slot];
  if (ri < 0) return 0;
  const r = PERCPU_REGS[ri];
  return r.write === undefined ? 0 : r.write(s, LUT.inst[slot], value, cpu);
}

/** The per-CPU sub-region (0x20000–0x3F0FF). */
export const PERCPU_REGION: MpicRegion = {
  name: 'per-cpu',
  start: OPENPIC_CPU_REG_START,
  size: OPENPIC_CPU_REG_SIZE,
  regs: PERCPU_REGS,
  read: (s, off) => percpuRead(s, off & 0xfff, (off & 0x1f000) >>> 12),
  write: (s, off, v) => percpuWrite(s, off & 0xfff, v, (off & 0x1f000) >>> 12),
};
