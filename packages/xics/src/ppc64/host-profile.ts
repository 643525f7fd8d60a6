/**
 * ppc64 host profiles: the book3s-64 machine and kernel the model pretends to be, for a plugin
 * that models the whole host (`createXicsPlugin({ host: 'pseries-hv' })`). Everything KVM takes
 * from the host lives here: which KVM module is loaded (kvm-hv or kvm-pr), the CPU level (POWER9
 * and later pack vCPU ids into vcores differently), the present and online CPUs, NR_CPUS (the
 * kernel's KVM_MAX_VCPUS and KVM_MAX_VCORES), PAGE_SIZE and CONFIG_KVM_XIVE. A profile makes the
 * host a ppc64 one: it speaks powerpc's ioctl encoding and has no GSI routing and no MSIs.
 * @packageDocumentation
 */
import type { HostArch } from '@kvmdev/core';

/** A book3s-64 (ppc64) KVM host. */
export interface Ppc64HostProfile {
  /** Preset name, e.g. `'pseries-hv'`. */
  readonly name: string;
  /** One line for listings. */
  readonly doc: string;
  /**
   * The KVM module loaded (`kvmppc_hv_ops` or `kvmppc_pr_ops`): which VM types KVM_CREATE_VM
   * takes besides 0 (KVM_VM_PPC_HV 1 or KVM_VM_PPC_PR 2), whether a vCPU must be in PAPR mode
   * (HV: kvmppc_sanity_check) and how vCPU ids map to vcores.
   */
  readonly kvm: 'hv' | 'pr';
  /** CPU_FTR_ARCH_300 (POWER9 and later): one thread per vcore, vCPU ids packed (kvmppc_pack_vcpu_id). */
  readonly arch300: boolean;
  /** num_present_cpus(): KVM_CAP_NR_VCPUS on an HV host. */
  readonly presentCpus: number;
  /** num_online_cpus(): KVM_CAP_NR_VCPUS on a PR host. */
  readonly onlineCpus: number;
  /** NR_CPUS: KVM_MAX_VCPUS and KVM_MAX_VCORES (KVM_MAX_VCPU_IDS is 8 times it, MAX_SMT_THREADS). */
  readonly nrCpus: number;
  /** The host kernel's PAGE_SIZE (Debian's ppc64el kernels: 4 KiB). */
  readonly pageSize: 4096 | 65536;
  /** CONFIG_KVM_XIVE: KVM_REG_PPC_VP_STATE exists (ENXIO without a XIVE presenter). */
  readonly kvmXive: boolean;
  /**
   * The host runs on a XIVE interrupt controller (`xive_enabled()`: bare-metal POWER9 and later
   * under OPAL; needs `kvmXive`). KVM_DEV_TYPE_XICS is then served by XICS-on-XIVE
   * (book3s_xive.c: the same uapi, other rules), and KVM_CAP_PPC_IRQ_XIVE is 1. Default false
   * (a pseries guest's XICS, or a POWER8: the plain book3s_xics.c emulation).
   */
  readonly xive?: boolean;
}

/** MAX_SMT_THREADS of book3s-64. */
export const PPC_MAX_SMT_THREADS = 8;

/** The architecture a ppc64 host declares (KvmPlugin.hostArch): powerpc numbers, no routing, no MSIs. */
export const PPC64_HOST_ARCH: HostArch = Object.freeze({ name: 'ppc64', ioctlEncoding: 'powerpc', irqRouting: false, msi: false });

/**
 * QEMU `-M pseries,cap-nested-hv=on -cpu POWER9 -smp 2` running Debian's
 * linux-image-6.12.107+deb13-powerpc64le with kvm-hv loaded (nested KVM-HV, the plain XICS):
 * the host the kernel comparison ran on. NR_CPUS 2048, 4 KiB pages, KVM_XIVE=y.
 */
export const pseriesHv: Ppc64HostProfile = Object.freeze({
  name: 'pseries-hv',
  doc: 'QEMU pseries POWER9 -smp 2, nested kvm-hv (Debian 6.12 ppc64el): 2 CPUs, NR_CPUS 2048, 4 KiB pages',
  kvm: 'hv',
  arch300: true,
  presentCpus: 2,
  onlineCpus: 2,
  nrCpus: 2048,
  pageSize: 4096,
  kvmXive: true,
});

