/** Reference §7 and §9 items 51–56: KVM_IRQ_LINE encoding, errors, lazy init, GSI routing, MSIs. */
import { EBUSY, EFAULT, EINVAL, ENODEV, ENXIO, KVM_IRQ_LINE_STATUS, KVM_SIGNAL_MSI } from '@kvmdev/core';
import { kvmArmIrq } from '../src/uapi.js';
import { errnoOf, facade, typed } from './helpers.js';

const SPI = 1 << 24;
const PPI = 2 << 24;

function v3(nrIrqs = 128) {
  const f = facade();
  f.createVcpu(0);
  const d = f.createDevice(7);
  f.set(d, 3, 0, nrIrqs);
  f.set(d, 4, 0, 0, 0);
  return { f, d };
}

describe('KVM_IRQ_LINE', () => {
  test('51: SPI range', () => {
    const { f } = v3();
    expect(f.irqLine(SPI | 40, 1)).toBe(0);
    expect(f.irqLine(SPI | 20, 1)).toBe(-EINVAL);
    expect(f.irqLine(SPI | 128, 1)).toBe(-EINVAL);
    expect(f.irqLine(SPI | 127, 1)).toBe(0);
    expect(f.irqLine(SPI | 9000, 1)).toBe(-EINVAL);
  });
  test('52: PPIs', () => {
    const { f } = v3();
    expect(f.irqLine(PPI | (0 << 16) | 20, 1)).toBe(0);
    expect(f.irqLine(PPI | (1 << 16) | 20, 1)).toBe(-EINVAL);
    expect(f.irqLine(PPI | 5, 1)).toBe(-EINVAL);
    expect(f.irqLine(PPI | 32, 1)).toBe(-EINVAL);
  });
  test('52b: vcpu2 field addresses vCPU ids ≥ 256', () => {
    const f = facade();
    f.createVcpu(0);
    f.vcpuInit(f.createVcpu(300)); // MPIDR_EL1 gets its affinity at KVM_ARM_VCPU_INIT
    const d = f.createDevice(7);
    f.set(d, 4, 0, 0, 0);
    expect(f.irqLine(kvmArmIrq(2, 300, 21), 1)).toBe(0);
    expect(f.irqLine(kvmArmIrq(2, 301, 21), 1)).toBe(-EINVAL);
    expect(kvmArmIrq(2, 300, 21)).toBe(((1 << 28) | (2 << 24) | (44 << 16) | 21) >>> 0);
    // the PPI is level: LEVEL_INFO of vCPU 300 (Aff0 = 300 & 0xf = 12, Aff1 = 18) shows it
    const attr = (((18n << 8n) | 12n) << 32n) | 0n;
    expect(f.get(d, 7, attr).v).toBe(1n << 21n);
  });
  test('53: CPU type with a GIC → ENXIO; type ≥ 3 → EINVAL', () => {
    const { f } = v3();
    expect(f.irqLine(0, 1)).toBe(-ENXIO);
    expect(f.irqLine(3 << 24, 1)).toBe(-EINVAL);
    expect(f.irqLine(15 << 24, 1)).toBe(-EINVAL);
  });
  test('54: V3 uninitialized → EBUSY; V2 lazily initializes', () => {
    const f = facade();
    f.createVcpu(0);
    f.createDevice(7);
    expect(f.irqLine(SPI | 40, 1)).toBe(-EBUSY);
    expect(f.irqLine(PPI | 20, 1)).toBe(-EBUSY);
    expect(f.irqLine(SPI | 20, 1)).toBe(-EINVAL); // checked before the lazy init
    const g = facade();
    g.createVcpu(0);
    const d = g.createDevice(5);
    expect(g.irqLine(SPI | 40, 1)).toBe(0);
    expect(g.createVcpu(1)).toBe(-EBUSY);
    expect(g.get(d, 3, 0).v).toBe(256n);
  });
  test('55: no in-kernel GIC: SPI/PPI → ENXIO, CPU type drives the vCPU lines', () => {
    const f = facade();
    const v = f.createVcpu(0);
    expect(f.irqLine(SPI | 40, 1)).toBe(-ENXIO);
    expect(f.irqLine(PPI | 20, 1)).toBe(-ENXIO);
    expect(f.irqLine(0 | (1 << 16), 1)).toBe(-EINVAL); // no vCPU 1
    expect(f.irqLine(2, 1)).toBe(-EINVAL); // num > FIQ
    expect(f.irqLine(0, 1)).toBe(0);
    expect(f.host.guest(v).line('irq')).toBe(1);
    expect(f.irqLine(1, 1)).toBe(0);
    expect(f.host.guest(v).line('fiq')).toBe(1);
    expect(f.irqLine(0, 0)).toBe(0);
    expect(f.host.guest(v).line('irq')).toBe(0);
  });
  test('56: edge SPI latches; ISPENDR1 bit 8; level SPI shows only in LEVEL_INFO', () => {
    const { f, d } = v3();
    expect(f.irqLine(SPI | 40, 1)).toBe(0);
    expect(f.get(d, 1, 0x204).v & (1n << 8n)).toBe(1n << 8n);
    expect(f.irqLine(SPI | 40, 0)).toBe(0);
    expect(f.get(d, 1, 0x204).v & (1n << 8n)).toBe(1n << 8n);
    // SPI 41 level-sensitive
    expect(f.set(d, 1, 0xc08, 0xaaaaaaaa & ~(2 << 18))).toBe(0);
    expect(f.irqLine(SPI | 41, 1)).toBe(0);
    expect(f.get(d, 1, 0x204).v & (1n << 9n)).toBe(0n);
    expect(f.get(d, 7, 32).v).toBe(1n << 9n);
    expect(f.irqLine(SPI | 41, 0)).toBe(0);
    expect(f.get(d, 7, 32).v).toBe(0n);
  });
  test('typed irqLine and GSI routing (pin = SPI - 32)', () => {
    const { vm } = typed();
    const v = vm.createVcpu(0);
    const d = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    d.setAttr(3, 0, 128);
    d.setAttr(4, 0);
    expect(vm.irqLine(SPI | 40, 1)).toBe(0);
    expect(errnoOf(() => vm.irqLine(SPI | 20, 1))).toBe(EINVAL);
    const chip = vm.vm.irqchip!;
    expect(chip.numPins).toBe(988);
    expect(chip.setPin!(0, 10, 1)).toBe(0); // SPI 42
    expect((d.getAttr(1, 0x204) >>> 10) & 1).toBe(1);
    expect(chip.setPin!(0, 200, 1)).toBe(-EINVAL); // SPI 232 ≥ 128
    expect(vm.vm.routing.size).toBe(96); // default routing: one GSI per SPI
    vm.setGsiRouting([{ gsi: 0, type: 1, flags: 0, irqchip: 0, pin: 987 }]);
    expect(errnoOf(() => vm.setGsiRouting([{ gsi: 0, type: 1, flags: 0, irqchip: 0, pin: 988 }]))).toBe(EINVAL);
    // an MSI route is accepted without an ITS (kvm_set_routing_entry), firing it is ENODEV (kvm_set_msi)
    vm.setGsiRouting([{ gsi: 1, type: 2, flags: 1, addressLo: 0x8090040, addressHi: 0, data: 0, devid: 0 }]);
    expect(errnoOf(() => vm.signalMsi({ addressLo: 0x8090040, data: 0 }))).toBe(ENODEV);
    expect(v.line('irq')).toBe(0);
  });
  test('KVM_SIGNAL_MSI: no GIC → EINVAL (kvm_send_userspace_msi); a GIC without an ITS → ENODEV (kvm_set_msi)', () => {
    const { f } = v3();
    const b = f.host.mem.alloc(32);
    expect(f.ioctl(f.vm, KVM_SIGNAL_MSI, b)).toBe(-ENODEV);
    f.host.mem.setU32(b + 12, 2); // flags beyond KVM_MSI_VALID_DEVID: checked first
    expect(f.ioctl(f.vm, KVM_SIGNAL_MSI, b)).toBe(-EINVAL);
    const bare = facade();
    const m = bare.host.mem.alloc(32);
    expect(bare.ioctl(bare.vm, KVM_SIGNAL_MSI, m)).toBe(-EINVAL);
  });
  test('KVM_IRQ_LINE_STATUS leaves the struct as it came (arm64 never writes status), still copies it back', () => {
    // kvm_vm_ioctl copies struct kvm_irq_level back for KVM_IRQ_LINE_STATUS, but arm64's
    // kvm_vm_ioctl_irq_line does not fill status (a union with irq): it still reads as the irq.
    // Linux 7.3.4 (oracle gicv3/irq-line L105): irq = status = 0x1000032, level 1.
    const { f } = v3();
    const mem = f.host.mem;
    const l = mem.alloc(8);
    mem.setU32(l, SPI | 50);
    mem.setU32(l + 4, 1);
    expect(f.ioctl(f.vm, KVM_IRQ_LINE_STATUS, l)).toBe(0);
    expect(mem.getU32(l)).toBe(0x1000032);
    expect(mem.getU32(l + 4)).toBe(1);
    // an error is returned before the copy-back: the struct is untouched too
    mem.setU32(l, SPI | 20);
    expect(f.ioctl(f.vm, KVM_IRQ_LINE_STATUS, l)).toBe(-EINVAL);
    expect(mem.getU32(l)).toBe(SPI | 20);
    // the copy-back still happens: a read-only struct gives EFAULT after the injection
    const ro = mem.mmap(4096);
    mem.setU32(ro, SPI | 51);
    mem.setU32(ro + 4, 1);
    mem.protect(ro, 4096);
    expect(f.ioctl(f.vm, KVM_IRQ_LINE_STATUS, ro)).toBe(-EFAULT);
  });
});
