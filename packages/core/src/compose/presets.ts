/**
 * Presets: VM configs that match real machines. They are data: they name device keys and
 * settings, and import no plugin, so a build includes only the plugins its user passes to the
 * host.
 * @packageDocumentation
 */
import type { VmConfig } from './compose.js';

/** QEMU's ppce500 machine: an e500 VM with an MPIC at CCSRBAR (0xFE0000000) + 0x40000. */
export function qemuE500(options: { vcpus?: number; model?: '20' | '42' } = {}): VmConfig {
  return {
    name: 'qemu-ppce500',
    arch: 'ppc-e500',
    vcpus: options.vcpus ?? 4,
    devices: [
      {
        type: options.model === '42' ? 'KVM_DEV_TYPE_FSL_MPIC_42' : 'KVM_DEV_TYPE_FSL_MPIC_20',
        name: 'mpic',
        settings: { base: '0xfe0040000', routing: 'identity', connect: true, reset: true },
      },
    ],
  };
}

/** QEMU's pseries machine with the in-kernel XICS; sources start at 0x1000 (XICS_IRQ_BASE). */
export function qemuPseries(options: { vcpus?: number; sources?: number } = {}): VmConfig {
  return {
    name: 'qemu-pseries',
    arch: 'ppc-pseries',
    vcpus: options.vcpus ?? 4,
    devices: [{ type: 'KVM_DEV_TYPE_XICS', name: 'xics', settings: { connect: true, firstSource: 0x1000, sources: options.sources ?? 1024 } }],
  };
}

/** Firecracker on arm64: GIC just below MMIO32_MEM_START (1 GiB), 128 IRQs (96 legacy GSIs + 32). */
export function firecrackerArm64(options: { vcpus?: number; gic?: 'v2' | 'v3' } = {}): VmConfig {
  const vcpus = options.vcpus ?? 2;
  const v3 = (options.gic ?? 'v3') === 'v3';
  return {
    name: `firecracker-arm64-gic${v3 ? 'v3' : 'v2'}`,
    arch: 'arm64',
    vcpus,
    devices: [
      v3
        ? { type: 'KVM_DEV_TYPE_ARM_VGIC_V3', name: 'gic', settings: { dist: '0x3fff0000', redist: 'below-dist', nrIrqs: 128 } }
        : { type: 'KVM_DEV_TYPE_ARM_VGIC_V2', name: 'gic', settings: { dist: '0x3ffff000', cpu: '0x3fffd000', nrIrqs: 128 } },
    ],
  };
}

/**
 * QEMU's virt machine on arm64 without an ITS (`its=off`; {@link qemuVirtArm64Its} is QEMU's default
 * GICv3 machine): GICD at 0x08000000, GICC 0x08010000 (v2) or GICR 0x080A0000 (v3, one legacy
 * REDIST region), 288 IRQs, each device set up in turn.
 */
export function qemuVirtArm64(options: { vcpus?: number; gic?: 'v2' | 'v3' } = {}): VmConfig {
  const v3 = (options.gic ?? 'v3') === 'v3';
  return {
    name: `qemu-virt-gic${v3 ? 'v3' : 'v2'}`,
    arch: 'arm64',
    vcpus: options.vcpus ?? 4,
    devices: [
      v3
        ? { type: 'KVM_DEV_TYPE_ARM_VGIC_V3', name: 'gic', settings: { dist: '0x08000000', redist: '0x080a0000', nrIrqs: 288 } }
        : { type: 'KVM_DEV_TYPE_ARM_VGIC_V2', name: 'gic', settings: { dist: '0x08000000', cpu: '0x08010000', nrIrqs: 288 } },
    ],
  };
}

const hex = (n: bigint): string => `0x${n.toString(16)}`;
/** A GICv3 redistributor frame pair (KVM_VGIC_V3_REDIST_SIZE) and an ITS frame (KVM_VGIC_V3_ITS_SIZE). */
const REDIST_SIZE = 0x20000n;
const ITS_SIZE = 0x20000n;

/**
 * Firecracker on arm64 with PCI devices: its GICv3 (as {@link firecrackerArm64}) and an ITS for
 * their MSIs right below the redistributors (redist - 0x20000), set up in Firecracker's order:
 * the GICv3's DIST and REDIST, then KVM_CREATE_DEVICE of the ITS, its address and CTRL_INIT, then
 * the GICv3's NR_IRQS and CTRL_INIT, then the vCPUs' KVM_ARM_VCPU_INIT.
 */
export function firecrackerArm64Pci(options: { vcpus?: number } = {}): VmConfig {
  return gicv3WithItsBelow('firecracker-arm64-gicv3-its', 0x3fff0000n, 128, options.vcpus ?? 2);
}

