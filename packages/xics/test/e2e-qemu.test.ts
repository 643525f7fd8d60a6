/**
 * Replays QEMU's hw/intc/xics_kvm.c against the facade: xics_kvm_connect (check the cap, define
 * the four RTAS tokens, create the device, probe GRP_CTRL/NR_SERVERS, ENABLE_CAP per vCPU, push
 * the ICS from 0x1000, push each ICP), the guest's setup through RTAS and hcalls, then QEMU's
 * migration: pre_save (GET every claimed source, GET_ONE_REG every ICP) into QEMU's own ICS/ICP
 * representation, and on a second VM the same connect followed by post_load (ICS, then ICPs).
 * MSIs and LSIs then run through KVM_IRQ_LINE and H_XIRR/H_EOI on both VMs in lockstep.
 */
import {
  createHost,
  type Host,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_ENABLE_CAP,
  KVM_GET_DEVICE_ATTR,
  KVM_GET_ONE_REG,
  KVM_HAS_DEVICE_ATTR,
  KVM_IRQ_LINE,
  KVM_SET_DEVICE_ATTR,
  KVM_SET_ONE_REG,
  kvm_create_device,
  kvm_device_attr,
  kvm_enable_cap,
  kvm_irq_level,
  kvm_one_reg,
  restoreSnapshot,
  saveSnapshot,
} from '@kvmdev/core';
import { deviceStateIo } from '@kvmdev/core/plugin';
import {
  H_CPPR,
  H_EOI,
  H_IPI,
  H_RTAS,
  H_XIRR,
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_DEV_XICS_NR_SERVERS,
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVM_PPC_RTAS_DEFINE_TOKEN,
  KVM_REG_PPC_ICP_STATE,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PENDING,
  KVM_XICS_PRESENTED,
  KVM_XICS_QUEUED,
  readRtasRets,
  writeRtasArgs,
  writeRtasTokenArgs,
  xics,
  xicsOf,
  xicsSnapshot,
} from '../src/internal.js';

// QEMU's RTAS tokens (RTAS_TOKEN_BASE 0x2000) and ICS status bits (hw/ppc/xics.h)
const RTAS_IBM_SET_XIVE = 0x200a;
const RTAS_IBM_GET_XIVE = 0x200b;
const RTAS_IBM_INT_OFF = 0x200c;
const RTAS_IBM_INT_ON = 0x200d;
const XICS_STATUS_ASSERTED = 0x1;
const XICS_STATUS_REJECTED = 0x4;
const XICS_STATUS_MASKED_PENDING = 0x8;
const XICS_STATUS_PRESENTED = 0x10;
const XICS_STATUS_QUEUED = 0x20;
const XICS_FLAGS_IRQ_LSI = 0x1;
const XICS_FLAGS_IRQ_MSI = 0x2;

const OFFSET = 0x1000;
const NR_IRQS = 32;
const NR_CPUS = 4;

interface IcsIrq {
  server: number;
  priority: number;
  savedPriority: number;
  status: number;
  flags: number;
}
interface IcpState {
  xirr: number;
  mfrr: number;
  pendingPriority: number;
}

/** A QEMU-shaped client: its own ICS/ICP copies, and the ioctls xics_kvm.c issues. */
class Qemu {
  readonly host: Host;
  readonly vm: number;
  readonly cpus: number[] = [];
  xicsFd = -1;
  readonly buf: number;
  readonly val: number;
  readonly irqs: IcsIrq[] = [];
  readonly icps: IcpState[] = [];

  constructor() {
    this.host = createHost({ plugins: [xics] });
    const kvm = this.host.open('/dev/kvm');
    this.vm = this.host.ioctl(kvm, KVM_CREATE_VM, 0);
    this.buf = this.host.mem.alloc(256);
    this.val = this.host.mem.alloc(8);
    for (let i = 0; i < NR_CPUS; i++) this.cpus.push(this.ok(this.host.ioctl(this.vm, KVM_CREATE_VCPU, i)));
    // the machine claims 0x1000-0x1003 as LSIs (PCI INTx) and the rest as MSIs; 0x101f stays free
    for (let i = 0; i < NR_IRQS; i++)
      this.irqs.push({ server: 0, priority: 0xff, savedPriority: 0xff, status: 0, flags: i === 31 ? 0 : i < 4 ? XICS_FLAGS_IRQ_LSI : XICS_FLAGS_IRQ_MSI });
    for (let i = 0; i < NR_CPUS; i++) this.icps.push({ xirr: 0, mfrr: 0xff, pendingPriority: 0xff });
  }

