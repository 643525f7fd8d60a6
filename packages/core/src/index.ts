/**
 * `@kvmdev/core`: the Linux KVM device control API in TypeScript, for VMM code and its tests.
 *
 * - `createHost` gives a simulated process with its kernel: the syscall facade (`open`, `ioctl`,
 *   `close`, `dup`, `mem`) that C code ports to line by line, and the typed API (`kvm()`,
 *   `createVm()`, handles that throw {@link KvmError}).
 * - The uapi: ioctl numbers, capability and device-type numbers, errno, struct codecs.
 * - Snapshots (save, restore, diff) and composition (VM configs and presets).
 *
 * Plugin authors find the kernel objects, `DeviceOps`, hooks and spec types in
 * `@kvmdev/core/plugin`.
 * @packageDocumentation
 */

// uapi: numbers, encodings, errno and struct codecs (the whole uapi layer is public)
export * from './uapi/ioctl.js';
export * from './uapi/requests.js';
export * from './uapi/errno.js';
export * from './uapi/kvm.js';
export * from './uapi/structs.js';
export * from './uapi/eventfd.js';
export * from './uapi/vfs.js';
export * from './uapi/run.js';
export { KvmError, isKvmError } from './uapi/errors.js';

// the host: syscall facade and typed API
export { Host, createHost, type HostOptions } from './faces/host.js';
export {
  KvmHandle,
  VmHandle,
  VcpuHandle,
  DeviceHandle,
  type CreateDeviceOptions,
  type SetValueArgs,
  type MsiMessage,
  type MemoryRegion,
} from './faces/typed.js';
export { EventFdHandle } from './faces/eventfd.js';
export type { KernelOptions, KernelTestHooks } from './kernel/kernel.js';
export type { HostArch } from './kernel/tables.js';
export { UserMemory, type UserMemoryOptions } from './kernel/mem.js';
export {
  GuestPort,
  GUEST_UNDEF_ESR,
  type GuestOutcome,
  type GuestOutcomeKind,
  type HypercallResult,
  type KvmRunExit,
  type KvmRunMmio,
  type KvmRunPaprHcall,
  type SysregReadOutcome,
} from './kernel/guest-port.js';
export {
  KVM_LINE_IRQ,
  KVM_LINE_FIQ,
  KVM_LINE_EXTERNAL,
  KVM_LINE_CRITICAL,
  KVM_LINE_MCHECK,
  LINE_NAMES,
  lineIndex,
  type LineName,
} from './kernel/lines.js';
export type { VmEvent } from './kernel/vm.js';

// plugins as a VMM sees them: what to pass to createHost, and the typed-API registry
export type {
  KvmPlugin,
  KvmDeviceRegistry,
  DeviceTypeSpec,
  DeviceKey,
  GroupsOf,
  AttrOf,
  ValueOf,
} from './plugins/plugin.js';
export { PluginError, type Registry, type RegisteredType } from './plugins/registry.js';
export { CORE_VERSION } from './plugins/version.js';

// state: snapshots
export {
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
  SnapshotError,
  saveSnapshot,
  parseSnapshot,
  restoreSnapshot,
  diffSnapshots,
  type Snapshot,
  type SnapshotDevice,
  type SnapshotEntry,
  type SnapshotMemory,
  type SnapshotMemoryRun,
  type SnapshotMemorySlot,
} from './state/snapshot.js';

// composition: VM configs and presets
export {
  ConfigError,
  composeVm,
  validateVmConfig,
  archProfiles,
  applySetup,
  setupSteps,
  type VmConfig,
  type DeviceConfig,
  type ComposedVm,
} from './compose/compose.js';
export {
  MAX_VM_MEMORY,
  MAX_VM_MEMORY_SLOTS,
  MEM_STEP_FIELDS,
  addGuestRam,
  readMemStep,
  readMemoryConfig,
  runMemStep,
  type GuestRamSlot,
  type MemStep,
  type MemStepIssue,
  type MemStepResult,
  type MemoryConfig,
} from './compose/guest-ram.js';
export {
  PLUGINS_NOT_A_LIST,
  configuredPlugin,
  readCarriedPlugins,
  readPluginEntry,
  type CarriedPlugin,
  type CarriedPluginsIssue,
  type CarriedPluginsResult,
  type PluginEntry,
  type PluginEntryIssue,
  type PluginEntryResult,
} from './compose/plugin-entry.js';
export {
  presets,
  qemuE500,
  qemuPseries,
  qemuVirtArm64,
  qemuVirtArm64Its,
  firecrackerArm64,
  firecrackerArm64Pci,
  cloudHypervisorArm64,
} from './compose/presets.js';
