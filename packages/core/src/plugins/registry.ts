/**
 * The per-host plugin registry: validates a plugin (metadata, core range, dependencies, claims,
 * device types, all or nothing), assigns vendor type numbers, installs its device ops and hooks
 * into the kernel's tables, and answers what is registered (types by key or number, their
 * attribute tables and specs) for the typed API and the tools.
 * @packageDocumentation
 */
import type { AttrTable } from '../kernel/attr.js';
import { KvmError, showValue } from '../uapi/errors.js';
import type { DeviceOps } from '../kernel/ops.js';
import { KVM_DEV_TYPE_VENDOR_BASE, KVM_DEV_TYPE_VENDOR_MAX, type KernelTables } from '../kernel/tables.js';
import type { DeviceRegistration, KvmPlugin } from './plugin.js';
import { KVM_IOCTLS } from '../uapi/requests.js';
import { satisfies } from './semver.js';
import type { DeviceSetupSpec } from './setup-spec.js';
import type { DeviceSnapshotSpec } from './snapshot-spec.js';
import { EEXIST, EINVAL, ENOENT, ENOSPC } from '../uapi/errno.js';
import { KVM_DEV_TYPE_MAX } from '../uapi/kvm.js';
import { CORE_VERSION } from './version.js';

/** What a registered device type carries. */
export interface RegisteredType {
  /** The type number (kernel or vendor range). */
  readonly type: number;
  /** The typed-API key, e.g. `'KVM_DEV_TYPE_ARM_VGIC_V3'`. */
  readonly key: string;
  /** The device's ops. */
  readonly ops: DeviceOps;
  /** Its attribute table (empty when the plugin publishes none). */
  readonly attrs: AttrTable;
  /** Name of the plugin that registered it. */
  readonly plugin: string;
  /** Its snapshot spec, if it can be saved and restored. */
  readonly snapshot: DeviceSnapshotSpec | undefined;
  /** Its setup spec, if composition can set it up. */
  readonly setup: DeviceSetupSpec | undefined;
}

/** Error thrown for an invalid plugin or a conflicting registration. */
export class PluginError extends KvmError {
  /** Name of the plugin that was refused. */
  readonly plugin: string;
  constructor(errno: number, plugin: string, message: string) {
    super(errno, `plugin ${plugin}: ${message}`);
    this.name = 'PluginError';
    this.plugin = plugin;
  }
}

/** The registry of one host. */
export class Registry {
  /** A registry that installs into `tables` (the host kernel's dispatch tables). */
  constructor(tables: KernelTables) {
    this.tables = tables;
  }

  private readonly tables: KernelTables;
  private readonly types = new Map<number, RegisteredType>();
  private readonly keys = new Map<string, RegisteredType>();
  private readonly plugins = new Map<string, KvmPlugin>();
  private readonly vendorKeys = new Map<string, number>();
  private readonly claimed = new Map<string, string>();

  private claimsOf(p: KvmPlugin): [string, readonly (number | bigint | string)[]][] {
    const c = p.claims ?? {};
    const profiles = [...(c.profiles ?? []), ...(p.profiles ?? []).map((x) => x.name)];
    return [
      ['capability', c.caps ?? []],
      ['hypercall', c.hypercalls ?? []],
      ['ONE_REG', c.oneRegs ?? []],
      ['VM ioctl', c.vmIoctls ?? []],
      ['vCPU ioctl', c.vcpuIoctls ?? []],
      ['system register', c.sysregs ?? []],
      ['profile', [...new Set(profiles)]],
    ];
  }

  /** The ops for a type number, or null (ENODEV). */
  lookup(type: number): DeviceOps | null {
    return this.tables.lookup(type);
  }

  private unregisterType(type: number): void {
    this.tables.unregisterDeviceOps(type);
    const t = this.types.get(type);
    if (t) {
      this.types.delete(type);
      this.keys.delete(t.key);
    }
  }

  /** The registered type for a key or number. */
  typeInfo(keyOrType: string | number): RegisteredType | undefined {
    return typeof keyOrType === 'number' ? this.types.get(keyOrType) : this.keys.get(keyOrType);
  }

  /** Every registered device type. */
  listTypes(): RegisteredType[] {
    return [...this.types.values()].sort((a, b) => a.type - b.type);
  }

  /** Registered plugins, in order. */
  listPlugins(): KvmPlugin[] {
    return [...this.plugins.values()];
  }

  /** Whether a plugin with this name is registered. */
  hasPlugin(name: string): boolean {
    return this.plugins.has(name);
  }

