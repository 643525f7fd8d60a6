/**
 * Building the VMs the figures run on, through the syscall facade (structs pre-built in
 * host.mem, as a VMM does) with typed handles on the same fds for the typed-API figures.
 * One builder per device family: the fake core device, MPIC, XICS, GICv3 and GICv2.
 * @packageDocumentation
 */
import {
  type DeviceHandle,
  type DeviceKey,
  type GuestPort,
  type Host,
  type KvmPlugin,
  KVM_CAP_IRQ_MPIC,
  KVM_CAP_IRQ_XICS,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_ARM_VCPU_INIT,
  KVM_ENABLE_CAP,
  KVM_RUN,
  KVM_GET_DEVICE_ATTR,
  KVM_IRQ_LINE,
  KVM_SET_DEVICE_ATTR,
  KVM_SET_GSI_ROUTING,
  VmHandle,
  DeviceHandle as DeviceHandleClass,
  createHost,
  kvm_irq_routing,
} from '@kvmdev/core';
import type { KvmDevice, KvmDeviceAttr } from '@kvmdev/core/plugin';
import {
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
  MPIC_CTPR,
  MPIC_EOI,
  MPIC_IACK,
  mpic,
  mpicCpuReg,
  mpicIdr,
  mpicIvpr,
} from '@kvmdev/mpic';
import { H_CPPR, H_EOI, H_XIRR, KVM_DEV_XICS_GRP_SOURCES, xics } from '@kvmdev/xics';
import { FAKE_GRP_REG, FAKE_MMIO_BASE, fakePlugin } from './fake-device.js';

const TWO32 = 4294967296;

/** A loosely typed device handle (for device keys the bench cannot name statically). */
export interface LooseDevice {
  readonly fd: number;
  getAttr(group: number, attr: number | bigint): number | bigint;
  setAttr(group: number, attr: number | bigint, value?: number | bigint): void;
  readonly device: KvmDevice;
}

/** The facade side of one VM: fds and pre-built structs in user memory. */
export class FacadeVm {
  readonly host: Host;
  readonly kvmFd: number;
  readonly vmFd: number;
  readonly vcpuFds: number[] = [];
  /** 256 bytes of scratch for one-off structs. */
  readonly buf: number;
  /** A struct kvm_device_attr plus an 8-byte payload right after it (addr field points there). */
  readonly attr: number;
  readonly payload: number;
  /** A struct kvm_irq_level. */
  readonly irq: number;

  /** A new VM; with `share`, on the same /dev/kvm fd and the same structs (user memory does not grow). */
  constructor(host: Host, share?: FacadeVm) {
    this.host = host;
    const mem = host.mem;
    this.kvmFd = share ? share.kvmFd : check(host, host.open('/dev/kvm'), 'open');
    this.vmFd = check(host, host.ioctl(this.kvmFd, KVM_CREATE_VM, 0), 'KVM_CREATE_VM');
    this.buf = share ? share.buf : mem.alloc(256);
    this.attr = share ? share.attr : mem.alloc(32);
    this.payload = this.attr + 24;
    this.irq = share ? share.irq : mem.alloc(8);
  }

  createVcpus(n: number, firstId = 0): void {
    for (let i = 0; i < n; i++) this.vcpuFds.push(check(this.host, this.host.ioctl(this.vmFd, KVM_CREATE_VCPU, firstId + i), `KVM_CREATE_VCPU ${i}`));
  }

  createDevice(type: number): number {
    const mem = this.host.mem;
    mem.setU32(this.buf, type);
    mem.setU32(this.buf + 4, 0);
    mem.setU32(this.buf + 8, 0);
    check(this.host, this.host.ioctl(this.vmFd, KVM_CREATE_DEVICE, this.buf), `KVM_CREATE_DEVICE ${type}`);
    return mem.getU32(this.buf + 4);
  }

  /** Writes the attr struct: group, attr (lo/hi), addr = payload. */
  prepAttr(group: number, attrLo: number, attrHi = 0): void {
    const mem = this.host.mem;
    mem.setU32(this.attr, 0);
    mem.setU32(this.attr + 4, group);
    mem.setU32(this.attr + 8, attrLo);
    mem.setU32(this.attr + 12, attrHi);
    mem.setU64Parts(this.attr + 16, this.payload, 0);
  }

