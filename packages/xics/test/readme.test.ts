/** The README example, as written. */
import {
  createHost,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_ENABLE_CAP,
  KVM_IRQ_LINE,
  KVM_SET_DEVICE_ATTR,
  kvm_create_device,
  kvm_device_attr,
  kvm_enable_cap,
  kvm_irq_level,
} from '@kvmdev/core';
import {
  H_CPPR,
  H_EOI,
  H_XIRR,
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_INTERRUPT_SET,
  KVM_REG_PPC_ICP_STATE,
  xics,
} from '../src/index.js';

test('typed example', () => {
  const host = createHost({ plugins: [xics] });
  const vm = host.createVm();
  const vcpu = vm.createVcpu(0);
  const dev = vm.createDevice('KVM_DEV_TYPE_XICS');
  vcpu.enableCap(KVM_CAP_IRQ_XICS, dev.fd, 0);
  dev.setAttr(KVM_DEV_XICS_GRP_SOURCES, 0x1000, 5n << 32n);
  vcpu.guest.hypercall(H_CPPR, [0xff]);
  vm.irqLine(0x1000, KVM_INTERRUPT_SET);
  expect(vcpu.line('external')).toBe(1);
  const xirr = vcpu.guest.hypercall(H_XIRR).out[0]!;
  expect(xirr).toBe(0xff001000);
  vcpu.guest.hypercall(H_EOI, [xirr]);
  expect(vcpu.getOneReg(KVM_REG_PPC_ICP_STATE)).toBe(0xff000000ffff0000n);
});

test('facade example', () => {
  const h = createHost({ plugins: [xics] });
  const mem = h.mem;
  const kvm = h.open('/dev/kvm');
  const vmfd = h.ioctl(kvm, KVM_CREATE_VM, 0);
  const cpu = h.ioctl(vmfd, KVM_CREATE_VCPU, 0);
  const cd = mem.alloc(12);
  kvm_create_device.write(mem, cd, { type: KVM_DEV_TYPE_XICS, fd: 0, flags: 0 });
  expect(h.ioctl(vmfd, KVM_CREATE_DEVICE, cd)).toBe(0);
  const xfd = kvm_create_device.read(mem, cd).fd;
  const cap = mem.alloc(104);
  kvm_enable_cap.write(mem, cap, { cap: KVM_CAP_IRQ_XICS, flags: 0, args: [BigInt(xfd), 0n, 0n, 0n] });
  expect(h.ioctl(cpu, KVM_ENABLE_CAP, cap)).toBe(0);
  const val = mem.alloc(8);
  mem.setU64(val, 5n << 32n);
  const attr = mem.alloc(24);
  kvm_device_attr.write(mem, attr, { flags: 0, group: KVM_DEV_XICS_GRP_SOURCES, attr: 0x1000n, addr: BigInt(val) });
  expect(h.ioctl(xfd, KVM_SET_DEVICE_ATTR, attr)).toBe(0);
  const irq = mem.alloc(8);
  kvm_irq_level.write(mem, irq, { irq: 0x1000, level: KVM_INTERRUPT_SET });
  expect(h.ioctl(vmfd, KVM_IRQ_LINE, irq)).toBe(0);
  h.guest(cpu).hypercall(H_CPPR, [0xff]);
  expect(h.guest(cpu).line('external')).toBe(1);
});

test('the ppc64 host example: powerpc numbers; the typed API speaks them, PAPR mode before the connect', async () => {
  const { KVM_IOCTLS } = await import('@kvmdev/core');
  const { createXicsPlugin, KVM_CAP_PPC_PAPR } = await import('../src/index.js');
  const host = createHost({ plugins: [createXicsPlugin({ host: 'pseries-hv' })] });
  expect(host.ioctls === KVM_IOCTLS.powerpc).toBe(true);
  expect(host.ioctls.KVM_SET_DEVICE_ATTR).toBe(0x8018aee1);
  const vm = host.createVm();
  const vcpu = vm.createVcpu(0);
  const dev = vm.createDevice('KVM_DEV_TYPE_XICS');
  vcpu.enableCap(KVM_CAP_PPC_PAPR);
  vcpu.enableCap(KVM_CAP_IRQ_XICS, dev.fd, 0);
  expect(vcpu.getOneReg(KVM_REG_PPC_ICP_STATE)).toBe(0x00000000ffff0000n);
});

test('XIVE native example', async () => {
  const c = await import('@kvmdev/core');
  const x = await import('../src/index.js');
  const h = c.createHost({ plugins: [x.xive, x.createXicsPlugin({ host: 'powernv9' })] });
  const R = h.ioctls;
  const mem = h.mem;
  const vm = h.ioctl(h.open('/dev/kvm'), R.KVM_CREATE_VM, 0);
  const cpu = h.ioctl(vm, R.KVM_CREATE_VCPU, 0);
  const cap = mem.alloc(104);
  c.kvm_enable_cap.write(mem, cap, { cap: x.KVM_CAP_PPC_PAPR, flags: 0, args: [0n, 0n, 0n, 0n] });
  expect(h.ioctl(cpu, R.KVM_ENABLE_CAP, cap)).toBe(0);
  const cd = mem.alloc(12);
  c.kvm_create_device.write(mem, cd, { type: x.KVM_DEV_TYPE_XIVE, fd: 0, flags: 0 });
  expect(h.ioctl(vm, R.KVM_CREATE_DEVICE, cd)).toBe(0);
  const xfd = c.kvm_create_device.read(mem, cd).fd;
  c.kvm_enable_cap.write(mem, cap, { cap: x.KVM_CAP_PPC_IRQ_XIVE, flags: 0, args: [BigInt(xfd), 0n, 0n, 0n] });
  expect(h.ioctl(cpu, R.KVM_ENABLE_CAP, cap)).toBe(0);
  const val = mem.alloc(8);
  const attr = mem.alloc(24);
  c.kvm_device_attr.write(mem, attr, { flags: 0, group: x.KVM_DEV_XIVE_GRP_SOURCE, attr: 0x1000n, addr: BigInt(val) });
  expect(h.ioctl(xfd, R.KVM_SET_DEVICE_ATTR, attr)).toBe(0);
  mem.setU64(val, x.xiveSourceConfig({ priority: 5, server: 0 }));
  c.kvm_device_attr.write(mem, attr, { flags: 0, group: x.KVM_DEV_XIVE_GRP_SOURCE_CONFIG, attr: 0x1000n, addr: BigInt(val) });
  expect(h.ioctl(xfd, R.KVM_SET_DEVICE_ATTR, attr)).toBe(-1);
  expect(h.errno).toBe(c.EBUSY);
  const vp = mem.alloc(16);
  const reg = mem.alloc(16);
  c.kvm_one_reg.write(mem, reg, { id: x.KVM_REG_PPC_VP_STATE, addr: BigInt(vp) });
  expect(h.ioctl(cpu, R.KVM_GET_ONE_REG, reg)).toBe(0);
  expect(mem.getU64(vp)).toBe(0x000000ff00000000n);
});
