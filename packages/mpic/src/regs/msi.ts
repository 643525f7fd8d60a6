/**
 * The shared MSI registers (0x1600–0x17FF): MSIR0–7 (clear on read), MSISR, MSIIR. Bank srs is
 * internal IRQ 224+srs, an FSL internal (level) source. A read that is not 16-aligned is ENXIO
 * (kernel quirk: an error, not 0xFFFFFFFF).
 * @packageDocumentation
 */
import { ENXIO } from '@kvmdev/core';
import { msiWrite, setIrq } from '../delivery.js';
import type { MpicState } from '../state.js';
import {
  MAX_MSI,
  MPIC_IRQ_MSI,
  MPIC_MSIIR,
  MPIC_MSIR0,
  MPIC_MSISR,
  MSIIR_OFFSET,
  OPENPIC_MSI_REG_SIZE,
  OPENPIC_MSI_REG_START,
} from '../uapi.js';
import type { MpicReg, MpicRegion } from './types.js';

/** The MSI register table: [MSIR, MSISR, MSIIR]. */
export const MSI_REGS: readonly MpicReg[] = [
  {
    name: 'MSIR',
    offset: MPIC_MSIR0,
    count: MAX_MSI,
    stride: 0x10,
    access: 'r',
    state: true,
    doc: "Bank srs's bitmap; a read returns it, clears it and drops IRQ 224+srs to level 0.",
    read: (s, srs) => {
      const r = s.msir[srs];
      s.msir[srs] = 0;
      setIrq(s, MPIC_IRQ_MSI + srs, 0);
      return r;
    },
  },
  {
    name: 'MSISR',
    offset: MPIC_MSISR,
    count: 1,
    stride: 0,
    access: 'r',
    state: false,
    doc: 'Bit i set while bank i is non-zero.',
    read: (s) => {
      let r = 0;
      for (let i = 0; i < MAX_MSI; i++) if (s.msir[i] !== 0) r |= 1 << i;
      return r;
    },
  },
  {
    name: 'MSIIR',
    offset: MPIC_MSIIR,
    count: 1,
    stride: 0,
    access: 'w',
    state: false,
    doc: 'MSI trigger: bank = value >> 29, bit = (value >> 24) & 0x1F; raises IRQ 224+bank.',
    write: (s, _i, v) => msiWrite(s, MSIIR_OFFSET, v),
  },
];

function read(s: MpicState, off: number, cpu: number): number {
  if ((off & 0xf) !== 0) return -ENXIO;
  if (off <= 0x70) return MSI_REGS[0].read!(s, off >>> 4, cpu);
  if (off === MPIC_MSISR - OPENPIC_MSI_REG_START) return MSI_REGS[1].read!(s, 0, cpu);
  return 0;
}

/** The MSI sub-region (0x1600–0x17FF). Writes other than MSIIR are ignored. */
export const MSI_REGION: MpicRegion = {
  name: 'msi',
  start: OPENPIC_MSI_REG_START,
  size: OPENPIC_MSI_REG_SIZE,
  regs: MSI_REGS,
  read,
  write: (s, off, v) => msiWrite(s, off, v),
};
