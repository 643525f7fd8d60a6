/**
 * What plugins contribute to composition: a setup spec per device type (validate and apply
 * friendly settings through the attribute API) and architecture profiles (the VM type and the
 * per-vCPU steps an architecture needs).
 * @packageDocumentation
 */
import type { UserMemory } from '../kernel/mem.js';
import type { KvmIrqRoutingEntry } from '../uapi/structs.js';

/** A problem in a VM config: `path` names the field (`devices[1].settings.dist`), `message` says why. */
export interface ConfigIssue {
  /** The field, e.g. `devices[1].settings.dist`. */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

/**
 * The process a setup step runs in: its user memory and one reusable 64-byte buffer for
 * attribute payloads (the `Host` of `createHost` is one).
 */
export interface SetupProcess {
  /** The user address space. */
  readonly mem: UserMemory;
  /** A reusable 64-byte user buffer. */
  scratch(): number;
}

/** The device being set up, as a setup step sees it (a typed-API `DeviceHandle` is one). */
export interface SetupDevice {
  /** The device fd. */
  readonly fd: number;
  /** The process the device fd lives in. */
  readonly host: SetupProcess;
  /** KVM_SET/GET/HAS_DEVICE_ATTR with a raw payload address; throws KvmError. */
  attrRaw(op: 'set' | 'get' | 'has', group: number, attr: number | bigint, addr: number): number;
}

/** The VM being composed, as a setup step sees it (a typed-API `VmHandle` is one). */
export interface SetupVm {
  /** Any VM ioctl; throws KvmError. */
  ioctl(request: number, arg?: number | bigint): number;
  /** KVM_SET_GSI_ROUTING; throws KvmError. */
  setGsiRouting(entries: readonly KvmIrqRoutingEntry[]): void;
}

/** A vCPU of the VM being composed (a typed-API `VcpuHandle` is one). */
export interface SetupVcpu {
  /** The vCPU id. */
  readonly id: number;
  /** Any vCPU ioctl; throws KvmError. */
  ioctl(request: number, arg?: number | bigint): number;
  /** KVM_ENABLE_CAP; throws KvmError. */
  enableCap(cap: number, ...args: (number | bigint)[]): number;
}

/** What a setup or profile step can use. */
export interface ComposeContext {
  /** The process being composed in. */
  readonly host: SetupProcess;
  /** The VM. */
  readonly vm: SetupVm;
  /** Its vCPUs, in id order. */
  readonly vcpus: readonly SetupVcpu[];
}

/**
 * One named step of a device's setup (`'dist'`: KVM_DEV_ARM_VGIC_GRP_ADDR DIST; `'init'`:
 * KVM_DEV_ARM_VGIC_CTRL_INIT). A VM config's `order` interleaves the steps of several devices
 * the way a VMM does (Firecracker sets the ITS up between the GICv3's addresses and its NR_IRQS).
 */
export interface SetupStep {
  /** The step's name, unique in its spec (`order` names it as `<device name>.<step>`). */
  readonly name: string;
  /** One line on what the step does (the calls it makes). */
  readonly doc: string;
  /** Whether the step runs for these settings (default: always). */
  active?(settings: Readonly<Record<string, unknown>>): boolean;
  /** Makes the step's calls (the device exists, the vCPUs too). Throws KvmError. */
  run(ctx: ComposeContext, device: SetupDevice, settings: Readonly<Record<string, unknown>>): void;
}

/** What every setup spec has: its settings and their validation. */
export interface SetupSpecBase {
  /** One line per setting, for `kvmdev types` and docs. */
  readonly settings: Readonly<Record<string, string>>;
  /** Checks the settings; paths are relative to the settings object (e.g. `'dist'`). */
  validate(settings: Readonly<Record<string, unknown>>, vm: { readonly vcpus: number }): ConfigIssue[];
}

/**
 * A setup given as named steps, in the spec's own order: composition runs the active ones in
 * that order, and a VM config's `order` can interleave them with other devices' steps.
 */
export interface SteppedSetupSpec extends SetupSpecBase {
  /** The steps, in the spec's own order. */
  readonly steps: readonly SetupStep[];
  /** A stepped spec has no `apply`: its steps are the setup. */
  readonly apply?: never;
}

/** A setup given as one call: to a VM config's `order` it is one step, `'setup'`. */
export interface AppliedSetupSpec extends SetupSpecBase {
  /** Runs after the device is created (the vCPUs exist): the whole setup. Throws KvmError. */
  apply(ctx: ComposeContext, device: SetupDevice, settings: Readonly<Record<string, unknown>>): void;
  /** An applied spec has no steps. */
  readonly steps?: never;
}

/**
 * A device's setup spec: its settings, validated and applied in the order a real VMM uses,
 * either as named steps ({@link SteppedSetupSpec}) or as one call ({@link AppliedSetupSpec}).
 * Run one with `applySetup`.
 */
export type DeviceSetupSpec = SteppedSetupSpec | AppliedSetupSpec;

/** An architecture profile (e.g. `'arm64'`, `'ppc-e500'`, `'ppc-pseries'`). */
export interface ArchProfile {
  /** The profile's name, e.g. `'arm64'`. */
  readonly name: string;
  /** One line on what it models. */
  readonly doc: string;
  /** Device keys this architecture can host. */
  readonly devices: readonly string[];
  /** Maximum vCPUs of the profile. */
  readonly maxVcpus?: number;
  /** KVM_CREATE_VM machine type for a config (default 0). */
  vmType?(config: { readonly vcpus: number }): number;
  /** After every device is set up (e.g. KVM_ARM_VCPU_INIT on each vCPU). */
  finalize?(ctx: ComposeContext): void;
}
