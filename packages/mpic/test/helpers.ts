/** Shared fixtures: the reference's standard setups S and S′ through both faces. */
import {
  KVM_CAP_IRQ_MPIC,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_ENABLE_CAP,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
  type DeviceHandle,
  type Host,
  type VcpuHandle,
  type VmHandle,
  createHost,
  isKvmError,
  kvm_device_attr,
  kvm_enable_cap,
} from '@kvmdev/core';
import {
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
  MPIC_GCR,
  mpic,
  mpicCpuReg,
  MPIC_CTPR,
  type MpicState,
} from '../src/internal.js';

export type MpicKey = 'KVM_DEV_TYPE_FSL_MPIC_20' | 'KVM_DEV_TYPE_FSL_MPIC_42';
export const MODELS: readonly MpicKey[] = ['KVM_DEV_TYPE_FSL_MPIC_20', 'KVM_DEV_TYPE_FSL_MPIC_42'];
export const BASE = 0xfe0040000;

/** The typed face. */
export class Typed {
  readonly host: Host;
  readonly vm: VmHandle;
  readonly vcpus: VcpuHandle[] = [];
  readonly dev: DeviceHandle<MpicKey>;
  constructor(key: MpicKey = 'KVM_DEV_TYPE_FSL_MPIC_20', nVcpus = 1, host?: Host) {
    this.host = host ?? createHost({ plugins: [mpic] });
    this.vm = this.host.createVm();
    for (let i = 0; i < nVcpus; i++) this.vcpus.push(this.vm.createVcpu(i));
    this.dev = this.vm.createDevice(key);
  }
  get state(): MpicState {
    return this.dev.device.state as MpicState;
  }
  connect(vcpu: number, cpu = vcpu): void {
    this.vcpus[vcpu].enableCap(KVM_CAP_IRQ_MPIC, this.dev.fd, cpu);
  }
  reg(off: number): number {
    return this.dev.getAttr(KVM_DEV_MPIC_GRP_REGISTER, off);
  }
  setReg(off: number, v: number): void {
    this.dev.setAttr(KVM_DEV_MPIC_GRP_REGISTER, off, v >>> 0);
  }
  active(n: number): number {
    return this.dev.getAttr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, n);
  }
  setActive(n: number, v: number): void {
    this.dev.setAttr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, n, v);
  }
  setBase(b: bigint): void {
    this.dev.setAttr(KVM_DEV_MPIC_GRP_MISC, 0, b);
  }
  /** Guest read/write through vCPU i's guest port at BASE + off. */
  gr(i: number, off: number, size: 1 | 2 | 4 = 4): number | null {
    return this.vcpus[i].guest.mmioRead(BASE + off, size);
  }
  gw(i: number, off: number, v: number, size: 1 | 2 | 4 = 4): boolean {
    return this.vcpus[i].guest.mmioWrite32(BASE + off, size, v);
  }
  line(i: number): 0 | 1 {
    return this.vcpus[i].guest.line('external');
  }
}

/** Standard setup S: BASE_ADDR = 0xFE0040000, vCPU 0 connected as CPU 0, GCR reset. */
export function setupS(key: MpicKey = 'KVM_DEV_TYPE_FSL_MPIC_20', nVcpus = 1): Typed {
  const t = new Typed(key, nVcpus);
  t.setBase(BigInt(BASE));
  for (let i = 0; i < nVcpus; i++) t.connect(i);
  t.setReg(MPIC_GCR, 0x80000000);
  return t;
}

/** S′: S with CTPR of CPU 0 (0x20080) = 0. */
export function setupS1(key: MpicKey = 'KVM_DEV_TYPE_FSL_MPIC_20', nVcpus = 1): Typed {
  const t = setupS(key, nVcpus);
  for (let i = 0; i < nVcpus; i++) t.setReg(mpicCpuReg(i, MPIC_CTPR), 0);
  return t;
}