  setAttr32(fd: number, group: number, attrLo: number, attrHi: number, value: number): void {
    this.prepAttr(group, attrLo, attrHi);
    this.host.mem.setU32(this.payload, value);
    check(this.host, this.host.ioctl(fd, KVM_SET_DEVICE_ATTR, this.attr), `SET group ${group} attr 0x${attrHi.toString(16)}:${attrLo.toString(16)}`);
  }

  setAttr64(fd: number, group: number, attrLo: number, attrHi: number, lo: number, hi: number): void {
    this.prepAttr(group, attrLo, attrHi);
    this.host.mem.setU64Parts(this.payload, lo, hi);
    check(this.host, this.host.ioctl(fd, KVM_SET_DEVICE_ATTR, this.attr), `SET group ${group} attr 0x${attrLo.toString(16)}`);
  }

  setAttrNone(fd: number, group: number, attrLo: number): void {
    this.prepAttr(group, attrLo, 0);
    check(this.host, this.host.ioctl(fd, KVM_SET_DEVICE_ATTR, this.attr), `SET group ${group} attr ${attrLo}`);
  }

  getAttr32(fd: number, group: number, attrLo: number, attrHi = 0): number {
    this.prepAttr(group, attrLo, attrHi);
    check(this.host, this.host.ioctl(fd, KVM_GET_DEVICE_ATTR, this.attr), `GET group ${group} attr 0x${attrLo.toString(16)}`);
    return this.host.mem.getU32(this.payload);
  }

  enableCap(vcpuIndex: number, cap: number, a0: number, a1: number): void {
    const mem = this.host.mem;
    mem.fill(this.buf, 104, 0);
    mem.setU32(this.buf, cap);
    mem.setU64Parts(this.buf + 8, a0, 0);
    mem.setU64Parts(this.buf + 16, a1, 0);
    check(this.host, this.host.ioctl(this.vcpuFds[vcpuIndex]!, KVM_ENABLE_CAP, this.buf), `KVM_ENABLE_CAP ${cap}`);
  }

  /** KVM_ARM_VCPU_INIT (generic v8) and a first KVM_RUN on every vCPU (maps the vGIC's resources). */
  armInitAndRun(): void {
    const mem = this.host.mem;
    for (const fd of this.vcpuFds) {
      mem.fill(this.buf, 32, 0);
      mem.setU32(this.buf, 5);
      check(this.host, this.host.ioctl(fd, KVM_ARM_VCPU_INIT, this.buf), 'KVM_ARM_VCPU_INIT');
      check(this.host, this.host.ioctl(fd, KVM_RUN, 0), 'KVM_RUN');
    }
  }

  /** Identity GSI routing gsi i → irqchip 0 pin i (what QEMU's e500 sets for the MPIC). */
  identityRouting(n: number): void {
    const mem = this.host.mem;
    const addr = mem.alloc(kvm_irq_routing.sizeOf(n));
    const entries = [];
    for (let i = 0; i < n; i++) entries.push({ gsi: i, type: 1 as const, flags: 0, irqchip: 0, pin: i });
    kvm_irq_routing.write(mem, addr, entries);
    check(this.host, this.host.ioctl(this.vmFd, KVM_SET_GSI_ROUTING, addr), 'KVM_SET_GSI_ROUTING');
  }

  /** A handle of the typed API on this VM fd. */
  vmHandle(): VmHandle {
    return new VmHandle(this.host, this.vmFd);
  }

  /** A typed handle on a device fd (registry info looked up by type). */
  deviceHandle(fd: number): LooseDevice {
    const dev = this.host.deviceOf(fd);
    const info = this.host.registry.typeInfo(dev.type);
    return new DeviceHandleClass<DeviceKey>(this.host, fd, info) as unknown as LooseDevice;
  }

  guest(i: number): GuestPort {
    return this.host.guest(this.vcpuFds[i]!);
  }

  /** KVM_IRQ_LINE through the facade with the pre-built struct. */
  irqLine(irq: number, level: number): number {
    const mem = this.host.mem;
    mem.setU32(this.irq, irq);
    mem.setU32(this.irq + 4, level);
    return this.host.ioctl(this.vmFd, KVM_IRQ_LINE, this.irq);
  }
}

