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

/** QEMU's virt machine on arm64: GICD at 0x08000000, GICC 0x08010000 (v2) or GICR 0x080A0000 (v3), 288 IRQs. */
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

/** Every preset by name. */
export const presets = { qemuE500, qemuPseries, firecrackerArm64, qemuVirtArm64 } as const;
