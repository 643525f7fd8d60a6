/**
 * Where a VM keeps its ITS side (`struct vgic_dist`'s LPI and ITS fields): a slot the first ITS
 * create fills. It exists with or without a GICv3, as in the kernel, where an ITS may be created
 * before the GIC.
 * @packageDocumentation
 */
import { defineSlot } from '@kvmdev/core/plugin';
import type { ItsDist } from './dist.js';

/** The VM's ITS side, set by the first KVM_CREATE_DEVICE of KVM_DEV_TYPE_ARM_VGIC_ITS. */
export const ITS_DIST = defineSlot<ItsDist>('@kvmdev/arm-vgic:its');
