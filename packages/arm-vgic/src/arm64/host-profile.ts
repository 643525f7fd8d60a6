/**
 * Host profiles: the arm64 machine the model pretends to run on. Everything KVM takes from the
 * host hardware lives here: which GIC the host has (and so which vGIC models KVM offers), the
 * IPA limit, the online CPUs, the CPU interface's ICH_VTR_EL2 fields (ICC_CTLR_EL1's PRIbits,
 * IDbits, SEIS, A3V) and AArch32 support. A snapshot taken on a real host restores on the model
 * of that host: pick the matching profile with `createArmVgic({ host })`.
 * @packageDocumentation
 */

/** The CPU interface fields KVM reads from ICH_VTR_EL2 (GICv3 hosts). */
export interface IchVtr {
  /** Priority bits implemented (ICH_VTR_EL2.PRIbits + 1): 5, 6 or 7. */
  readonly priBits: 5 | 6 | 7;
  /** ICH_VTR_EL2.IDbits: 0 = 16 INTID bits, 1 = 24 INTID bits (ICC_CTLR_EL1.IDbits). */
  readonly idBits: 0 | 1;
  /** SEI support (ICC_CTLR_EL1.SEIS must match on restore). */
  readonly seis: 0 | 1;
  /** Non-zero Aff3 support (ICC_CTLR_EL1.A3V must match on restore). */
  readonly a3v: 0 | 1;
}

/** An arm64 KVM host. */
export interface Arm64HostProfile {
  /** Preset name, e.g. `'qemu-tcg-max'`. */
  readonly name: string;
  /** One line for listings. */
  readonly doc: string;
  /**
   * The host's interrupt controller. A GICv3 host offers KVM_DEV_TYPE_ARM_VGIC_V3 (and V2 only
   * with `gicv2Compat`); a GICv2 host offers only KVM_DEV_TYPE_ARM_VGIC_V2 and limits every
   * VM to 8 vCPUs (`kvm_vgic_global_state.max_gic_vcpus`).
   */
  readonly gic: 'v3' | 'v2';
  /** GICv3 host: a GICv2-compatible CPU interface (GICV frame), so GICv2 guests can be emulated. */
  readonly gicv2Compat: boolean;
  /** KVM_CAP_ARM_VM_IPA_SIZE: the largest IPA size a VM may ask for in KVM_CREATE_VM. */
  readonly ipaLimit: number;
  /** num_online_cpus(): KVM_CAP_NR_VCPUS is this, capped at the GIC's vCPU limit. */
  readonly onlineCpus: number;
  /** ICH_VTR_EL2 (GICv3 host; a GICv2 host has 5 priority bits and no ICC registers). */
  readonly ichVtr: IchVtr;
  /** AArch32 at EL1 (KVM_CAP_ARM_EL1_32BIT, the KVM_ARM_VCPU_EL1_32BIT vCPU feature). */
  readonly aarch32El1: boolean;
  /** AArch32 at EL0 (a PSTATE of PSR_AA32_MODE_USR through SET_ONE_REG). */
  readonly aarch32El0: boolean;
  /** The host kernel's PAGE_SIZE (4 KiB on every preset; 16 or 64 KiB kernels exist). */
  readonly pageSize: 4096 | 16384 | 65536;
}

/** `VGIC_V2_MAX_CPUS` / `VGIC_V3_MAX_CPUS`. */
const V2_MAX = 8;
const V3_MAX = 512;

/**
 * A GICv3 server with a GICv2-compatible CPU interface: 5 priority bits, 16 INTID bits, A3V
 * (ICC_CTLR_EL1 0x8400), 48-bit IPA, 64 online CPUs. What the model assumed before profiles.
 */
export const gicv3Server: Arm64HostProfile = Object.freeze({
  name: 'gicv3-server',
  doc: 'GICv3 server host with GICv2 compatibility, IPA 48 bits, 64 CPUs, ICC_CTLR_EL1 0x8400',
  gic: 'v3',
  gicv2Compat: true,
  ipaLimit: 48,
  onlineCpus: 64,
  ichVtr: Object.freeze({ priBits: 5, idBits: 0, seis: 0, a3v: 1 }),
  aarch32El1: false,
  aarch32El0: true,
  pageSize: 4096,
});

/** A GICv2 host (a GIC-400 board such as a Cortex-A72 SoC): 4 CPUs, 44-bit IPA, GICv2 guests only. */
export const gicv2Host: Arm64HostProfile = Object.freeze({
  name: 'gicv2-host',
  doc: 'GICv2 (GIC-400) host, IPA 44 bits, 4 CPUs: only KVM_DEV_TYPE_ARM_VGIC_V2, 8 vCPUs per VM',
  gic: 'v2',
  gicv2Compat: true,
  ipaLimit: 44,
  onlineCpus: 4,
  ichVtr: Object.freeze({ priBits: 5, idBits: 0, seis: 0, a3v: 0 }),
  aarch32El1: true,
  aarch32El0: true,
  pageSize: 4096,
});

/**
 * QEMU TCG `-cpu max` with `-M virt,virtualization=on,gic-version=3 -smp 2`, the host the
 * kernel comparison ran on (Linux 7.3.4): IPA 52, ICH_VTR ID bits 24 (ICC_CTLR_EL1 reads
 * 0x8c00), QEMU's GICv3 has no GICv2-compatible CPU interface (type 5 is ENODEV), 2 CPUs.
 */
