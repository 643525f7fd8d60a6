/**
 * arm64's part of the generic memory-slot and irqfd code: readonly memslots exist, one address
 * space, and kvm_arch_prepare_memory_region refuses a slot beyond the VM's IPA space (EFAULT);
 * an irqfd needs an initialized vGIC (kvm_arch_intc_initialized: EAGAIN before); and the MSI
 * capabilities (KVM_CAP_SIGNAL_MSI everywhere, KVM_CAP_MSI_DEVID only on a VM, where it is
 * `msis_require_devid`: 1 once an ITS is created).
 * @packageDocumentation
 */
import {
  EAGAIN,
  EFAULT,
  EINVAL,
  KVM_CAP_MSI_DEVID,
  KVM_CAP_READONLY_MEM,
  KVM_CAP_SIGNAL_MSI,
} from '@kvmdev/core';
import { KVM_HOOK_PASS, type MemRegionChange, type MemSlot, type Vm } from '@kvmdev/core/plugin';
import { ARM_VM, ipaBits, vgicOf } from './init.js';

/** Sets the arm64 memory-slot rules on a new VM. */
export function configureArmMemslots(vm: Vm): void {
  const c = vm.memslots.config;
  c.addressSpaces = 1;
  c.readonlyMem = true;
  c.privateSlots = 0;
  c.prepare = (change: MemRegionChange, slot: MemSlot): number => {
    if (change === 'delete') return 0;
    return slot.gpa + slot.size > 2 ** ipaBits(vm) ? -EFAULT : 0;
  };
}

/** kvm_arch_intc_initialized for KVM_IRQFD: EAGAIN until vgic_init. */
export function armIrqfdCheck(vm: Vm, _flags: number): number {
  if (vm.slot(ARM_VM) === undefined) return KVM_HOOK_PASS;
  return vgicOf(vm)?.initialized ? 0 : -EAGAIN;
}

/** Whether the VM asked for DeviceIDs in MSIs (msis_require_devid: set by the first ITS create, `vgicItsCreated`). */
export function msisRequireDevid(vm: Vm): boolean {
  return vm.slot(ARM_VM)?.msisRequireDevid === true;
}

/** KVM_CHECK_EXTENSION answers for memory slots and MSIs, or KVM_HOOK_PASS. */
export function armMemoryCaps(vm: Vm | null, cap: number): number {
  switch (cap) {
    case KVM_CAP_SIGNAL_MSI:
    case KVM_CAP_READONLY_MEM:
      return 1;
    case KVM_CAP_MSI_DEVID:
      return vm === null ? -EINVAL : msisRequireDevid(vm) ? 1 : 0;
    default:
      return KVM_HOOK_PASS;
  }
}
