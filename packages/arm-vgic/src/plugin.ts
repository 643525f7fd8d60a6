/**
 * The plugin object: KVM_DEV_TYPE_ARM_VGIC_V2 (5), KVM_DEV_TYPE_ARM_VGIC_V3 (7) and the ITS (8) with their
 * attribute tables and snapshot specs, and the arm64 hooks.
 * @packageDocumentation
 */
import type { KvmPlugin } from '@kvmdev/core';
import { type AttrTable, type DeviceRegistration, definePlugin } from '@kvmdev/core/plugin';
import { armHooksFor } from './arch.js';
import { ARM64_HOSTS, type Arm64HostProfile, DEFAULT_ARM64_HOST, canEmulateGicv2, checkHostProfile } from './arm64/host-profile.js';
import { vgicV2Ops } from './device-v2.js';
import { vgicV3Ops } from './device-v3.js';
import { vgicV2Snapshot, vgicV3Snapshot } from './snapshot.js';
import * as U from './uapi.js';

const ctrl = (v3: boolean) => ({
  group: U.KVM_DEV_ARM_VGIC_GRP_CTRL,
  name: 'KVM_DEV_ARM_VGIC_GRP_CTRL',
  size: 0 as const,
  access: 'w' as const,
  state: false,
  attrs: [
    { attr: U.KVM_DEV_ARM_VGIC_CTRL_INIT, name: 'KVM_DEV_ARM_VGIC_CTRL_INIT' },
    ...(v3 ? [{ attr: U.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, name: 'KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES' }] : []),
  ],
  doc: 'vgic_init (idempotent) / save LPI pending bits',
});

const nrIrqs = {
  group: U.KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
  name: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS',
  size: 4 as const,
  access: 'rw' as const,
  state: false,
  attrs: 'ignored: the kernel does not look at attr (use 0)',
  doc: '64..992 in steps of 32; set once, before init',
};

/** Attribute table of the GICv2 device. */
export const VGIC_V2_ATTRS: AttrTable = [
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_ADDR,
    name: 'KVM_DEV_ARM_VGIC_GRP_ADDR',
    size: 8,
    access: 'rw',
    state: false,
    attrs: [
      { attr: U.KVM_VGIC_V2_ADDR_TYPE_DIST, name: 'KVM_VGIC_V2_ADDR_TYPE_DIST' },
      { attr: U.KVM_VGIC_V2_ADDR_TYPE_CPU, name: 'KVM_VGIC_V2_ADDR_TYPE_CPU' },
    ],
    doc: 'guest physical base addresses (4 KiB aligned; dist 4 KiB, cpu 8 KiB)',
  },
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
    name: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS',
    size: 4,
    access: 'rw',
    state: true,
    attrs: 'offset | vcpu id << 32',
    doc: 'GICD registers (banked ones for the given vCPU)',
  },
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS,
    name: 'KVM_DEV_ARM_VGIC_GRP_CPU_REGS',
    size: 4,
    access: 'rw',
    state: true,
    attrs: 'offset | vcpu id << 32',
    doc: 'GICC CTLR, PMR (5-bit), BPR, ABPR, APRn, IIDR',
  },
  nrIrqs,
  ctrl(false),
];

/** Attribute table of the GICv3 device. */
export const VGIC_V3_ATTRS: AttrTable = [
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_ADDR,
    name: 'KVM_DEV_ARM_VGIC_GRP_ADDR',
    size: 8,
    access: 'rw',
    state: false,
    attrs: [
      { attr: U.KVM_VGIC_V3_ADDR_TYPE_DIST, name: 'KVM_VGIC_V3_ADDR_TYPE_DIST' },
      { attr: U.KVM_VGIC_V3_ADDR_TYPE_REDIST, name: 'KVM_VGIC_V3_ADDR_TYPE_REDIST' },
      { attr: U.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, name: 'KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION' },
    ],
    doc: 'dist base, legacy redist base, or count<<52 | base | flags<<12 | index',
  },
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
    name: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS',
    size: 4,
    access: 'rw',
    state: true,
    attrs: 'offset (mpidr ignored, vCPU 0)',
  },
  nrIrqs,
  ctrl(true),
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
    name: 'KVM_DEV_ARM_VGIC_GRP_REDIST_REGS',
    size: 4,
    access: 'rw',
    state: true,
    attrs: 'offset | mpidr(Aff3.Aff2.Aff1.Aff0) << 32',
  },
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
    name: 'KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS',
    size: 8,
    access: 'rw',
    state: true,
    attrs: 'instr (Op0<<14|Op1<<11|CRn<<7|CRm<<3|Op2) | mpidr << 32',
  },
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
    name: 'KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO',
    size: 4,
    access: 'rw',
    state: true,
    attrs: 'vINTID (multiple of 32) | info << 10 | mpidr << 32',
  },
  {
    group: U.KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ,
    name: 'KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ',
    size: 4,
    access: 'rw',
    state: false,
    attrs: 'ignored: the kernel does not look at attr (use 0); the payload is the maintenance interrupt INTID (a PPI)',
  },
];
import { arm64ProfileFor, gicv2Setup, gicv3Setup, itsSetup } from './setup.js';
import { vgicV2Introspect } from './introspect/gicv2.js';
import { vgicV3Introspect } from './introspect/gicv3.js';
import { vgicItsIntrospect } from './introspect/its.js';
import { VGIC_ITS_ATTRS } from './its/attrs.js';
import { vgicItsOps } from './its/device.js';
import { vgicItsSnapshot } from './its/snapshot.js';