/** Throws with the host's errno when a facade call failed. */
export function check(host: Host, r: number, what: string): number {
  if (r < 0) throw new Error(`${what} failed: errno ${host.errno}`);
  return r;
}

/** The prepared decoded attr (for direct accessor calls): a reused object, like the core's. */
export function decodedAttr(group: number, attrLo: number, attrHi: number, addr: number): KvmDeviceAttr {
  return { flags: 0, group, attrLo, attrHi, addr };
}

/** Everything a family's figures need. */
export interface Rig {
  readonly family: string;
  readonly f: FacadeVm;
  readonly devFd: number;
  readonly dev: LooseDevice;
  readonly vm: VmHandle;
  /** The attr the attribute figures read: group, attr halves. */
  readonly attrGroup: number;
  readonly attrLo: number;
  readonly attrHi: number;
  /** Payload size of that attr (4 or 8). */
  readonly attrSize: 4 | 8;
  /** attr as a number for the typed API. */
  readonly attrNum: number;
  /** KVM_IRQ_LINE irq field and levels for the round trip. */
  readonly irqField: number;
  readonly levelUp: number;
  readonly levelDown: number;
  /** One guest acknowledge + EOI on vCPU index `v` (returns the acknowledged id, a small integer). */
  ackEoi(v: number): number;
}

function hostWith(plugins: readonly KvmPlugin[], extra: { fdLimit?: number; maxVcpus?: number } = {}): Host {
  return createHost({ plugins, fdLimit: extra.fdLimit ?? 1 << 20, maxVcpus: extra.maxVcpus ?? 4096, maxVcpuIds: 8192 });
}

// ------------------------------------------------------------------ fake (core floor)

export function fakeRig(): Rig {
  const host = hostWith([fakePlugin]);
  const f = new FacadeVm(host);
  f.createVcpus(1);
  const type = host.deviceType('@kvmdev/bench:fake');
  const devFd = f.createDevice(type);
  const g = f.guest(0);
  return {
    family: 'fake',
    f,
    devFd,
    dev: f.deviceHandle(devFd),
    vm: f.vmHandle(),
    attrGroup: FAKE_GRP_REG,
    attrLo: 0,
    attrHi: 0,
    attrSize: 4,
    attrNum: 0,
    irqField: 40,
    levelUp: 1,
    levelDown: 0,
    ackEoi: () => {
      const v = g.mmioRead(FAKE_MMIO_BASE, 4) as number;
      g.mmioWrite32(FAKE_MMIO_BASE + 4, 4, v);
      return v;
    },
  };
}

// ------------------------------------------------------------------ MPIC

export const MPIC_BASE = 0xfe0040000;
/** The MPIC source the figures use: source 1, level-sensitive, priority 5. */
export const MPIC_SRC = 1;

export interface MpicRigOptions {
  cpus?: number;
  /** The CPU that source MPIC_SRC targets (default cpus - 1). */
  target?: number;
  fdLimit?: number;
}

