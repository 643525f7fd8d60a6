/** The README examples, verbatim in substance. */
import { EBUSY, KVM_ARM_VCPU_INIT, KVM_CREATE_DEVICE, KVM_CREATE_VCPU, KVM_CREATE_VM, KVM_SET_DEVICE_ATTR, createHost, kvm_device_attr } from '@kvmdev/core';
import {
  GICD_CTLR,
  GICD_ISENABLER,
  ICC_EOIR1_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  KVM_ARM_IRQ_TYPE_SPI,
  KVM_DEV_ARM_VGIC_CTRL_INIT,
  KVM_DEV_ARM_VGIC_GRP_ADDR,
  KVM_DEV_ARM_VGIC_GRP_CTRL,
  KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
  KVM_VGIC_V3_ADDR_TYPE_DIST,
  KVM_VGIC_V3_ADDR_TYPE_REDIST,
  ICC_CTLR_EL1,
  KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
  armVgic,
  createArmVgic,
  kvmArmIrq,
} from '../src/index.js';

test('typed example', () => {
  const host = createHost({ plugins: [armVgic] });
  const vm = host.createVm();
  const vcpu = vm.createVcpu(0);
  const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
  const dist = 0x3fff0000;
  gic.setAttr(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, BigInt(dist));
  gic.setAttr(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, BigInt(dist - 0x20000));
  gic.setAttr(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 128);
  gic.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT);
  const init = host.mem.alloc(32);
  host.mem.setU32(init, 5);
  expect(host.ioctl(vcpu.fd, KVM_ARM_VCPU_INIT, init)).toBe(0);
  vcpu.run();
  const guest = vcpu.guest;
  guest.mmioWrite32(dist + GICD_CTLR, 4, 2);
  guest.mmioWrite32(dist + GICD_ISENABLER + 4, 4, 1 << 8);
  guest.sysregWrite(ICC_PMR_EL1, 0xff);
  guest.sysregWrite(ICC_IGRPEN1_EL1, 1);
  vm.irqLine(kvmArmIrq(KVM_ARM_IRQ_TYPE_SPI, 0, 40), 1);
  expect(guest.line('irq')).toBe(1);
  expect(guest.sysregRead(ICC_IAR1_EL1)).toBe(40n);
  expect(guest.line('irq')).toBe(0);
  guest.sysregWrite(ICC_EOIR1_EL1, 40);
  expect(guest.sysregRead(ICC_IAR1_EL1)).toBe(1023n);
});

test('facade example', () => {
  const host = createHost({ plugins: [armVgic] });
  const kvm = host.open('/dev/kvm');
  const vmfd = host.ioctl(kvm, KVM_CREATE_VM, 0);
  expect(host.ioctl(vmfd, KVM_CREATE_VCPU, 0)).toBeGreaterThanOrEqual(0);
  const cd = host.mem.alloc(12);
  host.mem.setU32(cd, 7);
  expect(host.ioctl(vmfd, KVM_CREATE_DEVICE, cd)).toBe(0);
  const gicfd = host.mem.getU32(cd + 4);
  const attr = host.mem.alloc(24);
  const val = host.mem.alloc(8);
  const set = (group: number, a: bigint, v: bigint) => {
    host.mem.setU64(val, v);
    kvm_device_attr.write(host.mem, attr, { flags: 0, group, attr: a, addr: BigInt(val) });
    return host.ioctl(gicfd, KVM_SET_DEVICE_ATTR, attr);
  };
  expect(set(0, 2n, 0x3fff0000n)).toBe(0);
  expect(set(0, 3n, 0x3ffd0000n)).toBe(0);
  expect(set(3, 0n, 128n)).toBe(0);
  expect(set(4, 0n, 0n)).toBe(0);
  expect(set(4, 0n, 0n)).toBe(0);
  expect(set(3, 0n, 128n)).toBe(-1);
  expect(host.errno).toBe(EBUSY);
});

test('host profile example', () => {
  const host = createHost({ plugins: [createArmVgic({ host: 'qemu-tcg-max' })] });
  const vm = host.createVm();
  const vcpu = vm.createVcpu(0);
  const init = host.mem.alloc(32);
  host.mem.setU32(init, 5);
  expect(host.ioctl(vcpu.fd, KVM_ARM_VCPU_INIT, init)).toBe(0);
  const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
  gic.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT);
  expect(gic.getAttr(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, ICC_CTLR_EL1)).toBe(0x8c00n);
  gic.setAttr(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, ICC_CTLR_EL1, 0x8c00n);
});
