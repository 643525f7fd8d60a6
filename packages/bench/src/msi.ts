/**
 * MSI translation and delivery through the GICv3 ITS, with 1,000 devices x 32 events mapped by the
 * guest (MAPD, MAPC, MAPTI through the command queue in guest memory): KVM_SIGNAL_MSI with
 * KVM_MSI_VALID_DEVID through the facade (a pre-built struct kvm_msi whose devid and data change
 * per call) and through the typed API, and an irqfd on an MSI route (1,000 routes, one per device),
 * each followed by the guest's ICC_IAR1_EL1 / ICC_EOIR1_EL1; side by side with KVM_IRQ_LINE on an
 * SPI of the same VM (up, acknowledge, EOI, down). Every call walks to the next (DeviceID,
 * EventID) pair, so the translation cache holds 32,000 entries. The allocation check of each row is
 * the hot-path rule: the MSI path must allocate nothing per call.
 * @packageDocumentation
 */
import { KVM_ARM_VCPU_INIT, KVM_IRQ_LINE, KVM_MSI_VALID_DEVID, KVM_SIGNAL_MSI, type EventFdHandle, createHost } from '@kvmdev/core';
import {
  GITS_BASER,
  GITS_CBASER,
  GITS_CMD_MAPC,
  GITS_CMD_MAPD,
  GITS_CMD_MAPTI,
  GITS_CTLR,
  GITS_CWRITER,
  GITS_TRANSLATER,
  ICC_EOIR1_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  armVgic,
} from '@kvmdev/arm-vgic';
import { type Figure, against, consume, judge, measure } from './harness.js';

const G = 'msi';
const DEVICES = 1000;
const EVENTS = 32;
const PAIRS = DEVICES * EVENTS;
const LPI_BASE = 8192;
const SPI = 100;

const DIST = 0x3fff0000;
const REDIST = DIST - 0x20000;
const ITS = REDIST - 0x20000;
const RAM = 0x8000_0000;
const RAM_SIZE = 4 << 20;
// guest memory layout (offsets into RAM)
const PROP = 0x0; // 2^16 - 8192 property bytes (16 INTID bits)
const PEND = 0x10000; // vCPU 0's pending table (8 KiB, 64 KiB aligned)
const DEVTAB = 0x40000; // flat device table, one 64 KiB page (8192 DeviceIDs)
const COLLTAB = 0x50000;
const CMDQ = 0x60000; // 64 KiB command queue: 2048 commands
const CMDQ_SIZE = 0x10000;
const ITT = 0x100000; // 256 bytes (32 events x 8) per device

const intidOf = (dev: number, ev: number): number => LPI_BASE + dev * EVENTS + ev;

