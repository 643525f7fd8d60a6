/**
 * `@kvmdev/core/plugin`: what a device plugin is written against. The kernel objects a device
 * lives in (`Kernel`, `Vm`, `Vcpu`, `KvmDevice`, open files, the MMIO bus), the contracts the
 * kernel calls (`DeviceOps`, `IrqChip`, `KvmHooks`), the plugin object (`definePlugin`) and the
 * specs tools read from it (snapshot, setup, introspection, architecture profiles), with their
 * helpers.
 *
 * Numbers, errno and `KvmError` come from `@kvmdev/core`.
 * @packageDocumentation
 */

// kernel objects
export { Kernel } from './kernel/kernel.js';
export { Vm } from './kernel/vm.js';
export { Vcpu, type LineListener } from './kernel/vcpu.js';
export { KvmDevice } from './kernel/device.js';
export { KFile, FdTable, type FileTarget } from './kernel/files.js';
export { MmioBus, type MmioRegion } from './kernel/mmio-bus.js';
export { IrqRouting } from './kernel/irq-routing.js';
export { MemSlots, type MemSlot, type MemSlotConfig, type MemRegionChange, type MemRegionRequest, type PrepareMemoryRegion } from './kernel/memslots.js';
export { GuestMemory } from './kernel/guest-memory.js';
export { EventFd, type EventFdWaiter } from './kernel/eventfd.js';
export { IrqFds, EWOULDBLOCK } from './kernel/irqfd.js';
export { defineSlot, SlotStore, type Slot } from './kernel/slots.js';
export {
  attrU64,
  type KvmDeviceAttr,
  type AttrTable,
  type AttrDecl,
  type AttrId,
  type AttrAccess,
} from './kernel/attr.js';

// what the kernel calls
export { KVM_HOOK_PASS, type DeviceOps, type IrqChip, type KvmHooks } from './kernel/ops.js';
export { KVM_DEV_TYPE_VENDOR_BASE, KVM_DEV_TYPE_VENDOR_MAX, type HookName, type HostArch } from './kernel/tables.js';

// the plugin object and the specs tools read
export { definePlugin, type DeviceRegistration, type PluginClaims } from './plugins/plugin.js';
export { satisfies } from './plugins/semver.js';
export type { DeviceSnapshotSpec, DeviceStateIo, StateEntry, StateLayout, StateValues } from './plugins/snapshot-spec.js';
export type {
  AppliedSetupSpec,
  ArchProfile,
  ComposeContext,
  ConfigIssue,
  DeviceSetupSpec,
  SetupDevice,
  SetupSpecBase,
  SetupProcess,
  SetupStep,
  SetupVcpu,
  SetupVm,
  SteppedSetupSpec,
} from './plugins/setup-spec.js';
export type {
  AccessReading,
  CpuState,
  DeviceIntrospectSpec,
  DeviceNames,
  DeviceView,
  GuestAck,
  GuestOps,
  InterruptRange,
  InterruptState,
  InterruptView,
  IntrospectDevice,
  IntrospectTarget,
  IntrospectVcpu,
  IntrospectVm,
  IpiOptions,
  LineLevel,
  RaiseResult,
  RawAccess,
  StateField,
  StateSection,
  TriggerMode,
} from './plugins/introspect-spec.js';
export { check, showValue } from './uapi/errors.js';
export { deviceStateIo } from './state/snapshot.js';
export { parseAddress } from './compose/compose.js';
