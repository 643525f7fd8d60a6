/**
 * The arm64 state of one VM (`kvm->arch`): its IPA size, the host profile it was created on, and
 * the parts of `kvm->arch.vgic` that exist before (and independently of) a GIC device: whether
 * an ITS was created (`has_its`, `msis_require_devid`) and the shared GICR_PROPBASER, which an
 * ITS sets to its initial value even when it is created before the GICv3.
 * @packageDocumentation
 */
import { type Vm, defineSlot } from '@kvmdev/core/plugin';
import type { Arm64HostProfile } from './host-profile.js';

/** `INITIAL_PROPBASER_VALUE`: inner RaWb, outer SameAsInner, InnerShareable. */
export const INITIAL_PROPBASER_VALUE = 0x580;
/** `INITIAL_PENDBASER_VALUE`: the same attributes, per redistributor (vgic_v3_reset). */
export const INITIAL_PENDBASER_VALUE = 0x580;

/** Per-VM arm64 state. */
export class ArmVm {
  /** IPA size in bits (KVM_CREATE_VM type bits 7:0, 40 when 0). */
  readonly ipaBits: number;
  /** The host the VM runs on. */
  readonly host: Arm64HostProfile;
  /** `kvm->arch.vgic.has_its`: an ITS device was created on this VM. */
  hasIts = false;
  /** `kvm->arch.vgic.msis_require_devid` (KVM_CAP_MSI_DEVID on the VM). */
  msisRequireDevid = false;
  /** `kvm->arch.vgic.propbaser`, shared by every redistributor, as u32 halves. */
  propbaserLo = 0;
  propbaserHi = 0;

  constructor(ipaBits: number, host: Arm64HostProfile) {
    this.ipaBits = ipaBits;
    this.host = host;
  }
}

/** Slot of the per-VM arm64 state. */
export const ARM_VM = defineSlot<ArmVm>('@kvmdev/arm-vgic:vm');

/**
 * What creating a KVM_DEV_TYPE_ARM_VGIC_ITS does to the VM (vgic_its_create): MSIs now need a
 * device id (KVM_CAP_MSI_DEVID reads 1), the GICv3 reports LPIs (GICD_TYPER.LPIS and 16 ID bits,
 * GICR_TYPER.PLPIS), and GICR_PROPBASER takes INITIAL_PROPBASER_VALUE. The ITS device's create
 * op calls this; it works before a GICv3 exists, as in the kernel.
 */
export function vgicItsCreated(vm: Vm): void {
  const a = vm.slot(ARM_VM);
  if (a === undefined) return;
  a.hasIts = true;
  a.msisRequireDevid = true;
  a.propbaserLo = INITIAL_PROPBASER_VALUE;
  a.propbaserHi = 0;
}
