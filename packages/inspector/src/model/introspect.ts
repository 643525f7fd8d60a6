/**
 * The per-plugin introspection interface, as the page uses it.
 *
 * TEMPORARY ADAPTER: helper `introspect` is adding this interface to `@kvmdev/core`
 * (`DeviceRegistration.introspect`, a `DeviceIntrospectSpec` next to the snapshot and setup
 * specs). Until it lands on main, these are local copies of the parts the page reads; when it
 * lands, this file re-exports the real types and `specOf` reads the registry, and the copies go.
 * Nothing here knows a device family.
 * @packageDocumentation
 */
import type { DeviceHandle, DeviceKey, Host, LineName, VcpuHandle, VmHandle } from '@kvmdev/core';

/** What a view is bound to: one device of a VM, and the VM's vCPUs. */
export interface IntrospectTarget {
  readonly vm: VmHandle;
  readonly device: DeviceHandle<DeviceKey>;
  readonly vcpus: readonly VcpuHandle[];
}

/** A plugin's introspection spec for one device type. */
export interface DeviceIntrospectSpec {
  readonly names?: GuestNames;
  open(target: IntrospectTarget): DeviceView;
}

/** Names of a guest interface (system registers, hypercalls) by name. */
export interface GuestNames {
  readonly sysregs?: Readonly<Record<string, number>>;
  readonly hypercalls?: Readonly<Record<string, number>>;
  readonly hypercallReturns?: Readonly<Record<string, number>>;
}

/** One device, seen in device terms. */
export interface DeviceView {
  summary(): string;
  state(): readonly StateSection[];
  readonly interrupts?: InterruptView;
  readonly guest?: GuestOps;
  describe(access: RawAccess): AccessReading | null;
}

/** A titled group of named values. */
export interface StateSection {
  readonly title: string;
  readonly fields: readonly StateField[];
}

/** One named value. */
export interface StateField {
  readonly name: string;
  readonly value: number | bigint | string | boolean | null;
  readonly text: string;
}

/** The interrupts of a controller. */
export interface InterruptView {
  readonly line: LineName;
  ranges(): readonly InterruptRange[];
  name(id: number): string | null;
  lookup(name: string): number | null;
  read(first: number, count: number, vcpu?: number): InterruptState[];
  cpu(vcpu: number): CpuState;
  raise?(id: number, level: 0 | 1, vcpu?: number): RaiseResult;
}

/** A run of interrupt ids of one kind. */
export interface InterruptRange {
  readonly kind: string;
  readonly first: number;
  readonly count: number;
  readonly banked: boolean;
}

/** Edge or level. */
export type TriggerMode = 'edge' | 'level';

/** One interrupt's state (null: the device has no such field, or it could not be read). */
export interface InterruptState {
  readonly id: number;
  readonly name: string;
  readonly vcpu: number | null;
  readonly enabled: boolean | null;
  readonly pending: boolean | null;
  readonly active: boolean | null;
  readonly priority: number | null;
  readonly targets: readonly number[] | null;
  readonly target: string;
  readonly group: number | null;
  readonly config: TriggerMode | null;
  readonly configured: boolean;
  readonly extra?: Readonly<Record<string, number | string | boolean>>;
}

/** A vCPU output line and its level. */
export interface LineLevel {
  readonly name: LineName;
  readonly level: 0 | 1;
}

/** The interrupt interface of one vCPU. */
export interface CpuState {
  readonly vcpu: number;
  readonly lines: readonly LineLevel[];
  readonly runningPriority: number | null;
  readonly priorityMask: number | null;
  readonly highestPending: number | null;
  readonly fields: readonly StateField[];
  readonly text: string;
}

/** What a host-side raise did. */
export interface RaiseResult {
  readonly status: number;
  readonly via: string;
}

/** Options of an IPI. */
export interface IpiOptions {
  readonly id?: number;
  readonly priority?: number;
}

/** The guest's side of interrupt handling. */
export interface GuestOps {
  ack(vcpu: number): GuestAck;
  eoi(vcpu: number, token?: bigint): AccessReading;
  ipi(vcpu: number, targets: readonly number[], options?: IpiOptions): readonly AccessReading[];
}

/** The result of an acknowledge. */
export interface GuestAck {
  readonly value: bigint;
  readonly reading: AccessReading;
}

/** A raw access, as a tool saw it happen. */
export type RawAccess =
  | {
      readonly kind: 'mmio';
      readonly vcpu: number;
      readonly op: 'read' | 'write';
      readonly addr: bigint;
      readonly size: 1 | 2 | 4 | 8;
      readonly value: bigint | null;
    }
  | { readonly kind: 'sysreg'; readonly vcpu: number; readonly op: 'read' | 'write'; readonly encoding: number; readonly value: bigint }
  | {
      readonly kind: 'hcall';
      readonly vcpu: number;
      readonly nr: number;
      readonly args: readonly number[];
      readonly ret: number;
      readonly out: readonly number[];
    }
  | {
      readonly kind: 'attr';
      readonly op: 'get' | 'set' | 'has';
      readonly group: number;
      readonly attr: bigint;
      readonly value: bigint | null;
      readonly errno: string | null;
    };

/** What an access means. */
export interface AccessReading {
  readonly kind: 'ack' | 'eoi' | 'ipi' | 'access';
  readonly text: string;
  readonly data: Readonly<Record<string, number | string | boolean | readonly number[]>>;
  readonly token?: bigint;
}

/** The introspection spec a host's plugins register for a device type, if any. */
export function specOf(host: Host, key: string): DeviceIntrospectSpec | undefined {
  for (const p of host.registry.listPlugins())
    for (const d of p.devices ?? []) if (d.key === key) return (d as { introspect?: DeviceIntrospectSpec }).introspect;
  return undefined;
}
