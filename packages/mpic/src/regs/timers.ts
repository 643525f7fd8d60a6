/**
 * The global timers (0x10F0–0x130F). The timers never count and never interrupt: the registers
 * are storage. Writes decode the absolute offset (timer i = (a >> 6) & 3, register = a & 0x30);
 * reads decode the offset relative to 0x10F0 with the same formula, so a read lands one register
 * "early" (kernel quirk): 0x1100 reads TBCR0, 0x1110 TVPR0, 0x1120 TDR0, 0x1130 TCCR1.
 * @packageDocumentation
 */
import { writeIdr, writeIvpr, writeTbcr } from '../delivery.js';
import type { MpicState } from '../state.js';
import {
  MPIC_IRQ_TIM0,
  MPIC_TBCR,
  MPIC_TCCR,
  MPIC_TDR,
  MPIC_TFRR,
  MPIC_TIMER0,
  MPIC_TVPR,
  OPENPIC_TMR_REG_SIZE,
  OPENPIC_TMR_REG_START,
} from '../uapi.js';
import type { MpicReg, MpicRegion } from './types.js';

const T = OPENPIC_TMR_REG_START;
/** Where the shifted read decoding finds register `reg` of timer i. */
function readAt(i: number, reg: number): number {
  const rel = 0x40 * i + reg;
  return T + (rel === 0 ? 0x100 : rel); // rel 0 is TFRR: TCCR0 is only reached through the wrap at +0x100
}

/** The timer register table: [TFRR, TCCR, TBCR, TVPR, TDR]. */
export const TIMER_REGS: readonly MpicReg[] = [
  {
    name: 'TFRR',
    offset: MPIC_TFRR,
    count: 1,
    stride: 0,
    access: 'rw',
    state: true,
    doc: 'Timer frequency reporting (storage); reset 0.',
    read: (s) => s.tfrr,
    write: (s, _i, v) => {
      s.tfrr = v >>> 0;
      return 0;
    },
  },
  {
    name: 'TCCR',
    offset: MPIC_TIMER0 + MPIC_TCCR,
    count: 4,
    stride: 0x40,
    access: 'r',
    state: false,
    doc: 'Current count: always 0 (the timers do not run); writes ignored.',
    read: (s, i) => s.tccr[i],
    readOffset: (i) => readAt(i, MPIC_TCCR),
  },
  {
    name: 'TBCR',
    offset: MPIC_TIMER0 + MPIC_TBCR,
    count: 4,
    stride: 0x40,
    access: 'rw',
    state: true,
    doc: 'Base count (storage); reset 0x80000000 (CI).',
    read: (s, i) => s.tbcr[i],
    write: (s, i, v) => {
      writeTbcr(s, i, v);
      return 0;
    },
    readOffset: (i) => readAt(i, MPIC_TBCR),
  },
  {
    name: 'TVPR',
    offset: MPIC_TIMER0 + MPIC_TVPR,
    count: 4,
    stride: 0x40,
    access: 'rw',
    state: true,
    doc: 'IVPR of timer i (internal IRQ 260+i).',
    read: (s, i) => s.ivpr[MPIC_IRQ_TIM0 + i],
    write: (s, i, v) => {
      writeIvpr(s, MPIC_IRQ_TIM0 + i, v);
      return 0;
    },
    readOffset: (i) => readAt(i, MPIC_TVPR),
  },
  {
    name: 'TDR',
    offset: MPIC_TIMER0 + MPIC_TDR,
    count: 4,
    stride: 0x40,
    access: 'rw',
    state: true,
    doc: 'IDR of timer i.',
    read: (s, i) => s.idr[MPIC_IRQ_TIM0 + i],
    write: (s, i, v) => {
      writeIdr(s, MPIC_IRQ_TIM0 + i, v);
      return 0;
    },
    readOffset: (i) => readAt(i, MPIC_TDR),
  },
];

function read(s: MpicState, off: number, cpu: number): number {
  if ((off & 0xf) !== 0) return 0xffffffff;
  if (off === 0) return TIMER_REGS[0].read!(s, 0, cpu);
  const r = TIMER_REGS[1 + ((off & 0x30) >>> 4)];
  return r.read!(s, (off >>> 6) & 3, cpu);
}

function write(s: MpicState, off: number, value: number, cpu: number): number {
  const a = off + T;
  if ((a & 0xf) !== 0) return 0;
  if (a === MPIC_TFRR) return TIMER_REGS[0].write!(s, 0, value, cpu);
  const r = TIMER_REGS[1 + ((a & 0x30) >>> 4)];
  return r.write === undefined ? 0 : r.write(s, (a >>> 6) & 3, value, cpu);
}

/** The timer sub-region (0x10F0–0x130F). */
export const TIMER_REGION: MpicRegion = {
  name: 'timers',
  start: T,
  size: OPENPIC_TMR_REG_SIZE,
  regs: TIMER_REGS,
  read,
  write,
};
