/**
 * Composition support for the ARM vGIC (`@kvmdev/arm-vgic`): the device setup specs of
 * KVM_DEV_TYPE_ARM_VGIC_V3 and _V2 and the `arm64` architecture profile.
 *
 * It imports only `@kvmdev/core` and `@kvmdev/core/plugin`; the plugin attaches it to its device registrations
 * (`setup`) and its profiles (`profiles`).
 *
 * The setup follows Firecracker (`src/vmm/src/arch/aarch64/gic/`): KVM_DEV_ARM_VGIC_GRP_ADDR
 * DIST, then REDIST (legacy, one contiguous region; Firecracker puts it right below the
 * distributor) or CPU for a GICv2, then KVM_DEV_ARM_VGIC_GRP_NR_IRQS, then
 * KVM_DEV_ARM_VGIC_GRP_CTRL / KVM_DEV_ARM_VGIC_CTRL_INIT. The profile's finalize step is
 * Firecracker's vCPU init: KVM_ARM_PREFERRED_TARGET on the VM, then KVM_ARM_VCPU_INIT on each
 * vCPU with PSCI 0.2 (and POWER_OFF for the secondary vCPUs).
 * @packageDocumentation
 */
import {
  KVM_ARM_PREFERRED_TARGET,
  KVM_ARM_VCPU_INIT,
  KvmError,
  kvm_vcpu_init,
} from '@kvmdev/core';
import {
  type ArchProfile,
  type ConfigIssue,
  type DeviceSetupSpec,
  type SetupDevice,
  parseAddress,
} from '@kvmdev/core/plugin';
import { type Arm64HostProfile, canEmulateGicv2, defaultMaxVcpus } from './arm64/host-profile.js';

const GRP_ADDR = 0;
const GRP_NR_IRQS = 3;
const GRP_CTRL = 4;
const CTRL_INIT = 0;
const V2_ADDR_TYPE_DIST = 0;
const V2_ADDR_TYPE_CPU = 1;
const V3_ADDR_TYPE_DIST = 2;
const V3_ADDR_TYPE_REDIST = 3;
const V2_DIST_SIZE = 0x1000n;
const V2_CPU_SIZE = 0x2000n;
const V3_DIST_SIZE = 0x10000n;
const V3_REDIST_SIZE = 0x20000n;
const SZ_4K = 0x1000n;
const SZ_64K = 0x10000n;
/** IPA size of a type-0 VM (KVM_PHYS_SHIFT). */
const IPA_LIMIT = 1n << 40n;
const V2_MAX_CPUS = 8;
const V3_MAX_CPUS = 512;
const KVM_ARM_VCPU_POWER_OFF = 0;
const KVM_ARM_VCPU_PSCI_0_2 = 2;

function setU64(dev: SetupDevice, group: number, attr: number, value: bigint): void {
  const host = dev.host;
  const buf = host.scratch();
  host.mem.setU64(buf, value);
  dev.attrRaw('set', group, attr, buf);
}
function setU32(dev: SetupDevice, group: number, attr: number, value: number): void {
  const host = dev.host;
  const buf = host.scratch();
  host.mem.setU32(buf, value >>> 0);
  dev.attrRaw('set', group, attr, buf);
}

interface Region {
  readonly path: string;
  readonly base: bigint;
  readonly size: bigint;
}

function addr(s: Readonly<Record<string, unknown>>, key: string, align: bigint, size: bigint, issues: ConfigIssue[], required = true): bigint | null {
  const v = s[key];
  if (v === undefined) {
    if (required) issues.push({ path: key, message: 'required: a guest physical address such as 0x08000000' });
    return null;
  }
  const a = parseAddress(v);
  if (a === null) {
    issues.push({ path: key, message: `not an address: ${JSON.stringify(v)}` });
    return null;
  }
  if (a % align !== 0n) {
    issues.push({ path: key, message: `0x${a.toString(16)} is not ${align === SZ_64K ? '64 KiB' : '4 KiB'} aligned` });
    return null;
  }
  if (a + size > IPA_LIMIT) {
    issues.push({ path: key, message: `0x${a.toString(16)} + 0x${size.toString(16)} is beyond the VM's 40-bit IPA space` });
    return null;
  }
  return a;
}

