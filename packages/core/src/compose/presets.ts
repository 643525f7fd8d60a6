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

/**
 * Firecracker on arm64: GIC just below MMIO32_MEM_START (1 GiB), 128 IRQs (96 legacy GSIs + 32),
 * each step in Firecracker's order: KVM_CREATE_DEVICE, the addresses (DIST then REDIST, or DIST
 * then CPU), NR_IRQS, CTRL_INIT, then the vCPUs' KVM_ARM_VCPU_INIT.
 *
 * Source: firecracker-microvm/firecracker `src/vmm/src/arch/aarch64/gic/gicv2/mod.rs` and
 * `gicv3/mod.rs` (`create`, `init_device_attributes`, `finalize_device`), `arch/aarch64/vm.rs`
 * (`arch_post_create_vcpus`: the GIC after every KVM_CREATE_VCPU) and `cpu_config/aarch64/mod.rs`
 * (KVM_ARM_VCPU_INIT, from `configure_system_for_boot`, after the GIC). The GICv2 order holds at
 * main 81b38b9dad60 (2026-08-21). The GICv3 without an ITS is Firecracker up to v1.12.x (read at
 * v1.12.0, 15e749068736): from v1.13.0 every GICv3 VM gets an ITS, which is
 * {@link firecrackerArm64Pci}. (Firecracker reads KVM_ARM_PREFERRED_TARGET once per vCPU as it
 * creates it, before the GIC; the profile's finalize reads it once, after: it changes no state.)
 */
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
 * REDIST region), 288 IRQs, in QEMU's order: the vCPUs' KVM_ARM_VCPU_INIT first (as each is
 * realized), then the GIC's realize (KVM_CREATE_DEVICE, NR_IRQS, CTRL_INIT, the identity GSI
 * routing), then the addresses at machine-init-done, most recently registered first: the
 * redistributors (or the CPU interface) before the distributor.
 *
 * Source: qemu/qemu `hw/intc/arm_gicv3_kvm.c` and `hw/intc/arm_gic_kvm.c` (the realize functions),
 * `target/arm/kvm.c` (`kvm_arm_register_device` pushes at the head of its list,
 * `kvm_arm_machine_init_done` walks it from the head), read at 01b5ab8cc08a / f2a1cf9180f6,
 * 8ef94f0bc916 and dfc56946a700. Not modelled: QEMU's KVM_HAS_DEVICE_ATTR probes, and the
 * KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION form QEMU uses when the kernel has it (this preset keeps the
 * legacy REDIST; {@link qemuVirtArm64Its} uses the regions).
 */
export function qemuVirtArm64(options: { vcpus?: number; gic?: 'v2' | 'v3' } = {}): VmConfig {
  const v3 = (options.gic ?? 'v3') === 'v3';
  return {
    name: `qemu-virt-gic${v3 ? 'v3' : 'v2'}`,
    arch: 'arm64',
    vcpus: options.vcpus ?? 4,
    devices: [
      v3
        ? { type: 'KVM_DEV_TYPE_ARM_VGIC_V3', name: 'gic', settings: { dist: '0x08000000', redist: '0x080a0000', nrIrqs: 288, routing: 'identity' } }
        : { type: 'KVM_DEV_TYPE_ARM_VGIC_V2', name: 'gic', settings: { dist: '0x08000000', cpu: '0x08010000', nrIrqs: 288, routing: 'identity' } },
    ],
    order: ['finalize', 'gic', 'gic.nrIrqs', 'gic.init', 'gic.routing', v3 ? 'gic.redist' : 'gic.cpu', 'gic.dist'],
  };
}

const hex = (n: bigint): string => `0x${n.toString(16)}`;
/** A GICv3 redistributor frame pair (KVM_VGIC_V3_REDIST_SIZE) and an ITS frame (KVM_VGIC_V3_ITS_SIZE). */
const REDIST_SIZE = 0x20000n;
const ITS_SIZE = 0x20000n;

/**
 * Firecracker on arm64 from v1.13.0: its GICv3 (as {@link firecrackerArm64}) and an ITS right below
 * the redistributors (redist - 0x20000), in Firecracker's order: the GICv3's DIST and REDIST, then
 * KVM_CREATE_DEVICE of the ITS, its address and CTRL_INIT, then the GICv3's NR_IRQS and CTRL_INIT,
 * then the vCPUs' KVM_ARM_VCPU_INIT. Despite the name, Firecracker creates this ITS for every GICv3
 * VM, PCI on or off (the name is kept for compatibility).
 *
 * Source: firecracker-microvm/firecracker `src/vmm/src/arch/aarch64/gic/gicv3/mod.rs`
 * (`GICv3::create` calls `init_its` unconditionally between `init_device_attributes` and
 * `finalize_device`; added by 3b943af0e178 "arm: support MSI-X on ARM", first released in v1.13.0,
 * e4427c2940a9), unchanged at main 81b38b9dad60 (2026-08-21); the vCPU order as in
 * {@link firecrackerArm64}.
 */