  ok(r: number): number {
    if (r < 0) throw new Error(`ioctl failed: errno ${this.host.errno}`);
    return r;
  }

  defineToken(token: number, name: string): number {
    writeRtasTokenArgs(this.host.mem, this.buf, name, token);
    return this.host.ioctl(this.vm, KVM_PPC_RTAS_DEFINE_TOKEN, this.buf);
  }

  /** xics_kvm_connect. */
  connect(): void {
    const { host, buf, mem } = { host: this.host, buf: this.buf, mem: this.host.mem };
    expect(host.ioctl(this.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_XICS)).toBe(1);
    expect(this.defineToken(RTAS_IBM_SET_XIVE, 'ibm,set-xive')).toBe(0);
    expect(this.defineToken(RTAS_IBM_GET_XIVE, 'ibm,get-xive')).toBe(0);
    expect(this.defineToken(RTAS_IBM_INT_ON, 'ibm,int-on')).toBe(0);
    expect(this.defineToken(RTAS_IBM_INT_OFF, 'ibm,int-off')).toBe(0);
    kvm_create_device.write(mem, buf, { type: KVM_DEV_TYPE_XICS, fd: 0, flags: 0 });
    this.ok(host.ioctl(this.vm, KVM_CREATE_DEVICE, buf));
    this.xicsFd = kvm_create_device.read(mem, buf).fd;
    kvm_device_attr.write(mem, buf, { flags: 0, group: KVM_DEV_XICS_GRP_CTRL, attr: BigInt(KVM_DEV_XICS_NR_SERVERS), addr: 0n });
    expect(host.ioctl(this.xicsFd, KVM_HAS_DEVICE_ATTR, buf)).toBe(-1); // emulated XICS: no NR_SERVERS
    for (let i = 0; i < NR_CPUS; i++) {
      kvm_enable_cap.write(mem, buf, { cap: KVM_CAP_IRQ_XICS, flags: 0, args: [BigInt(this.xicsFd), BigInt(i), 0n, 0n] });
      this.ok(host.ioctl(this.cpus[i]!, KVM_ENABLE_CAP, buf));
    }
    this.icsSetKvmState();
    for (let i = 0; i < NR_CPUS; i++) this.icpSetKvmState(i);
  }

  /** ics_set_kvm_state (every claimed source). */
  icsSetKvmState(): void {
    this.irqs.forEach((irq, i) => {
      if (irq.flags === 0) return;
      let state = BigInt(irq.server) | (BigInt(irq.savedPriority & 0xff) << 32n);
      if (irq.priority === 0xff) state |= KVM_XICS_MASKED;
      if (irq.flags & XICS_FLAGS_IRQ_LSI) {
        state |= KVM_XICS_LEVEL_SENSITIVE;
        if (irq.status & XICS_STATUS_ASSERTED) state |= KVM_XICS_PENDING;
      } else if (irq.status & XICS_STATUS_MASKED_PENDING) state |= KVM_XICS_PENDING;
      if (irq.status & XICS_STATUS_PRESENTED) state |= KVM_XICS_PRESENTED;
      if (irq.status & XICS_STATUS_QUEUED) state |= KVM_XICS_QUEUED;
      this.host.mem.setU64(this.val, state);
      kvm_device_attr.write(this.host.mem, this.buf, { flags: 0, group: KVM_DEV_XICS_GRP_SOURCES, attr: BigInt(OFFSET + i), addr: BigInt(this.val) });
      this.ok(this.host.ioctl(this.xicsFd, KVM_SET_DEVICE_ATTR, this.buf));
    });
  }

  /** ics_get_kvm_state. */
  icsGetKvmState(): void {
    this.irqs.forEach((irq, i) => {
      if (irq.flags === 0) return;
      kvm_device_attr.write(this.host.mem, this.buf, { flags: 0, group: KVM_DEV_XICS_GRP_SOURCES, attr: BigInt(OFFSET + i), addr: BigInt(this.val) });
      this.ok(this.host.ioctl(this.xicsFd, KVM_GET_DEVICE_ATTR, this.buf));
      const state = this.host.mem.getU64(this.val);
      irq.server = Number(state & 0xffffffffn);
      irq.savedPriority = Number((state >> 32n) & 0xffn);
      irq.priority = state & KVM_XICS_MASKED ? 0xff : irq.savedPriority;
      irq.status = 0;
      if (state & KVM_XICS_PENDING) {
        if (state & KVM_XICS_LEVEL_SENSITIVE) irq.status |= XICS_STATUS_ASSERTED;
        else irq.status |= XICS_STATUS_MASKED_PENDING | XICS_STATUS_REJECTED;
      }
      if (state & KVM_XICS_PRESENTED) irq.status |= XICS_STATUS_PRESENTED;
      if (state & KVM_XICS_QUEUED) irq.status |= XICS_STATUS_QUEUED;
    });
  }

