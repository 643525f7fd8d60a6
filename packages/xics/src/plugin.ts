/**
 * The plugin object: registers KVM_DEV_TYPE_XICS (3) with its attribute table and snapshot
 * description, and the hooks the XICS needs.
 * @packageDocumentation
 */
import type { KvmPlugin } from '@kvmdev/core';
import { definePlugin, type AttrTable, type DeviceRegistration, type KvmHooks } from '@kvmdev/core/plugin';
import { makeXicsOps, type XicsIrqChipOptions } from './device.js';
import type { XicsHcallOptions } from './hcalls.js';
import { makeHooks } from './hooks.js';
import { PPC64_HOSTS, PPC64_HOST_ARCH, type Ppc64HostProfile, checkPpc64HostProfile } from './ppc64/host-profile.js';
import { ppc64HostHooks } from './ppc64/host.js';
import { XICS_PROFILES, xicsHvSetup, xicsSetup } from './setup.js';
import { xicsIntrospect } from './introspect.js';
import { xicsSnapshot } from './snapshot.js';
import {
  KVM_DEV_TYPE_XICS,
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_DEV_XICS_NR_SERVERS,
} from './uapi.js';
import { makeXicsOnXiveOps } from './xics-on-xive/device.js';
import { makeXicsOnXiveHooks } from './xics-on-xive/hooks.js';
import { xicsOnXiveSnapshot } from './xics-on-xive/snapshot.js';
import { xicsOnXiveIntrospect } from './xics-on-xive/introspect.js';
import { xicsOnXive } from './ppc64/host-profile.js';

/**
 * The XICS attribute table: what the emulated XICS implements. KVM_DEV_XICS_GRP_CTRL /
 * KVM_DEV_XICS_NR_SERVERS (XICS-on-XIVE only) is not listed: HAS, GET and SET answer ENXIO.
 */
export const XICS_ATTRS: AttrTable = [
  {
    group: KVM_DEV_XICS_GRP_SOURCES,
    name: 'KVM_DEV_XICS_GRP_SOURCES',
    size: 8,
    access: 'rw',
    state: true,
    attrs: 'source number, 16 <= n < 2^20',
    doc: 'Per-source state: server (bits 31:0), priority (39:32), LEVEL_SENSITIVE, MASKED, PENDING, PRESENTED, QUEUED (bits 40-44).',
  },
];

/**
 * The attribute table of the XICS device on a XIVE host (XICS-on-XIVE): GRP_SOURCES as in the
 * emulated XICS, and GRP_CTRL / KVM_DEV_XICS_NR_SERVERS (a u32, write-only: the VP block size).
 */
export const XICS_ON_XIVE_ATTRS: AttrTable = [
  XICS_ATTRS[0]!,
  {
    group: KVM_DEV_XICS_GRP_CTRL,
    name: 'KVM_DEV_XICS_GRP_CTRL',
    size: 4,
    access: 'w',
    state: false,
    attrs: [{ attr: KVM_DEV_XICS_NR_SERVERS, name: 'KVM_DEV_XICS_NR_SERVERS' }],
    doc: 'NR_SERVERS: the number of VPs (1..KVM_MAX_VCPU_IDS, clamped to KVM_MAX_VCPUS), before the first vCPU connects (EBUSY after).',
  },
];

/** Options of {@link createXicsPlugin}. */
export interface XicsPluginOptions extends XicsHcallOptions, XicsIrqChipOptions {
  /**
   * The ppc64 host to model, a profile or a preset name from `PPC64_HOSTS` (`'pseries-hv'`): the
   * plugin then models the whole host, not only the device. It declares the host architecture
   * (powerpc ioctl numbers, no GSI routing, no MSIs) and answers what book3s KVM answers around
   * the XICS: the powerpc capabilities and limits, VM types, HV vcore slots, PAPR mode,
   * KVM_INTERRUPT, KVM_GET_VCPU_MMAP_SIZE. Without it (the default) the plugin is the device alone
   * on a host of the generic encoding.
   */
  readonly host?: Ppc64HostProfile | string;
}

/** The plugin object, with the host it models (null: the device alone). */
export type XicsPlugin = KvmPlugin & {
  /** The ppc64 host profile, or null for the device-only plugin. */
  readonly host: Ppc64HostProfile | null;
};

