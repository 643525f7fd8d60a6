/**
 * `@kvmdev/core`: the Linux KVM device control API in TypeScript. The generic device code
 * (KVM_CREATE_DEVICE, the attr ioctls, lifetimes), VM and vCPU objects, the MMIO bus and IRQ
 * routing, the typed plugin registry, and two faces over one implementation: a syscall facade
 * shaped like the C ABI and a typed API.
 * @packageDocumentation
 */
export * from './uapi/ioctl.js';
export * from './uapi/errno.js';
export * from './uapi/kvm.js';
export * from './uapi/structs.js';
export * from './errors.js';
export * from './mem.js';
export * from './attr.js';
export * from './slots.js';
export * from './plugin.js';
export * from './snapshot-spec.js';
export * from './snapshot.js';
export * from './compose-spec.js';
export * from './compose.js';
export * from './presets.js';
export * from './registry.js';
export * from './mmio-bus.js';
export * from './irq-routing.js';
export * from './files.js';
export * from './device.js';
export * from './vm.js';
export * from './vcpu.js';
export * from './guest-port.js';
export * from './host.js';
export * from './typed.js';
export * from './semver.js';
export * from './version.js';