  icpSetKvmState(i: number): void {
    const icp = this.icps[i]!;
    const state = (BigInt(icp.xirr >>> 0) << 32n) | (BigInt(icp.mfrr) << 24n) | (BigInt(icp.pendingPriority) << 16n);
    this.host.mem.setU64(this.val, state);
    kvm_one_reg.write(this.host.mem, this.buf, { id: KVM_REG_PPC_ICP_STATE, addr: BigInt(this.val) });
    this.ok(this.host.ioctl(this.cpus[i]!, KVM_SET_ONE_REG, this.buf));
  }

  icpGetKvmState(i: number): void {
    kvm_one_reg.write(this.host.mem, this.buf, { id: KVM_REG_PPC_ICP_STATE, addr: BigInt(this.val) });
    this.ok(this.host.ioctl(this.cpus[i]!, KVM_GET_ONE_REG, this.buf));
    const state = this.host.mem.getU64(this.val);
    this.icps[i] = { xirr: Number(state >> 32n), mfrr: Number((state >> 24n) & 0xffn), pendingPriority: Number((state >> 16n) & 0xffn) };
  }

  /** ics_kvm_set_irq: what a device model does on an input line change. */
  setIrq(srcno: number, val: number): void {
    const irq = this.irqs[srcno]!;
    let level: number;
    if (irq.flags & XICS_FLAGS_IRQ_MSI) {
      if (!val) return;
      level = KVM_INTERRUPT_SET;
    } else level = val ? KVM_INTERRUPT_SET_LEVEL : KVM_INTERRUPT_UNSET;
    kvm_irq_level.write(this.host.mem, this.buf, { irq: OFFSET + srcno, level });
    this.ok(this.host.ioctl(this.vm, KVM_IRQ_LINE, this.buf));
  }

  hcall(cpu: number, nr: number, args: number[] = []): [number, number] {
    const r = this.host.guest(this.cpus[cpu]!).hypercall(nr, args);
    return [r.ret, r.out[0]!];
  }

  rtas(cpu: number, token: number, args: number[], nret: number): number[] {
    const a = this.host.mem.alloc(88);
    writeRtasArgs(this.host.mem, a, token, args, nret);
    const [ret] = this.hcall(cpu, H_RTAS, [a]);
    return [ret, ...readRtasRets(this.host.mem, a, args.length, nret)];
  }

  /** Everything userspace and the guest can observe. */
  observe(): string {
    const parts: string[] = [];
    this.irqs.forEach((irq, i) => {
      if (irq.flags === 0) return;
      kvm_device_attr.write(this.host.mem, this.buf, { flags: 0, group: KVM_DEV_XICS_GRP_SOURCES, attr: BigInt(OFFSET + i), addr: BigInt(this.val) });
      this.ok(this.host.ioctl(this.xicsFd, KVM_GET_DEVICE_ATTR, this.buf));
      parts.push(`src ${(OFFSET + i).toString(16)}=${this.host.mem.getU64(this.val).toString(16)}`);
    });
    for (let i = 0; i < NR_CPUS; i++) {
      kvm_one_reg.write(this.host.mem, this.buf, { id: KVM_REG_PPC_ICP_STATE, addr: BigInt(this.val) });
      this.ok(this.host.ioctl(this.cpus[i]!, KVM_GET_ONE_REG, this.buf));
      parts.push(`icp ${i}=${this.host.mem.getU64(this.val).toString(16)} ee=${this.host.guest(this.cpus[i]!).line('external')}`);
    }
    return parts.join('\n');
  }
}

