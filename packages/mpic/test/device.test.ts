/** Lifecycle and the attribute groups: reference section 3 vectors 1–6 on both faces. */
import {
  EFAULT,
  EINVAL,
  ENXIO,
  KVM_CREATE_DEVICE,
  KVM_GET_DEVICE_ATTR,
  KVM_IRQ_LINE,
  KVM_SET_DEVICE_ATTR,
  createHost,
  kvm_irq_level,
} from '@kvmdev/core';
import {
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE as IRQ_ACTIVE,
  KVM_DEV_MPIC_GRP_MISC as MISC,
  KVM_DEV_MPIC_GRP_REGISTER as REGISTER,
  MPIC_BRR1,
  MPIC_FRR,
  MPIC_GCR,
  MPIC_PIR,
  MPIC_SPVE,
  MPIC_VIR,
  mpic,
  mpicCpuReg,
  mpicIdr,
  mpicIvpr,
  MPIC_CTPR,
  MPIC_WHOAMI,
  vmMpic,
} from '../src/internal.js';
import { BASE, MODELS, Sys, Typed, errnoOf, setupS, sysS } from './helpers.js';

describe('vector 1: one MPIC per VM', () => {
  test.each([
    [1, 1],
    [1, 2],
    [2, 1],
    [2, 2],
  ])('facade: type %i then type %i → EINVAL', (a, b) => {
    const s = new Sys(0);
    expect(s.create(a)).toBe(0);
    expect(s.create(b)).toBe(-1);
    expect(s.host.errno).toBe(EINVAL);
  });
  test('typed: a second create of either key throws EINVAL', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_42', 0);
    expect(errnoOf(() => t.vm.createDevice('KVM_DEV_TYPE_FSL_MPIC_20'))).toBe(EINVAL);
    expect(errnoOf(() => t.vm.createDevice('KVM_DEV_TYPE_FSL_MPIC_42'))).toBe(EINVAL);
  });
  test('TEST probe creates nothing; another VM gets its own MPIC', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_20', 0);
    expect(t.vm.testDevice('KVM_DEV_TYPE_FSL_MPIC_42')).toBe(true);
    const vm2 = t.host.createVm();
    expect(() => vm2.createDevice('KVM_DEV_TYPE_FSL_MPIC_42')).not.toThrow();
  });
  test('destroy-style: closing the fd keeps the MPIC; teardown destroys it after the vCPUs', () => {
    const host = createHost({ plugins: [mpic] });
    const events: string[] = [];
    host.on((e) => events.push(e.kind));
    const vmh = host.createVm();
    const v = vmh.createVcpu(0);
    const dev = vmh.createDevice('KVM_DEV_TYPE_FSL_MPIC_20');
    v.enableCap(90, dev.fd, 0);
    const vm = vmh.vm;
    dev.close();
    expect(vmMpic(vm)).toBeDefined();
    expect(vm.irqchip?.name).toBe('mpic');
    expect(errnoOf(() => vmh.createDevice('KVM_DEV_TYPE_FSL_MPIC_20'))).toBe(EINVAL);
    v.close();
    vmh.close();
    expect(events).toContain('device-destroyed');
    expect(events.indexOf('device-destroyed')).toBeLessThan(events.indexOf('vm-freed'));
    expect(vm.irqchip).toBeNull();
    expect(vmMpic(vm)).toBeUndefined();
  });
  test('create installs an empty routing table and the irqchip (KVM_IRQ_LINE no longer ENXIO)', () => {
    const s = new Sys(0);
    const lvl = s.host.mem.alloc(8);
    kvm_irq_level.write(s.host.mem, lvl, { irq: 1, level: 1 });
    expect(s.rc(s.host.ioctl(s.vm, KVM_IRQ_LINE, lvl))).toBe(-ENXIO);
    expect(s.create(1)).toBe(0);
    expect(s.host.vmOf(s.vm).routing.size).toBe(0);
    expect(s.rc(s.host.ioctl(s.vm, KVM_IRQ_LINE, lvl))).toBe(0);
    expect(s.get32(IRQ_ACTIVE, 1)).toBe(0); // no route: nothing happened
  });
});

