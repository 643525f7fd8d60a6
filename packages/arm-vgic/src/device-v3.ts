/**
 * `kvm_arm_vgic_v3_ops`: the GICv3 device (destroy-style).
 * @packageDocumentation
 */
import type { DeviceOps, KvmDevice } from '@kvmdev/core/plugin';
import { VGIC, vgicCreate } from './init.js';
import { v3GetAttr, v3HasAttr, v3SetAttr } from './kvm-device.js';
import type { Vgic } from './state.js';
import { KVM_DEV_TYPE_ARM_VGIC_V3 } from './uapi.js';

function create(dev: KvmDevice<Vgic>, _type: number): number {
  const r = vgicCreate(dev.kvm, KVM_DEV_TYPE_ARM_VGIC_V3);
  if (r < 0) return r;
  const g = dev.kvm.slot(VGIC)!;
  g.hasDevice = true;
  dev.private = g;
  return 0;
}

/** DeviceOps of KVM_DEV_TYPE_ARM_VGIC_V3. */
export const vgicV3Ops: DeviceOps<Vgic> = {
  name: 'kvm-arm-vgic-v3',
  create,
  destroy(_dev) {},
  setAttr: v3SetAttr,
  getAttr: v3GetAttr,
  hasAttr: v3HasAttr,
};
