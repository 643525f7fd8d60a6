/**
 * Replays QEMU's hw/intc/openpic_kvm.c sequence on an e500-style VM with 4 vCPUs (reference
 * section 1.1), then drives guest interrupts: KVM_IRQ_LINE through the identity routes, MSIs
 * through KVM_SIGNAL_MSI and an MSI route, and IACK/EOI through the guest port on several CPUs.
 */
import {
  KVM_CAP_DEVICE_CTRL,
  KVM_CAP_IRQ_MPIC,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_ENABLE_CAP,
  KVM_IRQ_LINE,
  KVM_SET_DEVICE_ATTR,
  KVM_SET_GSI_ROUTING,
  KVM_SIGNAL_MSI,
  type GuestPort,
  type KvmIrqRoutingEntry,
  createHost,
  kvm_device_attr,
  kvm_enable_cap,
  kvm_irq_level,
  kvm_irq_routing,
  kvm_msi,
} from '@kvmdev/core';
import {
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
  MPIC_CTPR,
  MPIC_EOI,
  MPIC_FRR,
  MPIC_GCR,
  MPIC_IACK,
  MPIC_IPIDR0,
  MPIC_IPI_IVPR0,
  MPIC_MSIR0,
  MPIC_WHOAMI,
  mpic,
  mpicIdr,
  mpicIvpr,
} from '../src/internal.js';

const CCSRBAR = 0xfe0000000;
const MPIC_BASE = CCSRBAR + 0x40000;
const NCPU = 4;

function boot(type: 1 | 2) {
  const host = createHost({ plugins: [mpic] });
  const mem = host.mem;
  const ok = (r: number): number => {
    if (r < 0) throw new Error(`ioctl failed: errno ${host.errno}`);
    return r;
  };
  const kvm = host.open('/dev/kvm');
  const vm = ok(host.ioctl(kvm, KVM_CREATE_VM, 0));
  const vcpus: number[] = [];
  for (let i = 0; i < NCPU; i++) vcpus.push(ok(host.ioctl(vm, KVM_CREATE_VCPU, i)));
  // 1. kvm_openpic_realize: DEVICE_CTRL, then CREATE_DEVICE
  expect(host.ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL)).toBe(1);
  const cd = mem.alloc(12);
  mem.setU32(cd, type);
  ok(host.ioctl(vm, KVM_CREATE_DEVICE, cd));
  const fd = mem.getU32(cd + 4);
  const attr = mem.alloc(24);
  const val = mem.alloc(8);
  const setAttr = (group: number, a: number, v: bigint, size: 4 | 8) => {
    if (size === 8) mem.setU64(val, v);
    else mem.setU32(val, Number(v));
    kvm_device_attr.write(mem, attr, { flags: 0, group, attr: BigInt(a), addr: BigInt(val) });
    return ok(host.ioctl(fd, KVM_SET_DEVICE_ATTR, attr));
  };
  // 2. the memory listener maps the 0x40000 region: BASE_ADDR
  setAttr(KVM_DEV_MPIC_GRP_MISC, KVM_DEV_MPIC_BASE_ADDR, BigInt(MPIC_BASE), 8);
  // 3. identity GSI routes gsi i -> (irqchip 0, pin i), and one MSI route at GSI 300
  const entries: KvmIrqRoutingEntry[] = [];
  for (let i = 0; i < 256; i++) entries.push({ gsi: i, type: 1, flags: 0, irqchip: 0, pin: i });
  entries.push({ gsi: 300, type: 2, flags: 0, addressLo: 0xfe0041740, addressHi: 0, data: 0x43000000, devid: 0 });
  const rt = mem.alloc(kvm_irq_routing.sizeOf(entries.length));
  kvm_irq_routing.write(mem, rt, entries);
  ok(host.ioctl(vm, KVM_SET_GSI_ROUTING, rt));
  // 5. every vCPU: KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC, fd, vcpu id)
  const cap = mem.alloc(104);
  for (let i = 0; i < NCPU; i++) {
    kvm_enable_cap.write(mem, cap, { cap: KVM_CAP_IRQ_MPIC, flags: 0, args: [BigInt(fd), BigInt(i), 0n, 0n] });
    ok(host.ioctl(vcpus[i], KVM_ENABLE_CAP, cap));
  }
  // 6. machine reset: GCR = 0x80000000 through GRP_REGISTER
  setAttr(KVM_DEV_MPIC_GRP_REGISTER, MPIC_GCR, 0x80000000n, 4);
  const lvl = mem.alloc(8);
  const irqLine = (irq: number, level: number) => {
    kvm_irq_level.write(mem, lvl, { irq, level });
    return ok(host.ioctl(vm, KVM_IRQ_LINE, lvl));
  };
  const msi = mem.alloc(32);
  const signalMsi = (data: number) => {
    kvm_msi.write(mem, msi, { addressLo: 0xfe0041740, addressHi: 0, data, flags: 0, devid: 0 });
    return ok(host.ioctl(vm, KVM_SIGNAL_MSI, msi));
  };
  const g: GuestPort[] = vcpus.map((v) => host.guest(v));
  return { host, vm, fd, g, irqLine, signalMsi };
}