describe('vector 2: BASE_ADDR', () => {
  test('facade', () => {
    const s = new Sys(1);
    s.create(1);
    expect(s.set64(MISC, 0, 0x1000n)).toBe(-EINVAL);
    expect(s.get64(MISC, 0)).toBe(0n);
    expect(s.set64(MISC, 0, 0xfe0040000n)).toBe(0);
    expect(s.get64(MISC, 0)).toBe(0xfe0040000n);
    const g = s.host.guest(s.vcpus[0]);
    expect(g.mmioRead(BASE + MPIC_BRR1, 4)).toBe(0x00400200);
    expect(s.set64(MISC, 0, 0n)).toBe(0);
    expect(g.mmioRead(BASE + MPIC_BRR1, 4)).toBeNull();
    expect(s.host.vmOf(s.vm).mmio.list()).toHaveLength(0);
  });
  test('typed, and a move remaps the window', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_42', 1);
    expect(errnoOf(() => t.setBase(0x1000n))).toBe(EINVAL);
    expect(errnoOf(() => t.setBase(0x20000n))).toBe(EINVAL);
    expect(t.dev.getAttr(MISC, 0)).toBe(0n);
    t.setBase(BigInt(BASE));
    expect(t.dev.getAttr(MISC, 0)).toBe(BigInt(BASE));
    expect(t.gr(0, MPIC_BRR1)).toBe(0x00400402);
    t.setBase(0x40000n);
    expect(t.gr(0, MPIC_BRR1)).toBeNull();
    expect(t.vcpus[0].guest.mmioRead(0x40000, 4)).toBe(0x00400402);
    t.setBase(0x40000n); // same base: nothing happens
    expect(t.vm.vm.mmio.list()).toHaveLength(1);
    t.setBase(0n);
    expect(t.vcpus[0].guest.mmioRead(0x40000, 4)).toBeNull();
    expect(t.dev.getAttr(MISC, 0)).toBe(0n);
  });
  test('errno order: EFAULT before EINVAL; GRP_MISC other attr → ENXIO', () => {
    const s = new Sys(0);
    s.create(1);
    expect(s.raw(KVM_SET_DEVICE_ATTR, MISC, 0, 0)).toBe(-EFAULT);
    expect(s.raw(KVM_GET_DEVICE_ATTR, MISC, 0, 0)).toBe(-EFAULT);
    expect(s.set64(MISC, 1, 0n)).toBe(-ENXIO);
    expect(s.get64(MISC, 1)).toBe(-ENXIO);
    expect(s.set64(MISC, 1n << 32n, 0n)).toBe(-ENXIO);
    expect(s.has(MISC, 0)).toBe(0);
    expect(s.has(MISC, 1)).toBe(-ENXIO);
    expect(s.has(4, 0)).toBe(-ENXIO);
    expect(s.set32(4, 0, 0)).toBe(-ENXIO);
    expect(s.get32(0, 0)).toBe(-ENXIO);
  });
});

describe('vector 3: right after create, no vCPUs', () => {
  test.each([1, 2] as const)('facade type %i', (type) => {
    const s = new Sys(0);
    s.create(type);
    expect(s.reg(MPIC_FRR)).toBe(0xffffff02);
    expect(s.reg(mpicIdr(0))).toBe(0);
    expect(s.reg(mpicIvpr(0))).toBe(0x80000000);
    expect(s.reg(mpicIvpr(16))).toBe(0x80800000);
  });
  test.each(MODELS)('typed %s', (key) => {
    const t = new Typed(key, 0);
    expect(t.reg(MPIC_FRR)).toBe(0xffffff02);
    expect(t.reg(mpicIdr(0))).toBe(0);
    expect(t.reg(mpicIvpr(0))).toBe(0x80000000);
    expect(t.reg(mpicIvpr(16))).toBe(0x80800000);
    // connecting does not reset: IDR stays 0 until a GCR reset or a write
    t.vcpus.push(t.vm.createVcpu(0));
    t.connect(0);
    expect(t.reg(mpicIdr(0))).toBe(0);
    expect(t.reg(MPIC_FRR) & 0xff00).toBe(0);
  });
});

describe('vector 4: standard setup S', () => {
  test.each([
    ['KVM_DEV_TYPE_FSL_MPIC_20', 0x004f0002, 0x00400200],
    ['KVM_DEV_TYPE_FSL_MPIC_42', 0x00c30002, 0x00400402],
  ] as const)('typed %s', (key, frr, brr1) => {
    const t = setupS(key);
    expect(t.reg(MPIC_FRR)).toBe(frr);
    expect(t.reg(MPIC_BRR1)).toBe(brr1);
    expect(t.reg(MPIC_VIR)).toBe(0);
    expect(t.reg(MPIC_SPVE)).toBe(0xffff);
    expect(t.reg(mpicCpuReg(0, MPIC_CTPR))).toBe(15);
    expect(t.reg(0x20090)).toBe(0);
    expect(t.reg(0x21090)).toBe(1);
    for (const n of [0, 1, 15, 16, 100, 255]) expect(t.reg(mpicIdr(n))).toBe(1);
    expect(t.reg(MPIC_GCR)).toBe(0);
    // the same through the guest port
    expect(t.gr(0, MPIC_FRR)).toBe(frr);
    expect(t.gr(0, MPIC_BRR1)).toBe(brr1);
    expect(t.gr(0, mpicCpuReg(1, MPIC_WHOAMI))).toBe(1);
    expect(t.gr(0, MPIC_WHOAMI)).toBe(0);
  });
  test.each([
    [1, 0x004f0002, 0x00400200],
    [2, 0x00c30002, 0x00400402],
  ] as const)('facade type %i', (type, frr, brr1) => {
    const s = sysS(type);
    expect(s.reg(MPIC_FRR)).toBe(frr);
    expect(s.reg(MPIC_BRR1)).toBe(brr1);
    expect(s.reg(MPIC_VIR)).toBe(0);
    expect(s.reg(MPIC_SPVE)).toBe(0xffff);
    expect(s.reg(0x20080)).toBe(15);
    expect(s.reg(0x20090)).toBe(0);
    expect(s.reg(0x21090)).toBe(1);
    expect(s.reg(mpicIdr(7))).toBe(1);
    expect(s.reg(MPIC_GCR)).toBe(0);
  });
  test('FRR counts CPUs as max(cpu)+1', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_42', 2);
    t.connect(0, 0);
    t.connect(1, 5);
    expect(t.reg(MPIC_FRR)).toBe(0x00c30502);
  });
});

