/**
 * `@kvmdev/testing`: the conformance kit and fixtures for kvmdev device plugins.
 *
 * - {@link runConformance} checks a plugin's `DeviceOps` against the contract the core relies on
 *   and returns a report; {@link describeDeviceConformance} registers it as jest tests.
 * - Fixtures (`vmWithVcpus`, `createDevice`, `setAttr`/`getAttr`/`hasAttr`, `guest`,
 *   `trackLifecycle`) make device tests read like the kernel's KVM selftests.
 * @packageDocumentation
 */
export * from './fixtures.js';
export * from './conformance.js';
export * from './jest.js';
export * from './raw-ioctls.js';
export * from './kernel.js';