/**
 * Cloud Hypervisor on arm64, which always creates an ITS next to its GICv3: the distributor just
 * below MAPPED_IO_START (0x09000000), the redistributors right below it, the ITS right below them,
 * 256 IRQs, set up in Cloud Hypervisor's order (`KvmGicV3Its`, the same as Firecracker's): DIST,
 * REDIST, the ITS (create, address, CTRL_INIT), NR_IRQS, CTRL_INIT, then the vCPUs' init.
 */
export function cloudHypervisorArm64(options: { vcpus?: number } = {}): VmConfig {
  return gicv3WithItsBelow('cloud-hypervisor-arm64', 0x08ff0000n, 256, options.vcpus ?? 2);
}

/**
 * The Firecracker / Cloud Hypervisor layout and order: a GICv3 at `dist`, its redistributors right
 * below it, the ITS right below them; DIST, REDIST, the ITS (create, address, CTRL_INIT), NR_IRQS,
 * CTRL_INIT, then the vCPUs' init.
 */
function gicv3WithItsBelow(name: string, dist: bigint, nrIrqs: number, vcpus: number): VmConfig {
  return {
    name,
    arch: 'arm64',
    vcpus,
    devices: [
      { type: 'KVM_DEV_TYPE_ARM_VGIC_V3', name: 'gic', settings: { dist: hex(dist), redist: 'below-dist', nrIrqs } },
      { type: 'KVM_DEV_TYPE_ARM_VGIC_ITS', name: 'its', settings: { addr: hex(dist - BigInt(vcpus) * REDIST_SIZE - ITS_SIZE) } },
    ],
    order: ['gic', 'gic.dist', 'gic.redist', 'its', 'its.addr', 'its.init', 'gic.nrIrqs', 'gic.init', 'finalize'],
  };
}

/** vCPUs in QEMU virt's first redistributor region (VIRT_GIC_REDIST, 0x080A0000..0x09000000). */
const QEMU_VIRT_REDIST_CAPACITY = 123;

/**
 * QEMU's virt machine on arm64 as it starts by default with KVM (`-M virt,gic-version=3`, `its=on`):
 * GICD 0x08000000, the ITS at 0x08080000, 288 IRQs, redistributor regions (KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION)
 * at 0x080A0000 for the first 123 vCPUs and at 0x4000000000 (VIRT_HIGH_GIC_REDIST2) for the rest.
 * In QEMU's order: the vCPUs are initialised first (KVM_ARM_VCPU_INIT as each is realized), the
 * GICv3 realize sets NR_IRQS, CTRL_INIT and the identity GSI routing, the ITS realize creates the ITS
 * and runs CTRL_INIT; the addresses are set last, at machine-init-done, in the reverse of their
 * registration (QEMU keeps them on a list it pushes at the head): the ITS frame, the redistributor
 * regions, the distributor; then the machine reset's KVM_DEV_ARM_ITS_CTRL_RESET. KVM_CREATE_VM gets
 * the IPA size the memory map needs (type 40), as QEMU passes it on a kernel with
 * KVM_CAP_ARM_VM_IPA_SIZE.
 */
export function qemuVirtArm64Its(options: { vcpus?: number } = {}): VmConfig {
  const vcpus = options.vcpus ?? 4;
  const low = Math.min(vcpus, QEMU_VIRT_REDIST_CAPACITY);
  const redistRegions = [
    { base: '0x080a0000', count: low },
    ...(vcpus > low ? [{ base: '0x4000000000', count: vcpus - low }] : []),
  ];
  return {
    name: 'qemu-virt-gicv3-its',
    arch: 'arm64',
    vcpus,
    // virt_kvm_type: the IPA size its memory map needs (40 bits: the high PCIe MMIO ends at 1 TiB)
    vmType: 40,
    devices: [
      { type: 'KVM_DEV_TYPE_ARM_VGIC_V3', name: 'gic', settings: { dist: '0x08000000', redistRegions, nrIrqs: 288, routing: 'identity' } },
      { type: 'KVM_DEV_TYPE_ARM_VGIC_ITS', name: 'its', settings: { addr: '0x08080000', reset: true } },
    ],
    order: ['finalize', 'gic', 'gic.nrIrqs', 'gic.init', 'gic.routing', 'its', 'its.init', 'its.addr', 'gic.redist', 'gic.dist', 'its.reset'],
  };
}

/** Every preset by name. */
export const presets = { qemuE500, qemuPseries, firecrackerArm64, qemuVirtArm64, firecrackerArm64Pci, cloudHypervisorArm64, qemuVirtArm64Its } as const;
