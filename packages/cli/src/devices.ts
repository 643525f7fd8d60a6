/**
 * The devices of a composed VM as their plugins describe them: each device's introspection
 * view (`DeviceRegistration.introspect`), and the guest-interface names (system registers,
 * hypercalls, KVM_IRQ_LINE levels) the VM's devices serve. Nothing here knows a device family: a third-party
 * plugin's device is shown exactly as its plugin says.
 * @packageDocumentation
 */
import type { ComposedVm, DeviceHandle, DeviceKey, Host } from '@kvmdev/core';
import type { DeviceIntrospectSpec, DeviceView, InterruptState, IntrospectTarget } from '@kvmdev/core/plugin';

/** One device of a composed VM, with its view when its plugin provides one. */
export interface VmDevice {
  /** The name in the VM config (or the key). */
  readonly name: string;
  /** The registration key of the device type (`arm-vgic-v3`, `mpic`...). */
  readonly key: string;
  /** The plugin that registers the type. */
  readonly plugin: string;
  /** The device's typed handle. */
  readonly handle: DeviceHandle<DeviceKey>;
  /** What the view is bound to (the VM's handles). */
  readonly target: IntrospectTarget;
  /** The plugin's introspection spec, if it has one. */
  readonly spec: DeviceIntrospectSpec | undefined;
  /** The bound view (null when the type has no introspection spec). */
  readonly view: DeviceView | null;
}

/** The introspection spec of a registered device type (from its plugin's registration), if any. */
export function introspectSpecOf(host: Host, key: string): DeviceIntrospectSpec | undefined {
  for (const p of host.registry.listPlugins()) for (const d of p.devices ?? []) if (d.key === key) return d.introspect;
  return undefined;
}

/** Opens a view on every device of the VM that has an introspection spec. */
export function vmDevices(host: Host, vm: ComposedVm): VmDevice[] {
  return vm.devices.map((d) => {
    const spec = introspectSpecOf(host, d.key);
    const target: IntrospectTarget = { vm: vm.vm, device: d.handle, vcpus: vm.vcpus };
    return { name: d.name, key: d.key, plugin: d.handle.info?.plugin ?? '?', handle: d.handle, target, spec, view: spec ? spec.open(target) : null };
  });
}

/** The guest-interface names of a VM's devices, merged (the first device to name a number wins). */
export interface NameTables {
  /** System registers by name, as 16-bit `Op0<<14 | Op1<<11 | CRn<<7 | CRm<<3 | Op2` encodings (`ICC_PMR_EL1`). */
  readonly sysregs: ReadonlyMap<string, number>;
  /** Hypercall numbers by name (`H_XIRR: 0x74`). */
  readonly hypercalls: ReadonlyMap<string, number>;
  /** Hypercall return codes by name (`H_SUCCESS: 0`, `H_PARAMETER: -4`). */
  readonly hypercallReturns: ReadonlyMap<string, number>;
  /** KVM_IRQ_LINE `level` values by name, beyond 0 and 1 (`KVM_INTERRUPT_SET`). */
  readonly irqLineLevels: ReadonlyMap<string, number>;
}

/** Merges the names of the devices' specs. */
export function nameTables(devices: readonly VmDevice[]): NameTables {
  const sysregs = new Map<string, number>();
  const hypercalls = new Map<string, number>();
  const hypercallReturns = new Map<string, number>();
  const irqLineLevels = new Map<string, number>();
  for (const d of devices) {
    const n = d.spec?.names;
    for (const [k, v] of Object.entries(n?.sysregs ?? {})) if (!sysregs.has(k)) sysregs.set(k, v);
    for (const [k, v] of Object.entries(n?.hypercalls ?? {})) if (!hypercalls.has(k)) hypercalls.set(k, v);
    for (const [k, v] of Object.entries(n?.hypercallReturns ?? {})) if (!hypercallReturns.has(k)) hypercallReturns.set(k, v);
    for (const [k, v] of Object.entries(n?.irqLineLevels ?? {})) if (!irqLineLevels.has(k)) irqLineLevels.set(k, v);
  }
  return { sysregs, hypercalls, hypercallReturns, irqLineLevels };
}

/** The name of a number in a table, or null. */
export function nameOf(table: ReadonlyMap<string, number>, value: number): string | null {
  for (const [k, v] of table) if (v === value) return k;
  return null;
}

/**
 * Every interrupt of a device view: the global ranges once, the banked ones once per vCPU,
 * read range by range.
 */
export function allInterrupts(d: VmDevice): InterruptState[] {
  const iv = d.view?.interrupts;
  if (!iv) return [];
  const out: InterruptState[] = [];
  for (const r of iv.ranges()) {
    if (r.banked) for (const v of d.target.vcpus) out.push(...iv.read(r.first, r.count, v.id));
    else out.push(...iv.read(r.first, r.count));
  }
  return out;
}
