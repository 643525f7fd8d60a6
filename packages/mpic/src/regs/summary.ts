/**
 * The FSL summary registers (0x3800–0x3FFF). EISR/EIMR are not implemented by the kernel:
 * every read is 0 and every write is ignored.
 * @packageDocumentation
 */
import { OPENPIC_SUMMARY_REG_SIZE, OPENPIC_SUMMARY_REG_START } from '../uapi.js';
import type { MpicReg, MpicRegion } from './types.js';

/** No register of the summary block does anything. */
export const SUMMARY_REGS: readonly MpicReg[] = [];

/** The summary sub-region. */
export const SUMMARY_REGION: MpicRegion = {
  name: 'summary',
  start: OPENPIC_SUMMARY_REG_START,
  size: OPENPIC_SUMMARY_REG_SIZE,
  regs: SUMMARY_REGS,
  read: () => 0,
  write: () => 0,
};
