/**
 * The plugin object: one device type under a vendor key (no kernel type number; the host assigns
 * one from the vendor range).
 * @packageDocumentation
 */
import { type DeviceOps, definePlugin } from '@kvmdev/core/plugin';
import { ATTRS, ops } from './device.js';
import { DEVICE_KEY } from './uapi.js';

/** The plugin: `createHost({ plugins: [plugin] })`. */
export const plugin = definePlugin({
  name: '__NAME__',
  version: '0.1.0',
  core: '__CORE_RANGE__',
  devices: [{ key: DEVICE_KEY, ops: ops as DeviceOps, attrs: ATTRS }],
});
