/**
 * The composition pieces the first-party plugins do not carry yet: device setup specs and
 * architecture profiles, and {@link withSetups} to attach them to a plugin object.
 * @packageDocumentation
 */
import type { ArchProfile, DeviceSetupSpec, KvmPlugin } from '@kvmdev/core';
import { ARM_VGIC_PROFILES, ARM_VGIC_SETUPS } from './arm-vgic.js';
import { MPIC_PROFILES, MPIC_SETUPS } from './mpic.js';
import { XICS_PROFILES, XICS_SETUPS } from './xics.js';

export * from './arm-vgic.js';
export * from './mpic.js';
export * from './xics.js';

/** What the CLI adds to each first-party plugin, by plugin name. */
export const FIRST_PARTY_SETUPS: Readonly<
  Record<string, { readonly setups: Readonly<Record<string, DeviceSetupSpec>>; readonly profiles: readonly ArchProfile[] }>
> = {
  '@kvmdev/mpic': { setups: MPIC_SETUPS, profiles: MPIC_PROFILES },
  '@kvmdev/xics': { setups: XICS_SETUPS, profiles: XICS_PROFILES },
  '@kvmdev/arm-vgic': { setups: ARM_VGIC_SETUPS, profiles: ARM_VGIC_PROFILES },
};

/**
 * The plugin with setup specs and profiles attached (a shallow copy; the original is not
 * changed). What the plugin already declares wins: a device that has its own `setup` keeps it,
 * and a profile the plugin already registers under the same name is not replaced. Plugins the
 * CLI has nothing for are returned as they are.
 */
export function withSetups<P extends KvmPlugin>(plugin: P): P {
  const add = FIRST_PARTY_SETUPS[plugin.name];
  if (!add) return plugin;
  const own = new Set((plugin.profiles ?? []).map((p) => p.name));
  return {
    ...plugin,
    devices: (plugin.devices ?? []).map((d) => (d.setup || !add.setups[d.key] ? d : { ...d, setup: add.setups[d.key] })),
    profiles: [...(plugin.profiles ?? []), ...add.profiles.filter((p) => !own.has(p.name))],
  };
}