describe.each([1, 2] as const)('QEMU openpic_kvm on an e500 VM, type %i', (type) => {
  test('boot sequence, then a guest kernel taking interrupts on 4 CPUs', () => {
    const ctx = boot(type);
    const { g, irqLine, signalMsi } = ctx;
    const rd = (cpu: number, off: number) => g[cpu].mmioRead(MPIC_BASE + off, 4);
    const wr = (cpu: number, off: number, v: number) => expect(g[cpu].mmioWrite32(MPIC_BASE + off, 4, v)).toBe(true);
    const line = (cpu: number) => g[cpu].line('external');

    expect(rd(0, MPIC_FRR)).toBe(type === 1 ? 0x004f0302 : 0x00c30302);
    for (let c = 0; c < NCPU; c++) {
      expect(rd(c, MPIC_WHOAMI)).toBe(c);
      expect(rd(c, MPIC_CTPR)).toBe(15);
      wr(c, MPIC_CTPR, 0); // each CPU opens its task priority through its alias page
    }
    // the guest programs sources 0..3 to CPUs 0..3 (edge), 8 level to CPU 2, 240 (MSI bank) to CPU 3
    for (let n = 0; n < 4; n++) {
      wr(0, mpicIvpr(n), 0x00050000 | (0x20 + n));
      wr(0, mpicIdr(n), 1 << n);
    }
    wr(1, mpicIvpr(8), 0x00480028);
    wr(1, mpicIdr(8), 1 << 2);
    wr(0, mpicIvpr(226), 0x000a0062); // MSI bank 2
    wr(0, mpicIdr(226), 1 << 3);

    // edges through KVM_IRQ_LINE and the identity routes
    for (let n = 0; n < 4; n++) expect(irqLine(n, 1)).toBe(0);
    for (let c = 0; c < NCPU; c++) expect(line(c)).toBe(1);
    for (let c = 3; c >= 0; c--) {
      expect(rd(c, MPIC_IACK)).toBe(0x20 + c);
      expect(line(c)).toBe(0);
      wr(c, MPIC_EOI, 0);
      expect(rd(c, MPIC_IACK)).toBe(0xffff);
    }
    // a level interrupt on CPU 2 re-presents until the device drops the line
    irqLine(8, 1);
    expect(line(2)).toBe(1);
    expect(line(0)).toBe(0);
    expect(rd(2, MPIC_IACK)).toBe(0x28);
    wr(2, MPIC_EOI, 0);
    expect(line(2)).toBe(1);
    expect(rd(2, MPIC_IACK)).toBe(0x28);
    irqLine(8, 0);
    wr(2, MPIC_EOI, 0);
    expect(line(2)).toBe(0);

    // KVM_SIGNAL_MSI (bank 2, bit 5) to CPU 3; the guest reads MSIR2
    expect(signalMsi((2 << 29) | (5 << 24))).toBe(0);
    expect(line(3)).toBe(1);
    expect(rd(3, MPIC_IACK)).toBe(0x62);
    expect(rd(3, MPIC_MSIR0 + 0x20)).toBe(1 << 5);
    wr(3, MPIC_EOI, 0);
    expect(line(3)).toBe(0);
    // the MSI route at GSI 300: data 0x43000000 = bank 2, bit 3
    irqLine(300, 1);
    expect(line(3)).toBe(1);
    expect(rd(3, MPIC_IACK)).toBe(0x62);
    expect(rd(3, MPIC_MSIR0 + 0x20)).toBe(1 << 3);
    wr(3, MPIC_EOI, 0);

    // nesting on CPU 1: a higher priority source preempts one in service
    wr(0, mpicIvpr(4), 0x00030024);
    wr(0, mpicIdr(4), 1 << 1);
    wr(0, mpicIvpr(5), 0x00090025);
    wr(0, mpicIdr(5), 1 << 1);
    irqLine(4, 1);
    expect(rd(1, MPIC_IACK)).toBe(0x24);
    irqLine(5, 1);
    expect(line(1)).toBe(1);
    expect(rd(1, MPIC_IACK)).toBe(0x25);
    wr(1, MPIC_EOI, 0);
    expect(line(1)).toBe(0);
    wr(1, MPIC_EOI, 0);
    expect(rd(1, MPIC_IACK)).toBe(0xffff);

    // an IPI from CPU 0 to CPUs 1 and 3 (IPIDR0 through CPU 0's alias)
    wr(0, MPIC_IPI_IVPR0, 0x000e00fe);
    wr(0, MPIC_IPIDR0, 0b1010);
    // kernel quirk: the reset wrote IDR 1 (CPU 0) for the IPIs too, so CPU 0 is still a target
    expect([line(0), line(1), line(2), line(3)]).toEqual([1, 1, 0, 1]);
    expect(rd(0, MPIC_IACK)).toBe(0xfe);
    wr(0, MPIC_EOI, 0);
    expect(rd(1, MPIC_IACK)).toBe(0xfe);
    expect(line(3)).toBe(1);
    expect(rd(3, MPIC_IACK)).toBe(0xfe);
    wr(1, MPIC_EOI, 0);
    wr(3, MPIC_EOI, 0);
    for (let c = 0; c < NCPU; c++) expect(line(c)).toBe(0);

    // the next IPI goes only where IPIDR says: the IACKs cleared CPU 0 from the mask
    wr(2, MPIC_IPIDR0, 0b0100);
    expect([line(0), line(1), line(2), line(3)]).toEqual([0, 0, 1, 0]);
    expect(rd(2, MPIC_IACK)).toBe(0xfe);
    wr(2, MPIC_EOI, 0);

    // a QEMU machine reset while an interrupt is presented: the line is not lowered by the
    // reset, the queues are emptied, so the guest's IACK finds nothing
    irqLine(0, 1);
    expect(line(0)).toBe(1);
    const { host, fd } = ctx;
    const dev = host.deviceOf(fd);
    expect(dev.type).toBe(type);
    wr(1, MPIC_GCR, 0x80000000);
    expect(line(0)).toBe(1);
    expect(rd(0, MPIC_CTPR)).toBe(15);
    expect(rd(0, MPIC_IACK)).toBe(0xffff);
    expect(line(0)).toBe(0);
  });
});