function resolveHost(h: Ppc64HostProfile | string | undefined): Ppc64HostProfile | null {
  if (h === undefined) return null;
  const host = typeof h === 'string' ? PPC64_HOSTS[h] : h;
  if (host === undefined) throw new TypeError(`unknown ppc64 host profile ${JSON.stringify(h)}; presets are ${Object.keys(PPC64_HOSTS).join(', ')}`);
  const problems = checkPpc64HostProfile(host);
  if (problems.length) throw new TypeError(`invalid ppc64 host profile: ${problems.join('; ')}`);
  return host;
}

/**
 * Builds an XICS plugin. `xics` is the default instance; use this to choose the behaviour where
 * the model has to pick one (see {@link XicsPluginOptions}), or to model a whole ppc64 host:
 * `createHost({ plugins: [createXicsPlugin({ host: 'pseries-hv' })] })`.
 */
export function createXicsPlugin(options: XicsPluginOptions = {}): XicsPlugin {
  const host = resolveHost(options.host);
  if (host !== null && options.msi)
    throw new TypeError('msi: a ppc64 host has no MSI injection (KVM_XICS selects neither HAVE_KVM_MSI nor HAVE_KVM_IRQ_ROUTING)');
  const setup = host?.kvm === 'hv' ? xicsHvSetup : xicsSetup;
  let device: DeviceRegistration;
  let hooks: KvmHooks;
  if (host !== null && xicsOnXive(host)) {
    // a XIVE host serves KVM_DEV_TYPE_XICS with XICS-on-XIVE (book3s_xive.c)
    const ops = makeXicsOnXiveOps(host);
    hooks = makeXicsOnXiveHooks(ops, options);
    device = { key: 'KVM_DEV_TYPE_XICS', type: KVM_DEV_TYPE_XICS, ops, attrs: XICS_ON_XIVE_ATTRS, snapshot: xicsOnXiveSnapshot, setup, introspect: xicsOnXiveIntrospect };
  } else {
    const ops = makeXicsOps(options);
    hooks = makeHooks(ops, options);
    device = { key: 'KVM_DEV_TYPE_XICS', type: KVM_DEV_TYPE_XICS, ops, attrs: XICS_ATTRS, snapshot: xicsSnapshot, setup, introspect: xicsIntrospect };
  }
  return definePlugin({
    name: '@kvmdev/xics',
    version: '0.1.0',
    core: '^0.1.0',
    devices: [device],
    hooks: host === null ? hooks : ppc64HostHooks(host, hooks),
    profiles: XICS_PROFILES,
    ...(host === null ? {} : { hostArch: PPC64_HOST_ARCH }),
    host,
    ...(Object.keys(options).length ? { options: fileOptions(options) } : {}),
    configure: (o: Readonly<Record<string, unknown>>) => createXicsPlugin(xicsOptionsOf(o)),
  });
}

/** The options a file can give (JSON values; `timebase` is a function, for code only). */
const FILE_OPTIONS = ['host', 'withoutIcp', 'msi'] as const;

function fileOptions(o: XicsPluginOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of FILE_OPTIONS) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Checks options from a file (a VM file's `plugins: [{ name: '@kvmdev/xics', options }]`). */
function xicsOptionsOf(o: Readonly<Record<string, unknown>>): XicsPluginOptions {
  for (const k of Object.keys(o))
    if (!(FILE_OPTIONS as readonly string[]).includes(k)) throw new TypeError(`${k}: unknown option; @kvmdev/xics takes ${FILE_OPTIONS.join(', ')}`);
  if (o.host !== undefined && typeof o.host !== 'string') throw new TypeError(`host: expected a host preset name (${Object.keys(PPC64_HOSTS).join(', ')})`);
  if (o.withoutIcp !== undefined && o.withoutIcp !== 'exit' && o.withoutIcp !== 'h-hardware') throw new TypeError("withoutIcp: expected 'exit' or 'h-hardware'");
  if (o.msi !== undefined && typeof o.msi !== 'boolean') throw new TypeError('msi: expected true or false');
  return o as XicsPluginOptions;
}

/** The XICS plugin (the device alone): `createHost({ plugins: [xics] })`. */
export const xics: XicsPlugin = createXicsPlugin();
