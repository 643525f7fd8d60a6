/**
 * Everything the package's own tests and benchmarks reach into: the public entry plus the
 * state, delivery, register tables and hooks. Not part of the published API (no `exports` entry).
 * @packageDocumentation
 */
export * from './index.js';
export { MpicState, QUEUE_WORDS, IVPR_RESET, IDR_RESET, SPVE_RESET } from './state.js';
export {
  checkRaised,
  checkServicing,
  eoi,
  iack,
  mpicReset,
  priorityOf,
  proxyMode,
  qtest,
  setIrq,
  updateIrq,
} from './delivery.js';
export {
  MPIC_REGIONS,
  GLOBAL_REGS,
  TIMER_REGS,
  MSI_REGS,
  SUMMARY_REGS,
  SOURCE_REGS,
  PERCPU_REGS,
  mpicRead,
  mpicWrite,
  regionOf,
  type MpicReg,
  type MpicRegAccess,
  type MpicRegion,
} from './regs/index.js';
export {
  MPIC_VCPU_SLOT,
  MPIC_VM_SLOT,
  currentCpu,
  mpicIrqChip,
  mpicOps,
  vmMpic,
  type MpicVcpu,
} from './device.js';
export { MPIC_IRQ_CONNECTION, connectVcpu, mpicCpuOf, mpicHooks, mpicTakeExternal } from './hooks.js';
export { mpicSnapshot } from './snapshot.js';

/** Attribute groups of both MPIC types, for the typed API. */
