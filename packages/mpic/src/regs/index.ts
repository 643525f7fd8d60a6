/**
 * The MPIC register map: the six sub-regions and the dispatch that guest MMIO and
 * KVM_DEV_MPIC_GRP_REGISTER share. An offset in no sub-region is ENXIO.
 * @packageDocumentation
 */
import { ENXIO } from '@kvmdev/core';
import type { MpicState } from '../state.js';
import { GLOBAL_REGION } from './global.js';
import { MSI_REGION } from './msi.js';
import { PERCPU_REGION, percpuRead, percpuWrite } from './percpu.js';
import { SOURCE_REGION } from './sources.js';
import { SUMMARY_REGION } from './summary.js';
import { TIMER_REGION } from './timers.js';
import type { MpicRegion } from './types.js';
import { OPENPIC_CPU_REG_SIZE, OPENPIC_CPU_REG_START } from '../uapi.js';

export type { MpicReg, MpicRegAccess, MpicRegion } from './types.js';
export { GLOBAL_REGS } from './global.js';
export { TIMER_REGS } from './timers.js';
export { MSI_REGS } from './msi.js';
export { SUMMARY_REGS } from './summary.js';
export { SOURCE_REGS } from './sources.js';
export { PERCPU_REGS } from './percpu.js';

/** The sub-regions in the kernel's match order. */
export const MPIC_REGIONS: readonly MpicRegion[] = [
  GLOBAL_REGION,
  TIMER_REGION,
  SOURCE_REGION,
  PERCPU_REGION,
  MSI_REGION,
  SUMMARY_REGION,
];

/** The sub-region containing window offset `addr`, or null. */
export function regionOf(addr: number): MpicRegion | null {
  for (let i = 0; i < MPIC_REGIONS.length; i++) {
    const r = MPIC_REGIONS[i];
    if (addr >= r.start && addr < r.start + r.size) return r;
  }
  return null;
}

/**
 * kvm_mpic_read_internal: a 4-byte register read at window offset `addr` by `cpu` (the current
 * CPU for the aliases; -1 from userspace). The u32 value, or -errno (ENXIO outside the map).
 */
export function mpicRead(s: MpicState, addr: number, cpu: number): number {
  // the per-CPU pages (IACK, EOI, CTPR: the hot path) without the region table
  const off = addr - OPENPIC_CPU_REG_START;
  if (off >= 0 && off < OPENPIC_CPU_REG_SIZE) return percpuRead(s, off & 0xfff, (off & 0x1f000) >>> 12);
  const r = regionOf(addr);
  return r === null ? -ENXIO : r.read(s, addr - r.start, cpu);
}

/** kvm_mpic_write_internal: 0 or -errno. */
export function mpicWrite(s: MpicState, addr: number, value: number, cpu: number): number {
  const off = addr - OPENPIC_CPU_REG_START;
  if (off >= 0 && off < OPENPIC_CPU_REG_SIZE) return percpuWrite(s, off & 0xfff, value >>> 0, (off & 0x1f000) >>> 12);
  const r = regionOf(addr);
  return r === null ? -ENXIO : r.write(s, addr - r.start, value >>> 0, cpu);
}