const V2_DEVICE: DeviceRegistration = {
  key: 'KVM_DEV_TYPE_ARM_VGIC_V2',
  type: U.KVM_DEV_TYPE_ARM_VGIC_V2,
  ops: vgicV2Ops as DeviceRegistration['ops'],
  attrs: VGIC_V2_ATTRS,
  snapshot: vgicV2Snapshot as DeviceRegistration['snapshot'],
  setup: gicv2Setup,
  introspect: vgicV2Introspect,
};
const V3_DEVICE: DeviceRegistration = {
  key: 'KVM_DEV_TYPE_ARM_VGIC_V3',
  type: U.KVM_DEV_TYPE_ARM_VGIC_V3,
  ops: vgicV3Ops as DeviceRegistration['ops'],
  attrs: VGIC_V3_ATTRS,
  snapshot: vgicV3Snapshot as DeviceRegistration['snapshot'],
  setup: gicv3Setup,
  introspect: vgicV3Introspect,
};

const ITS_DEVICE: DeviceRegistration = {
  key: 'KVM_DEV_TYPE_ARM_VGIC_ITS',
  type: U.KVM_DEV_TYPE_ARM_VGIC_ITS,
  ops: vgicItsOps as DeviceRegistration['ops'],
  attrs: VGIC_ITS_ATTRS,
  snapshot: vgicItsSnapshot as DeviceRegistration['snapshot'],
  setup: itsSetup,
  introspect: vgicItsIntrospect,
};

/**
 * The device types KVM registers on a host (kvm_register_vgic_device): V3 and the ITS on a GICv3
 * host, V2 where GICv2 can be emulated.
 */
export function vgicDevicesFor(host: Arm64HostProfile): DeviceRegistration[] {
  const out: DeviceRegistration[] = [];
  if (canEmulateGicv2(host)) out.push(V2_DEVICE);
  if (host.gic === 'v3') out.push(V3_DEVICE, ITS_DEVICE);
  return out;
}

/** Options of {@link createArmVgic}. */
export interface ArmVgicOptions {
  /** The host to model: a profile, or a preset name from {@link ARM64_HOSTS} (default `'gicv3-server'`). */
  readonly host?: Arm64HostProfile | string;
}

/** The plugin object for one host profile. */
export type ArmVgicPlugin = KvmPlugin & {
  /** The host this plugin models. */
  readonly host: Arm64HostProfile;
  readonly devices: readonly DeviceRegistration[];
};

/** The `@kvmdev/arm-vgic` plugin for a host profile: `createHost({ plugins: [createArmVgic({ host: 'qemu-tcg-max' })] })`. */
export function createArmVgic(options: ArmVgicOptions = {}): ArmVgicPlugin {
  const h = options.host ?? DEFAULT_ARM64_HOST;
  const host = typeof h === 'string' ? ARM64_HOSTS[h] : h;
  if (host === undefined) throw new TypeError(`unknown arm64 host profile ${JSON.stringify(h)}; presets are ${Object.keys(ARM64_HOSTS).join(', ')}`);
  const problems = checkHostProfile(host);
  if (problems.length) throw new TypeError(`invalid arm64 host profile: ${problems.join('; ')}`);
  return definePlugin({
    name: '@kvmdev/arm-vgic',
    version: '0.1.0',
    core: '^0.1.0',
    devices: vgicDevicesFor(host),
    hooks: armHooksFor(host),
    profiles: [arm64ProfileFor(host)],
    host,
    ...(options.host !== undefined ? { options: { host: options.host } } : {}),
    configure: (o: Readonly<Record<string, unknown>>) => createArmVgic(armVgicOptionsOf(o)),
  });
}

/** Checks options from a file (a VM file's `plugins: [{ name: '@kvmdev/arm-vgic', options: { host } }]`). */
function armVgicOptionsOf(o: Readonly<Record<string, unknown>>): ArmVgicOptions {
  for (const k of Object.keys(o)) if (k !== 'host') throw new TypeError(`${k}: unknown option; @kvmdev/arm-vgic takes host`);
  if (o.host !== undefined && typeof o.host !== 'string') throw new TypeError(`host: expected a host preset name (${Object.keys(ARM64_HOSTS).join(', ')})`);
  return o as ArmVgicOptions;
}

/**
 * The `@kvmdev/arm-vgic` plugin on the default host (a GICv3 server with GICv2 compatibility):
 * `createHost({ plugins: [armVgic] })`. `armVgic.withHost(profile)` gives the plugin for another host.
 */
export const armVgic: ArmVgicPlugin & { withHost(host: Arm64HostProfile | string): ArmVgicPlugin } = Object.assign(createArmVgic(), {
  withHost: (host: Arm64HostProfile | string): ArmVgicPlugin => createArmVgic({ host }),
});
