/** vCPU connection (KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC)), vector 20 and the kernel's errno order. */
import {
  EBADF,
  EBUSY,
  EEXIST,
  EINVAL,
  EPERM,
  KVM_CAP_IRQ_MPIC,
  KVM_CHECK_EXTENSION,
  KVM_ENABLE_CAP,
  KVM_GET_VCPU_MMAP_SIZE,
  createHost,
  kvm_enable_cap,
} from '@kvmdev/core';
import { definePlugin } from '@kvmdev/core/plugin';
import {
  KVM_REG_PPC_EPR,
  MPIC_FRR,
  MPIC_GCR,
  MPIC_IRQ_CONNECTION,
  MPIC_WHOAMI,
  mpic,
  mpicCpuOf,
  mpicTakeExternal,
  MPIC_VCPU_SLOT,
  mpicIvpr,
  vmMpic,
} from '../src/internal.js';
import { Sys, Typed, errnoOf } from './helpers.js';

describe('vector 20: connect errors (facade)', () => {
  test('cpu 32 → EPERM; a taken slot → EEXIST (checked first); reconnect elsewhere → EBUSY', () => {
    const s = new Sys(2);
    s.create(1);
    expect(s.connect(0, 32)).toBe(-EPERM);
    expect(s.connect(0, 0xffffffff)).toBe(-EPERM);
    expect(s.connect(0, 0)).toBe(0);
    expect(s.connect(1, 0)).toBe(-EEXIST);
    expect(s.connect(0, 0)).toBe(-EEXIST); // the slot check comes before the vCPU check
    expect(s.connect(0, 1)).toBe(-EBUSY);
    expect(s.connect(1, 31)).toBe(0);
    expect(s.reg(MPIC_FRR)).toBe(0x004f1f02);
  });
  test('EBADF for a closed fd, EPERM for a non-device fd, then the MPIC checks', () => {
    const s = new Sys(1);
    s.create(2);
    expect(s.connect(0, 0, 999)).toBe(-EBADF);
    expect(s.connect(0, 40, 999)).toBe(-EBADF);
    expect(s.connect(0, 0, s.vm)).toBe(-EPERM);
    expect(s.connect(0, 0, s.vcpus[0])).toBe(-EPERM);
    expect(s.connect(0, 0, s.kvm)).toBe(-EPERM);
  });
  test('flags != 0 → EINVAL (generic enable_cap)', () => {
    const s = new Sys(1);
    s.create(1);
    kvm_enable_cap.write(s.host.mem, s.cap, { cap: KVM_CAP_IRQ_MPIC, flags: 1, args: [BigInt(s.dev), 0n, 0n, 0n] });
    expect(s.rc(s.host.ioctl(s.vcpus[0], KVM_ENABLE_CAP, s.cap))).toBe(-EINVAL);
  });
  test('args are truncated like the kernel (fd as unsigned int, cpu as u32)', () => {
    const s = new Sys(1);
    s.create(1);
    kvm_enable_cap.write(s.host.mem, s.cap, {
      cap: KVM_CAP_IRQ_MPIC,
      flags: 0,
      args: [(1n << 32n) | BigInt(s.dev), (1n << 32n) | 3n, 0n, 0n],
    });
    expect(s.rc(s.host.ioctl(s.vcpus[0], KVM_ENABLE_CAP, s.cap))).toBe(0);
    expect(mpicCpuOf(s.host.vcpuOf(s.vcpus[0]))).toBe(3);
  });
  test('KVM_CHECK_EXTENSION(KVM_CAP_IRQ_MPIC) = 1', () => {
    const s = new Sys(0);
    expect(s.host.ioctl(s.kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_MPIC)).toBe(1);
    expect(s.host.ioctl(s.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_MPIC)).toBe(1);
  });
});

