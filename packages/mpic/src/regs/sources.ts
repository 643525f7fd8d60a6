/**
 * The 256 interrupt sources (0x10000 + n·0x20): IVPR at +0x00, IDR at +0x10, ILR at +0x18 (v4.2).
 * Other sub-offsets read 0xFFFFFFFF and ignore writes.
 * @packageDocumentation
 */
import { readIlr, writeIdr, writeIlr, writeIvpr } from '../delivery.js';
import type { MpicState } from '../state.js';
import {
  MAX_SRC,
  MPIC_SRC_IDR,
  MPIC_SRC_ILR,
  MPIC_SRC_IVPR,
  MPIC_SRC_STRIDE,
  OPENPIC_SRC_REG_SIZE,
  OPENPIC_SRC_REG_START,
} from '../uapi.js';
import type { MpicReg, MpicRegion } from './types.js';

const S = OPENPIC_SRC_REG_START;

/** The source register table: [IVPR, IDR, ILR]. */
export const SOURCE_REGS: readonly MpicReg[] = [
  {
    name: 'IVPR',
    offset: S + MPIC_SRC_IVPR,
    count: MAX_SRC,
    stride: MPIC_SRC_STRIDE,
    access: 'rw',
    state: true,
    doc: 'Vector/priority: MSK 31, A 30 (read-only), MODE 29 (read-only 0), POLARITY 23, SENSE 22, PRIORITY 19:16, VECTOR 15:0.',
    read: (s, n) => s.ivpr[n],
    write: (s, n, v) => {
      writeIvpr(s, n, v);
      return 0;
    },
  },
  {
    name: 'IDR',
    offset: S + MPIC_SRC_IDR,
    count: MAX_SRC,
    stride: MPIC_SRC_STRIDE,
    access: 'rw',
    state: true,
    doc: 'Destination CPUs (v2.0 also EP and per-CPU critical bits), masked by nb_cpus.',
    read: (s, n) => s.idr[n],
    write: (s, n, v) => {
      writeIdr(s, n, v);
      return 0;
    },
  },
  {
    name: 'ILR',
    offset: S + MPIC_SRC_ILR,
    count: MAX_SRC,
    stride: MPIC_SRC_STRIDE,
    access: 'rw',
    state: true,
    doc: 'v4.2: output select (0 INT, 1 critical, 2 machine check) = value & 0xFF; v2.0: reads 0xFFFFFFFF, writes ignored.',
    read: (s, n) => readIlr(s, n),
    write: (s, n, v) => {
      writeIlr(s, n, v);
      return 0;
    },
  },
];

function sub(off: number): number {
  const k = off & 0x1f;
  return k === MPIC_SRC_IVPR ? 0 : k === MPIC_SRC_IDR ? 1 : k === MPIC_SRC_ILR ? 2 : -1;
}

function read(s: MpicState, off: number, cpu: number): number {
  const r = sub(off);
  return r < 0 ? 0xffffffff : SOURCE_REGS[r].read!(s, (off & 0xffff) >>> 5, cpu);
}

function write(s: MpicState, off: number, value: number, cpu: number): number {
  const r = sub(off);
  return r < 0 ? 0 : SOURCE_REGS[r].write!(s, (off & 0xffff) >>> 5, value, cpu);
}

/** The source sub-region (0x10000–0x11FFF). */
export const SOURCE_REGION: MpicRegion = {
  name: 'sources',
  start: S,
  size: OPENPIC_SRC_REG_SIZE,
  regs: SOURCE_REGS,
  read,
  write,
};