/** An MPIC v2.0 VM: vCPUs connected, window mapped, identity routing, one source set up. */
export function mpicRig(o: MpicRigOptions = {}, host: Host = hostWith([mpic], { fdLimit: o.fdLimit })): Rig {
  const cpus = o.cpus ?? 1;
  const target = o.target ?? cpus - 1;
  const f = new FacadeVm(host);
  f.createVcpus(cpus);
  const devFd = f.createDevice(1);
  for (let i = 0; i < cpus; i++) f.enableCap(i, KVM_CAP_IRQ_MPIC, devFd, i);
  f.setAttr64(devFd, KVM_DEV_MPIC_GRP_MISC, 0, 0, MPIC_BASE % TWO32, Math.floor(MPIC_BASE / TWO32));
  const REG = KVM_DEV_MPIC_GRP_REGISTER;
  for (let c = 0; c < cpus; c++) f.setAttr32(devFd, REG, mpicCpuReg(c, MPIC_CTPR), 0, 0);
  // level-sensitive (SENSE), priority 5, vector = source number, unmasked; IDR = the target CPU
  f.setAttr32(devFd, REG, mpicIdr(MPIC_SRC), 0, (1 << target) >>> 0);
  f.setAttr32(devFd, REG, mpicIvpr(MPIC_SRC), 0, 0x00400000 | (5 << 16) | MPIC_SRC);
  f.identityRouting(256);
  const g = f.guest(target);
  const iack = MPIC_BASE + mpicCpuReg(target, MPIC_IACK);
  const eoi = MPIC_BASE + mpicCpuReg(target, MPIC_EOI);
  const attrLo = mpicIvpr(MPIC_SRC);
  return {
    family: 'mpic',
    f,
    devFd,
    dev: f.deviceHandle(devFd),
    vm: f.vmHandle(),
    attrGroup: REG,
    attrLo,
    attrHi: 0,
    attrSize: 4,
    attrNum: attrLo,
    irqField: MPIC_SRC,
    levelUp: 1,
    levelDown: 0,
    ackEoi: () => {
      const v = g.mmioRead(iack, 4) as number;
      g.mmioWrite32(eoi, 4, 0);
      return v;
    },
  };
}

// ------------------------------------------------------------------ XICS

export interface XicsRigOptions {
  servers?: number;
  /** Server number of vCPU i (default i). */
  serverOf?: (i: number) => number;
  /** Source numbers to create (default [0x1000]); the round trip uses the last one. */
  sources?: readonly number[];
  /** vCPU index the sources target (default the last). */
  target?: number;
  fdLimit?: number;
}

/** An XICS VM: vCPUs connected as servers, MSI sources at priority 5 on the target server. */
export function xicsRig(o: XicsRigOptions = {}, host: Host = hostWith([xics], { fdLimit: o.fdLimit })): Rig {
  const n = o.servers ?? 1;
  const serverOf = o.serverOf ?? ((i: number) => i);
  const target = o.target ?? n - 1;
  const sources = o.sources ?? [0x1000];
  const f = new FacadeVm(host);
  f.createVcpus(n);
  const devFd = f.createDevice(3);
  for (let i = 0; i < n; i++) f.enableCap(i, KVM_CAP_IRQ_XICS, devFd, serverOf(i));
  const server = serverOf(target);
  for (const s of sources) f.setAttr64(devFd, KVM_DEV_XICS_GRP_SOURCES, s, 0, server, 5);
  const g = f.guest(target);
  g.hypercall(H_CPPR, [0xff]);
  const eoiArgs = [0];
  const src = sources[sources.length - 1]!;
  return {
    family: 'xics',
    f,
    devFd,
    dev: f.deviceHandle(devFd),
    vm: f.vmHandle(),
    attrGroup: KVM_DEV_XICS_GRP_SOURCES,
    attrLo: src,
    attrHi: 0,
    attrSize: 8,
    attrNum: src,
    irqField: src,
    levelUp: 1,
    levelDown: 0,
    // returns the XISR (the acknowledged source), not the XIRR: CPPR 0xff makes the XIRR a u32
    // of at least 2^31, which a function return boxes as a heap number (16 B per call, the
    // measuring code's own allocation, not the model's)
    ackEoi: () => {
      const xirr = g.hypercall(H_XIRR).out[0]!;
      eoiArgs[0] = xirr;
      g.hypercall(H_EOI, eoiArgs);
      return xirr & 0xffffff;
    },
  };
}

// ------------------------------------------------------------------ GIC (v3 / v2)

let vgicPlugin: KvmPlugin | null | undefined;
let vgicError = '';

/** The arm-vgic plugin object, found among the package's exports (null while it does not exist). */
export async function loadVgic(): Promise<KvmPlugin | null> {
  if (vgicPlugin !== undefined) return vgicPlugin;
  try {
    const mod = (await import('@kvmdev/arm-vgic')) as Record<string, unknown>;
    const isPlugin = (v: unknown): v is KvmPlugin =>
      typeof v === 'object' && v !== null && Array.isArray((v as KvmPlugin).devices) && (v as KvmPlugin).devices!.some((d) => d.type === 7);
    vgicPlugin = Object.values(mod).find(isPlugin) ?? null;
    if (vgicPlugin === null) vgicError = '@kvmdev/arm-vgic exports no plugin with KVM_DEV_TYPE_ARM_VGIC_V3 yet';
  } catch (e) {
    vgicPlugin = null;
    vgicError = `@kvmdev/arm-vgic failed to load: ${(e as Error).message}`;
  }
  return vgicPlugin;
}

