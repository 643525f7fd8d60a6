/**
 * `__NAME__`: a kvmdev device plugin.
 * @packageDocumentation
 */
import { plugin } from './plugin.js';

export * from './uapi.js';
export { ATTRS, ops, type DeviceState } from './device.js';
export { plugin };
export default plugin;

// The typed API: `vm.createDevice('__DEVICE_KEY__')` returns a handle whose
// setAttr/getAttr check the group, attr and value types.
declare module '@kvmdev/core' {
  interface KvmDeviceRegistry {
    '__DEVICE_KEY__': {
      type: number;
      groups: { 1: { attr: 0 | 1 | 2 | 3; value: number }; 2: { attr: 0; value: undefined } };
    };
  }
}
