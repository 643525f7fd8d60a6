/**
 * arm64's side of memory slots and irqfds: the IPA limit (EFAULT), readonly memslots, the MSI
 * caps, irqfd before vgic_init (EAGAIN), the atomic SPI path (level 1 only), and resampling
 * irqfds on a level SPI acknowledged by the guest.
 */
import {
  EAGAIN,
  EFAULT,
  EINVAL,
  KVM_CAP_MSI_DEVID,
  KVM_CAP_READONLY_MEM,
  KVM_CAP_SIGNAL_MSI,
  KVM_CHECK_EXTENSION,
  KVM_IRQFD_FLAG_RESAMPLE,
  KVM_MEM_READONLY,
} from '@kvmdev/core';
import * as U from '../src/uapi.js';
import { errnoOf, facade, typed, v3Guest } from './helpers.js';

describe('arm64 memory slots', () => {
  test('a slot beyond the IPA space is EFAULT (kvm_arch_prepare_memory_region); READONLY is a valid flag', () => {
    const { host, vm } = typed();
    const ram = host.mem.mmap(0x10000);
    expect(errnoOf(() => vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 2 ** 40 - 0x1000, memorySize: 0x2000, userspaceAddr: ram }))).toBe(EFAULT);
    vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 2 ** 40 - 0x2000, memorySize: 0x2000, userspaceAddr: ram, flags: KVM_MEM_READONLY });
    expect(errnoOf(() => vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 2 ** 40 - 0x1000, memorySize: 0x2000, userspaceAddr: ram, flags: KVM_MEM_READONLY }))).toBe(EFAULT); // move too
    vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 0, memorySize: 0, userspaceAddr: 0 });
    const big = host.createVm(48); // IPA 48 bits
    big.setUserMemoryRegion({ slot: 0, guestPhysAddr: 2 ** 40, memorySize: 0x2000, userspaceAddr: ram });
    expect(errnoOf(() => big.setUserMemoryRegion({ slot: 1, guestPhysAddr: 0, memorySize: 0x1000, userspaceAddr: ram, flags: 1 << 2 }))).toBe(EINVAL);
  });

  test('caps: SIGNAL_MSI 1 even without a GIC; MSI_DEVID EINVAL on /dev/kvm and 0 on a VM without an ITS; READONLY_MEM 1', () => {
    const f = facade();
    const cap = (fd: number, c: number) => f.ioctl(fd, KVM_CHECK_EXTENSION, c);
    expect(cap(f.vm, KVM_CAP_SIGNAL_MSI)).toBe(1);
    expect(cap(f.kvm, KVM_CAP_SIGNAL_MSI)).toBe(1);
    expect(cap(f.kvm, KVM_CAP_MSI_DEVID)).toBe(-EINVAL);
    expect(cap(f.vm, KVM_CAP_MSI_DEVID)).toBe(0);
    expect(cap(f.kvm, KVM_CAP_READONLY_MEM)).toBe(1);
    expect(cap(f.vm, KVM_CAP_READONLY_MEM)).toBe(1);
  });
});

describe('arm64 irqfd', () => {
  test('EAGAIN until vgic_init (no GIC, or a GICv3 before CTRL_INIT); fine after', () => {
    const { host, vm } = typed();
    const ev = host.createEventFd();
    expect(errnoOf(() => vm.irqfd({ fd: ev, gsi: 0 }))).toBe(EAGAIN);
    vm.createVcpu(0);
    const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    expect(errnoOf(() => vm.irqfd({ fd: ev, gsi: 0 }))).toBe(EAGAIN);
    gic.setAttr(4, 0);
    vm.irqfd({ fd: ev, gsi: 0 });
  });

  test('edge SPI: each signal latches pending through the atomic path', () => {
    const w = v3Guest(1);
    const g = w.guests[0]!;
    g.mmioWrite32(w.dist, 4, 2);
    g.mmioWrite32(w.dist + 0x104, 4, 1 << 8); // enable SPI 40 (GSI 8)
    g.sysregWrite(U.ICC_PMR_EL1, 0xf0);
    g.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
    const ev = w.host.createEventFd();
    w.vm.irqfd({ fd: ev, gsi: 8 });
    ev.signal();
    expect(g.line('irq')).toBe(1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(40n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 40);
    expect(g.line('irq')).toBe(0);
    ev.signal();
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(40n);
  });

  test('level SPI without resample: the atomic path raises the line and never lowers it (kernel behaviour)', () => {
    const w = v3Guest(1);
    const g = w.guests[0]!;
    g.mmioWrite32(w.dist + 0xc08, 4, 0xaaaaaaa8 & ~(2 << 16)); // SPI 40 level
    const ev = w.host.createEventFd();
    w.vm.irqfd({ fd: ev, gsi: 8 });
    ev.signal();
    expect(Number(w.dev.getAttr(7, 32) >>> 8) & 1).toBe(1); // LEVEL_INFO: line high
  });

  test('resample on a level SPI: trigger raises the line; the guest EOI lowers it and signals the resamplefd', () => {
    const w = v3Guest(1);
    const g = w.guests[0]!;
    g.mmioWrite32(w.dist, 4, 2);
    g.mmioWrite32(w.dist + 0xc08, 4, 0xaaaaaaaa & ~(2 << 16)); // SPI 40 level
    g.mmioWrite32(w.dist + 0x104, 4, 1 << 8);
    g.sysregWrite(U.ICC_PMR_EL1, 0xf0);
    g.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
    const ev = w.host.createEventFd();
    const rs = w.host.createEventFd();
    w.vm.irqfd({ fd: ev, gsi: 8, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rs });
    ev.signal();
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(40n);
    expect(rs.peek()).toBe(0n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 40);
    expect(rs.read()).toBe(1n);
    expect(Number(w.dev.getAttr(7, 32) >>> 8) & 1).toBe(0); // line lowered by the resampler
    expect(g.line('irq')).toBe(0);
    // an edge SPI's EOI notifies nothing
    g.mmioWrite32(w.dist + 0x104, 4, 1 << 9);
    w.vm.irqLine((1 << 24) | 41, 1);
    expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(41n);
    g.sysregWrite(U.ICC_EOIR1_EL1, 41);
    expect(rs.peek()).toBe(0n);
  });
});
