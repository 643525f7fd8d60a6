/**
 * The plugin object: one vendor device type under a namespaced key, no kernel type number.
 * @packageDocumentation
 */
import { type DeviceOps, definePlugin } from '@kvmdev/core/plugin';
import { type VfioOptions, createVfioOps, vfioAttrTable } from './device.js';
import { vfioIntrospect } from './introspect.js';
import { vfioSetup } from './setup.js';
import { VFIO_DEVICE_KEY } from './uapi.js';

/** The package version. */
export const VERSION = '0.1.0';

/**
 * Builds the plugin. Register it with `createHost({ plugins: [createVfioPlugin()] })`; the host
 * assigns the device a number from the vendor range (`host.deviceType('@acme/kvmdev-vfio:vfio')`).
 */
export function createVfioPlugin(options: VfioOptions = {}) {
  return definePlugin({
    name: '@acme/kvmdev-vfio',
    version: VERSION,
    core: '^0.1.0',
    devices: [
      {
        key: VFIO_DEVICE_KEY,
        // no `type`: kernel numbers belong to the kernel; the host assigns a vendor-range one
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
