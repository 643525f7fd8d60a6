/**
 * arm64's kvm_arch_vm_ioctl and the device-attr requests on a VM fd (arch/arm64/kvm/arm.c):
 * KVM_HAS_DEVICE_ATTR and KVM_SET_DEVICE_ATTR copy the struct first (EFAULT) and answer ENXIO for a
 * group the VM does not have; KVM_GET_DEVICE_ATTR is not served (the default, EINVAL, before any
 * copy). FIGETBSZ reports the host profile's PAGE_SIZE.
 */
import {
  createHost,
  EFAULT,
  EINVAL,
  ENXIO,
  FIGETBSZ,
  KVM_CREATE_VM,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
} from '@kvmdev/core';
import { ioctlRet } from '@kvmdev/testing';
import { createArmVgic, DEFAULT_ARM64_HOST } from '../src/index.js';

test('VM fd: HAS/SET copy the struct (EFAULT, then ENXIO for an unknown group), GET is EINVAL before the copy', () => {
  const h = createHost({ plugins: [createArmVgic({ host: 'qemu-tcg-max' })] });
  const vm = h.ioctl(h.open('/dev/kvm'), KVM_CREATE_VM, 0);
  const a = h.mem.alloc(24);
  h.mem.setU32(a + 4, 0x7fff);
  expect(ioctlRet(h, vm, KVM_HAS_DEVICE_ATTR, 0)).toBe(-EFAULT);
  expect(ioctlRet(h, vm, KVM_SET_DEVICE_ATTR, 0)).toBe(-EFAULT);
  expect(ioctlRet(h, vm, KVM_GET_DEVICE_ATTR, 0)).toBe(-EINVAL);
  expect(ioctlRet(h, vm, KVM_HAS_DEVICE_ATTR, a)).toBe(-ENXIO);
  expect(ioctlRet(h, vm, KVM_SET_DEVICE_ATTR, a)).toBe(-ENXIO);
  expect(ioctlRet(h, vm, KVM_GET_DEVICE_ATTR, a)).toBe(-EINVAL);
});

test('FIGETBSZ on a KVM fd is the host profile\'s PAGE_SIZE', () => {
  const h = createHost({ plugins: [createArmVgic({ host: { ...DEFAULT_ARM64_HOST, name: 'k16', pageSize: 16384 } })] });
  const kvm = h.open('/dev/kvm');
  const b = h.mem.alloc(8);
  expect(ioctlRet(h, kvm, FIGETBSZ, b)).toBe(0);
  expect(h.mem.getU32(b)).toBe(16384);
});