export function firecrackerArm64Pci(options: { vcpus?: number } = {}): VmConfig {
  return gicv3WithItsBelow('firecracker-arm64-gicv3-its', 0x3fff0000n, 128, options.vcpus ?? 2);
}

/**
 * Cloud Hypervisor on arm64, which always creates an ITS next to its GICv3: the distributor just
 * below MAPPED_IO_START (0x09000000), the redistributors right below it, the ITS right below them,
 * 256 IRQs (IRQ_NUM), set up in Cloud Hypervisor's order (`KvmGicV3Its`, the same as Firecracker's):
 * DIST, REDIST, the ITS (create, address, CTRL_INIT), NR_IRQS, CTRL_INIT; then `Gic::new`'s
 * KVM_SET_GSI_ROUTING of the 32 legacy interrupts (GSI 32 + k -> irqchip 0 pin k, routing
 * { firstGsi: 32, count: 32 }); then the vCPUs' KVM_ARM_VCPU_INIT, which comes after the GIC (the
 * vCPUs are created before it and initialised at boot).
 *
 * Source: cloud-hypervisor/cloud-hypervisor `hypervisor/src/kvm/aarch64/gic/mod.rs`
 * (`KvmGicV3Its::new`, `init_device_attributes`), `devices/src/gic.rs` (`create_default_config`),
 * `arch/src/aarch64/layout.rs`, `vmm/src/vm.rs` (`init_kvm`: the GIC after `create_boot_vcpus`;
 * `boot`: `configure_vcpu`) and `vmm/src/cpu.rs` (`Vcpu::init`: KVM_ARM_PREFERRED_TARGET, then
 * KVM_ARM_VCPU_INIT) and `vmm/src/interrupt.rs` with `vm-allocator/src/gsi.rs` (the legacy GSIs,
 * allocated from IRQ_BASE 32), read at ae44c2971c83 (v53.0-246, 2026-08-22). Not modelled: the
 * KVM_IRQFD that binds an eventfd to each of those 32 GSIs before the routing is set.
 */
export function cloudHypervisorArm64(options: { vcpus?: number } = {}): VmConfig {
  const c = gicv3WithItsBelow('cloud-hypervisor-arm64', 0x08ff0000n, 256, options.vcpus ?? 2);
  const [gic, its] = c.devices;
  return {
    ...c,
    devices: [{ ...gic!, settings: { ...gic!.settings, routing: { firstGsi: 32, count: 32 } } }, its!],
    order: ['gic', 'gic.dist', 'gic.redist', 'its', 'its.addr', 'its.init', 'gic.nrIrqs', 'gic.init', 'gic.routing', 'finalize'],
  };
}

/**
 * The Firecracker / Cloud Hypervisor layout and order: a GICv3 at `dist`, its redistributors right
 * below it, the ITS right below them; DIST, REDIST, the ITS (create, address, CTRL_INIT), NR_IRQS,
 * CTRL_INIT, then the vCPUs' init (Cloud Hypervisor adds its routing before the vCPUs).
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
 *
 * Source: qemu/qemu `hw/intc/arm_gicv3_kvm.c` (`kvm_arm_gicv3_realize`: create, NR_IRQS,
 * CTRL_INIT, the DIST and then the REDIST regions in reverse registered, the routing committed),
 * `hw/intc/arm_gicv3_its_kvm.c` (`kvm_arm_its_realize`: create, CTRL_INIT, the address registered;
 * `kvm_arm_its_reset_hold`: KVM_HAS_DEVICE_ATTR then ITS_CTRL_RESET), `hw/arm/virt.c`
 * (`create_gic` realizes the GIC, then `create_its`), `target/arm/kvm.c` (`kvm_arm_register_device`,
 * `kvm_arm_machine_init_done`), read at 01b5ab8cc08a / f2a1cf9180f6, 06b40d250ecf, 19bd6aafbd18 and
 * dfc56946a700. Not modelled: the KVM_HAS_DEVICE_ATTR probes of the realize functions.
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