/** The errno a typed call throws, or 0. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (isKvmError(e)) return e.errno;
    throw e;
  }
}

/** The syscall facade. */
export class Sys {
  readonly host: Host;
  readonly kvm: number;
  readonly vm: number;
  readonly vcpus: number[] = [];
  dev = -1;
  readonly attr: number;
  readonly buf: number;
  readonly cap: number;
  constructor(nVcpus = 1, host?: Host) {
    this.host = host ?? createHost({ plugins: [mpic] });
    this.kvm = this.host.open('/dev/kvm');
    this.vm = this.host.ioctl(this.kvm, KVM_CREATE_VM, 0);
    for (let i = 0; i < nVcpus; i++) this.vcpus.push(this.host.ioctl(this.vm, KVM_CREATE_VCPU, i));
    this.attr = this.host.mem.alloc(24);
    this.buf = this.host.mem.alloc(16);
    this.cap = this.host.mem.alloc(104);
  }
  /** KVM_CREATE_DEVICE: 0 and the fd in this.dev, or -1. */
  create(type: number): number {
    const cd = this.host.mem.alloc(12);
    this.host.mem.setU32(cd, type);
    const r = this.host.ioctl(this.vm, KVM_CREATE_DEVICE, cd);
    if (r === 0) this.dev = this.host.mem.getU32(cd + 4);
    return r;
  }
  private attrIoctl(req: number, group: number, attr: number | bigint, addr: number | bigint): number {
    kvm_device_attr.write(this.host.mem, this.attr, { flags: 0, group, attr: BigInt(attr), addr: BigInt(addr) });
    return this.host.ioctl(this.dev, req, this.attr);
  }
  /** SET with a u32 payload; returns 0 or -errno. */
  set32(group: number, attr: number | bigint, v: number): number {
    this.host.mem.setU32(this.buf, v >>> 0);
    return this.rc(this.attrIoctl(KVM_SET_DEVICE_ATTR, group, attr, this.buf));
  }
  set64(group: number, attr: number | bigint, v: bigint): number {
    this.host.mem.setU64(this.buf, v);
    return this.rc(this.attrIoctl(KVM_SET_DEVICE_ATTR, group, attr, this.buf));
  }
  /** GET u32: the value, or -errno. */
  get32(group: number, attr: number | bigint): number {
    this.host.mem.setU32(this.buf, 0xdeadbeef);
    const r = this.rc(this.attrIoctl(KVM_GET_DEVICE_ATTR, group, attr, this.buf));
    return r < 0 ? r : this.host.mem.getU32(this.buf);
  }
  get64(group: number, attr: number | bigint): bigint | number {
    const r = this.rc(this.attrIoctl(KVM_GET_DEVICE_ATTR, group, attr, this.buf));
    return r < 0 ? r : this.host.mem.getU64(this.buf);
  }
  has(group: number, attr: number | bigint): number {
    return this.rc(this.attrIoctl(KVM_HAS_DEVICE_ATTR, group, attr, 0));
  }
  /** A raw attr ioctl with a chosen payload address. */
  raw(req: number, group: number, attr: number | bigint, addr: number | bigint): number {
    return this.rc(this.attrIoctl(req, group, attr, addr));
  }
  /** KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC, fd, cpu) on vCPU i: 0 or -errno. */
  connect(i: number, cpu: number, fd = this.dev): number {
    kvm_enable_cap.write(this.host.mem, this.cap, { cap: KVM_CAP_IRQ_MPIC, flags: 0, args: [BigInt(fd), BigInt(cpu), 0n, 0n] });
    return this.rc(this.host.ioctl(this.vcpus[i], KVM_ENABLE_CAP, this.cap));
  }
  rc(r: number): number {
    return r < 0 ? -this.host.errno : r;
  }
  reg(off: number): number {
    return this.get32(KVM_DEV_MPIC_GRP_REGISTER, off);
  }
  setReg(off: number, v: number): number {
    return this.set32(KVM_DEV_MPIC_GRP_REGISTER, off, v);
  }
}

/** Facade standard setup S. */
export function sysS(type: 1 | 2 = 1, nVcpus = 1): Sys {
  const s = new Sys(nVcpus);
  expect(s.create(type)).toBe(0);
  expect(s.set64(KVM_DEV_MPIC_GRP_MISC, 0, BigInt(BASE))).toBe(0);
  for (let i = 0; i < nVcpus; i++) expect(s.connect(i, i)).toBe(0);
  expect(s.setReg(MPIC_GCR, 0x80000000)).toBe(0);
  return s;
}

/** One way of driving an S′ MPIC: the same vector runs through both faces and the guest port. */
export interface Face {
  readonly name: string;
  reg(off: number): number;
  setReg(off: number, v: number): void;
  active(n: number): number;
  setActive(n: number, v: number): void;
  /** vCPU 0's external line. */
  line(): 0 | 1;
  /** A 4-byte guest load by vCPU 0 at BASE + off. */
  gr(off: number): number | null;
  gw(off: number, v: number): boolean;
  state: MpicState;
}

