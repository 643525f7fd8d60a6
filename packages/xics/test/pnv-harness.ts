/**
 * A powerpc host on the powernv9 profile for the XICS-on-XIVE tests: a VM and helpers that answer
 * a result or -errno (the ioctls by their powerpc numbers).
 */
import {
  KVM_IOCTLS,
  type Host,
  createHost,
  kvm_device_attr,
  kvm_enable_cap,
  kvm_irq_level,
  kvm_one_reg,
} from '@kvmdev/core';
import {
  KVM_CAP_IRQ_XICS,
  KVM_CAP_PPC_PAPR,
  KVM_DEV_TYPE_XICS,
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_DEV_XICS_NR_SERVERS,
  KVM_REG_PPC_ICP_STATE,
  createXicsPlugin,
} from '../src/index.js';

/** The powerpc request numbers. */
export const P = KVM_IOCTLS.powerpc;

/** A powerpc host with a VM, and helpers that answer a result or -errno. */
export function pnv(plugins = [createXicsPlugin({ host: 'powernv9' })]) {
  const host: Host = createHost({ plugins });
  const io = (fd: number, req: number, arg: number | bigint): number => {
    const r = host.ioctl(fd, req, typeof arg === 'bigint' ? Number(arg) : arg);
    return r < 0 ? -host.errno : r;
  };
  const kvm = host.open('/dev/kvm');
  const vm = io(kvm, P.KVM_CREATE_VM, 0);
  const cap = host.mem.alloc(104);
  const cd = host.mem.alloc(12);
  const attr = host.mem.alloc(24);
  const val = host.mem.alloc(8);
  const line = host.mem.alloc(8);
  const reg = host.mem.alloc(16);
  const attrIo = (fd: number, req: number, group: number, a: bigint | number, value: bigint | null, addr: number = val): number => {
    if (value !== null) host.mem.setU64(val, value);
    kvm_device_attr.write(host.mem, attr, { flags: 0, group, attr: BigInt(a), addr: BigInt(addr) });
    return io(fd, req, attr);
  };
  const t = {
    host,
    kvm,
    vm,
    io,
    cap: (fd: number, c: number) => io(fd, P.KVM_CHECK_EXTENSION, c),
    enableCap(fd: number, c: number, args: readonly bigint[] = [], flags = 0): number {
      kvm_enable_cap.write(host.mem, cap, { cap: c, flags, args: [args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n] });
      return io(fd, P.KVM_ENABLE_CAP, cap);
    },
    /** A vCPU in PAPR mode (as QEMU makes them). */
    vcpu(id: number): number {
      const c = io(vm, P.KVM_CREATE_VCPU, id);
      if (c >= 0) t.enableCap(c, KVM_CAP_PPC_PAPR);
      return c;
    },
    createXics(): number {
      host.mem.setU32(cd, KVM_DEV_TYPE_XICS);
      host.mem.setU32(cd + 8, 0);
      const r = io(vm, P.KVM_CREATE_DEVICE, cd);
      return r < 0 ? r : host.mem.getU32(cd + 4);
    },
    connect(vcpu: number, xics: number, server: bigint | number): number {
      return t.enableCap(vcpu, KVM_CAP_IRQ_XICS, [BigInt(xics), BigInt(server)]);
    },
    /** SET_ATTR(GRP_CTRL, NR_SERVERS) with a u32 (or a bad `addr`). */
    nrServers(xics: number, n: number, addr: number = val): number {
      host.mem.setU32(val, n);
      return attrIo(xics, P.KVM_SET_DEVICE_ATTR, KVM_DEV_XICS_GRP_CTRL, KVM_DEV_XICS_NR_SERVERS, null, addr);
    },
    has(xics: number, group: number, a: bigint | number): number {
      return attrIo(xics, P.KVM_HAS_DEVICE_ATTR, group, a, null);
    },
    setSource(xics: number, irq: number, value: bigint, addr: number = val): number {
      return attrIo(xics, P.KVM_SET_DEVICE_ATTR, KVM_DEV_XICS_GRP_SOURCES, irq, value, addr);
    },
    /** GET_ATTR(GRP_SOURCES): the value, or -errno as a bigint. */
    getSource(xics: number, irq: number, addr: number = val): bigint {
      const r = attrIo(xics, P.KVM_GET_DEVICE_ATTR, KVM_DEV_XICS_GRP_SOURCES, irq, null, addr);
      return r < 0 ? BigInt(r) : host.mem.getU64(val);
    },
    irqLine(irq: number, level: number): number {
      kvm_irq_level.write(host.mem, line, { irq, level });
      return io(vm, P.KVM_IRQ_LINE, line);
    },
    /** GET_ONE_REG(ICP_STATE): the value, or -errno as a bigint. */
    getIcp(vcpu: number): bigint {
      kvm_one_reg.write(host.mem, reg, { id: KVM_REG_PPC_ICP_STATE, addr: BigInt(val) });
      const r = io(vcpu, P.KVM_GET_ONE_REG, reg);
      return r < 0 ? BigInt(r) : host.mem.getU64(val);
    },
    setIcp(vcpu: number, v: bigint): number {
      host.mem.setU64(val, v);
      kvm_one_reg.write(host.mem, reg, { id: KVM_REG_PPC_ICP_STATE, addr: BigInt(val) });
      return io(vcpu, P.KVM_SET_ONE_REG, reg);
    },
    oneReg(vcpu: number, req: number, id: bigint, addr: number): number {
      kvm_one_reg.write(host.mem, reg, { id, addr: BigInt(addr) });
      return io(vcpu, req, reg);
    },
  };
  return t;
}