describe('vector 5: GRP_REGISTER errors', () => {
  test('facade', () => {
    const s = sysS(1);
    expect(s.reg(0x1002)).toBe(-ENXIO);
    expect(s.setReg(0x1002, 0)).toBe(-ENXIO);
    expect(s.reg(0x2000)).toBe(-ENXIO);
    expect(s.setReg(0x2000, 0)).toBe(-ENXIO);
    expect(s.setReg(MPIC_PIR, 1)).toBe(-ENXIO);
    expect(s.reg(MPIC_PIR)).toBe(0);
    expect(s.reg(0x40000)).toBe(-ENXIO);
    expect(s.reg(0x3f100)).toBe(-ENXIO);
    expect(s.reg(0x1_0000_0000)).toBe(-ENXIO);
    // ENXIO before EFAULT on GET, EFAULT before ENXIO on SET
    expect(s.raw(KVM_GET_DEVICE_ATTR, REGISTER, 0x2000, 0)).toBe(-ENXIO);
    expect(s.raw(KVM_GET_DEVICE_ATTR, REGISTER, 0x1000, 0)).toBe(-EFAULT);
    expect(s.raw(KVM_SET_DEVICE_ATTR, REGISTER, 0x2000, 0)).toBe(-EFAULT);
    expect(s.raw(KVM_SET_DEVICE_ATTR, REGISTER, 0x1002, 0)).toBe(-EFAULT);
  });
  test('typed', () => {
    const t = setupS('KVM_DEV_TYPE_FSL_MPIC_42');
    expect(errnoOf(() => t.reg(0x1002))).toBe(ENXIO);
    expect(errnoOf(() => t.reg(0x2000))).toBe(ENXIO);
    expect(errnoOf(() => t.setReg(MPIC_PIR, 0))).toBe(ENXIO);
    expect(t.reg(MPIC_PIR)).toBe(0);
    // the guest's PIR write is not handled in the kernel: an MMIO exit
    expect(t.gw(0, MPIC_PIR, 1)).toBe(false);
    expect(t.gr(0, 0x2000)).toBeNull();
  });
});

describe('vector 6: GRP_IRQ_ACTIVE bounds and HAS', () => {
  test('facade', () => {
    const s = sysS(1);
    expect(s.set32(IRQ_ACTIVE, 257, 1)).toBe(-EINVAL);
    expect(s.get32(IRQ_ACTIVE, 257)).toBe(-EINVAL);
    expect(s.set32(IRQ_ACTIVE, 1, 2)).toBe(-EINVAL);
    expect(s.set32(IRQ_ACTIVE, 256, 1)).toBe(0);
    expect(s.get32(IRQ_ACTIVE, 256)).toBe(1); // IPI 0, nothing acknowledges it
    expect(s.has(IRQ_ACTIVE, 257)).toBe(-ENXIO);
    expect(s.has(IRQ_ACTIVE, 256)).toBe(0);
    expect(s.has(REGISTER, 3)).toBe(0);
    expect(s.has(REGISTER, 0x12345678)).toBe(0);
    // errno order: EINVAL (attr) before EFAULT before EINVAL (value)
    expect(s.raw(KVM_SET_DEVICE_ATTR, IRQ_ACTIVE, 257, 0)).toBe(-EINVAL);
    expect(s.raw(KVM_SET_DEVICE_ATTR, IRQ_ACTIVE, 1, 0)).toBe(-EFAULT);
    expect(s.raw(KVM_GET_DEVICE_ATTR, IRQ_ACTIVE, 1, 0)).toBe(-EFAULT);
    expect(s.set32(IRQ_ACTIVE, 1n << 32n, 1)).toBe(-EINVAL);
  });
  test('typed', () => {
    const t = setupS();
    expect(errnoOf(() => t.setActive(257, 1))).toBe(EINVAL);
    expect(errnoOf(() => t.setActive(1, 2))).toBe(EINVAL);
    expect(errnoOf(() => t.active(257))).toBe(EINVAL);
    t.setActive(256, 1);
    expect(t.dev.hasAttr(IRQ_ACTIVE, 257)).toBe(false);
    expect(t.dev.hasAttr(IRQ_ACTIVE, 256)).toBe(true);
    expect(t.dev.hasAttr(REGISTER, 3)).toBe(true);
    expect(t.dev.hasAttr(MISC, 0)).toBe(true);
  });
  test('KVM_CREATE_DEVICE with an unregistered type is ENODEV', () => {
    const s = new Sys(0);
    const cd = s.host.mem.alloc(12);
    s.host.mem.setU32(cd, 3);
    expect(s.rc(s.host.ioctl(s.vm, KVM_CREATE_DEVICE, cd))).toBe(-19);
  });
});
