/**
 * Composition: a typed, declarative way to build a VM (architecture profile, vCPUs, devices
 * with their settings) from the plugins a user picks, validated with errors that name the
 * field. The same config drives snapshots' "same composition" check and the CLI's VM files.
 * @packageDocumentation
 */
import type { ArchProfile, ComposeContext, ConfigIssue, DeviceSetupSpec, SetupDevice, SetupStep } from '../plugins/setup-spec.js';
import { KvmError, showValue } from '../uapi/errors.js';
import type { Host } from '../faces/host.js';
import type { DeviceKey } from '../plugins/plugin.js';
import type { DeviceHandle, VcpuHandle, VmHandle } from '../faces/typed.js';
import { EINVAL } from '../uapi/errno.js';
import { type GuestRamSlot, type MemoryConfig, addGuestRam, readMemoryConfig } from './guest-ram.js';

/** A device in a VM config. */
export interface DeviceConfig {
  /** The registry key, e.g. `'KVM_DEV_TYPE_ARM_VGIC_V3'`. */
  readonly type: string;
  /** A name for traces and snapshots (default: the key). */
  readonly name?: string;
  /** Settings understood by the plugin's setup spec (addresses, IRQ counts...). */
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** A VM config. */
export interface VmConfig {
  /** A name for the VM (for traces and snapshots). */
  readonly name?: string;
  /** An architecture profile registered by a plugin. */
  readonly arch: string;
  /** Number of vCPUs (ids 0..n-1). */
  readonly vcpus: number;
  /** KVM_CREATE_VM type (default: the profile's). */
  readonly vmType?: number;
  /** The in-kernel devices, created in this order (and, without `order`, each set up in turn). */
  readonly devices: readonly DeviceConfig[];
  /**
   * The order of the set-up calls, for a VMM that interleaves its devices' set-up (Firecracker
   * sets its ITS up between the GICv3's addresses and its NR_IRQS; QEMU initialises the vCPUs
   * first and sets the addresses last). Each entry is a device's name (its KVM_CREATE_DEVICE),
   * `<device name>.<step>` (a step of its setup spec: `kvmdev types` lists them) or `finalize`
   * (the architecture profile's finalize step, e.g. KVM_ARM_VCPU_INIT on every vCPU). Every
   * device, each of its active steps and `finalize` (when the profile has one) appear exactly
   * once; the devices are created in the order of `devices`, and a device's steps come after its
   * creation. The vCPUs are always created first. Default: each device created and set up in
   * turn, then `finalize`.
   */
  readonly order?: readonly string[];
  /**
   * Guest RAM: memory slots `{ gpa, size }` (page aligned, not overlapping, at most
   * `MAX_VM_MEMORY` bytes in all), each backed by an anonymous mapping of the host's user memory
   * and set with KVM_SET_USER_MEMORY_REGION (slot id = its index, flags 0) right after
   * KVM_CREATE_VM, before the vCPUs and devices. Default: none.
   */
  readonly memory?: readonly MemoryConfig[];
}

/** A built VM. */
export interface ComposedVm {
  /** The config the VM was built from. */
  readonly config: VmConfig;
  /** The VM's typed handle. */
  readonly vm: VmHandle;
  /** The vCPUs' typed handles, in id order. */
  readonly vcpus: readonly VcpuHandle[];
  /** The devices: their config name, registry key and typed handle. */
  readonly devices: readonly { readonly name: string; readonly key: string; readonly handle: DeviceHandle<DeviceKey> }[];
  /** The guest RAM slots of `config.memory`, with the user memory behind each (empty without memory). */
  readonly memory: readonly GuestRamSlot[];
  /** Closes every fd (devices, vCPUs, VM); the VM is then torn down. */
  close(): void;
}

/** Thrown by {@link composeVm} for an invalid config; `issues` lists every problem. */
export class ConfigError extends KvmError {
  /** Every problem found, each naming its field. */
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(EINVAL, `invalid VM config:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * The set-up steps a device runs for its settings: a stepped spec's active steps in the spec's
 * order, or one step `'setup'` (the spec's `apply`) for an applied spec; none without a spec.
 */
export function setupSteps(spec: DeviceSetupSpec | undefined, settings: Readonly<Record<string, unknown>>): readonly SetupStep[] {
  if (!spec) return [];
  if (spec.steps === undefined) return [{ name: 'setup', doc: 'the whole set-up (the spec has no steps)', run: (ctx, dev, s) => spec.apply(ctx, dev, s) }];
  return spec.steps.filter((st) => st.active?.(settings) ?? true);
}

/**
 * Runs a device's whole setup for its settings (every active step, in the spec's order), as
 * `composeVm` does for a config without `order`. Throws KvmError from the first failing call.
 */
export function applySetup(spec: DeviceSetupSpec, ctx: ComposeContext, device: SetupDevice, settings: Readonly<Record<string, unknown>>): void {
  for (const st of setupSteps(spec, settings)) st.run(ctx, device, settings);
}

/** The architecture profiles registered on a host (by every plugin). */
export function archProfiles(host: Host): Map<string, ArchProfile> {
  const m = new Map<string, ArchProfile>();
  for (const p of host.registry.listPlugins()) for (const a of p.profiles ?? []) m.set(a.name, a);
  return m;
}

/** Checks a config against the host's plugins; returns every issue (empty when valid). */
export function validateVmConfig(host: Host, config: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const c = config as Record<string, unknown>;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return [{ path: '$', message: 'a VM config is an object' }];
  const profiles = archProfiles(host);
  const prof = typeof c.arch === 'string' ? profiles.get(c.arch) : undefined;
  if (typeof c.arch !== 'string') issues.push({ path: 'arch', message: `expected one of ${[...profiles.keys()].join(', ') || '(no profile registered)'}` });
  else if (!prof) issues.push({ path: 'arch', message: `unknown architecture ${showValue(c.arch)}; the loaded plugins offer ${[...profiles.keys()].join(', ') || 'none'}` });
  const max = prof?.maxVcpus ?? host.maxVcpus;
  if (!Number.isInteger(c.vcpus) || (c.vcpus as number) < 1 || (c.vcpus as number) > max)
    issues.push({ path: 'vcpus', message: `expected an integer from 1 to ${max}, got ${showValue(c.vcpus)}` });
  if (c.vmType !== undefined && !(Number.isInteger(c.vmType) && (c.vmType as number) >= 0)) issues.push({ path: 'vmType', message: 'expected a non-negative integer' });
  if (c.name !== undefined && typeof c.name !== 'string') issues.push({ path: 'name', message: 'expected a string' });
  issues.push(...readMemoryConfig(c.memory).issues);
  if (!Array.isArray(c.devices)) {
    issues.push({ path: 'devices', message: 'expected a list of devices' });
    return issues;
  }
  const names = new Set<string>();
  c.devices.forEach((d: unknown, i: number) => {
    const p = `devices[${i}]`;
    const dd = d as Record<string, unknown>;
    if (typeof d !== 'object' || d === null) return void issues.push({ path: p, message: 'expected an object with a type' });
    if (typeof dd.type !== 'string') return void issues.push({ path: `${p}.type`, message: 'expected a device type key such as KVM_DEV_TYPE_ARM_VGIC_V3' });
    const info = host.registry.typeInfo(dd.type);
    if (!info) {
      const known = host.registry.listTypes().map((t) => t.key);
      return void issues.push({ path: `${p}.type`, message: `unknown device ${dd.type}; the loaded plugins register ${known.join(', ') || 'none'}` });
    }
    // a profile lists the devices of its own architecture; a device whose plugin brings no
    // profile (a third-party pseudo-device such as KVM-VFIO) may join any architecture
    const owner = host.registry.listPlugins().find((x) => x.name === info.plugin);
    if (prof && owner?.profiles?.length && !prof.devices.includes(dd.type))
      issues.push({ path: `${p}.type`, message: `${dd.type} is not a device of the ${prof.name} profile (${prof.devices.join(', ')})` });
    const name = typeof dd.name === 'string' ? dd.name : dd.type;
    if (dd.name !== undefined && typeof dd.name !== 'string') issues.push({ path: `${p}.name`, message: 'expected a string' });
    if (names.has(name)) issues.push({ path: `${p}.name`, message: `duplicate device name ${name}` });
    names.add(name);
    const settings = dd.settings ?? {};
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return void issues.push({ path: `${p}.settings`, message: 'expected an object' });
    const setup = info.setup;
    if (!setup) {
      if (Object.keys(settings).length) issues.push({ path: `${p}.settings`, message: `${dd.type} takes no settings` });
      return;
    }
    for (const k of Object.keys(settings)) if (!(k in setup.settings)) issues.push({ path: `${p}.settings.${k}`, message: `unknown setting; ${dd.type} takes ${Object.keys(setup.settings).join(', ')}` });
    const nv = Number.isInteger(c.vcpus) ? (c.vcpus as number) : 1;
    for (const is of setup.validate(settings as Record<string, unknown>, { vcpus: nv })) issues.push({ path: `${p}.settings.${is.path}`, message: is.message });
  });
  if (c.order !== undefined) orderIssues(host, c, prof, issues);
  return issues;
}

const FINALIZE = 'finalize';

/** The issues of a config's `order` (see {@link VmConfig.order}). */
function orderIssues(host: Host, c: Record<string, unknown>, prof: ArchProfile | undefined, issues: ConfigIssue[]): void {
  const order = c.order;
  if (!Array.isArray(order)) return void issues.push({ path: 'order', message: `expected a list of set-up steps (device names, <device>.<step>, ${FINALIZE})` });
  // what must appear: token -> the device it needs created first, and the creations in device order
  const expected = new Map<string, string | null>();
  const creations: string[] = [];
  (c.devices as unknown[]).forEach((d, i) => {
    if (typeof d !== 'object' || d === null) return;
    const dd = d as Record<string, unknown>;
    if (typeof dd.type !== 'string') return;
    const name = typeof dd.name === 'string' ? dd.name : dd.type;
    if (name === FINALIZE || name.includes('.'))
      issues.push({ path: `devices[${i}].name`, message: `${showValue(name)} cannot be named in order (no '.', not ${FINALIZE})` });
    expected.set(name, null);
    creations.push(name);
    const settings = typeof dd.settings === 'object' && dd.settings !== null ? (dd.settings as Record<string, unknown>) : {};
    for (const st of setupSteps(host.registry.typeInfo(dd.type)?.setup, settings)) expected.set(`${name}.${st.name}`, name);
  });
  if (prof?.finalize) expected.set(FINALIZE, null);
  const seen = new Set<string>();
  let created = 0;
  order.forEach((t: unknown, i: number) => {
    const p = `order[${i}]`;
    if (typeof t !== 'string') return void issues.push({ path: p, message: 'expected a string' });
    const need = expected.get(t);
    if (need === undefined) return void issues.push({ path: p, message: `unknown step ${showValue(t)}; this VM's are ${[...expected.keys()].join(', ') || 'none'}` });
    if (seen.has(t)) return void issues.push({ path: p, message: `${t} is listed twice` });
    if (need !== null && !seen.has(need)) issues.push({ path: p, message: `${t} comes before ${need} is created` });
    if (need === null && t !== FINALIZE) {
      if (creations[created] !== t) issues.push({ path: p, message: `${t} is created before ${creations[created]}: devices are created in the order of devices` });
      created++;
    }
    seen.add(t);
  });
  const missing = [...expected.keys()].filter((k) => !seen.has(k));
  if (missing.length) issues.push({ path: 'order', message: `missing ${missing.join(', ')} (every device, each of its set-up steps and ${FINALIZE} appear once)` });
}

