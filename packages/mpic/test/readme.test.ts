/** The README example, run as written (imports pointed at the source). */
import {
  createHost,
  KVM_CAP_IRQ_MPIC,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VM,
  KVM_SET_DEVICE_ATTR,
  kvm_device_attr,
} from '@kvmdev/core';
import {
  mpic,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_REGISTER,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  MPIC_GCR,
  MPIC_CTPR,
  MPIC_IACK,
  MPIC_EOI,
  mpicIvpr,
} from '../src/index.js';

test('README example', () => {
  const host = createHost({ plugins: [mpic] });

  // --- typed API
  const vm = host.createVm();
  const vcpu = vm.createVcpu(0);
  const dev = vm.createDevice('KVM_DEV_TYPE_FSL_MPIC_42');
  dev.setAttr(KVM_DEV_MPIC_GRP_MISC, KVM_DEV_MPIC_BASE_ADDR, 0xfe0040000n); // u64 → bigint
  vcpu.enableCap(KVM_CAP_IRQ_MPIC, dev.fd, 0); // vCPU 0 is MPIC CPU 0
  dev.setAttr(KVM_DEV_MPIC_GRP_REGISTER, MPIC_GCR, 0x80000000); // reset (QEMU does this)
  const g = vcpu.guest;
  g.mmioWrite32(0xfe0040000 + MPIC_CTPR, 4, 0); // CTPR resets to 15
  g.mmioWrite32(0xfe0040000 + mpicIvpr(1), 4, 0x00050041); // prio 5, vector 0x41
  dev.setAttr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, 1, 1); // assert source 1
  expect(g.line('external')).toBe(1);
  expect(g.mmioRead(0xfe0040000 + MPIC_IACK, 4)).toBe(0x41);
  g.mmioWrite32(0xfe0040000 + MPIC_EOI, 4, 0);

  // --- syscall facade (the same objects)
  const kvm = host.open('/dev/kvm');
  const vmfd = host.ioctl(kvm, KVM_CREATE_VM, 0);
  const cd = host.mem.alloc(12);
  host.mem.setU32(cd, 1); // KVM_DEV_TYPE_FSL_MPIC_20
  expect(host.ioctl(vmfd, KVM_CREATE_DEVICE, cd)).toBe(0);
  const devfd = host.mem.getU32(cd + 4);
  const attr = host.mem.alloc(24),
    val = host.mem.alloc(8);
  host.mem.setU32(val, 0x80000000);
  kvm_device_attr.write(host.mem, attr, {
    flags: 0,
    group: KVM_DEV_MPIC_GRP_REGISTER,
    attr: BigInt(MPIC_GCR),
    addr: BigInt(val),
  });
  expect(host.ioctl(devfd, KVM_SET_DEVICE_ATTR, attr)).toBe(0);
  expect(g.line('external')).toBe(0);
});