/** A 1-vCPU GICv3 + ITS VM whose guest mapped 1,000 devices x 32 events to collection 0 (vCPU 0). */
function build() {
  const host = createHost({ plugins: [armVgic], fdLimit: 1 << 16 });
  const vm = host.createVm();
  const vcpu = vm.createVcpu(0);
  const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
  gic.setAttr(0, 2, BigInt(DIST));
  gic.setAttr(0, 3, BigInt(REDIST));
  const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
  its.setAttr(0, 4, BigInt(ITS));
  its.setAttr(4, 0);
  gic.setAttr(3, 0, 128);
  gic.setAttr(4, 0);
  const hva = host.mem.mmap(RAM_SIZE);
  vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM, memorySize: RAM_SIZE, userspaceAddr: hva });
  const init = host.mem.alloc(32);
  host.mem.setU32(init, 5); // KVM_ARM_TARGET_GENERIC_V8
  vcpu.ioctl(KVM_ARM_VCPU_INIT, init);
  vcpu.run();
  const g = vcpu.guest;
  const mem = host.mem;
  // distributor and CPU interface: group 1 on, PMR open; SPI 100 enabled, group 1, level, priority 0
  g.mmioWrite32(DIST, 4, 2);
  g.sysregWrite(ICC_PMR_EL1, 0xff);
  g.sysregWrite(ICC_IGRPEN1_EL1, 1);
  g.mmioWrite32(DIST + 0x80 + 4 * (SPI >>> 5), 4, 1 << (SPI & 31)); // IGROUPR
  g.mmioWrite32(DIST + 0x100 + 4 * (SPI >>> 5), 4, 1 << (SPI & 31)); // ISENABLER
  // LPIs: property bytes (priority 0xa0, enabled), PROPBASER (16 bits), PENDBASER, EnableLPIs
  mem.fill(hva + PROP, 65536 - LPI_BASE, 0xa3);
  g.mmioWrite(REDIST + 0x70, 8, BigInt(RAM + PROP) | 0x780n | 15n);
  g.mmioWrite(REDIST + 0x78, 8, BigInt(RAM + PEND) | 0x780n);
  g.mmioWrite32(REDIST, 4, 1);
  // the ITS: device and collection tables, the command queue, enabled
  const b0 = g.mmioRead(ITS + GITS_BASER, 8)!;
  const b1 = g.mmioRead(ITS + GITS_BASER + 8, 8)!;
  g.mmioWrite(ITS + GITS_BASER, 8, (b0 & ~0xffn) | BigInt(RAM + DEVTAB) | (1n << 63n));
  g.mmioWrite(ITS + GITS_BASER + 8, 8, (b1 & ~0xffn) | BigInt(RAM + COLLTAB) | (1n << 63n));
  g.mmioWrite(ITS + GITS_CBASER, 8, BigInt(RAM + CMDQ) | BigInt(CMDQ_SIZE / 0x1000 - 1) | (1n << 63n));
  g.mmioWrite32(ITS + GITS_CTLR, 4, 1);
  let cw = 0;
  let queued = 0;
  const cmd = (w: readonly number[]): void => {
    for (let i = 0; i < 8; i++) mem.setU32(hva + CMDQ + cw + 4 * i, (w[i] ?? 0) >>> 0);
    cw = (cw + 32) % CMDQ_SIZE;
    if (++queued % 1024 === 0) g.mmioWrite(ITS + GITS_CWRITER, 8, BigInt(cw));
  };
  cmd([GITS_CMD_MAPC, 0, 0, 0, 0, 0x8000_0000]); // collection 0 → vCPU 0
  for (let d = 0; d < DEVICES; d++) {
    const itt = RAM + ITT + d * 256;
    cmd([GITS_CMD_MAPD, d, 4, 0, itt % 2 ** 32 >>> 0, (Math.floor(itt / 2 ** 32) & 0xfffff) | 0x8000_0000]); // 5 EventID bits
    for (let e = 0; e < EVENTS; e++) cmd([GITS_CMD_MAPTI, d, e, intidOf(d, e), 0]);
  }
  g.mmioWrite(ITS + GITS_CWRITER, 8, BigInt(cw));
  return { host, vm, vcpu, g };
}

