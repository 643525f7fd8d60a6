/**
 * The per-plugin introspection interface (`DeviceRegistration.introspect`, from
 * `@kvmdev/core/plugin`), as the page uses it: the types, and where a host's plugins keep a
 * device type's spec. Nothing here knows a device family.
 * @packageDocumentation
 */
import type { Host } from '@kvmdev/core';
import type { DeviceIntrospectSpec } from '@kvmdev/core/plugin';

export type {
  AccessReading,
  CpuState,
  DeviceIntrospectSpec,
  DeviceNames,
  DeviceView,
  InterruptRange,
  InterruptState,
  InterruptView,
  LineLevel,
  RawAccess,
  StateField,
  StateSection,
} from '@kvmdev/core/plugin';

/** The introspection spec the host's plugins register for a device type, if any. */
export function specOf(host: Host, key: string): DeviceIntrospectSpec | undefined {
  for (const p of host.registry.listPlugins())
    for (const d of p.devices ?? []) if (d.key === key) return d.introspect;
  return undefined;
}