/**
 * QEMU `-M powernv9 -smp 1` (bare-metal POWER9 under OPAL, the XIVE interrupt controller)
 * running the same Debian 6.12.107 ppc64el kernel with kvm-hv: KVM_DEV_TYPE_XICS is
 * XICS-on-XIVE there. 1 CPU, NR_CPUS 2048, 4 KiB pages.
 */
export const powernv9: Ppc64HostProfile = Object.freeze({
  name: 'powernv9',
  doc: 'QEMU powernv9 -smp 1, bare-metal kvm-hv on the XIVE (Debian 6.12 ppc64el): XICS-on-XIVE, 1 CPU, NR_CPUS 2048, 4 KiB pages',
  kvm: 'hv',
  arch300: true,
  presentCpus: 1,
  onlineCpus: 1,
  nrCpus: 2048,
  pageSize: 4096,
  kvmXive: true,
  xive: true,
});

/** Every preset by name. */
export const PPC64_HOSTS: Readonly<Record<string, Ppc64HostProfile>> = Object.freeze({ [pseriesHv.name]: pseriesHv, [powernv9.name]: powernv9 });

/** xics_on_xive(): the XICS device is XICS-on-XIVE on this host. */
export function xicsOnXive(h: Ppc64HostProfile): boolean {
  return h.xive === true;
}

/** KVM_CAP_NR_VCPUS: the present CPUs on HV (secondary threads are offline there), the online ones on PR. */
export function recommendedVcpus(h: Ppc64HostProfile): number {
  return h.kvm === 'hv' ? h.presentCpus : h.onlineCpus;
}

/** KVM_MAX_VCPU_IDS on book3s-64: MAX_SMT_THREADS * KVM_MAX_VCORES. */
export function maxVcpuIds(h: Ppc64HostProfile): number {
  return PPC_MAX_SMT_THREADS * h.nrCpus;
}

/**
 * KVM_GET_VCPU_MMAP_SIZE: the kvm_run page, plus the coalesced-MMIO ring page only with
 * CONFIG_KVM_MMIO, which book3s-64 selects only for a PR-only build (KVM_BOOK3S_PR_POSSIBLE
 * without HV); there is no PIO page off x86. One page on a kernel that can load kvm-hv.
 */
export function vcpuMmapSize(h: Ppc64HostProfile): number {
  return h.kvm === 'hv' ? h.pageSize : 2 * h.pageSize;
}

/** Checks a profile a user built by hand; returns the problems (empty when usable). */
export function checkPpc64HostProfile(h: Ppc64HostProfile): string[] {
  const out: string[] = [];
  const posInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  if (typeof h.name !== 'string' || !h.name) out.push('name: a non-empty string');
  if (h.kvm !== 'hv' && h.kvm !== 'pr') out.push("kvm: 'hv' or 'pr'");
  if (typeof h.arch300 !== 'boolean') out.push('arch300: true or false');
  if (!posInt(h.presentCpus)) out.push('presentCpus: a positive integer');
  if (!posInt(h.onlineCpus) || h.onlineCpus > h.presentCpus) out.push('onlineCpus: a positive integer, at most presentCpus');
  if (!posInt(h.nrCpus) || h.nrCpus < h.presentCpus || h.nrCpus > 8192) out.push('nrCpus: presentCpus..8192');
  if (h.pageSize !== 4096 && h.pageSize !== 65536) out.push('pageSize: 4096 or 65536');
  if (typeof h.kvmXive !== 'boolean') out.push('kvmXive: true or false');
  if (h.xive !== undefined && typeof h.xive !== 'boolean') out.push('xive: true, false or absent');
  if (h.xive === true && (h.kvmXive !== true || h.kvm !== 'hv' || !h.arch300)) out.push('xive: needs kvmXive, kvm-hv and arch300 (a bare-metal POWER9 or later)');
  return out;
}