describe('connect (typed)', () => {
  test('vector 20 on the typed API', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_42', 2);
    expect(errnoOf(() => t.connect(0, 32))).toBe(EPERM);
    t.connect(0, 0);
    expect(errnoOf(() => t.connect(1, 0))).toBe(EEXIST);
    expect(errnoOf(() => t.connect(0, 2))).toBe(EBUSY);
    expect(t.vcpus[0].vcpu.irqConnection).toBe(MPIC_IRQ_CONNECTION);
  });
  test("another VM's MPIC → EPERM; another device type → EPERM", () => {
    const other = definePlugin({
      name: 'other',
      version: '1.0.0',
      core: '*',
      devices: [{ key: 'KVM_DEV_TYPE_VFIO', type: 4, ops: { name: 'kvm-vfio', create: () => 0, release() {} } }],
    });
    const host = createHost({ plugins: [mpic, other] });
    const a = new Typed('KVM_DEV_TYPE_FSL_MPIC_20', 1, host);
    const b = new Typed('KVM_DEV_TYPE_FSL_MPIC_20', 1, host);
    expect(errnoOf(() => a.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, b.dev.fd, 0))).toBe(EPERM);
    const vfio = a.vm.createDeviceByType(4);
    expect(errnoOf(() => a.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, vfio.fd, 0))).toBe(EPERM);
    expect(a.vcpus[0].vcpu.irqConnection).toBeNull();
  });
  test('connecting does not reset; the vCPU sees its own page through the aliases', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_20', 3);
    t.setBase(0xfe0040000n);
    t.setReg(mpicIvpr(3), 0x00050043);
    t.connect(0, 0);
    t.connect(1, 7);
    expect(t.reg(mpicIvpr(3))).toBe(0x00050043);
    expect(t.gr(1, MPIC_WHOAMI)).toBe(7);
    expect(t.gr(0, MPIC_WHOAMI)).toBe(0);
    // a vCPU that never connected has irq_cpu_id 0
    expect(t.gr(2, MPIC_WHOAMI)).toBe(0);
    // userspace has no current CPU
    expect(t.reg(MPIC_WHOAMI)).toBe(0xffffffff);
  });
  test('vCPU teardown disconnects; the destroy order is vCPUs first', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_20', 1);
    t.connect(0, 0);
    const s = vmMpic(t.vm.vm)!;
    expect(s.vcpus[0]).toBe(t.vcpus[0].vcpu);
    t.vcpus[0].close();
    t.dev.close();
    t.vm.close();
    expect(s.vcpus[0]).toBeNull();
  });
  test('EPR ONE_REG on a connected vCPU', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_42', 2);
    t.connect(0, 0);
    t.setReg(MPIC_GCR, 0x80000000);
    expect(t.vcpus[0].getOneReg(KVM_REG_PPC_EPR)).toBe(0n);
    t.vcpus[0].setOneReg(KVM_REG_PPC_EPR, 0x1234n);
    expect(t.vcpus[0].getOneReg(KVM_REG_PPC_EPR)).toBe(0x1234n);
    expect(errnoOf(() => t.vcpus[1].getOneReg(KVM_REG_PPC_EPR))).toBe(EINVAL);
  });
});

describe('v4.2 proxy (EPR) mode', () => {
  test('taking the external interrupt acknowledges in the kernel and fills EPR', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_42', 1);
    t.setBase(0xfe0040000n);
    t.connect(0);
    t.setReg(MPIC_GCR, 0x80000000);
    t.setReg(0x20080, 0);
    t.setReg(mpicIvpr(1), 0x00050041);
    const v = t.vcpus[0].vcpu;
    expect(mpicTakeExternal(v)).toBe(-1); // line down
    t.setActive(1, 1);
    expect(mpicTakeExternal(v)).toBe(-1); // not in proxy mode: the guest reads IACK
    expect(t.line(0)).toBe(1);
    expect(v.guest.takeInterrupt('external')).toBeNull(); // the guest port: nothing done in the kernel
    expect(t.line(0)).toBe(1);
    t.setReg(MPIC_GCR, 0x60000000);
    expect(v.guest.takeInterrupt('external')).toBe(0x41); // through the guest port (vcpuTakeInterrupt)
    expect(t.line(0)).toBe(0);
    expect(t.vcpus[0].getOneReg(KVM_REG_PPC_EPR)).toBe(0x41n);
    expect(t.active(1)).toBe(0);
  });
  test('v2.0 has no kernel EPR: GCR cannot select proxy mode and nothing is acknowledged', () => {
    const t = new Typed('KVM_DEV_TYPE_FSL_MPIC_20', 1);
    t.connect(0);
    t.setReg(MPIC_GCR, 0x80000000);
    t.setReg(0x20080, 0);
    t.setReg(MPIC_GCR, 0x60000000);
    t.setReg(mpicIvpr(1), 0x00050041);
    t.setActive(1, 1);
    expect(mpicTakeExternal(t.vcpus[0].vcpu)).toBe(-1);
    expect(t.line(0)).toBe(1);
    expect(t.vcpus[0].vcpu.slot(MPIC_VCPU_SLOT)?.eprKernel).toBe(false);
  });
});

test('KVM_GET_VCPU_MMAP_SIZE on an e500 host: 2 pages of 4 KiB (the PIO page is x86 only)', () => {
  const host = createHost({ plugins: [mpic] });
  const kvm = host.open('/dev/kvm');
  expect(host.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)).toBe(2 * 4096);
});