/** The guest's boot-time setup and some traffic that leaves interesting state behind. */
function guestSetup(q: Qemu): void {
  for (let c = 0; c < NR_CPUS; c++) expect(q.hcall(c, H_CPPR, [0xff])[0]).toBe(0);
  // LSI 0x1000 -> cpu 1 prio 4; MSIs 0x1004.. spread over the cpus
  expect(q.rtas(0, RTAS_IBM_SET_XIVE, [0x1000, 1, 4], 1)).toEqual([0, 0]);
  expect(q.rtas(0, RTAS_IBM_SET_XIVE, [0x1001, 2, 6], 1)).toEqual([0, 0]);
  for (let i = 4; i < 31; i++) expect(q.rtas(0, RTAS_IBM_SET_XIVE, [OFFSET + i, i % NR_CPUS, 5 + (i % 3)], 1)).toEqual([0, 0]);
  // cpu 0: 0x1004 (prio 6) presented, 0x1008 (prio 7) refused -> resend
  q.setIrq(4, 1);
  q.setIrq(8, 1);
  // cpu 1: LSI 0x1000 asserted and accepted, still asserted (in service at CPPR 4)
  q.setIrq(0, 1);
  expect(q.hcall(1, H_XIRR)).toEqual([0, 0xff001000]);
  // cpu 2: an IPI at priority 3 pending, LSI 0x1001 refused behind it (resend)
  expect(q.hcall(0, H_IPI, [2, 3])[0]).toBe(0);
  q.setIrq(1, 1);
  // cpu 3: MSI 0x1007 (prio 6) twice: PQ = 11
  q.setIrq(7, 1);
  q.setIrq(7, 1);
  // 0x100b masked through ibm,int-off, then triggered: masked-pending
  expect(q.rtas(0, RTAS_IBM_INT_OFF, [0x100b], 1)).toEqual([0, 0]);
  q.setIrq(11, 1);
}

/** The same traffic on both VMs; every observation must match. */
function lockstep(a: Qemu, b: Qemu): void {
  const both = (fn: (q: Qemu) => unknown): void => {
    const ra = fn(a);
    const rb = fn(b);
    expect(rb).toEqual(ra);
    expect(b.observe()).toBe(a.observe());
  };
  both((q) => q.hcall(0, H_XIRR)); // 0x1004
  both((q) => q.hcall(0, H_EOI, [0xff001004])); // resend: 0x1008
  both((q) => q.hcall(0, H_XIRR));
  both((q) => q.hcall(0, H_EOI, [0xff001008]));
  both((q) => q.hcall(1, H_EOI, [0xff001000])); // LSI still asserted: presented again
  both((q) => q.hcall(1, H_XIRR));
  both((q) => q.hcall(1, H_EOI, [0xff001000]));
  both((q) => q.hcall(2, H_XIRR)); // the IPI
  both((q) => q.hcall(2, H_IPI, [2, 0xff]));
  both((q) => q.hcall(2, H_EOI, [0xff000002])); // resend: LSI 0x1001
  both((q) => q.hcall(2, H_XIRR));
  both((q) => q.setIrq(1, 0));
  both((q) => q.hcall(2, H_EOI, [0xff001001]));
  both((q) => q.hcall(3, H_XIRR)); // 0x1007, then Q moves to P
  both((q) => q.hcall(3, H_EOI, [0xff001007]));
  both((q) => q.hcall(3, H_XIRR));
  both((q) => q.hcall(3, H_EOI, [0xff001007]));
  both((q) => q.rtas(0, RTAS_IBM_INT_ON, [0x100b], 1)); // masked-pending is delivered
  both((q) => q.rtas(1, RTAS_IBM_GET_XIVE, [0x100b], 3));
  both((q) => q.hcall(3, H_XIRR));
  both((q) => q.hcall(3, H_EOI, [0xff00100b]));
  // fresh MSIs and LSIs on the restored machine
  for (let i = 4; i < 31; i++) both((q) => q.setIrq(i, 1));
  for (let c = 0; c < NR_CPUS; c++) {
    for (let k = 0; k < 12; k++) {
      both((q) => {
        const [ret, xirr] = q.hcall(c, H_XIRR);
        if (xirr & 0xffffff) q.hcall(c, H_EOI, [(0xff000000 | (xirr & 0xffffff)) >>> 0]);
        return [ret, xirr];
      });
    }
  }
  both((q) => q.setIrq(2, 1));
  both((q) => q.rtas(0, RTAS_IBM_SET_XIVE, [0x1002, 3, 1], 1));
  both((q) => q.hcall(3, H_XIRR));
  both((q) => q.setIrq(2, 0));
  both((q) => q.hcall(3, H_EOI, [0xff001002]));
}

