/**
 * kvmdev's own side of each target: which plugins (and host options) make the model of the
 * machine the kernel target runs on. A VM composed like a real host's has every device that host
 * has, so each target carries KVM-VFIO too (every kernel compared here has it).
 *
 * When a host profile for a target exists in the model (issue 13 item 7: the QEMU TCG `-cpu max`
 * arm64 host, the ppc64 pseries host), select it here; when the model speaks ppc64's ioctl
 * encoding (issue 13 item 13), set `encoding: 'powerpc'` for the ppc64 targets.
 * @packageDocumentation
 */
import { createHost } from '@kvmdev/core';
import { createArmVgic } from '@kvmdev/arm-vgic';
import { xics } from '@kvmdev/xics';
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
  'ppc64-pseries': [xics, vfioPpc],
  'ppc64-powernv9': [xics, vfioPpc],
};

/** Target name → how to build the model of it. */
export const MODELS: Readonly<Record<string, ModelTarget>> = Object.fromEntries(
  Object.entries(PLUGINS).map(([t, plugins]) => [t, { createHost: () => createHost({ plugins }) }]),
);

/** Targets in report order; `apart` ones are reported separately (optional). */
export const TARGET_ORDER: readonly { readonly name: string; readonly apart?: boolean }[] = [
  { name: 'host' },
  { name: 'arm64-gicv3' },
  { name: 'arm64-gicv2' },
  { name: 'ppc64-pseries' },
  { name: 'ppc64-powernv9', apart: true },
];
