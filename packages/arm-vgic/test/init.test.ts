/** Reference §3 and §9 items 1–13, 57–60: creation, ordering, NR_IRQS, first run. */
import {
  E2BIG,
  EBUSY,
  EEXIST,
  EINVAL,
  EIO,
  ENODEV,
  ENOEXEC,
  ENXIO,
  KVM_CAP_ARM_IRQ_LINE_LAYOUT_2,
  KVM_CAP_ARM_VM_IPA_SIZE,
  KVM_CAP_MAX_VCPUS,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_IRQCHIP,
  KVM_CREATE_VM,
} from '@kvmdev/core';
import * as U from '../src/uapi.js';
import { errnoOf, facade, typed } from './helpers.js';

const G = { ADDR: 0, DIST: 1, CPU: 2, NR: 3, CTRL: 4, REDIST: 5, SYS: 6, LEVEL: 7, MAINT: 9 };

describe('device creation and ordering (facade)', () => {
  test('1: one GIC per VM: V3 then V3/V2 → EEXIST', () => {
    const f = facade();
    expect(f.createDevice(7)).toBeGreaterThanOrEqual(0);
    expect(f.createDevice(7)).toBe(-EEXIST);
    expect(f.createDevice(5)).toBe(-EEXIST);
  });
  test('2: V2 then KVM_CREATE_IRQCHIP → EEXIST; IRQCHIP then V2 → EEXIST', () => {
    const f = facade();
    expect(f.createDevice(5)).toBeGreaterThanOrEqual(0);
    expect(f.ioctl(f.vm, KVM_CREATE_IRQCHIP, 0)).toBe(-EEXIST);
    const g = facade();
    expect(g.ioctl(g.vm, KVM_CREATE_IRQCHIP, 0)).toBe(0);
    expect(g.createDevice(5)).toBe(-EEXIST);
    expect(g.createDevice(7)).toBe(-EEXIST);
  });
  test('3: unknown type → ENODEV', () => {
    expect(facade().createDevice(99)).toBe(-ENODEV);
  });
  test('4: 9 vCPUs then V2 → E2BIG; 8 vCPUs → ok; max_vcpus stays lowered after E2BIG', () => {
    const f = facade();
    for (let i = 0; i < 9; i++) expect(f.createVcpu(i)).toBeGreaterThanOrEqual(0);
    expect(f.createDevice(5)).toBe(-E2BIG);
    expect(f.ioctl(f.vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS)).toBe(8);
    expect(f.createDevice(7)).toBeGreaterThanOrEqual(0);
    const g = facade();
    for (let i = 0; i < 8; i++) g.createVcpu(i);
    expect(g.createDevice(5)).toBeGreaterThanOrEqual(0);
  });
  test('5: V2 then vcpu 8 → EINVAL; vcpu 7 ok', () => {
    const f = facade();
    f.createDevice(5);
    expect(f.createVcpu(8)).toBe(-EINVAL);
    expect(f.createVcpu(7)).toBeGreaterThanOrEqual(0);
  });
  test('V3 limits vCPU ids to 512', () => {
    const f = facade();
    f.createDevice(7);
    expect(f.createVcpu(512)).toBe(-EINVAL);
    expect(f.createVcpu(511)).toBeGreaterThanOrEqual(0);
  });
  test('6: CTRL_INIT then KVM_CREATE_VCPU → EBUSY', () => {
    const f = facade();
    f.createVcpu(0);
    const d = f.createDevice(7);
    expect(f.set(d, G.CTRL, 0, 0, 0)).toBe(0);
    expect(f.createVcpu(1)).toBe(-EBUSY);
  });
  test('7: CTRL_INIT with zero vCPUs → 0, twice → 0', () => {
    const f = facade();
    const d = f.createDevice(7);
    expect(f.set(d, G.CTRL, 0, 0, 0)).toBe(0);
    expect(f.set(d, G.CTRL, 0, 0, 0)).toBe(0);
  });
  test('8: a vCPU that ran → creating a GIC is EBUSY', () => {
    const f = facade();
    const v = f.createVcpu(0);
    expect(f.vcpuInit(v)).toBe(0);
    expect(f.run(v)).toBe(0);
    expect(f.createDevice(7)).toBe(-EBUSY);
    expect(f.createDevice(5)).toBe(-EBUSY);
  });
  test('KVM_RUN without KVM_ARM_VCPU_INIT → ENOEXEC; bad target → EINVAL', () => {
    const f = facade();
    const v = f.createVcpu(0);
    expect(f.run(v)).toBe(-ENOEXEC);
    const mem = f.host.mem;
    const b = mem.alloc(32);
    mem.setU32(b, 3);
    expect(f.ioctl(v, U.KVM_ARM_VCPU_INIT, b)).toBe(-EINVAL);
    mem.setU32(b, 5);
    mem.setU32(b + 8, 1);
    expect(f.ioctl(v, U.KVM_ARM_VCPU_INIT, b)).toBe(-2); // ENOENT: unknown feature word
    expect(f.run(v)).toBe(-ENOEXEC);
    const p = mem.alloc(32);
    expect(f.ioctl(f.vm, U.KVM_ARM_PREFERRED_TARGET, p)).toBe(0);
    expect(mem.getU32(p)).toBe(U.KVM_ARM_TARGET_GENERIC_V8);
    expect(f.vcpuInit(v)).toBe(0);
    expect(f.run(v)).toBe(0);
  });
  test('KVM_CHECK_EXTENSION answers', () => {
    const f = facade();
    expect(f.ioctl(f.kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_IRQ_LINE_LAYOUT_2)).toBe(1);
    expect(f.ioctl(f.kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE)).toBe(48);
    expect(f.ioctl(f.kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS)).toBe(512);
  });
  test('KVM_CREATE_VM type: IPA size bits 7:0; bad sizes and protected VMs → EINVAL', () => {
    const f = facade();
    expect(f.ioctl(f.kvm, KVM_CREATE_VM, 48)).toBeGreaterThanOrEqual(0);
    expect(f.ioctl(f.kvm, KVM_CREATE_VM, 49)).toBe(-EINVAL);
    expect(f.ioctl(f.kvm, KVM_CREATE_VM, 31)).toBe(-EINVAL);
    expect(f.ioctl(f.kvm, KVM_CREATE_VM, 0x100)).toBe(-EINVAL);
    expect(f.ioctl(f.kvm, KVM_CREATE_VM, 0x80000000)).toBe(-EINVAL);
    // a 36-bit VM rejects a dist at 1<<36 with E2BIG
    const g = facade(36);
    const d = g.createDevice(7);
    expect(g.set(d, G.ADDR, 2, 1n << 36n, 8)).toBe(-E2BIG);
    expect(g.set(d, G.ADDR, 2, (1n << 36n) - 0x10000n, 8)).toBe(0);
  });
});

