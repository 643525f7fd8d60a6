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
 * KVM_DEV_ARM_VGIC_GRP_CTRL / KVM_DEV_ARM_VGIC_CTRL_INIT. Each of these is a named step
 * (`dist`, `redist`, `cpu`, `nrIrqs`, `init`, and the GICv3's optional `routing`), so a VM
 * config's `order` can interleave them with an ITS's (`addr`, `init`, `reset`) the way
 * Firecracker, Cloud Hypervisor and QEMU do. The profile's finalize step is Firecracker's vCPU
 * init: KVM_ARM_PREFERRED_TARGET on the VM, then KVM_ARM_VCPU_INIT on each vCPU with PSCI 0.2
 * (and POWER_OFF for the secondary vCPUs).
 * @packageDocumentation
 */
import {
  KVM_ARM_PREFERRED_TARGET,
  KVM_ARM_VCPU_INIT,
  type KvmIrqRoutingEntry,
  kvm_vcpu_init,
} from '@kvmdev/core';
import {
  type ArchProfile,
  type ComposeContext,
  type ConfigIssue,
  type DeviceSetupSpec,
  type SetupDevice,
  type SetupStep,
  parseAddress,
  showValue,
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
const V3_ADDR_TYPE_REDIST_REGION = 5;
const ITS_ADDR_TYPE = 4;
const ITS_CTRL_RESET = 4;
const ITS_SIZE = 0x20000n;
/** KVM_IRQ_ROUTING_IRQCHIP. */
const ROUTE_IRQCHIP = 1;
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
    issues.push({ path: key, message: `not an address: ${showValue(v)}` });
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
    issues.push({ path: 'nrIrqs', message: `expected a multiple of 32 from 64 to 992 (SGIs and PPIs included), got ${showValue(n)}` });
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
  redistRegions:
    'instead of redist: redistributor regions [{ base, count }] set with KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION (index i, count << 52 | base), holding every vCPU (QEMU virt)',
  nrIrqs: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS: number of interrupts including the 32 private ones (default 128)',
  routing:
    "'identity' (KVM_SET_GSI_ROUTING: GSI n -> irqchip 0 pin n for every SPI, as QEMU), { firstGsi, count } (GSI firstGsi + k -> pin k for k < count, as Cloud Hypervisor's { firstGsi: 32, count: 32 }) or 'none' (default: the kernel's own default routing)",
};

interface RedistRegion {
  readonly base: bigint;
  readonly count: number;
}
/** The `redistRegions` setting, parsed (null when absent or invalid: validate reports it). */
function redistRegions(s: Readonly<Record<string, unknown>>): RedistRegion[] | null {
  const r = s.redistRegions;
  if (!Array.isArray(r)) return null;
  const out: RedistRegion[] = [];
  for (const x of r) {
    const o = x as Record<string, unknown> | null;
    const base = typeof o === 'object' && o !== null ? parseAddress(o.base) : null;
    if (base === null || typeof o!.count !== 'number') return null;
    out.push({ base, count: o!.count });
  }
  return out;
}

function regionIssues(s: Readonly<Record<string, unknown>>, vcpus: number, issues: ConfigIssue[]): Region[] {
  const r = s.redistRegions;
  if (s.redist !== undefined) issues.push({ path: 'redistRegions', message: 'give redist or redistRegions, not both' });
  if (!Array.isArray(r) || r.length === 0) {
    issues.push({ path: 'redistRegions', message: 'expected a list of { base, count } regions' });
    return [];
  }
  const out: Region[] = [];
  let total = 0;
  r.forEach((x: unknown, i: number) => {
    const p = `redistRegions[${i}]`;
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return void issues.push({ path: p, message: 'expected { base, count }' });
    const o = x as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'base' && k !== 'count') issues.push({ path: `${p}.${k}`, message: 'unknown key; a region has base, count' });
    if (typeof o.count !== 'number' || !Number.isInteger(o.count) || o.count < 1 || o.count > 0xfff)
      return void issues.push({ path: `${p}.count`, message: `expected an integer from 1 to 4095 (the 12-bit count field), got ${showValue(o.count)}` });
    total += o.count;
    const sub: ConfigIssue[] = [];
    const base = addr(o, 'base', SZ_64K, BigInt(o.count) * V3_REDIST_SIZE, sub);
    for (const is of sub) issues.push({ path: `${p}.${is.path}`, message: is.message });
    if (base !== null) out.push({ path: p, base, size: BigInt(o.count) * V3_REDIST_SIZE });
  });
  if (total < vcpus) issues.push({ path: 'redistRegions', message: `the regions hold ${total} redistributors, the VM has ${vcpus} vCPUs` });
  return out;
}

