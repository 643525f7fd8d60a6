/**
 * What a book3s powerpc kernel answers on VM and vCPU fds around the XICS: no device-attr ioctls
 * on the VM fd (kvm_arch_vm_ioctl's default ENOTTY, before the struct is read) nor on a vCPU fd
 * (kvm_arch_vcpu_ioctl's default EINVAL), and KVM_CAP_SIGNAL_MSI 0 (no CONFIG_HAVE_KVM_MSI).
 */
import {
  createHost,
  EINVAL,
  ENOTTY,
  KVM_CAP_SIGNAL_MSI,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
} from '@kvmdev/core';
import { ioctlRet } from '@kvmdev/testing';
import { xics } from '../src/internal.js';

test.each([false, true])('device-attr ioctls on VM (ENOTTY) and vCPU (EINVAL) fds, before the struct (XICS: %s)', (withXics) => {
  const h = createHost({ plugins: [xics] });
  const kvm = h.open('/dev/kvm');
  const vm = h.ioctl(kvm, KVM_CREATE_VM, 0);
  const cpu = h.ioctl(vm, KVM_CREATE_VCPU, 0);
  if (withXics) {
    const cd = h.mem.alloc(12);
    h.mem.setU32(cd, 3);
    expect(h.ioctl(vm, KVM_CREATE_DEVICE, cd)).toBe(0);
  }
  const a = h.mem.alloc(24);
  for (const req of [KVM_HAS_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR]) {
    for (const arg of [0, a]) {
      expect(ioctlRet(h, vm, req, arg)).toBe(-ENOTTY);
      expect(ioctlRet(h, cpu, req, arg)).toBe(-EINVAL);
    }
  }
  expect(ioctlRet(h, kvm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI)).toBe(0);
  expect(ioctlRet(h, vm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI)).toBe(0);
});