/** Why the GIC figures are skipped. */
export function vgicMissing(): string {
  return vgicError;
}

// arm-vgic uapi values (duplicated so this file type-checks before the plugin lands)
const GRP_ADDR = 0;
const GRP_DIST = 1;
const GRP_NR_IRQS = 3;
const GRP_CTRL = 4;
const CTRL_INIT = 0;
const ADDR_V2_DIST = 0;
const ADDR_V2_CPU = 1;
const ADDR_V3_DIST = 2;
const ADDR_V3_REDIST = 3;
export const GICV3_DIST = 0x08000000;
export const GICV3_REDIST = 0x080a0000;
export const GICV2_DIST = 0x08000000;
export const GICV2_CPU = 0x08010000;
const ICC_PMR_EL1 = 0xc230;
const ICC_IAR1_EL1 = 0xc660;
const ICC_EOIR1_EL1 = 0xc661;
const ICC_IGRPEN1_EL1 = 0xc667;
const KVM_ARM_IRQ_TYPE_SPI = 1;

/** KVM's default MPIDR affinity (Aff2.Aff1.Aff0) of a vCPU id. */
export function affOf(id: number): number {
  return ((id & 0xf) | (((id >> 4) & 0xff) << 8) | (((id >> 12) & 0xff) << 16)) >>> 0;
}

export interface GicRigOptions {
  vcpus?: number;
  nrIrqs?: number;
  /** INTID used by the figures (default nrIrqs - 1). */
  intid?: number;
  /** vCPU index it is routed to (default the last). */
  target?: number;
  fdLimit?: number;
  /** Leave the distributor and SPI unconfigured (idle-VM memory figure). */
  bare?: boolean;
}

/** A GICv3 VM: addresses, NR_IRQS, CTRL_INIT, distributor enabled, one level SPI routed to the target. */
export async function gicv3Rig(o: GicRigOptions = {}, hostIn?: Host): Promise<Rig> {
  const p = await loadVgic();
  if (p === null) throw new Error(vgicMissing());
  const host = hostIn ?? hostWith([p], { fdLimit: o.fdLimit });
  const n = o.vcpus ?? 1;
  const nr = o.nrIrqs ?? 128;
  const intid = o.intid ?? nr - 1;
  const target = o.target ?? n - 1;
  const f = new FacadeVm(host);
  f.createVcpus(n);
  const devFd = f.createDevice(7);
  f.setAttr64(devFd, GRP_ADDR, ADDR_V3_DIST, 0, GICV3_DIST, 0);
  f.setAttr64(devFd, GRP_ADDR, ADDR_V3_REDIST, 0, GICV3_REDIST, 0);
  f.setAttr32(devFd, GRP_NR_IRQS, 0, 0, nr);
  f.setAttrNone(devFd, GRP_CTRL, CTRL_INIT);
  const irqField = ((KVM_ARM_IRQ_TYPE_SPI << 24) | (intid & 0xffff)) >>> 0;
  const rig: Rig = {
    family: 'gicv3',
    f,
    devFd,
    dev: f.deviceHandle(devFd),
    vm: f.vmHandle(),
    attrGroup: GRP_DIST,
    attrLo: 0x400 + (intid & ~3), // GICD_IPRIORITYR word of the SPI
    attrHi: 0,
    attrSize: 4,
    attrNum: 0x400 + (intid & ~3),
    irqField,
    levelUp: 1,
    levelDown: 0,
    ackEoi: () => 0,
  };
  if (o.bare) return rig;
  // GICD_CTLR: ARE_NS | EnableGrp1A | EnableGrp0 (DS=1 in KVM)
  f.setAttr32(devFd, GRP_DIST, 0x0, 0, 0x13);
  const w = intid >>> 5;
  const bit = (1 << (intid & 31)) >>> 0;
  f.setAttr32(devFd, GRP_DIST, 0x80 + 4 * w, 0, f.getAttr32(devFd, GRP_DIST, 0x80 + 4 * w) | bit); // IGROUPR: group 1
  f.setAttr32(devFd, GRP_DIST, 0xc00 + 4 * (intid >>> 4), 0, 0); // ICFGR: level
  f.setAttr32(devFd, GRP_DIST, 0x6000 + 8 * intid, 0, affOf(target)); // IROUTER lo
  f.setAttr32(devFd, GRP_DIST, 0x6000 + 8 * intid + 4, 0, 0); // IROUTER hi
  f.setAttr32(devFd, GRP_DIST, 0x400 + (intid & ~3), 0, 0); // priority 0
  f.setAttr32(devFd, GRP_DIST, 0x100 + 4 * w, 0, bit); // ISENABLER
  f.armInitAndRun();
  const g = f.guest(target);
  g.sysregWrite(ICC_PMR_EL1, 0xff);
  g.sysregWrite(ICC_IGRPEN1_EL1, 1);
  return {
    ...rig,
    // the guest port's 32-bit system-register path (no bigint): ICC_IAR1_EL1 / ICC_EOIR1_EL1
    ackEoi: () => {
      const v = g.sysregRead32(ICC_IAR1_EL1);
      g.sysregWrite32(ICC_EOIR1_EL1, v);
      return v;
    },
  };
}

