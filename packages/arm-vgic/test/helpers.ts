/** Test helpers: the syscall facade (structs in host.mem) and the typed API, on an arm64 host. */
import {
  type Host,
  KVM_ARM_VCPU_INIT,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_IRQ_LINE,
  KVM_RUN,
  KVM_SET_DEVICE_ATTR,
  type KvmPlugin,
  createHost,
  kvm_device_attr,
  kvm_vcpu_init,
} from '@kvmdev/core';
import { ioctlRet } from '@kvmdev/testing';
import { armVgic } from '../src/internal.js';
import * as U from '../src/uapi.js';

/** A facade world: host, /dev/kvm fd, VM fd. */
export interface Facade {
  host: Host;
  kvm: number;
  vm: number;
  /** Any ioctl through the facade: its result, or -errno when it failed ({@link ioctlRet}). */
  ioctl(fd: number, request: number, arg?: number): number;
  createDevice(type: number): number;
  createVcpu(id: number): number;
  vcpuInit(vcpuFd: number): number;
  run(vcpuFd: number): number;
  irqLine(irq: number, level: number): number;
  set(fd: number, group: number, attr: bigint | number, value?: bigint | number, size?: 0 | 4 | 8): number;
  get(fd: number, group: number, attr: bigint | number, size?: 4 | 8, input?: bigint): { r: number; v: bigint };
  has(fd: number, group: number, attr: bigint | number): number;
}

export function facade(vmType = 0, plugin: KvmPlugin = armVgic): Facade {
  const host = createHost({ plugins: [plugin] });
  const kvm = host.open('/dev/kvm');
  const vm = host.ioctl(kvm, KVM_CREATE_VM, vmType);
  const mem = host.mem;
  const attrBuf = mem.alloc(24);
  const val = mem.alloc(8);
  const doAttr = (fd: number, req: number, group: number, attr: bigint | number): number => {
    kvm_device_attr.write(mem, attrBuf, { flags: 0, group, attr: BigInt(attr), addr: BigInt(val) });
    return ioctlRet(host, fd, req, attrBuf);
  };
  return {
    host,
    kvm,
    vm,
    ioctl: (fd, request, arg = 0) => ioctlRet(host, fd, request, arg),
    createDevice(type) {
      const cd = mem.alloc(12);
      mem.setU32(cd, type);
      const ret = ioctlRet(host, vm, KVM_CREATE_DEVICE, cd);
      return ret < 0 ? ret : mem.getU32(cd + 4);
    },
    createVcpu(id) {
      return ioctlRet(host, vm, KVM_CREATE_VCPU, id);
    },
    vcpuInit(fd) {
      const b = mem.alloc(32);
      kvm_vcpu_init.write(mem, b, { target: 5, features: [] });
      return ioctlRet(host, fd, KVM_ARM_VCPU_INIT, b);
    },
    run(fd) {
      return ioctlRet(host, fd, KVM_RUN, 0);
    },
    irqLine(irq, level) {
      const b = mem.alloc(8);
      mem.setU32(b, irq >>> 0);
      mem.setU32(b + 4, level);
      return ioctlRet(host, vm, KVM_IRQ_LINE, b);
    },
    set(fd, group, attr, value = 0, size = 4) {
      if (size === 8) mem.setU64(val, BigInt(value));
      else mem.setU32(val, Number(BigInt.asUintN(32, BigInt(value))));
      return doAttr(fd, KVM_SET_DEVICE_ATTR, group, attr);
    },
    get(fd, group, attr, size = 4, input) {
      mem.setU64(val, input ?? 0xdeadbeefdeadbeefn);
      const ret = doAttr(fd, KVM_GET_DEVICE_ATTR, group, attr);
      return { r: ret, v: size === 8 ? mem.getU64(val) : BigInt(mem.getU32(val)) };
    },
    has(fd, group, attr) {
      return doAttr(fd, KVM_HAS_DEVICE_ATTR, group, attr);
    },
  };
}

/** A typed-API world on an arm64 host. */
export function typed() {
  const host = createHost({ plugins: [armVgic] });
  const vm = host.createVm();
  return { host, vm };
}

/** Errno (positive) thrown by `fn`, or 0. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    const x = e as { errno?: number };
    if (typeof x.errno !== 'number') throw e;
    return x.errno;
  }
}

/** A running GICv3 VM (Firecracker layout) with `n` vCPUs, through the typed API. */
export function v3Guest(n: number, nrIrqs = 128) {
  const { host, vm } = typed();
  const vcpus = [];
  for (let i = 0; i < n; i++) vcpus.push(vm.createVcpu(i));
  const dev = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
  const dist = 0x3fff0000;
  const redist = dist - n * 0x20000;
  dev.setAttr(0, 2, BigInt(dist));
  dev.setAttr(0, 3, BigInt(redist));
  dev.setAttr(3, 0, nrIrqs);
  dev.setAttr(4, 0);
  const init = host.mem.alloc(32);
  host.mem.setU32(init, 5);
  for (const v of vcpus) {
    v.ioctl(KVM_ARM_VCPU_INIT, init);
    v.run();
  }
  return { host, vm, vcpus, dev, dist, redist, guests: vcpus.map((v) => v.guest) };
}

