/**
 * The `@kvmdev/mpic` plugin object: KVM_DEV_TYPE_FSL_MPIC_20 (1) and KVM_DEV_TYPE_FSL_MPIC_42 (2),
 * their attribute table and snapshot description, and the VM/vCPU hooks.
 * @packageDocumentation
 */
import { type AttrTable, definePlugin } from '@kvmdev/core/plugin';
import { mpicOps } from './device.js';
import { mpicHooks } from './hooks.js';
import { MPIC_PROFILES, mpicSetup } from './setup.js';
import { mpicIntrospect } from './introspect.js';
import { mpicSnapshot } from './snapshot.js';
import type { MpicState } from './state.js';
import {
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
} from './uapi.js';
import type { DeviceOps, DeviceSnapshotSpec } from '@kvmdev/core/plugin';

/** The package version. */
export const MPIC_PLUGIN_VERSION = '0.1.0';

/** The MPIC's attribute groups (mpic.rst), with payload sizes and errno behaviour in the README. */
export const MPIC_ATTRS: AttrTable = [
  {
    group: KVM_DEV_MPIC_GRP_MISC,
    name: 'KVM_DEV_MPIC_GRP_MISC',
    size: 8,
    access: 'rw',
    state: true,
    attrs: [{ attr: KVM_DEV_MPIC_BASE_ADDR, name: 'KVM_DEV_MPIC_BASE_ADDR', size: 8, access: 'rw' }],
    doc: 'Base address of the 256 KiB register window (256 KiB aligned; 0 unmaps).',
  },
  {
    group: KVM_DEV_MPIC_GRP_REGISTER,
    name: 'KVM_DEV_MPIC_GRP_REGISTER',
    size: 4,
    access: 'rw',
    state: true,
    attrs: 'byte offset in the register window (4-aligned)',
    doc: 'A 4-byte register access as if from the guest (with no current CPU).',
  },
  {
    group: KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
    name: 'KVM_DEV_MPIC_GRP_IRQ_ACTIVE',
    size: 4,
    access: 'rw',
    state: true,
    attrs: 'IRQ number 0..256 (IVPR offset from 0x10000 divided by 32; 256 is IPI 0)',
    doc: 'Input line of a source: 1 active, 0 inactive, whatever the sense.',
  },
];

const ops = mpicOps as DeviceOps<unknown>;
const snapshot = mpicSnapshot as DeviceSnapshotSpec<unknown>;

/** The plugin: `createHost({ plugins: [mpic] })`. */
export const mpic = definePlugin({
  name: '@kvmdev/mpic',
  version: MPIC_PLUGIN_VERSION,
  core: '^0.1.0',
  devices: [
    { key: 'KVM_DEV_TYPE_FSL_MPIC_20', type: 1, ops, attrs: MPIC_ATTRS, snapshot, setup: mpicSetup, introspect: mpicIntrospect },
    { key: 'KVM_DEV_TYPE_FSL_MPIC_42', type: 2, ops, attrs: MPIC_ATTRS, snapshot, setup: mpicSetup, introspect: mpicIntrospect },
  ],
  hooks: mpicHooks,
  profiles: MPIC_PROFILES,
});

export type { MpicState };