/** One round trip must really deliver: the acknowledge returns the INTID. */
function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: the acknowledge returned ${got}, expected ${want} (the MSI is not delivering)`);
}

async function msiFigures(): Promise<Figure[]> {
  const { host, vm, g } = build();
  const mem = host.mem;
  const vmFd = vm.fd;
  // struct kvm_msi, built once: address = GITS_TRANSLATER, flags = KVM_MSI_VALID_DEVID
  const msi = mem.alloc(32);
  mem.setU32(msi, ITS + GITS_TRANSLATER);
  mem.setU32(msi + 12, KVM_MSI_VALID_DEVID);
  const ack = (): number => {
    const v = g.sysregRead32(ICC_IAR1_EL1);
    g.sysregWrite32(ICC_EOIR1_EL1, v);
    return v;
  };
  // every pair once, checked: fills the translation cache as a running guest's devices would
  for (let k = 0; k < PAIRS; k++) {
    const d = (k / EVENTS) | 0;
    const e = k % EVENTS;
    mem.setU32(msi + 8, e);
    mem.setU32(msi + 16, d);
    const r = host.ioctl(vmFd, KVM_SIGNAL_MSI, msi);
    if (r !== 1) throw new Error(`KVM_SIGNAL_MSI (device ${d}, event ${e}) returned ${r}, errno ${host.errno}`);
    check('KVM_SIGNAL_MSI', ack(), intidOf(d, e));
  }
  const out: Figure[] = [];

  // KVM_IRQ_LINE on a level SPI of the same VM: up, ack, EOI, down (the reference)
  const up = mem.alloc(8);
  const down = mem.alloc(8);
  mem.setU32(up, (1 << 24) | SPI);
  mem.setU32(up + 4, 1);
  mem.setU32(down, (1 << 24) | SPI);
  host.ioctl(vmFd, KVM_IRQ_LINE, up);
  check('KVM_IRQ_LINE', ack(), SPI);
  host.ioctl(vmFd, KVM_IRQ_LINE, down);
  const line = await measure(G, `GICv3 SPI ${SPI}: facade KVM_IRQ_LINE up, ack, EOI, down (same VM)`, (n) => {
    for (let i = 0; i < n; i++) {
      host.ioctl(vmFd, KVM_IRQ_LINE, up);
      consume(ack());
      host.ioctl(vmFd, KVM_IRQ_LINE, down);
    }
  });
  line.note = 'reference for the MSI rows (same VM, same acknowledge/EOI path)';
  out.push(line);

  let k = 0;
  const signal = await measure(G, `ITS ${DEVICES} devices x ${EVENTS} events: facade KVM_SIGNAL_MSI (next pair), ack, EOI`, (n) => {
    for (let i = 0; i < n; i++) {
      const d = (k / EVENTS) | 0;
      mem.setU32(msi + 8, k - d * EVENTS);
      mem.setU32(msi + 16, d);
      consume(host.ioctl(vmFd, KVM_SIGNAL_MSI, msi));
      consume(ack());
      if (++k === PAIRS) k = 0;
    }
  });
  out.push(signal);

  // the typed API, one message object reused
  const m = { addressLo: ITS + GITS_TRANSLATER, addressHi: 0, data: 0, flags: KVM_MSI_VALID_DEVID, devid: 0 };
  const typed = await measure(G, `ITS ${DEVICES} devices x ${EVENTS} events: typed vm.signalMsi (next pair), ack, EOI`, (n) => {
    for (let i = 0; i < n; i++) {
      const d = (k / EVENTS) | 0;
      m.data = k - d * EVENTS;
      m.devid = d;
      consume(vm.signalMsi(m));
      consume(ack());
      if (++k === PAIRS) k = 0;
    }
  });
  out.push(typed);

  // translation + injection alone: the same LPI signalled again while pending (no acknowledge)
  mem.setU32(msi + 8, 7);
  mem.setU32(msi + 16, 999);
  const only = await measure(G, `ITS ${DEVICES} devices x ${EVENTS} events: facade KVM_SIGNAL_MSI alone (LPI already pending)`, (n) => {
    for (let i = 0; i < n; i++) consume(host.ioctl(vmFd, KVM_SIGNAL_MSI, msi));
  });
  check('KVM_SIGNAL_MSI alone', ack(), intidOf(999, 7));
  out.push(only);

  // irqfds on MSI routes: route i → (device i, event i % 32), one eventfd each
  vm.setGsiRouting(
    Array.from({ length: DEVICES }, (_x, i) => ({ gsi: i, type: 2, flags: KVM_MSI_VALID_DEVID, addressLo: ITS + GITS_TRANSLATER, addressHi: 0, data: i % EVENTS, devid: i })),
  );
  const fds: EventFdHandle[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const ev = host.createEventFd();
    vm.irqfd({ fd: ev, gsi: i });
    fds.push(ev);
  }
  for (let i = 0; i < DEVICES; i++) {
    fds[i]!.signal();
    check('irqfd', ack(), intidOf(i, i % EVENTS));
  }
  let j = 0;
  const irqfd = await measure(G, `ITS ${DEVICES} devices x ${EVENTS} events: irqfd on an MSI route (eventfd write, next of ${DEVICES}), ack, EOI`, (n) => {
    for (let i = 0; i < n; i++) {
      fds[j]!.signal();
      consume(ack());
      if (++j === DEVICES) j = 0;
    }
  });
  out.push(irqfd);

  for (const f of [signal, typed, only, irqfd]) {
    against(f, line);
    judge(f, 'allocates nothing per call (< 1 B/call)', f.bytesPerCall !== undefined && f.bytesPerCall < 1);
  }
  return out;
}

/** One process for the group (the rows share the 32,000-mapping VM). */
export const msiUnits: Record<string, () => Promise<Figure[]>> = {
  'msi:its': () => msiFigures(),
};
