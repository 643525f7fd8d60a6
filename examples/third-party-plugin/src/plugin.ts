/**
 * The plugin object: one device type under a namespaced key, registered under the kernel's own
 * number for KVM-VFIO (KVM_DEV_TYPE_VFIO, 4), as every kernel numbers it.
 * @packageDocumentation
 */
import { KVM_DEV_TYPE_VFIO } from '@kvmdev/core';
import { type DeviceOps, definePlugin } from '@kvmdev/core/plugin';
import { type VfioOptions, createVfioOps, vfioAttrTable } from './device.js';
import { vfioIntrospect } from './introspect.js';
import { vfioSetup } from './setup.js';
import { VFIO_DEVICE_KEY } from './uapi.js';

/** The package version. */
export const VERSION = '0.1.0';

/**
 * Builds the plugin. Register it with `createHost({ plugins: [createVfioPlugin()] })`; the device
 * has the kernel's number, KVM_DEV_TYPE_VFIO (`host.deviceType('@acme/kvmdev-vfio:vfio')` is 4), so a
 * C port that creates type 4 gets it. Only one plugin per host can hold a kernel number.
 */
export function createVfioPlugin(options: VfioOptions = {}) {
  return definePlugin({
    name: '@acme/kvmdev-vfio',
    version: VERSION,
    core: '^0.1.0',
    devices: [
      {
        key: VFIO_DEVICE_KEY,
        // the kernel has this device, so it takes the kernel's number; a device the kernel does
        // not have omits `type` and the host assigns it a vendor-range number
        type: KVM_DEV_TYPE_VFIO,
        ops: createVfioOps(options) as DeviceOps,
        attrs: vfioAttrTable(options),
        setup: vfioSetup,
        introspect: vfioIntrospect,
      },
    ],
  });
}

/** The plugin with the default options (sPAPR TCE support on). */
export const vfio = createVfioPlugin();