export const qemuTcgMax: Arm64HostProfile = Object.freeze({
  name: 'qemu-tcg-max',
  doc: 'QEMU TCG -cpu max, gic-version=3, -smp 2: IPA 52, ICC_CTLR_EL1 0x8c00, no GICv2 emulation',
  gic: 'v3',
  gicv2Compat: false,
  ipaLimit: 52,
  onlineCpus: 2,
  ichVtr: Object.freeze({ priBits: 5, idBits: 1, seis: 0, a3v: 1 }),
  aarch32El1: true,
  aarch32El0: true,
  pageSize: 4096,
});

/** The same QEMU machine booted with `gic-version=2`: a GICv2 host, 8 vCPUs per VM. */
export const qemuTcgMaxGicv2: Arm64HostProfile = Object.freeze({
  name: 'qemu-tcg-max-gicv2',
  doc: 'QEMU TCG -cpu max, gic-version=2, -smp 2: GICv2 host, IPA 52, 8 vCPUs per VM',
  gic: 'v2',
  gicv2Compat: true,
  ipaLimit: 52,
  onlineCpus: 2,
  ichVtr: Object.freeze({ priBits: 5, idBits: 0, seis: 0, a3v: 0 }),
  aarch32El1: true,
  aarch32El0: true,
  pageSize: 4096,
});

/** Every preset by name. */
export const ARM64_HOSTS: Readonly<Record<string, Arm64HostProfile>> = Object.freeze({
  [gicv3Server.name]: gicv3Server,
  [gicv2Host.name]: gicv2Host,
  [qemuTcgMax.name]: qemuTcgMax,
  [qemuTcgMaxGicv2.name]: qemuTcgMaxGicv2,
});

/** The profile a plugin uses when none is given. */
export const DEFAULT_ARM64_HOST = gicv3Server;

/** Whether KVM on this host can emulate a GICv2 (`kvm_vgic_global_state.can_emulate_gicv2`). */
export function canEmulateGicv2(h: Arm64HostProfile): boolean {
  return h.gic === 'v2' || h.gicv2Compat;
}

/** `kvm_arm_default_max_vcpus()`: the host GIC's vCPU limit (8 on a GICv2 host, 512 on GICv3). */
export function defaultMaxVcpus(h: Arm64HostProfile): number {
  return h.gic === 'v2' ? V2_MAX : V3_MAX;
}

/**
 * How many GICC_APRn (APR0, APR1, ...) a GICv2 guest's CPU interface keeps on this host
 * (vgic_mmio_read_apr / vgic_mmio_write_apr): 1 on a GICv2 host (GICH_APR is one word); on a GICv3
 * host the ICH_AP1Rn its priority bits need (vgic_v3_max_apr_idx + 1: 5 bits 1, 6 bits 2, 7 bits 4).
 * The other APRs read 0 and ignore writes, from the guest and through KVM_DEV_ARM_VGIC_GRP_CPU_REGS.
 */
export function gicv2AprsKept(h: Arm64HostProfile): 1 | 2 | 4 {
  if (h.gic === 'v2') return 1;
  const p = h.ichVtr.priBits;
  return p === 7 ? 4 : p === 6 ? 2 : 1;
}

/** KVM_GET_VCPU_MMAP_SIZE on arm64: the run page and the coalesced-MMIO ring page (no PIO page off x86). */
export function vcpuMmapSize(h: Arm64HostProfile): number {
  return 2 * h.pageSize;
}

/** ICC_CTLR_EL1 as KVM reports it after vgic_init (CBPR and EOImode clear). */
export function hostIccCtlr(h: Arm64HostProfile): number {
  const v = h.ichVtr;
  return ((v.priBits - 1) << 8) | (v.idBits << 11) | (v.seis << 14) | (v.a3v << 15);
}

/** Checks a profile a user built by hand; returns the problems (empty when usable). */
export function checkHostProfile(h: Arm64HostProfile): string[] {
  const out: string[] = [];
  if (typeof h.name !== 'string' || !h.name) out.push('name: a non-empty string');
  if (h.gic !== 'v2' && h.gic !== 'v3') out.push("gic: 'v2' or 'v3'");
  if (!Number.isInteger(h.ipaLimit) || h.ipaLimit < 32 || h.ipaLimit > 52) out.push('ipaLimit: 32..52');
  if (!Number.isInteger(h.onlineCpus) || h.onlineCpus < 1) out.push('onlineCpus: a positive integer');
  const v = h.ichVtr;
  if (!v || ![5, 6, 7].includes(v.priBits)) out.push('ichVtr.priBits: 5, 6 or 7');
  if (!v || (v.idBits !== 0 && v.idBits !== 1)) out.push('ichVtr.idBits: 0 (16 bits) or 1 (24 bits)');
  if (!v || (v.seis !== 0 && v.seis !== 1)) out.push('ichVtr.seis: 0 or 1');
  if (!v || (v.a3v !== 0 && v.a3v !== 1)) out.push('ichVtr.a3v: 0 or 1');
  if (![4096, 16384, 65536].includes(h.pageSize)) out.push('pageSize: 4096, 16384 or 65536');
  return out;
}