function setRedist(ctx: ComposeContext, dev: SetupDevice, s: Readonly<Record<string, unknown>>): void {
  const regions = redistRegions(s);
  if (regions === null) setU64(dev, GRP_ADDR, V3_ADDR_TYPE_REDIST, gicv3RedistBase(s, ctx.vcpus.length)!);
  else regions.forEach((r, i) => setU64(dev, GRP_ADDR, V3_ADDR_TYPE_REDIST_REGION, (BigInt(r.count) << 52n) | r.base | BigInt(i)));
}

/** A `routing: { firstGsi, count }` setting: GSI firstGsi + k -> irqchip 0 pin k for k < count. */
interface RoutingBlock {
  readonly firstGsi: number;
  readonly count: number;
}

/** `routing` as a block of routes, or null ('identity', 'none', absent or malformed). */
function routingBlock(r: unknown): RoutingBlock | null {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return null;
  const o = r as Record<string, unknown>;
  return typeof o.firstGsi === 'number' && typeof o.count === 'number' ? { firstGsi: o.firstGsi, count: o.count } : null;
}

/**
 * KVM_SET_GSI_ROUTING with irqchip routes: GSI n -> pin n for every SPI (`routing: 'identity'`, as
 * QEMU's GICv2 and GICv3 realize), or GSI firstGsi + k -> pin k for k < count (`routing:
 * { firstGsi, count }`; Cloud Hypervisor's 32 legacy routes are { firstGsi: 32, count: 32 }).
 */
const ROUTING: SetupStep = {
  name: 'routing',
  doc: "KVM_SET_GSI_ROUTING: GSI n -> irqchip 0 pin n for every SPI (routing: 'identity'), or GSI firstGsi + k -> pin k for k < count (routing: { firstGsi, count })",
  active: (s) => s.routing === 'identity' || routingBlock(s.routing) !== null,
  run: (ctx, _dev, s) => {
    const block = routingBlock(s.routing);
    const first = block?.firstGsi ?? 0;
    const count = block?.count ?? ((s.nrIrqs as number | undefined) ?? 128) - 32;
    const routes: KvmIrqRoutingEntry[] = [];
    for (let k = 0; k < count; k++) routes.push({ gsi: first + k, type: ROUTE_IRQCHIP, flags: 0, irqchip: 0, pin: k });
    ctx.vm.setGsiRouting(routes);
  },
};

/** KVM_MAX_IRQ_ROUTES: the GSIs a routing table can name are below it. */
const MAX_IRQ_ROUTES = 4096;

/** The issues of a `routing` setting: 'identity', 'none' or { firstGsi, count } within the table and the GIC's SPIs. */
function routingIssues(s: Readonly<Record<string, unknown>>, issues: ConfigIssue[]): void {
  const r = s.routing;
  if (r === undefined || r === 'identity' || r === 'none') return;
  const expected = "expected 'identity', 'none' or { firstGsi, count }";
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return void issues.push({ path: 'routing', message: `${expected}, got ${showValue(r)}` });
  const o = r as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'firstGsi' && k !== 'count') issues.push({ path: `routing.${k}`, message: 'unknown key; routing has firstGsi, count' });
  const spis = (typeof s.nrIrqs === 'number' ? s.nrIrqs : 128) - 32;
  const first = o.firstGsi;
  const count = o.count;
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 0 || first >= MAX_IRQ_ROUTES)
    issues.push({ path: 'routing.firstGsi', message: `expected an integer from 0 to ${MAX_IRQ_ROUTES - 1}, got ${showValue(first)}` });
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > spis)
    issues.push({ path: 'routing.count', message: `expected an integer from 1 to ${spis} (pins 0.. are the GIC's SPIs), got ${showValue(count)}` });
  else if (typeof first === 'number' && Number.isInteger(first) && first >= 0 && first + count > MAX_IRQ_ROUTES)
    issues.push({ path: 'routing', message: `GSIs ${first}..${first + count - 1} pass KVM_MAX_IRQ_ROUTES (${MAX_IRQ_ROUTES})` });
}