/**
 * Builds a VM from a config: KVM_CREATE_VM with the profile's type, the vCPUs, then each
 * device in order (KVM_CREATE_DEVICE and its setup), then the profile's finalize step; or, with
 * `order`, the creations and set-up steps in that order.
 * Throws a ConfigError listing every issue before anything is created; a KvmError from a
 * step closes what was built and is rethrown.
 */
export function composeVm(host: Host, config: VmConfig): ComposedVm {
  const issues = validateVmConfig(host, config);
  if (issues.length) throw new ConfigError(issues);
  const prof = archProfiles(host).get(config.arch)!;
  const vm = host.createVm(config.vmType ?? prof.vmType?.(config) ?? 0);
  const vcpus: VcpuHandle[] = [];
  const devices: { name: string; key: string; handle: DeviceHandle<DeviceKey> }[] = [];
  let memory: GuestRamSlot[] = [];
  const close = () => {
    for (const d of devices) if (host.files.get(d.handle.fd)) d.handle.close();
    for (const v of vcpus) if (host.files.get(v.fd)) v.close();
    if (host.files.get(vm.fd)) vm.close();
  };
  try {
    memory = addGuestRam(host, vm, readMemoryConfig(config.memory).slots);
    for (let i = 0; i < config.vcpus; i++) vcpus.push(vm.createVcpu(i));
    const ctx: ComposeContext = { host, vm, vcpus };
    const create = (d: DeviceConfig): DeviceHandle<DeviceKey> => {
      const handle = vm.createDevice(d.type as DeviceKey);
      devices.push({ name: d.name ?? d.type, key: d.type, handle });
      return handle;
    };
    if (config.order === undefined) {
      for (const d of config.devices) {
        const handle = create(d);
        const spec = host.registry.typeInfo(d.type)?.setup;
        if (spec) applySetup(spec, ctx, handle, d.settings ?? {});
      }
      prof.finalize?.(ctx);
    } else {
      // validated: every entry is a device, a step of a created device, or finalize
      const byName = new Map(config.devices.map((d) => [d.name ?? d.type, d]));
      const handles = new Map<string, DeviceHandle<DeviceKey>>();
      for (const t of config.order) {
        const d = byName.get(t);
        if (t === FINALIZE) prof.finalize?.(ctx);
        else if (d) handles.set(t, create(d));
        else {
          const dot = t.lastIndexOf('.');
          const dev = byName.get(t.slice(0, dot))!;
          const settings = dev.settings ?? {};
          const step = setupSteps(host.registry.typeInfo(dev.type)?.setup, settings).find((st) => st.name === t.slice(dot + 1))!;
          step.run(ctx, handles.get(t.slice(0, dot))!, settings);
        }
      }
    }
  } catch (e) {
    close();
    throw e;
  }
  return { config, vm, vcpus, devices, memory, close };
}

/** Reads an address setting: a number, a bigint, or a `0x...` / decimal string. Null when invalid. */
export function parseAddress(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v >= 0n && v < 1n << 64n ? v : null;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : null;
  if (typeof v === 'string' && /^(0x[0-9a-f_]+|\d+)$/i.test(v.trim())) {
    const b = BigInt(v.trim().replace(/_/g, ''));
    return b < 1n << 64n ? b : null;
  }
  return null;
}