describe('device creation and ordering (typed)', () => {
  test('EEXIST / E2BIG / EBUSY codes', () => {
    const { vm } = typed();
    vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    expect(errnoOf(() => vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3'))).toBe(EEXIST);
    expect(errnoOf(() => vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V2'))).toBe(EEXIST);
    const t = typed();
    for (let i = 0; i < 9; i++) t.vm.createVcpu(i);
    expect(errnoOf(() => t.vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V2'))).toBe(E2BIG);
    const u = typed();
    u.vm.createVcpu(0);
    const d = u.vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    d.setAttr(U.KVM_DEV_ARM_VGIC_GRP_CTRL, U.KVM_DEV_ARM_VGIC_CTRL_INIT);
    expect(errnoOf(() => u.vm.createVcpu(1))).toBe(EBUSY);
  });
});

describe('NR_IRQS', () => {
  test('9: GET before anything → 32', () => {
    const f = facade();
    const d = f.createDevice(7);
    expect(f.get(d, G.NR, 0)).toEqual({ r: 0, v: 32n });
  });
  test('10: value checks', () => {
    const f = facade();
    const d = f.createDevice(7);
    for (const v of [63, 32, 1024, 100, 0, 1023]) expect(f.set(d, G.NR, 0, v)).toBe(-EINVAL);
    expect(f.set(d, G.NR, 0, 992)).toBe(0);
    expect(f.get(d, G.NR, 0).v).toBe(992n);
  });
  test('11: set once; then EBUSY', () => {
    const f = facade();
    const d = f.createDevice(7);
    expect(f.set(d, G.NR, 0, 128)).toBe(0);
    expect(f.get(d, G.NR, 0).v).toBe(128n);
    expect(f.set(d, G.NR, 0, 128)).toBe(-EBUSY);
    expect(f.set(d, G.NR, 0, 64)).toBe(-EBUSY);
    // EINVAL is checked before EBUSY
    expect(f.set(d, G.NR, 0, 65)).toBe(-EINVAL);
  });
  test('12: init freezes the default 256', () => {
    const { vm } = typed();
    vm.createVcpu(0);
    const d = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    d.setAttr(4, 0);
    expect(d.getAttr(3, 0)).toBe(256);
    expect(errnoOf(() => d.setAttr(3, 0, 128))).toBe(EBUSY);
  });
  test('13: HAS(NR_IRQS) → 0 on V2 and V3', () => {
    const f = facade();
    expect(f.has(f.createDevice(7), G.NR, 0)).toBe(0);
    const g = facade();
    expect(g.has(g.createDevice(5), G.NR, 0)).toBe(0);
  });
});

describe('first run (map_resources)', () => {
  function v3(n: number) {
    const f = facade();
    const vcpus: number[] = [];
    for (let i = 0; i < n; i++) vcpus.push(f.createVcpu(i));
    const d = f.createDevice(7);
    for (const v of vcpus) f.vcpuInit(v);
    return { f, d, vcpus };
  }
  test('57: no CTRL_INIT → EBUSY, then the VM is dead: KVM_RUN gives EIO, other ioctls still work', () => {
    const { f, d, vcpus } = v3(1);
    f.set(d, G.ADDR, 2, 0x3fff0000, 8);
    f.set(d, G.ADDR, 3, 0x3ffd0000, 8);
    expect(f.run(vcpus[0]!)).toBe(-EBUSY);
    expect(f.run(vcpus[0]!)).toBe(-EIO);
    // since the 2025 "reject ioctls only if the VM is bugged, not simply marked dead" change
    expect(f.get(d, G.NR, 0).r).toBe(0);
  });
  test('58: no REDIST → ENXIO; no DIST → ENXIO', () => {
    const a = v3(1);
    a.f.set(a.d, G.ADDR, 2, 0x3fff0000, 8);
    a.f.set(a.d, G.CTRL, 0, 0, 0);
    expect(a.f.run(a.vcpus[0]!)).toBe(-ENXIO);
    const b = v3(1);
    b.f.set(b.d, G.ADDR, 3, 0x3ffd0000, 8);
    b.f.set(b.d, G.CTRL, 0, 0, 0);
    expect(b.f.run(b.vcpus[0]!)).toBe(-ENXIO);
  });
  test('59: legacy REDIST overlapping DIST: at run (REDIST first) or at SET (DIST first)', () => {
    const a = v3(2);
    expect(a.f.set(a.d, G.ADDR, 3, 0x3ffe0000, 8)).toBe(0);
    expect(a.f.set(a.d, G.ADDR, 2, 0x3fff0000, 8)).toBe(0);
    a.f.set(a.d, G.CTRL, 0, 0, 0);
    expect(a.f.run(a.vcpus[0]!)).toBe(-EINVAL);
    const b = v3(2);
    expect(b.f.set(b.d, G.ADDR, 2, 0x3fff0000, 8)).toBe(0);
    expect(b.f.set(b.d, G.ADDR, 3, 0x3ffe0000, 8)).toBe(-EINVAL);
  });
  test('a vCPU whose redistributor would overlap DIST cannot be created', () => {
    const f = facade();
    const d = f.createDevice(7);
    expect(f.set(d, G.ADDR, 2, 0x3fff0000, 8)).toBe(0);
    expect(f.set(d, G.ADDR, 3, 0x3ffe0000, 8)).toBe(0); // size 0 with no vCPUs
    expect(f.createVcpu(0)).toBeGreaterThanOrEqual(0); // checked with 0 online vCPUs
    expect(f.createVcpu(1)).toBe(-EINVAL);
  });
  test('V3 success: run → 0 and dist frame on the bus', () => {
    const { f, d, vcpus } = v3(1);
    f.set(d, G.ADDR, 2, 0x3fff0000, 8);
    f.set(d, G.ADDR, 3, 0x3ffd0000, 8);
    f.set(d, G.CTRL, 0, 0, 0);
    expect(f.run(vcpus[0]!)).toBe(0);
    expect(f.host.guest(vcpus[0]!).mmioRead(0x3fff0000, 4)).toBe(0x50);
    expect(f.host.guest(vcpus[0]!).mmioRead(0x3ffd0000 + 0x10100, 4)).toBe(0xffff);
  });
  test('60: V2 missing CPU → ENXIO; dist/cpu overlap → EINVAL; V2 inits at first run', () => {
    const a = facade();
    const v = a.createVcpu(0);
    a.vcpuInit(v);
    const d = a.createDevice(5);
    a.set(d, G.ADDR, 0, 0x3ffff000, 8);
    expect(a.run(v)).toBe(-ENXIO);
    const b = facade();
    const w = b.createVcpu(0);
    b.vcpuInit(w);
    const e = b.createDevice(5);
    b.set(e, G.ADDR, 0, 0x3ffff000, 8);
    b.set(e, G.ADDR, 1, 0x3fffe000, 8);
    expect(b.run(w)).toBe(-EINVAL);
    const c = facade();
    const x = c.createVcpu(0);
    c.vcpuInit(x);
    const h = c.createDevice(5);
    c.set(h, G.ADDR, 0, 0x3ffff000, 8);
    c.set(h, G.ADDR, 1, 0x3fffd000, 8);
    expect(c.run(x)).toBe(0);
    expect(c.get(h, G.NR, 0).v).toBe(256n);
  });
  test('legacy KVM_CREATE_IRQCHIP + KVM_ARM_SET_DEVICE_ADDR path runs', () => {
    const f = facade();
    const v = f.createVcpu(0);
    f.vcpuInit(v);
    const mem = f.host.mem;
    const b = mem.alloc(16);
    mem.setU64(b, 0n);
    mem.setU64(b + 8, 0x3ffff000n);
    expect(f.ioctl(f.vm, U.KVM_ARM_SET_DEVICE_ADDR, b)).toBe(-ENODEV); // no GIC yet
    expect(f.ioctl(f.vm, KVM_CREATE_IRQCHIP, 0)).toBe(0);
    expect(f.ioctl(f.vm, U.KVM_ARM_SET_DEVICE_ADDR, b)).toBe(0);
    expect(f.ioctl(f.vm, U.KVM_ARM_SET_DEVICE_ADDR, b)).toBe(-EEXIST);
    mem.setU64(b, 1n);
    mem.setU64(b + 8, 0x3fffd000n);
    expect(f.ioctl(f.vm, U.KVM_ARM_SET_DEVICE_ADDR, b)).toBe(0);
    mem.setU64(b, (1n << 16n) | 0n);
    expect(f.ioctl(f.vm, U.KVM_ARM_SET_DEVICE_ADDR, b)).toBe(-ENODEV);
    expect(f.run(v)).toBe(0);
  });
});
