/**
 * kvmdev's own side of each target: which plugins (and host options) make the model of the
 * machine the kernel target runs on. A VM composed like a real host's has every device that host
 * has, so each target carries KVM-VFIO too (every kernel compared here has it).
 *
 * Each target selects the model's host profile of the machine it ran on (issue 13 items 7 and 14:
 * the QEMU TCG `-cpu max` arm64 hosts, the QEMU pseries host with nested kvm-hv, the QEMU powernv9
 * bare-metal XIVE host), and the ppc64
 * targets speak ppc64's ioctl encoding (issue 13 item 13: the profile declares the host
 * architecture, and the model side encodes every request as powerpc does).
 * @packageDocumentation
 */
import { createHost } from '@kvmdev/core';
import { createArmVgic } from '@kvmdev/arm-vgic';
import { createXicsPlugin, xive } from '@kvmdev/xics';
import { createVfioPlugin } from '@acme/kvmdev-vfio';
import type { KvmPlugin } from '@kvmdev/core';
import type { ModelTarget } from '@kvmdev/oracle';

/** KVM-VFIO; it registers under the kernel's number, KVM_DEV_TYPE_VFIO (4), as every kernel compared here has it. */
export function kvmVfio(spaprTce: boolean): KvmPlugin {
  return createVfioPlugin({ spaprTce });
}
/** x86 and arm64 kernels have no CONFIG_SPAPR_TCE_IOMMU; ppc64 ones do. */
const vfioPlain = kvmVfio(false);
const vfioPpc = kvmVfio(true);

/** Target name → the plugins of its model. */
export const PLUGINS: Readonly<Record<string, readonly KvmPlugin[]>> = {
  host: [vfioPlain],
  // the arm64 kernels run under QEMU TCG `-cpu max` (gic-version=3 and =2 boots): issue 13 item 7's profiles
  'arm64-gicv3': [createArmVgic({ host: 'qemu-tcg-max' }), vfioPlain],
  'arm64-gicv2': [createArmVgic({ host: 'qemu-tcg-max-gicv2' }), vfioPlain],
  // QEMU pseries POWER9 -smp 2 with nested kvm-hv, Debian's 6.12 ppc64el kernel (the plain XICS)
  'ppc64-pseries': [createXicsPlugin({ host: 'pseries-hv' }), vfioPpc],
  // QEMU powernv9 -smp 1, bare-metal kvm-hv on the XIVE, the same kernel (XICS-on-XIVE), with the
  // XIVE native device (the two plugins answer alike in either order)
  'ppc64-powernv9': [createXicsPlugin({ host: 'powernv9' }), xive, vfioPpc],
};

/** Targets whose model speaks powerpc's ioctl numbers (the host profile declares a ppc64 host). */
const POWERPC_ENCODING: ReadonlySet<string> = new Set(['ppc64-pseries', 'ppc64-powernv9']);

/** Target name → how to build the model of it. */
export const MODELS: Readonly<Record<string, ModelTarget>> = Object.fromEntries(
  Object.entries(PLUGINS).map(([t, plugins]) => [
    t,
    { createHost: () => createHost({ plugins }), ...(POWERPC_ENCODING.has(t) ? { encoding: 'powerpc' as const } : {}) },
  ]),
);

/** Targets in report order; `apart` ones are reported separately (optional). */
export const TARGET_ORDER: readonly { readonly name: string; readonly apart?: boolean }[] = [
  { name: 'host' },
  { name: 'arm64-gicv3' },
  { name: 'arm64-gicv2' },
  { name: 'ppc64-pseries' },
  { name: 'ppc64-powernv9', apart: true },
];
