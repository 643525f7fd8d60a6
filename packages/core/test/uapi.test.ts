import * as K from '@kvmdev/core';
import { _IO, _IOR, _IOW, _IOWR, _IOC_DIR, _IOC_NR, _IOC_SIZE, _IOC_TYPE } from '@kvmdev/core';

describe('ioctl request numbers (generic encoding)', () => {
  test.each([
    ['KVM_GET_API_VERSION', K.KVM_GET_API_VERSION, 0x0000ae00],
    ['KVM_CREATE_VM', K.KVM_CREATE_VM, 0x0000ae01],
    ['KVM_CHECK_EXTENSION', K.KVM_CHECK_EXTENSION, 0x0000ae03],
    ['KVM_CREATE_VCPU', K.KVM_CREATE_VCPU, 0x0000ae41],
    ['KVM_IRQ_LINE', K.KVM_IRQ_LINE, 0x4008ae61],
    ['KVM_IRQ_LINE_STATUS', K.KVM_IRQ_LINE_STATUS, 0xc008ae67],
    ['KVM_CREATE_IRQCHIP', K.KVM_CREATE_IRQCHIP, 0x0000ae60],
    ['KVM_SET_GSI_ROUTING', K.KVM_SET_GSI_ROUTING, 0x4008ae6a],
    ['KVM_SIGNAL_MSI', K.KVM_SIGNAL_MSI, 0x4020aea5],
    ['KVM_CREATE_DEVICE', K.KVM_CREATE_DEVICE, 0xc00caee0],
    ['KVM_SET_DEVICE_ATTR', K.KVM_SET_DEVICE_ATTR, 0x4018aee1],
    ['KVM_GET_DEVICE_ATTR', K.KVM_GET_DEVICE_ATTR, 0x4018aee2],
    ['KVM_HAS_DEVICE_ATTR', K.KVM_HAS_DEVICE_ATTR, 0x4018aee3],
    ['KVM_RUN', K.KVM_RUN, 0x0000ae80],
    ['KVM_ENABLE_CAP', K.KVM_ENABLE_CAP, 0x4068aea3],
    ['KVM_GET_ONE_REG', K.KVM_GET_ONE_REG, 0x4010aeab],
    ['KVM_SET_ONE_REG', K.KVM_SET_ONE_REG, 0x4010aeac],
    ['KVM_ARM_SET_DEVICE_ADDR', K.KVM_ARM_SET_DEVICE_ADDR, 0x4010aeab],
    ['KVM_ARM_VCPU_INIT', K.KVM_ARM_VCPU_INIT, 0x4020aeae],
    ['KVM_ARM_PREFERRED_TARGET', K.KVM_ARM_PREFERRED_TARGET, 0x8020aeaf],
  ])('%s = 0x%s', (_name, value, expected) => {
    expect(value).toBe(expected);
  });

  test('GET_DEVICE_ATTR is _IOW (the kernel only reads the struct)', () => {
    expect(_IOC_DIR(K.KVM_GET_DEVICE_ATTR)).toBe(K._IOC_WRITE);
    expect(_IOC_SIZE(K.KVM_GET_DEVICE_ATTR)).toBe(24);
    expect(_IOC_TYPE(K.KVM_GET_DEVICE_ATTR)).toBe(K.KVMIO);
    expect(_IOC_NR(K.KVM_GET_DEVICE_ATTR)).toBe(0xe2);
  });

  test('helpers produce unsigned 32-bit values', () => {
    expect(_IOWR(0xae, 0xe0, 12)).toBeGreaterThan(0);
    expect(_IOR(0xae, 0xaf, 32)).toBe(0x8020aeaf);
    expect(_IOW(0xae, 0xe1, 24)).toBe(0x4018aee1);
    expect(_IO(0xae, 0)).toBe(0xae00);
  });
});

