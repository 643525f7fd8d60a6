/**
 * The global registers (0x0000–0x10EF): BRR1, the current-CPU aliases, FRR, GCR, VIR, PIR, the
 * IPI vector/priority registers and SPVE. Offsets that are not 16-aligned, and unknown offsets,
 * read 0xFFFFFFFF and ignore writes.
 * @packageDocumentation
 */
import { ENXIO } from '@kvmdev/core';
import { readFrr, writeGcr, writeIvpr } from '../delivery.js';
import type { MpicState } from '../state.js';
import {
  MPIC_BRR1,
  MPIC_FRR,
  MPIC_GCR,
  MPIC_IPI_IVPR0,
  MPIC_IPIDR0,
  MPIC_IRQ_IPI0,
  MPIC_PIR,
  MPIC_SPVE,
  MPIC_VECTOR_MASK,
  MPIC_VIR,
  OPENPIC_GLB_REG_SIZE,
  OPENPIC_GLB_REG_START,
} from '../uapi.js';
import { percpuRead, percpuWrite } from './percpu.js';
import { buildLut, type MpicReg, type MpicRegion } from './types.js';

/** The global register table. */
export const GLOBAL_REGS: readonly MpicReg[] = [
  {
    name: 'BRR1',
    offset: MPIC_BRR1,
    count: 1,
    stride: 0,
    access: 'r',
    state: false,
    doc: 'Block revision: 0x00400200 (v2.0) / 0x00400402 (v4.2).',
    read: (s) => s.model.brr1,
  },
  {
    name: 'current-CPU alias (IPIDR0-3, CTPR, WHOAMI, IACK, EOI)',
    offset: MPIC_IPIDR0,
    count: 8,
    stride: 0x10,
    access: 'rw',
    state: false,
    doc: "The accessing vCPU's per-CPU page; from userspace (no vCPU) reads 0xFFFFFFFF, writes are ignored.",
    read: (s, i, cpu) => percpuRead(s, MPIC_IPIDR0 + 0x10 * i, cpu),
    write: (s, i, v, cpu) => percpuWrite(s, MPIC_IPIDR0 + 0x10 * i, v, cpu),
  },
  {
    name: 'FRR',
    offset: MPIC_FRR,
    count: 1,
    stride: 0,
    access: 'r',
    state: false,
    doc: '((nb_irqs-1)<<16) | ((nb_cpus-1)<<8) | VID 2, in u32 (0xFFFFFF02 with no CPU).',
    read: (s) => readFrr(s),
  },
  {
    name: 'GCR',
    offset: MPIC_GCR,
    count: 1,
    stride: 0,
    access: 'rw',
    state: true,
    doc: 'Bit 31 resets the controller; otherwise the mode bits of the model (v2.0 0x20000000, v4.2 0x60000000).',
    read: (s) => s.gcr,
    write: (s, _i, v) => {
      writeGcr(s, v);
      return 0;
    },
  },
  {
    name: 'VIR',
    offset: MPIC_VIR,
    count: 1,
    stride: 0,
    access: 'r',
    state: false,
    doc: 'Vendor identification: 0.',
    read: () => 0,
  },
  {
    name: 'PIR',
    offset: MPIC_PIR,
    count: 1,
    stride: 0,
    access: 'r',
    state: false,
    doc: 'Reads 0; a write is ENXIO (left to userspace: it resets CPU cores).',
    read: () => 0,
    write: () => -ENXIO,
  },
  {
    name: 'IPI IVPR',
    offset: MPIC_IPI_IVPR0,
    count: 4,
    stride: 0x10,
    access: 'rw',
    state: true,
    doc: 'Vector/priority of IPI k (internal IRQ 256+k); IVPR write rules.',
    read: (s, k) => s.ivpr[MPIC_IRQ_IPI0 + k],
    write: (s, k, v) => {
      writeIvpr(s, MPIC_IRQ_IPI0 + k, v);
      return 0;
    },
  },
  {
    name: 'SPVE',
    offset: MPIC_SPVE,
    count: 1,
    stride: 0,
    access: 'rw',
    state: true,
    doc: 'Spurious vector (value & 0xFFFF); reset 0xFFFF.',
    read: (s) => s.spve,
    write: (s, _i, v) => {
      s.spve = v & MPIC_VECTOR_MASK;
      return 0;
    },
  },
];

const LUT = buildLut(GLOBAL_REGS, OPENPIC_GLB_REG_START, OPENPIC_GLB_REG_SIZE, 0x10);

function read(s: MpicState, off: number, cpu: number): number {
  if ((off & 0xf) !== 0) return 0xffffffff;
  const slot = off >>> 4;
  const ri = LUT.reg[slot];
  if (ri < 0) return 0xffffffff;
  const r = GLOBAL_REGS[ri];
  return r.read === undefined ? 0xffffffff : r.read(s, LUT.inst[slot], cpu);
}

function write(s: MpicState, off: number, value: number, cpu: number): number {
  if ((off & 0xf) !== 0) return 0;
  const slot = off >>> 4;
  const ri = LUT.reg[slot];
  if (ri < 0) return 0;
  const r = GLOBAL_REGS[ri];
  return r.write === undefined ? 0 : r.write(s, LUT.inst[slot], value, cpu);
}

/** The global sub-region (0x0000–0x10EF). */
export const GLOBAL_REGION: MpicRegion = {
  name: 'global',
  start: OPENPIC_GLB_REG_START,
  size: OPENPIC_GLB_REG_SIZE,
  regs: GLOBAL_REGS,
  read,
  write,
};
