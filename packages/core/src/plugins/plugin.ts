/**
 * What a plugin is: the device types it registers (each with its `DeviceOps` and the specs tools
 * read), the VM/vCPU hooks it adds, its architecture profiles and claims. Also the
 * declaration-merging points of the typed API (`KvmDeviceRegistry`).
 * @packageDocumentation
 */
import type { AttrTable } from '../kernel/attr.js';
import type { DeviceOps, KvmHooks } from '../kernel/ops.js';
import type { HostArch } from '../kernel/tables.js';
import type { DeviceIntrospectSpec } from './introspect-spec.js';
import type { ArchProfile, DeviceSetupSpec } from './setup-spec.js';
import type { DeviceSnapshotSpec } from './snapshot-spec.js';

/** A device type a plugin registers. */
export interface DeviceRegistration<P = unknown> {
  /**
   * The typed-API key, e.g. `'KVM_DEV_TYPE_ARM_VGIC_V3'` for a kernel type, or a namespaced
   * `'@acme/kvmdev-foo:foo'` for a third-party type.
   */
  readonly key: string;
  /**
   * Kernel type number (1 .. KVM_DEV_TYPE_MAX-1). Omit it for a third-party device: the host
   * assigns a number from the vendor range (see `KVM_DEV_TYPE_VENDOR_BASE`), which can never
   * collide with a kernel type or with another plugin's type.
   */
  readonly type?: number;
  /** The device's ops (`struct kvm_device_ops`). */
  readonly ops: DeviceOps<P>;
  /** The attribute table (for the kit, the typed API and snapshots). */
  readonly attrs?: AttrTable;
  /** How snapshots save and restore this device's state. */
  readonly snapshot?: DeviceSnapshotSpec<P>;
  /** How composition applies friendly settings to this device. */
  readonly setup?: DeviceSetupSpec;
  /** How tools (the CLI, the web inspector) show this device in device terms. */
  readonly introspect?: DeviceIntrospectSpec;
}

/** A kvmdev plugin: a package that registers device types and hooks on a host. */
export interface KvmPlugin {
  /** Package-style name, e.g. `'@kvmdev/mpic'`. */
  readonly name: string;
  /** The plugin's own version (semver). */
  readonly version: string;
  /** The `@kvmdev/core` versions it supports, as a semver range (`^0.1.0`, `>=0.1.0 <0.3.0`, `*`). */
  readonly core: string;
  /** Names of plugins that must be registered first. */
  readonly dependencies?: readonly string[];
  /** The device types it registers (all or none are registered). */
  readonly devices?: readonly DeviceRegistration[];
  /** The VM/vCPU hooks it adds (arch code, irqchip routing, guest-port handlers). */
  readonly hooks?: KvmHooks;
  /** Architecture profiles for composition (e.g. `'arm64'`). */
  readonly profiles?: readonly ArchProfile[];
  /**
   * The architecture of the host this plugin models, for a plugin that models a whole host (its
   * ioctl encoding decides which request numbers the host answers, `host.ioctls`). One host has
   * one architecture: a second plugin declaring another is refused. Device-only plugins omit it.
   */
  readonly hostArch?: HostArch;
  /**
   * What the plugin's hooks answer for. Two plugins claiming the same capability, hypercall,
   * ONE_REG id, ioctl or system register conflict, and the second is rejected at registration.
   */
  readonly claims?: PluginClaims;
  /**
   * The options this plugin instance was built with (JSON values, e.g. `{ host: 'qemu-tcg-max' }`),
   * absent for the package's default instance. Tools record them (a CLI snapshot's
   * `$.vm.plugins[i].options`) so that the same host is modelled again on restore.
   */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * Builds this plugin for other options (a host profile, a behaviour choice), for tools that load
   * a plugin by package name and then configure it from a file (a VM file's
   * `plugins: [{ name, options }]`). Throws a TypeError naming the bad option.
   */
  configure?(options: Readonly<Record<string, unknown>>): KvmPlugin;
}

/** The requests a plugin's hooks serve (see `KvmPlugin.claims`). */
export interface PluginClaims {
  /** KVM_ENABLE_CAP capabilities. */
  readonly caps?: readonly number[];
  /** Hypercall numbers. */
  readonly hypercalls?: readonly number[];
  /** ONE_REG ids. */
  readonly oneRegs?: readonly bigint[];
  /** VM ioctl request numbers. */
  readonly vmIoctls?: readonly number[];
  /** vCPU ioctl request numbers. */
  readonly vcpuIoctls?: readonly number[];
  /** System register encodings. */
  readonly sysregs?: readonly number[];
  /** Architecture profile names. */
  readonly profiles?: readonly string[];
}

/**
 * The typed API's device-type map. Device packages add their types by declaration merging:
 *
 * ```ts
 * declare module '@kvmdev/core' {
 *   interface KvmDeviceRegistry {
 *     '@acme/kvmdev-foo:foo': { type: number; groups: { 1: { attr: number; value: number } } };
 *   }
 * }
 * ```
 * `groups` maps each attribute group to its attr id type and payload value type.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KvmDeviceRegistry {}

/** The shape of one registry entry. */
export interface DeviceTypeSpec {
  /** The kernel (or vendor-range) type number. */
  readonly type: number;
  /** Attribute group number to its attr id type and payload value type. */
  readonly groups: { readonly [group: number]: { readonly attr: number | bigint; readonly value: number | bigint } };
}

/** Keys of every registered device type. */
export type DeviceKey = keyof KvmDeviceRegistry & string;
/** The groups map of a device key. */
export type GroupsOf<K extends DeviceKey> = KvmDeviceRegistry[K] extends { groups: infer G } ? G : never;
/** Attribute id type of group G of device K. */
export type AttrOf<K extends DeviceKey, G extends keyof GroupsOf<K>> = GroupsOf<K>[G] extends { attr: infer A }
  ? A
  : never;
/** Payload value type of group G of device K. */
export type ValueOf<K extends DeviceKey, G extends keyof GroupsOf<K>> = GroupsOf<K>[G] extends { value: infer V }
  ? V
  : never;

/** Identity helper that type-checks a plugin object. */
export function definePlugin<const P extends KvmPlugin>(plugin: P): P {
  return plugin;
}
