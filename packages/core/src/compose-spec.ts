/**
 * What plugins contribute to composition: a setup spec per device type (validate and apply
 * friendly settings through the attribute API) and architecture profiles (the VM type and the
 * per-vCPU steps an architecture needs).
 * @packageDocumentation
 */
import type { Host } from './host.js';
import type { DeviceKey } from './plugin.js';
import type { DeviceHandle, VcpuHandle, VmHandle } from './typed.js';

/** A problem in a VM config: `path` names the field (`devices[1].settings.dist`), `message` says why. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** What a setup or profile step can use. */
export interface ComposeContext {
  readonly host: Host;
  readonly vm: VmHandle;
  readonly vcpus: readonly VcpuHandle[];
}

/** A device's setup spec: its settings, validated and applied in the order a real VMM uses. */
export interface DeviceSetupSpec {
  /** One line per setting, for `kvmdev types` and docs. */
  readonly settings: Readonly<Record<string, string>>;
  /** Checks the settings; paths are relative to the settings object (e.g. `'dist'`). */
  validate(settings: Readonly<Record<string, unknown>>, vm: { readonly vcpus: number }): ConfigIssue[];
  /** Runs after the device is created (the vCPUs exist). Throws KvmError. */
  apply(ctx: ComposeContext, device: DeviceHandle<DeviceKey>, settings: Readonly<Record<string, unknown>>): void;
}

/** An architecture profile (e.g. `'arm64'`, `'ppc-e500'`, `'ppc-pseries'`). */
export interface ArchProfile {
  readonly name: string;
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