/** The GICv3's set-up steps, in Firecracker's order. */
const GICV3_STEPS: readonly SetupStep[] = [
  { name: 'dist', doc: 'KVM_DEV_ARM_VGIC_GRP_ADDR KVM_VGIC_V3_ADDR_TYPE_DIST = dist', run: (_ctx, dev, s) => setU64(dev, GRP_ADDR, V3_ADDR_TYPE_DIST, parseAddress(s.dist)!) },
  { name: 'redist', doc: 'KVM_DEV_ARM_VGIC_GRP_ADDR KVM_VGIC_V3_ADDR_TYPE_REDIST = redist (or each REDIST_REGION of redistRegions)', run: setRedist },
  { name: 'nrIrqs', doc: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS = nrIrqs', run: (_ctx, dev, s) => setU32(dev, GRP_NR_IRQS, 0, (s.nrIrqs as number | undefined) ?? 128) },
  { name: 'init', doc: 'KVM_DEV_ARM_VGIC_GRP_CTRL KVM_DEV_ARM_VGIC_CTRL_INIT', run: (_ctx, dev) => void dev.attrRaw('set', GRP_CTRL, CTRL_INIT, 0) },
  ROUTING,
];

/** The GICv3 setup spec. */
export const gicv3Setup: DeviceSetupSpec = {
  settings: GICV3_SETTINGS,
  validate(s, vm): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const dist = addr(s, 'dist', SZ_64K, V3_DIST_SIZE, issues);
    const regions: Region[] = [];
    if (s.redistRegions !== undefined) regions.push(...regionIssues(s, vm.vcpus, issues));
    else {
      const rsize = BigInt(vm.vcpus) * V3_REDIST_SIZE;
      let redist: bigint | null = null;
      if (s.redist === undefined || s.redist === 'below-dist') {
        if (dist !== null) {
          redist = dist - rsize;
          if (redist < 0n) issues.push({ path: 'redist', message: `'below-dist' needs 0x${rsize.toString(16)} bytes below dist 0x${dist.toString(16)}` });
        }
      } else redist = addr(s, 'redist', SZ_64K, rsize, issues);
      if (redist !== null && redist >= 0n) regions.push({ path: 'redist', base: redist, size: rsize });
    }
    nrIrqs(s, issues);
    routingIssues(s, issues);
    if (vm.vcpus > V3_MAX_CPUS) issues.push({ path: 'redist', message: `a GICv3 serves at most ${V3_MAX_CPUS} vCPUs` });
    if (dist !== null) overlaps([{ path: 'dist', base: dist, size: V3_DIST_SIZE }, ...regions], issues);
    return issues;
  },
  steps: GICV3_STEPS,
};

/** The settings of a GICv2 (names as in `presets.firecrackerArm64({ gic: 'v2' })`). */
export const GICV2_SETTINGS: Readonly<Record<string, string>> = {
  dist: 'distributor base (KVM_VGIC_V2_ADDR_TYPE_DIST), 4 KiB aligned',
  cpu: 'CPU interface base (KVM_VGIC_V2_ADDR_TYPE_CPU, 8 KiB), 4 KiB aligned',
  nrIrqs: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS: number of interrupts including the 32 private ones (default 128)',
  routing:
    "'identity' (KVM_SET_GSI_ROUTING: GSI n -> irqchip 0 pin n for every SPI, as QEMU), { firstGsi, count } (GSI firstGsi + k -> pin k for k < count, as Cloud Hypervisor's { firstGsi: 32, count: 32 }) or 'none' (default: the kernel's own default routing)",
};

/** The GICv2's set-up steps, in Firecracker's order. */
const GICV2_STEPS: readonly SetupStep[] = [
  { name: 'dist', doc: 'KVM_DEV_ARM_VGIC_GRP_ADDR KVM_VGIC_V2_ADDR_TYPE_DIST = dist', run: (_ctx, dev, s) => setU64(dev, GRP_ADDR, V2_ADDR_TYPE_DIST, parseAddress(s.dist)!) },
  { name: 'cpu', doc: 'KVM_DEV_ARM_VGIC_GRP_ADDR KVM_VGIC_V2_ADDR_TYPE_CPU = cpu', run: (_ctx, dev, s) => setU64(dev, GRP_ADDR, V2_ADDR_TYPE_CPU, parseAddress(s.cpu)!) },
  { name: 'nrIrqs', doc: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS = nrIrqs', run: (_ctx, dev, s) => setU32(dev, GRP_NR_IRQS, 0, (s.nrIrqs as number | undefined) ?? 128) },
  { name: 'init', doc: 'KVM_DEV_ARM_VGIC_GRP_CTRL KVM_DEV_ARM_VGIC_CTRL_INIT', run: (_ctx, dev) => void dev.attrRaw('set', GRP_CTRL, CTRL_INIT, 0) },
  ROUTING,
];

/** The GICv2 setup spec. */
export const gicv2Setup: DeviceSetupSpec = {
  settings: GICV2_SETTINGS,
  validate(s, vm): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const dist = addr(s, 'dist', SZ_4K, V2_DIST_SIZE, issues);
    const cpu = addr(s, 'cpu', SZ_4K, V2_CPU_SIZE, issues);
    nrIrqs(s, issues);
    routingIssues(s, issues);
    if (vm.vcpus > V2_MAX_CPUS) issues.push({ path: 'cpu', message: `a GICv2 serves at most ${V2_MAX_CPUS} vCPUs, the VM has ${vm.vcpus}` });
    if (dist !== null && cpu !== null) overlaps([{ path: 'dist', base: dist, size: V2_DIST_SIZE }, { path: 'cpu', base: cpu, size: V2_CPU_SIZE }], issues);
    return issues;
  },
  steps: GICV2_STEPS,
};