describe('constants', () => {
  test('device types of the pinned kernel', () => {
    expect([
      K.KVM_DEV_TYPE_FSL_MPIC_20,
      K.KVM_DEV_TYPE_FSL_MPIC_42,
      K.KVM_DEV_TYPE_XICS,
      K.KVM_DEV_TYPE_VFIO,
      K.KVM_DEV_TYPE_ARM_VGIC_V2,
      K.KVM_DEV_TYPE_FLIC,
      K.KVM_DEV_TYPE_ARM_VGIC_V3,
      K.KVM_DEV_TYPE_ARM_VGIC_ITS,
      K.KVM_DEV_TYPE_XIVE,
      K.KVM_DEV_TYPE_ARM_PV_TIME,
      K.KVM_DEV_TYPE_RISCV_AIA,
      K.KVM_DEV_TYPE_LOONGARCH_IPI,
      K.KVM_DEV_TYPE_LOONGARCH_EIOINTC,
      K.KVM_DEV_TYPE_LOONGARCH_PCHPIC,
      K.KVM_DEV_TYPE_LOONGARCH_DMSINTC,
      K.KVM_DEV_TYPE_ARM_VGIC_V5,
    ]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(K.KVM_DEV_TYPE_MAX).toBe(17);
    expect(K.KVM_CREATE_DEVICE_TEST).toBe(1);
  });

  test('capabilities', () => {
    expect(K.KVM_CAP_DEVICE_CTRL).toBe(89);
    expect(K.KVM_CAP_IRQ_MPIC).toBe(90);
    expect(K.KVM_CAP_IRQ_XICS).toBe(92);
    expect(K.KVM_CAP_VM_ATTRIBUTES).toBe(101);
    expect(K.KVM_CAP_VCPU_ATTRIBUTES).toBe(127);
    expect(K.KVM_CAP_SYS_ATTRIBUTES).toBe(209);
  });

  test('errno names and numbers', () => {
    const pairs: [number, string][] = [
      [K.EPERM, 'EPERM'], [K.ENOENT, 'ENOENT'], [K.EIO, 'EIO'], [K.ENXIO, 'ENXIO'], [K.E2BIG, 'E2BIG'],
      [K.ENOEXEC, 'ENOEXEC'], [K.EBADF, 'EBADF'], [K.ENOMEM, 'ENOMEM'], [K.EFAULT, 'EFAULT'], [K.EBUSY, 'EBUSY'],
      [K.EEXIST, 'EEXIST'], [K.ENODEV, 'ENODEV'], [K.EINVAL, 'EINVAL'], [K.ENFILE, 'ENFILE'], [K.EMFILE, 'EMFILE'],
      [K.ENOTTY, 'ENOTTY'], [K.ENOSPC, 'ENOSPC'], [K.ENOSYS, 'ENOSYS'], [K.EOPNOTSUPP, 'EOPNOTSUPP'],
    ];
    expect(pairs.map(([n]) => n)).toEqual([1, 2, 5, 6, 7, 8, 9, 12, 14, 16, 17, 19, 22, 23, 24, 25, 28, 38, 95]);
    for (const [n, name] of pairs) expect(K.errnoName(n)).toBe(name);
  });

  test('ONE_REG size decoding', () => {
    expect(K.kvmRegSize(K.KVM_REG_PPC | K.KVM_REG_SIZE_U64 | 0x8cn)).toBe(8);
    expect(K.kvmRegSize(K.KVM_REG_ARM64 | K.KVM_REG_SIZE_U32)).toBe(4);
  });
});

describe('struct codecs', () => {
  const host = K.createHost();
  const mem = host.mem;

  test('kvm_create_device is 12 bytes: type@0 fd@4 flags@8', () => {
    const a = mem.alloc(12);
    K.kvm_create_device.write(mem, a, { type: 7, fd: 0x11223344, flags: 1 });
    expect([mem.getU32(a), mem.getU32(a + 4), mem.getU32(a + 8)]).toEqual([7, 0x11223344, 1]);
    expect(K.kvm_create_device.read(mem, a)).toEqual({ type: 7, fd: 0x11223344, flags: 1 });
    expect(K.kvm_create_device.size).toBe(K.SIZEOF_KVM_CREATE_DEVICE);
  });

  test('kvm_device_attr is 24 bytes: flags@0 group@4 attr@8 addr@16', () => {
    const a = mem.alloc(24);
    K.kvm_device_attr.write(mem, a, { flags: 5, group: 6, attr: 0x1_0000_0002n, addr: 0xdead_beef_0000n });
    expect(mem.getU32(a)).toBe(5);
    expect(mem.getU32(a + 4)).toBe(6);
    expect(mem.getU32(a + 8)).toBe(2);
    expect(mem.getU32(a + 12)).toBe(1);
    expect(mem.getU64(a + 16)).toBe(0xdead_beef_0000n);
    expect(K.kvm_device_attr.read(mem, a).attr).toBe(0x1_0000_0002n);
  });

  test('kvm_irq_level, kvm_enable_cap, kvm_one_reg, kvm_msi, routing, vcpu_init', () => {
    const a = mem.alloc(256);
    K.kvm_irq_level.write(mem, a, { irq: 40, level: 1 });
    expect(K.kvm_irq_level.read(mem, a)).toEqual({ irq: 40, level: 1 });
    K.kvm_enable_cap.write(mem, a, { cap: 90, flags: 0, args: [5n, 1n, 0n, 0n] });
    expect(mem.getU64(a + 16)).toBe(1n);
    expect(K.kvm_enable_cap.size).toBe(104);
    K.kvm_one_reg.write(mem, a, { id: 0x103000000000008cn, addr: 0x2000n });
    expect(K.kvm_one_reg.read(mem, a)).toEqual({ id: 0x103000000000008cn, addr: 0x2000n });
    K.kvm_msi.write(mem, a, { addressLo: 1, addressHi: 2, data: 3, flags: 1, devid: 9 });
    expect(mem.getU32(a + 16)).toBe(9);
    K.kvm_irq_routing.write(mem, a, [
      { gsi: 3, type: 1, flags: 0, irqchip: 0, pin: 3 },
      { gsi: 4, type: 2, flags: 0, addressLo: 0xfee, addressHi: 0, data: 0x21000000, devid: 0 },
    ]);
    expect(mem.getU32(a)).toBe(2);
    expect(K.kvm_irq_routing.readEntry(mem, a + 8)).toEqual({ gsi: 3, type: 1, flags: 0, irqchip: 0, pin: 3 });
    expect(K.kvm_irq_routing.readEntry(mem, a + 8 + 48)).toMatchObject({ gsi: 4, type: 2, data: 0x21000000 });
    expect(K.kvm_irq_routing.sizeOf(2)).toBe(104);
    K.kvm_vcpu_init.write(mem, a, { target: 5, features: [1] });
    expect(K.kvm_vcpu_init.read(mem, a)).toEqual({ target: 5, features: [1, 0, 0, 0, 0, 0, 0] });
  });
});