/** A running GICv2 VM (Firecracker layout) with `n` vCPUs. */
export function v2Guest(n: number, nrIrqs = 128) {
  const { host, vm } = typed();
  const vcpus = [];
  for (let i = 0; i < n; i++) vcpus.push(vm.createVcpu(i));
  const dev = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V2');
  const dist = 0x3ffff000;
  const cpu = 0x3fffd000;
  dev.setAttr(0, 0, BigInt(dist));
  dev.setAttr(0, 1, BigInt(cpu));
  dev.setAttr(3, 0, nrIrqs);
  dev.setAttr(4, 0);
  const init = host.mem.alloc(32);
  host.mem.setU32(init, 5);
  for (const v of vcpus) {
    host.ioctl(v.fd, KVM_ARM_VCPU_INIT, init);
    v.run();
  }
  return { host, vm, vcpus, dev, dist, cpu, guests: vcpus.map((v) => v.guest) };
}

/** A DeviceStateIo over a typed device handle (what the snapshot engine will provide). */
export function stateIo(host: Host, dev: { attrRaw(op: 'set' | 'get' | 'has', g: number, a: number | bigint, addr: number): number }, vcpuIds: number[]) {
  const buf = host.mem.alloc(8);
  return {
    vcpuIds,
    getAttr(group: number, attr: bigint, size: 4 | 8): bigint {
      host.mem.setU64(buf, 0n);
      dev.attrRaw('get', group, attr, buf);
      return size === 8 ? host.mem.getU64(buf) : BigInt(host.mem.getU32(buf));
    },
    setAttr(group: number, attr: bigint, size: 0 | 4 | 8, value: bigint): void {
      if (size === 8) host.mem.setU64(buf, value);
      else host.mem.setU32(buf, Number(BigInt.asUintN(32, value)));
      dev.attrRaw('set', group, attr, buf);
    },
    hasAttr(group: number, attr: bigint): boolean {
      try {
        dev.attrRaw('has', group, attr, 0);
        return true;
      } catch {
        return false;
      }
    },
    getOneReg(): bigint {
      throw new Error('no ONE_REG state in the vGIC');
    },
    setOneReg(): void {
      throw new Error('no ONE_REG state in the vGIC');
    },
  };
}

const SPI = 1 << 24;

/** What the guest can observe on a GICv3 VM. */
export function v3GuestView(w: ReturnType<typeof v3Guest>): string[] {
  const out: string[] = [];
  const g0 = w.guests[0]!;
  for (const off of [0x0, 0x4, 0x8]) out.push(`d${off}=${g0.mmioRead(w.dist + off, 4)}`);
  for (const base of [0x80, 0x100, 0x200, 0x300, 0xc00, 0x400])
    for (let o = base; o < base + (base === 0x400 ? 128 : base === 0xc00 ? 32 : 16); o += 4) out.push(`d${o}=${g0.mmioRead(w.dist + o, 4)}`);
  for (let i = 32; i < 128; i++) out.push(`r${i}=${g0.mmioRead(w.dist + 0x6000 + 8 * i, 4)}`);
  w.guests.forEach((g, k) => {
    const rd = w.redist + k * 0x20000;
    for (const o of [0x10080, 0x10100, 0x10200, 0x10300, 0x10c00, 0x10c04, 0x10400, 0x10404, 0x70, 0x74, 0x78, 0x7c])
      out.push(`c${k}.${o}=${g.mmioRead(rd + o, 4)}`);
    for (const r of [U.ICC_PMR_EL1, U.ICC_CTLR_EL1, U.ICC_IGRPEN1_EL1, U.ICC_BPR0_EL1, U.ICC_BPR1_EL1, U.ICC_RPR_EL1, U.ICC_HPPIR1_EL1])
      out.push(`i${k}.${r}=${g.sysregRead(r)}`);
    out.push(`l${k}=${g.line('irq')}`);
  });
  return out;
}

/** Puts a GICv3 VM in a non-trivial state from the guest side. */
export function dirtyV3(w: ReturnType<typeof v3Guest>): void {
  const [g0, g1] = w.guests as [typeof w.guests[0], typeof w.guests[0]];
  g0!.mmioWrite32(w.dist, 4, 2);
  // LPI tables (a zero PROPBASER/PENDBASER would come back sanitised as RaWb: 0x180)
  g0!.mmioWrite32(w.redist + 0x70, 4, 0x1000078f);
  w.guests.forEach((g, k) => g!.mmioWrite32(w.redist + k * 0x20000 + 0x78, 4, 0x20000780 + k * 0x10000));
  g0!.mmioWrite32(w.dist + 0x104, 4, 0x0000ff03);
  g0!.mmioWrite32(w.dist + 0x420, 4, 0x80a0c0e0);
  g0!.mmioWrite32(w.dist + 0xc08, 4, 0xaaaaaaa2); // SPI 33 level
  g0!.mmioWrite(w.dist + 0x6000 + 8 * 34, 8, 1n);
  for (const g of w.guests) {
    g!.sysregWrite(U.ICC_PMR_EL1, 0xf0);
    g!.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
    g!.sysregWrite(U.ICC_BPR1_EL1, 4);
  }
  w.vm.irqLine(SPI | 32, 1);
  w.vm.irqLine(SPI | 33, 1); // level, line held high
  w.vm.irqLine(SPI | 34, 1); // → vCPU 1
  g1!.sysregWrite(U.ICC_SGI1R_EL1, (3n << 24n) | 1n); // SGI 3 to vCPU 0
  if (g0!.sysregRead(U.ICC_IAR1_EL1) !== 3n) throw new Error('SGI 3 not taken'); // SGI 3 active on vCPU 0
  g1!.mmioWrite32(w.redist + 0x20000 + 0x10400 + 4, 4, 0x10203040); // PPI priorities vCPU 1
  g1!.mmioWrite32(w.redist + 0x20000 + 0x10100, 4, 1 << 27);
  w.vm.irqLine((2 << 24) | (1 << 16) | 27, 1);
}