  /**
   * Registers a plugin: checks its metadata, core range, dependencies and device types (all or
   * nothing), then its hooks. Throws a {@link PluginError} naming the problem.
   */
  register(plugin: KvmPlugin): void {
    const name = typeof plugin?.name === 'string' ? plugin.name : '<unnamed>';
    const fail = (errno: number, msg: string): never => {
      throw new PluginError(errno, name, msg);
    };
    if (typeof plugin !== 'object' || plugin === null) fail(EINVAL, 'not a plugin object');
    if (!plugin.name) fail(EINVAL, 'missing name');
    if (this.plugins.has(plugin.name)) fail(EEXIST, 'already registered');
    if (typeof plugin.version !== 'string') fail(EINVAL, 'missing version');
    const ok = satisfies(CORE_VERSION, typeof plugin.core === 'string' ? plugin.core : '');
    if (ok === null) fail(EINVAL, `cannot parse core range ${showValue(plugin.core)}`);
    if (!ok) fail(EINVAL, `needs @kvmdev/core ${plugin.core}, this is ${CORE_VERSION}`);
    const h0 = plugin.hooks;
    if (h0 !== undefined && (typeof h0 !== 'object' || h0 === null)) fail(EINVAL, 'hooks must be an object');
    for (const [k, v] of Object.entries(h0 ?? {})) {
      if (!this.tables.isHook(k)) fail(EINVAL, `unknown hook ${k}`);
      if (typeof v !== 'function') fail(EINVAL, `hook ${k} is not a function`);
    }
    const claims = this.claimsOf(plugin);
    for (const [kind, ids] of claims) {
      for (const id of ids) {
        const owner = this.claimed.get(`${kind}:${id}`);
        if (owner) fail(EEXIST, `${kind} ${typeof id === 'bigint' ? `0x${id.toString(16)}` : id} is already served by ${owner}`);
      }
    }
    const arch = plugin.hostArch;
    if (arch !== undefined) {
      if (typeof arch !== 'object' || arch === null || typeof arch.name !== 'string' || !arch.name)
        fail(EINVAL, 'hostArch needs a name');
      if (!Object.hasOwn(KVM_IOCTLS, arch.ioctlEncoding)) fail(EINVAL, `unknown ioctl encoding ${JSON.stringify(arch.ioctlEncoding)}`);
      for (const k of ['irqRouting', 'msi'] as const)
        if (arch[k] !== undefined && typeof arch[k] !== 'boolean') fail(EINVAL, `hostArch.${k} must be a boolean`);
      const cur = this.tables.hostArch;
      if (cur !== null && (cur.name !== arch.name || cur.ioctlEncoding !== arch.ioctlEncoding || (cur.irqRouting ?? true) !== (arch.irqRouting ?? true) || (cur.msi ?? true) !== (arch.msi ?? true)))
        fail(EEXIST, `the host is already a ${cur.name} host (declared by ${this.tables.hostArchOwner ?? '?'}); it cannot also be ${arch.name}`);
    }
    for (const d of plugin.dependencies ?? []) {
      if (!this.plugins.has(d)) fail(ENOENT, `depends on ${d}, which is not registered (register it first)`);
    }
    // device types: validate all first
    const planned: { reg: DeviceRegistration; type: number }[] = [];
    const seenKeys = new Set<string>();
    let vendorNext = this.tables.vendorUsed;
    for (const reg of plugin.devices ?? []) {
      if (!reg || typeof reg.key !== 'string' || !reg.key) fail(EINVAL, 'a device registration has no key');
      if (!reg.ops || typeof reg.ops.create !== 'function' || typeof reg.ops.name !== 'string')
        fail(EINVAL, `device ${reg.key}: ops need a name and a create function`);
      if (!reg.ops.destroy && !reg.ops.release)
        fail(EINVAL, `device ${reg.key}: ops need destroy or release (exactly one frees the device)`);
      if (this.keys.has(reg.key) || seenKeys.has(reg.key))
        fail(EEXIST, `device key ${reg.key} is already registered`);
      seenKeys.add(reg.key);
      let type: number;
      if (reg.type === undefined) {
        if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*:[\w.-]+$/i.test(reg.key))
          fail(EINVAL, `device ${reg.key}: a vendor device key must be namespaced like '@acme/kvmdev-foo:foo'`);
        const known = this.vendorKeys.get(reg.key);
        if (known !== undefined) type = known;
        else {
          if (vendorNext >= KVM_DEV_TYPE_VENDOR_MAX) fail(ENOSPC, 'the vendor type range is full');
          type = KVM_DEV_TYPE_VENDOR_BASE + vendorNext++;
        }
      } else {
        type = reg.type;
        if (!Number.isInteger(type) || type <= 0 || type >= KVM_DEV_TYPE_MAX)
          fail(ENOSPC, `device ${reg.key}: type ${type} is outside the kernel table (1..${KVM_DEV_TYPE_MAX - 1})`);
        if (this.tables.lookup(type) || planned.some((p) => p.type === type))
          fail(EEXIST, `device ${reg.key}: type ${type} is already registered by ${this.types.get(type)?.plugin ?? 'this plugin'}`);
      }
      planned.push({ reg, type });
    }
    for (const { reg, type } of planned) {
      const r = this.tables.registerDeviceOps(reg.ops, type);
      if (r < 0) fail(-r, `device ${reg.key}: cannot register type ${type}`);
      if (type >= KVM_DEV_TYPE_VENDOR_BASE) this.vendorKeys.set(reg.key, type);
      const info: RegisteredType = {
        type,
        key: reg.key,
        ops: reg.ops,
        attrs: reg.attrs ?? [],
        plugin: plugin.name,
        snapshot: reg.snapshot as DeviceSnapshotSpec | undefined,
        setup: reg.setup,
      };
      this.types.set(type, info);
      this.keys.set(reg.key, info);
    }
    this.plugins.set(plugin.name, plugin);
    for (const [kind, ids] of claims) for (const id of ids) this.claimed.set(`${kind}:${id}`, plugin.name);
    if (arch !== undefined && this.tables.hostArch === null) this.tables.setHostArch(arch, plugin.name);
    const h = plugin.hooks;
    if (h) this.tables.addHooks(h);
  }

  /** Removes a plugin: its types leave the table (live devices keep working) and its hooks stop. */
  unregister(name: string): boolean {
    const p = this.plugins.get(name);
    if (!p) return false;
    for (const t of [...this.types.values()]) if (t.plugin === name) this.unregisterType(t.type);
    this.plugins.delete(name);
    for (const [k, owner] of [...this.claimed]) if (owner === name) this.claimed.delete(k);
    if (p.hooks) this.tables.removeHooks(p.hooks);
    if (this.tables.hostArchOwner === name) {
      const next = [...this.plugins.values()].find((x) => x.hostArch !== undefined);
      this.tables.setHostArch(next?.hostArch ?? null, next?.name ?? null);
    }
    return true;
  }
}