/** The settings of an ITS (names as in `presets.qemuVirtArm64Its`). */
export const ITS_SETTINGS: Readonly<Record<string, string>> = {
  addr: 'frame base (KVM_VGIC_ITS_ADDR_TYPE, 128 KiB frame), 64 KiB aligned',
  reset: 'KVM_DEV_ARM_ITS_CTRL_RESET after the set-up, as QEMU resets the machine (default false)',
};

/** The ITS's set-up steps, in Firecracker's and Cloud Hypervisor's order (QEMU: init before addr). */
const ITS_STEPS: readonly SetupStep[] = [
  { name: 'addr', doc: 'KVM_DEV_ARM_VGIC_GRP_ADDR KVM_VGIC_ITS_ADDR_TYPE = addr', run: (_ctx, dev, s) => setU64(dev, GRP_ADDR, ITS_ADDR_TYPE, parseAddress(s.addr)!) },
  { name: 'init', doc: 'KVM_DEV_ARM_VGIC_GRP_CTRL KVM_DEV_ARM_VGIC_CTRL_INIT (does nothing on an ITS)', run: (_ctx, dev) => void dev.attrRaw('set', GRP_CTRL, CTRL_INIT, 0) },
  {
    name: 'reset',
    doc: 'KVM_HAS_DEVICE_ATTR then KVM_SET_DEVICE_ATTR KVM_DEV_ARM_ITS_CTRL_RESET (reset: true, as QEMU at machine reset)',
    active: (s) => s.reset === true,
    run: (_ctx, dev) => {
      dev.attrRaw('has', GRP_CTRL, ITS_CTRL_RESET, 0);
      dev.attrRaw('set', GRP_CTRL, ITS_CTRL_RESET, 0);
    },
  },
];

/** The ITS setup spec. */
export const itsSetup: DeviceSetupSpec = {
  settings: ITS_SETTINGS,
  validate(s): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    addr(s, 'addr', SZ_64K, ITS_SIZE, issues);
    if (s.reset !== undefined && typeof s.reset !== 'boolean') issues.push({ path: 'reset', message: 'expected true or false' });
    return issues;
  },
  steps: ITS_STEPS,
};

/**
 * arm64 (virt / Firecracker) on a host profile: the GICs the host offers; at most the host GIC's
 * vCPU limit; finalize initialises every vCPU.
 */
export function arm64ProfileFor(host: Arm64HostProfile): ArchProfile {
  const devices = [
    ...(canEmulateGicv2(host) ? ['KVM_DEV_TYPE_ARM_VGIC_V2'] : []),
    ...(host.gic === 'v3' ? ['KVM_DEV_TYPE_ARM_VGIC_V3', 'KVM_DEV_TYPE_ARM_VGIC_ITS'] : []),
  ];
  return { ...arm64Profile, doc: `${arm64Profile.doc} (host ${host.name})`, devices, maxVcpus: defaultMaxVcpus(host) };
}

/** arm64 (virt / Firecracker / Cloud Hypervisor): a GICv2 or GICv3 (and ITSes); finalize initialises every vCPU. */
export const arm64Profile: ArchProfile = {
  name: 'arm64',
  doc: 'arm64 virt machine (QEMU virt, Firecracker, Cloud Hypervisor) with an in-kernel GICv2 or GICv3 and ITSes',
  devices: ['KVM_DEV_TYPE_ARM_VGIC_V2', 'KVM_DEV_TYPE_ARM_VGIC_V3', 'KVM_DEV_TYPE_ARM_VGIC_ITS'],
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
  KVM_DEV_TYPE_ARM_VGIC_ITS: itsSetup,
};
/** Profiles contributed by the vGIC plugin. */
export const ARM_VGIC_PROFILES: readonly ArchProfile[] = [arm64Profile];
