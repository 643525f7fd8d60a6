/**
 * The plugin object: registers KVM_DEV_TYPE_XICS (3) with its attribute table and snapshot
 * description, and the hooks the XICS needs.
 * @packageDocumentation
 */
import { type KvmPlugin } from '@kvmdev/core';
import { definePlugin, type AttrTable } from '@kvmdev/core/plugin';
import { makeXicsOps, type XicsIrqChipOptions } from './device.js';
import type { XicsHcallOptions } from './hcalls.js';
import { makeHooks } from './hooks.js';
import { XICS_PROFILES, xicsSetup } from './setup.js';
import { xicsIntrospect } from './introspect.js';
import { xicsSnapshot } from './snapshot.js';
import {
  KVM_DEV_TYPE_XICS,
  KVM_DEV_XICS_GRP_SOURCES,
} from './uapi.js';

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

/** Options of {@link createXicsPlugin}. */
export interface XicsPluginOptions extends XicsHcallOptions, XicsIrqChipOptions {}

/**
 * Builds an XICS plugin. `xics` is the default instance; use this to choose the behaviour where
 * the model has to pick one (see {@link XicsPluginOptions}).
 */
export function createXicsPlugin(options: XicsPluginOptions = {}): KvmPlugin {
  const ops = makeXicsOps(options);
  return definePlugin({
    name: '@kvmdev/xics',
    version: '0.1.0',
    core: '^0.1.0',
    devices: [{ key: 'KVM_DEV_TYPE_XICS', type: KVM_DEV_TYPE_XICS, ops, attrs: XICS_ATTRS, snapshot: xicsSnapshot, setup: xicsSetup, introspect: xicsIntrospect }],
    hooks: makeHooks(ops, options),
    profiles: XICS_PROFILES,
  });
}

/** The XICS plugin: `createHost({ plugins: [xics] })`. */
export const xics: KvmPlugin = createXicsPlugin();
