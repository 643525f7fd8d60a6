/**
 * Two faces over the same kernel objects, for tests that must pass through both: the syscall
 * facade (host.ioctl with structs in host.mem, -1 + errno) and the typed API (handles that throw
 * KvmError). Every operation returns the value or a negative errno.
 */
import {
  createHost,
  isKvmError,
  kvm_create_device,
  kvm_device_attr,
  kvm_enable_cap,
  kvm_irq_level,
  kvm_one_reg,
  type DeviceHandle,
  type Host,
  type KvmPlugin,
  type VcpuHandle,
  type VmHandle,
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
  type HostOptions,
  type GuestPort,
} from '@kvmdev/core';
import type { Vcpu } from '@kvmdev/core/plugin';
import {
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_REG_PPC_ICP_STATE,
  xics,
} from '../src/internal.js';

export interface Face {
  readonly name: 'facade' | 'typed';
  readonly host: Host;
  /** Creates the XICS; returns its fd or -errno. */
  createXics(): number;
  /** Creates a vCPU; returns its index in this face or -errno. */
  createVcpu(id: number): number;
  vcpu(i: number): Vcpu;
  vcpuFd(i: number): number;
  /** KVM_ENABLE_CAP(IRQ_XICS, fd, server) on vCPU i. */
  connect(i: number, server: number | bigint, fd?: number | bigint): number;
  setAttr(group: number, attr: number | bigint, value: bigint): number;
  /** The value, or -errno (a number). */
  getAttr(group: number, attr: number | bigint): bigint | number;
  hasAttr(group: number, attr: number | bigint): number;
  irqLine(irq: number, level: number): number;
  getIcp(i: number): bigint | number;
  setIcp(i: number, v: bigint): number;
  closeXics(): number;
  /** An ioctl on the VM fd (value or -errno). */
  vmIoctl(req: number, arg: number): number;
  /** The guest port of vCPU i, reached the face's way. */
  guest(i: number): GuestPort;
  dupXics(): number;
  readonly xicsFd: number;
}

function errOf(f: () => void): number {
  try {
    f();
    return 0;
  } catch (e) {
    if (isKvmError(e)) return -e.errno;
    throw e;
  }
}

export function facadeFace(plugins: readonly KvmPlugin[] = [xics], opts: HostOptions = {}): Face {
  const host = createHost({ ...opts, plugins });
  const mem = host.mem;
  const kvm = host.open('/dev/kvm');
  const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
  const buf = mem.alloc(256);
  const val = mem.alloc(8);
  const vcpus: number[] = [];
  let xfd = -1;
  const r = (ret: number): number => (ret < 0 ? -host.errno : ret);
  const face: Face = {
    name: 'facade',
    host,
    get xicsFd() {
      return xfd;
    },
    createXics() {
      kvm_create_device.write(mem, buf, { type: KVM_DEV_TYPE_XICS, fd: 0, flags: 0 });
      const ret = r(host.ioctl(vm, KVM_CREATE_DEVICE, buf));
      if (ret < 0) return ret;
      xfd = kvm_create_device.read(mem, buf).fd;
      return xfd;
    },
    createVcpu(id) {
      const fd = r(host.ioctl(vm, KVM_CREATE_VCPU, id));
      if (fd < 0) return fd;
      vcpus.push(fd);
      return vcpus.length - 1;
    },
    vcpu: (i) => host.vcpuOf(vcpus[i]!),
    vcpuFd: (i) => vcpus[i]!,
    connect(i, server, fd = xfd) {
      kvm_enable_cap.write(mem, buf, { cap: KVM_CAP_IRQ_XICS, flags: 0, args: [BigInt.asUintN(64, BigInt(fd)), BigInt.asUintN(64, BigInt(server)), 0n, 0n] });
      return r(host.ioctl(vcpus[i]!, KVM_ENABLE_CAP, buf));
    },
    setAttr(group, attr, value) {
      mem.setU64(val, value);
      kvm_device_attr.write(mem, buf, { flags: 0, group, attr: BigInt.asUintN(64, BigInt(attr)), addr: BigInt(val) });
      return r(host.ioctl(xfd, KVM_SET_DEVICE_ATTR, buf));
    },
    getAttr(group, attr) {
      mem.setU64(val, 0xdeadbeefn);
      kvm_device_attr.write(mem, buf, { flags: 0, group, attr: BigInt.asUintN(64, BigInt(attr)), addr: BigInt(val) });
      const ret = r(host.ioctl(xfd, KVM_GET_DEVICE_ATTR, buf));
      return ret < 0 ? ret : mem.getU64(val);
    },
    hasAttr(group, attr) {
      kvm_device_attr.write(mem, buf, { flags: 0, group, attr: BigInt.asUintN(64, BigInt(attr)), addr: 0n });
      return r(host.ioctl(xfd, KVM_HAS_DEVICE_ATTR, buf));
    },
    irqLine(irq, level) {
      kvm_irq_level.write(mem, buf, { irq, level });
      return r(host.ioctl(vm, KVM_IRQ_LINE, buf));
    },
    getIcp(i) {
      kvm_one_reg.write(mem, buf, { id: KVM_REG_PPC_ICP_STATE, addr: BigInt(val) });
      const ret = r(host.ioctl(vcpus[i]!, KVM_GET_ONE_REG, buf));
      return ret < 0 ? ret : mem.getU64(val);
    },
    setIcp(i, v) {
      mem.setU64(val, v);
      kvm_one_reg.write(mem, buf, { id: KVM_REG_PPC_ICP_STATE, addr: BigInt(val) });
      return r(host.ioctl(vcpus[i]!, KVM_SET_ONE_REG, buf));
    },
    closeXics: () => r(host.close(xfd)),
    vmIoctl: (req, arg) => r(host.ioctl(vm, req, arg)),
    guest: (i) => host.guest(vcpus[i]!),
    dupXics: () => r(host.dup(xfd)),
  };
  return face;
}

