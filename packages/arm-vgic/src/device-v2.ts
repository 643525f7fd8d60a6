/**
 * `kvm_arm_vgic_v2_ops`: the GICv2 device (destroy-style: the vGIC state lives until VM
 * teardown, as the kernel's `vgic_destroy` only frees the device struct).
 * @packageDocumentation
 */
import type { DeviceOps, KvmDevice } from '@kvmdev/core/plugin';
import { VGIC, vgicCreate } from './init.js';
import { v2GetAttr, v2HasAttr, v2SetAttr } from './kvm-device.js';
import type { Vgic } from './state.js';
import { KVM_DEV_TYPE_ARM_VGIC_V2 } from './uapi.js';

function create(dev: KvmDevice<Vgic>, _type: number): number {
  const r = vgicCreate(dev.kvm, KVM_DEV_TYPE_ARM_VGIC_V2);
  if (r < 0) return r;
  const g = dev.kvm.slot(VGIC)!;
  g.hasDevice = true;
  dev.private = g;
  return 0;
}

/** DeviceOps of KVM_DEV_TYPE_ARM_VGIC_V2. */
export const vgicV2Ops: DeviceOps<Vgic> = {
  name: 'kvm-arm-vgic-v2',
  create,
  destroy(_dev) {},
  setAttr: v2SetAttr,
  getAttr: v2GetAttr,
  hasAttr: v2HasAttr,
};