function nrIrqs(s: Readonly<Record<string, unknown>>, issues: ConfigIssue[]): void {
  const n = s.nrIrqs;
  if (n === undefined) return;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 64 || n > 1023 || n % 32 !== 0)
    issues.push({ path: 'nrIrqs', message: `expected a multiple of 32 from 64 to 992 (SGIs and PPIs included), got ${JSON.stringify(n)}` });
}

function overlaps(regions: Region[], issues: ConfigIssue[]): void {
  for (let i = 0; i < regions.length; i++)
    for (let j = i + 1; j < regions.length; j++) {
      const a = regions[i]!;
      const b = regions[j]!;
      if (a.base < b.base + b.size && b.base < a.base + a.size)
        issues.push({
          path: b.path,
          message: `0x${b.base.toString(16)}..0x${(b.base + b.size).toString(16)} overlaps ${a.path} (0x${a.base.toString(16)}..0x${(a.base + a.size).toString(16)})`,
        });
    }
}

/** Where a GICv3's redistributors go: an address, or `'below-dist'` (Firecracker: right below the distributor). */
export function gicv3RedistBase(settings: Readonly<Record<string, unknown>>, vcpus: number): bigint | null {
  const dist = parseAddress(settings.dist);
  const r = settings.redist ?? 'below-dist';
  if (r === 'below-dist') return dist === null ? null : dist - BigInt(vcpus) * V3_REDIST_SIZE;
  return parseAddress(r);
}

/** The settings of a GICv3 (names as in `presets.firecrackerArm64`). */
export const GICV3_SETTINGS: Readonly<Record<string, string>> = {
  dist: 'distributor base (KVM_VGIC_V3_ADDR_TYPE_DIST), 64 KiB aligned',
  redist: "redistributor region base (KVM_VGIC_V3_ADDR_TYPE_REDIST, 128 KiB per vCPU), 64 KiB aligned, or 'below-dist' (default)",
  nrIrqs: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS: number of interrupts including the 32 private ones (default 128)',
};

/** The GICv3 setup spec. */
export const gicv3Setup: DeviceSetupSpec = {
  settings: GICV3_SETTINGS,
  validate(s, vm): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const dist = addr(s, 'dist', SZ_64K, V3_DIST_SIZE, issues);
    const rsize = BigInt(vm.vcpus) * V3_REDIST_SIZE;
    let redist: bigint | null = null;
    if (s.redist === undefined || s.redist === 'below-dist') {
      if (dist !== null) {
        redist = dist - rsize;
        if (redist < 0n) issues.push({ path: 'redist', message: `'below-dist' needs 0x${rsize.toString(16)} bytes below dist 0x${dist.toString(16)}` });
      }
    } else redist = addr(s, 'redist', SZ_64K, rsize, issues);
    nrIrqs(s, issues);
    if (vm.vcpus > V3_MAX_CPUS) issues.push({ path: 'redist', message: `a GICv3 serves at most ${V3_MAX_CPUS} vCPUs` });
    if (dist !== null && redist !== null && redist >= 0n)
      overlaps([{ path: 'dist', base: dist, size: V3_DIST_SIZE }, { path: 'redist', base: redist, size: rsize }], issues);
    return issues;
  },
  apply(ctx, dev, s): void {
    const dist = parseAddress(s.dist)!;
    setU64(dev, GRP_ADDR, V3_ADDR_TYPE_DIST, dist);
    setU64(dev, GRP_ADDR, V3_ADDR_TYPE_REDIST, gicv3RedistBase(s, ctx.vcpus.length)!);
    setU32(dev, GRP_NR_IRQS, 0, (s.nrIrqs as number | undefined) ?? 128);
    dev.attrRaw('set', GRP_CTRL, CTRL_INIT, 0);
  },
};