/** A GICv2 VM: addresses, NR_IRQS, CTRL_INIT, distributor and CPU interface enabled, one level SPI. */
export async function gicv2Rig(o: GicRigOptions = {}, hostIn?: Host): Promise<Rig> {
  const p = await loadVgic();
  if (p === null) throw new Error(vgicMissing());
  const host = hostIn ?? hostWith([p], { fdLimit: o.fdLimit });
  const n = o.vcpus ?? 1;
  const nr = o.nrIrqs ?? 128;
  const intid = o.intid ?? nr - 1;
  const target = o.target ?? n - 1;
  const f = new FacadeVm(host);
  f.createVcpus(n);
  const devFd = f.createDevice(5);
  f.setAttr64(devFd, GRP_ADDR, ADDR_V2_DIST, 0, GICV2_DIST, 0);
  f.setAttr64(devFd, GRP_ADDR, ADDR_V2_CPU, 0, GICV2_CPU, 0);
  f.setAttr32(devFd, GRP_NR_IRQS, 0, 0, nr);
  f.setAttrNone(devFd, GRP_CTRL, CTRL_INIT);
  f.setAttr32(devFd, GRP_DIST, 0x0, 0, 0x1); // GICD_CTLR enable
  const w = intid >>> 5;
  const bit = (1 << (intid & 31)) >>> 0;
  f.setAttr32(devFd, GRP_DIST, 0xc00 + 4 * (intid >>> 4), 0, 0); // level
  const tw = 0x800 + (intid & ~3);
  f.setAttr32(devFd, GRP_DIST, tw, 0, (1 << target) << (8 * (intid & 3))); // ITARGETSR
  f.setAttr32(devFd, GRP_DIST, 0x100 + 4 * w, 0, bit);
  f.armInitAndRun();
  const g = f.guest(target);
  g.mmioWrite32(GICV2_CPU + 0x04, 4, 0xff); // PMR
  g.mmioWrite32(GICV2_CPU + 0x00, 4, 0x1); // GICC_CTLR EnableGrp0
  const irqField = ((KVM_ARM_IRQ_TYPE_SPI << 24) | (intid & 0xffff)) >>> 0;
  return {
    family: 'gicv2',
    f,
    devFd,
    dev: f.deviceHandle(devFd),
    vm: f.vmHandle(),
    attrGroup: GRP_DIST,
    attrLo: 0x400 + (intid & ~3),
    attrHi: 0,
    attrSize: 4,
    attrNum: 0x400 + (intid & ~3),
    irqField,
    levelUp: 1,
    levelDown: 0,
    ackEoi: () => {
      const v = g.mmioRead(GICV2_CPU + 0x0c, 4) as number;
      g.mmioWrite32(GICV2_CPU + 0x10, 4, v);
      return v;
    },
  };
}

export type { DeviceHandle };
