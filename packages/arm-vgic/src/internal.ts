/**
 * Everything the package's own tests and benchmarks reach into: the public entry plus the
 * device ops, snapshot specs, arch hooks and state. Not part of the published API (no `exports` entry).
 * @packageDocumentation
 */
export * from './index.js';
export { vgicV2Ops } from './device-v2.js';
export { vgicV3Ops } from './device-v3.js';
export { vgicV2Snapshot, vgicV3Snapshot } from './snapshot.js';
export { vgicItsSnapshot } from './its/snapshot.js';
export { armHooks, armHooksFor } from './arch.js';
export { vgicOf, ARM_VM, ARM_VCPU, VGIC } from './init.js';
export { ArmVm, INITIAL_PENDBASER_VALUE, INITIAL_PROPBASER_VALUE, vgicItsCreated } from './arm64/vm-state.js';
export { ArmVcpu } from './arm64/vcpu-state.js';
export { SYS_REGS } from './arm64/sys-regs.js';
export type { SysRegDesc } from './arm64/sys-regs.js';
export { Vgic, VcpuGic, IrqBank, CpuIf, PendingSet } from './state.js';
export type { RdistRegion } from './state.js';
export { ItsGuestDriver, LPI_PROP_DEFAULT, type GuestRam } from './its/guest-driver.js';
export { ITS_DIST } from './its/slot.js';
export type { ItsDist } from './its/dist.js';
export { vgicItsIntrospect } from './introspect/its.js';