export function typedFace(plugins: readonly KvmPlugin[] = [xics], opts: HostOptions = {}): Face {
  const host = createHost({ ...opts, plugins });
  const vm: VmHandle = host.createVm();
  const vcpus: VcpuHandle[] = [];
  let dev: DeviceHandle<'KVM_DEV_TYPE_XICS'> | null = null;
  const face: Face = {
    name: 'typed',
    host,
    get xicsFd() {
      return dev ? dev.fd : -1;
    },
    createXics() {
      let fd = 0;
      const e = errOf(() => {
        dev = vm.createDevice('KVM_DEV_TYPE_XICS');
        fd = dev.fd;
      });
      return e < 0 ? e : fd;
    },
    createVcpu(id) {
      const e = errOf(() => {
        vcpus.push(vm.createVcpu(id));
      });
      return e < 0 ? e : vcpus.length - 1;
    },
    vcpu: (i) => vcpus[i]!.vcpu,
    vcpuFd: (i) => vcpus[i]!.fd,
    connect: (i, server, fd = dev?.fd ?? -1) => errOf(() => vcpus[i]!.enableCap(KVM_CAP_IRQ_XICS, BigInt.asUintN(64, BigInt(fd)), server)),
    setAttr(group, attr, value) {
      return errOf(() => {
        if (group === KVM_DEV_XICS_GRP_SOURCES) dev!.setAttr(1, Number(attr), value);
        else dev!.attrRaw('set', group, attr, host.scratch());
      });
    },
    getAttr(group, attr) {
      let v: bigint = 0n;
      const e = errOf(() => {
        if (typeof attr === 'bigint' || group !== KVM_DEV_XICS_GRP_SOURCES) {
          const buf = host.scratch();
          dev!.attrRaw('get', group, attr, buf);
          v = host.mem.getU64(buf);
        } else v = dev!.getAttr(1, attr);
      });
      return e < 0 ? e : v;
    },
    hasAttr(group, attr) {
      try {
        return dev!.attrRaw('has', group, attr, 0);
      } catch (e) {
        if (isKvmError(e)) return -e.errno;
        throw e;
      }
    },
    irqLine(irq, level) {
      let v = 0;
      const e = errOf(() => {
        v = vm.irqLine(irq, level);
      });
      return e < 0 ? e : v;
    },
    getIcp(i) {
      let v = 0n;
      const e = errOf(() => {
        v = vcpus[i]!.getOneReg(KVM_REG_PPC_ICP_STATE);
      });
      return e < 0 ? e : v;
    },
    setIcp: (i, v) => errOf(() => vcpus[i]!.setOneReg(KVM_REG_PPC_ICP_STATE, v)),
    closeXics: () => errOf(() => dev!.close()),
    vmIoctl(req, arg) {
      let v = 0;
      const e = errOf(() => {
        v = vm.ioctl(req, arg);
      });
      return e < 0 ? e : v;
    },
    guest: (i) => vcpus[i]!.guest,
    dupXics() {
      let fd = 0;
      const e = errOf(() => {
        fd = dev!.dup().fd;
      });
      return e < 0 ? e : fd;
    },
  };
  return face;
}

export const FACES: readonly [string, (plugins?: readonly KvmPlugin[], opts?: HostOptions) => Face][] = [
  ['facade', facadeFace],
  ['typed', typedFace],
];

/** Standard setup T: XICS created, vCPU A (id 0) connected as server 0. */
export function setupT(make: (plugins?: readonly KvmPlugin[], opts?: HostOptions) => Face, plugins?: readonly KvmPlugin[]): Face {
  const f = make(plugins);
  expect(f.createXics()).toBeGreaterThanOrEqual(0);
  expect(f.createVcpu(0)).toBe(0);
  expect(f.connect(0, 0)).toBe(0);
  return f;
}

/** P5 = priority 5 << 32. */
export const P5 = 0x0000000500000000n;

/** A hypercall through the guest port, copied out of the reused result. */
export function hcall(f: Face, i: number, nr: number, args: number[] = []): { ret: number; r4: number; r5: number } {
  const r = f.guest(i).hypercall(nr, args);
  return { ret: r.ret, r4: r.out[0]!, r5: r.out[1]! };
}