describe('e2e: QEMU xics_kvm', () => {
  test('connect sequence gives the reset state; the broken-disconnect probe reports false', () => {
    const q = new Qemu();
    q.connect();
    for (let i = 0; i < NR_CPUS; i++) {
      q.icpGetKvmState(i);
      expect(q.icps[i]).toEqual({ xirr: 0, mfrr: 0xff, pendingPriority: 0xff });
    }
    q.icsGetKvmState();
    expect(q.irqs[0]).toMatchObject({ server: 0, priority: 0xff, savedPriority: 0xff, status: 0 });
    expect(xicsOf(q.host.vmOf(q.vm))!.icsCount).toBe(1); // only block 4
    // xics_kvm_has_broken_disconnect on a fresh VM: create, close, create again succeeds
    const kvm = q.host.open('/dev/kvm');
    const vm2 = q.host.ioctl(kvm, KVM_CREATE_VM, 0);
    const b = q.host.mem.alloc(12);
    kvm_create_device.write(q.host.mem, b, { type: KVM_DEV_TYPE_XICS, fd: 0, flags: 0 });
    expect(q.host.ioctl(vm2, KVM_CREATE_DEVICE, b)).toBe(0);
    expect(q.host.close(kvm_create_device.read(q.host.mem, b).fd)).toBe(0);
    expect(q.host.ioctl(vm2, KVM_CREATE_DEVICE, b)).toBe(0);
  });

  test('save every source and ICP, restore onto a second VM, same behaviour afterwards', () => {
    const a = new Qemu();
    a.connect();
    guestSetup(a);
    const before = a.observe();
    // migration: pre_save on the source, connect + post_load on the destination
    a.icsGetKvmState();
    for (let i = 0; i < NR_CPUS; i++) a.icpGetKvmState(i);
    expect(a.observe()).toBe(before); // saving changes nothing
    const b = new Qemu();
    b.connect();
    b.irqs.splice(0, NR_IRQS, ...a.irqs.map((x) => ({ ...x })));
    a.icps.forEach((x, i) => {
      b.icps[i] = { ...x };
    });
    b.icsSetKvmState();
    for (let i = 0; i < NR_CPUS; i++) b.icpSetKvmState(i);
    expect(b.observe()).toBe(before);
    for (let i = 0; i < NR_CPUS; i++) b.hcall(i, 0x70, [i]); // H_IPOLL: harmless, no state change
    expect(b.observe()).toBe(before);
    lockstep(a, b);
  });

  test('kernel behaviour: an in-service asserted LSI restored by QEMU gets a hidden resend', () => {
    const a = new Qemu();
    a.connect();
    guestSetup(a);
    a.icsGetKvmState();
    for (let i = 0; i < NR_CPUS; i++) a.icpGetKvmState(i);
    const b = new Qemu();
    b.connect();
    b.irqs.splice(0, NR_IRQS, ...a.irqs.map((x) => ({ ...x })));
    a.icps.forEach((x, i) => {
      b.icps[i] = { ...x };
    });
    b.icsSetKvmState();
    for (let i = 0; i < NR_CPUS; i++) b.icpSetKvmState(i);
    // the restored PENDING LSI was refused by the reset ICP (CPPR 0) and waits in resend
    for (const q of [a, b]) {
      q.hcall(1, H_EOI, [0xff001000]); // still asserted: presented again on both
      q.hcall(1, H_XIRR);
      q.setIrq(0, 0);
      q.hcall(1, H_EOI, [0xff001000]);
    }
    expect(a.hcall(1, H_XIRR)).toEqual([0, 0xff000000]);
    // on the restored VM the resend presents the deasserted LSI once more (resends do not check P)
    expect(b.hcall(1, H_XIRR)).toEqual([0, 0xff001000]);
  });

  test('the snapshot spec (core snapshot engine) round-trips onto a QEMU-connected VM', () => {
    const a = new Qemu();
    a.connect();
    guestSetup(a);
    const snap = saveSnapshot(a.host, a.vm);
    const dev = a.host.deviceOf(a.xicsFd);
    const io = deviceStateIo(a.host, dev);
    const entries = xicsSnapshot.save(dev as never, io);
    expect(entries.length).toBe(NR_IRQS - 1 + NR_CPUS);
    expect(entries[0]!.key).toBe('source.0x1000');
    expect(entries.at(-1)!.key).toBe('icp.3');
    expect(xicsSnapshot.describe(entries.at(-1)!, 0x00000000ffff0000n, 0xff001007ff060000n)).toEqual([
      'vCPU 3 ICP CPPR 0x00 -> 0xff',
      'vCPU 3 ICP XISR 0x0 -> 0x1007',
      'vCPU 3 ICP PPRI 0xff -> 0x06',
    ]);
    expect(xicsSnapshot.describe(entries[0]!, 0x000002ff00000000n, 0x0000000500000000n)).toEqual([
      'source 0x1000: priority 0xff -> 0x05',
      'source 0x1000: masked 1 -> 0',
    ]);
    const b = new Qemu();
    b.connect();
    restoreSnapshot(b.host, b.vm, JSON.parse(JSON.stringify(snap, (_k, v) => (typeof v === 'bigint' ? `${v}` : v))));
    expect(b.observe()).toBe(a.observe());
    lockstep(a, b);
  });
});