function typedFace(t: Typed, name: string): Face {
  return {
    name,
    reg: (o) => t.reg(o),
    setReg: (o, v) => t.setReg(o, v),
    active: (n) => t.active(n),
    setActive: (n, v) => t.setActive(n, v),
    line: () => t.line(0),
    gr: (o) => t.gr(0, o),
    gw: (o, v) => t.gw(0, o, v),
    state: t.state,
  };
}

function sysFace(s: Sys, name: string): Face {
  const ok = (r: number): number => {
    if (r < 0) throw new Error(`facade call failed: errno ${-r}`);
    return r;
  };
  const g = s.host.guest(s.vcpus[0]);
  return {
    name,
    reg: (o) => ok(s.reg(o)),
    setReg: (o, v) => void ok(s.setReg(o, v)),
    active: (n) => ok(s.get32(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, n)),
    setActive: (n, v) => void ok(s.set32(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, n, v)),
    line: () => g.line('external'),
    gr: (o) => g.mmioRead(BASE + o, 4),
    gw: (o, v) => g.mmioWrite32(BASE + o, 4, v),
    state: s.host.deviceOf(s.dev).state as MpicState,
  };
}

/** S′ through the typed API and through the facade, for each model. */
export function facesS1(nVcpus = 1): [string, () => Face][] {
  const out: [string, () => Face][] = [];
  for (const [type, key] of [
    [1, 'KVM_DEV_TYPE_FSL_MPIC_20'],
    [2, 'KVM_DEV_TYPE_FSL_MPIC_42'],
  ] as const) {
    out.push([`typed ${key}`, () => typedFace(setupS1(key, nVcpus), `typed ${key}`)]);
    out.push([
      `facade type ${type}`,
      () => {
        const s = sysS(type, nVcpus);
        for (let i = 0; i < nVcpus; i++) expect(s.setReg(mpicCpuReg(i, MPIC_CTPR), 0)).toBe(0);
        return sysFace(s, `facade type ${type}`);
      },
    ]);
  }
  return out;
}

/** S (CTPR 15) through both faces, for each model. */
export function facesS(): [string, () => Face][] {
  return [
    ['typed v2.0', () => typedFace(setupS('KVM_DEV_TYPE_FSL_MPIC_20'), 'typed v2.0')],
    ['typed v4.2', () => typedFace(setupS('KVM_DEV_TYPE_FSL_MPIC_42'), 'typed v4.2')],
    ['facade type 1', () => sysFace(sysS(1), 'facade type 1')],
    ['facade type 2', () => sysFace(sysS(2), 'facade type 2')],
  ];
}

/** Everything the model holds, as a string (for "nothing changed" checks). */
export function fingerprint(s: MpicState, withCaches = true): string {
  const parts: string[] = [
    `g ${s.frr} ${s.gcr} ${s.pir} ${s.spve} ${s.tfrr} ${s.nbCpus} ${s.baseLo} ${s.baseHi} ${s.region === null}`,
    `ivpr ${s.ivpr.join(',')}`,
    `idr ${s.idr.join(',')}`,
    `dm ${s.destmask.join(',')}`,
    `out ${s.output.join(',')}`,
    `pend ${s.pending.join(',')}`,
    `lvl ${s.level.join(',')}`,
    `nomask ${s.nomask.join(',')}`,
    `ctpr ${s.ctpr.join(',')}`,
    `raised ${s.raised.join(',')}`,
    `serv ${s.servicing.join(',')}`,
    `oa ${Array.from(s.outputsActive.entries()).filter(([, v]) => v !== 0).join(';')}`,
    `tmr ${s.tccr.join(',')} ${s.tbcr.join(',')}`,
    `msir ${s.msir.join(',')}`,
    `lines ${s.vcpus.map((v) => (v === null ? '-' : v.lines.join(''))).join(',')}`,
  ];
  if (withCaches) {
    parts.push(`rc ${s.raisedNext.join(',')} ${s.raisedPrio.join(',')}`);
    parts.push(`sc ${s.servicingNext.join(',')} ${s.servicingPrio.join(',')}`);
  }
  return parts.join('\n');
}