/** The settings of a GICv2 (names as in `presets.firecrackerArm64({ gic: 'v2' })`). */
export const GICV2_SETTINGS: Readonly<Record<string, string>> = {
  dist: 'distributor base (KVM_VGIC_V2_ADDR_TYPE_DIST), 4 KiB aligned',
  cpu: 'CPU interface base (KVM_VGIC_V2_ADDR_TYPE_CPU, 8 KiB), 4 KiB aligned',
  nrIrqs: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS: number of interrupts including the 32 private ones (default 128)',
};

/** The GICv2 setup spec. */
export const gicv2Setup: DeviceSetupSpec = {
  settings: GICV2_SETTINGS,
  validate(s, vm): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const dist = addr(s, 'dist', SZ_4K, V2_DIST_SIZE, issues);
    const cpu = addr(s, 'cpu', SZ_4K, V2_CPU_SIZE, issues);
    nrIrqs(s, issues);
    if (vm.vcpus > V2_MAX_CPUS) issues.push({ path: 'cpu', message: `a GICv2 serves at most ${V2_MAX_CPUS} vCPUs, the VM has ${vm.vcpus}` });
    if (dist !== null && cpu !== null) overlaps([{ path: 'dist', base: dist, size: V2_DIST_SIZE }, { path: 'cpu', base: cpu, size: V2_CPU_SIZE }], issues);
    return issues;
  },
  apply(_ctx, dev, s): void {
    setU64(dev, GRP_ADDR, V2_ADDR_TYPE_DIST, parseAddress(s.dist)!);
    setU64(dev, GRP_ADDR, V2_ADDR_TYPE_CPU, parseAddress(s.cpu)!);
    setU32(dev, GRP_NR_IRQS, 0, (s.nrIrqs as number | undefined) ?? 128);
    dev.attrRaw('set', GRP_CTRL, CTRL_INIT, 0);
  },
};

/**
 * arm64 (virt / Firecracker) on a host profile: the GICs the host offers; at most the host GIC's
 * vCPU limit; finalize initialises every vCPU.
 */
export function arm64ProfileFor(host: Arm64HostProfile): ArchProfile {
  const devices = [
    ...(canEmulateGicv2(host) ? ['KVM_DEV_TYPE_ARM_VGIC_V2'] : []),
    ...(host.gic === 'v3' ? ['KVM_DEV_TYPE_ARM_VGIC_V3'] : []),
  ];
  return { ...arm64Profile, doc: `${arm64Profile.doc} (host ${host.name})`, devices, maxVcpus: defaultMaxVcpus(host) };
}

/** arm64 (virt / Firecracker): a GICv2 or GICv3; finalize initialises every vCPU. */
export const arm64Profile: ArchProfile = {
  name: 'arm64',
  doc: 'arm64 virt machine (QEMU virt, Firecracker) with an in-kernel GICv2 or GICv3',
  devices: ['KVM_DEV_TYPE_ARM_VGIC_V2', 'KVM_DEV_TYPE_ARM_VGIC_V3'],
  maxVcpus: V3_MAX_CPUS,
  vmType: () => 0,
  finalize(ctx): void {
    const host = ctx.host;
    const buf = host.scratch();
    ctx.vm.ioctl(KVM_ARM_PREFERRED_TARGET, buf);
    const target = kvm_vcpu_init.read(host.mem, buf).target;
    ctx.vcpus.forEach((v, i) => {
      const f0 = (1 << KVM_ARM_VCPU_PSCI_0_2) | (i > 0 ? 1 << KVM_ARM_VCPU_POWER_OFF : 0);
      kvm_vcpu_init.write(host.mem, buf, { target, features: [f0, 0, 0, 0, 0, 0, 0] });
      v.ioctl(KVM_ARM_VCPU_INIT, buf);
    });
  },
};

/** Setup specs by device key. */
export const ARM_VGIC_SETUPS: Readonly<Record<string, DeviceSetupSpec>> = {
  KVM_DEV_TYPE_ARM_VGIC_V3: gicv3Setup,
  KVM_DEV_TYPE_ARM_VGIC_V2: gicv2Setup,
};
/** Profiles contributed by the vGIC plugin. */
export const ARM_VGIC_PROFILES: readonly ArchProfile[] = [arm64Profile];
