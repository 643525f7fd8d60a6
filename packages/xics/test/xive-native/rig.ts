/**
 * A C-shaped rig for the XIVE native tests: a host with the XIVE in front of the powernv9
 * profile (the model of the ppc64-powernv9 oracle target), every call through the syscall facade, answers as
 * the return value or -errno.
 */
import {
  createHost,
  kvm_create_device,
  kvm_device_attr,
  kvm_enable_cap,
  kvm_irq_level,
  kvm_one_reg,
  type Host,
  type KvmPlugin,
  kvm_userspace_memory_region,
} from '@kvmdev/core';
import {
  KVM_CAP_IRQ_XICS,
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_CAP_PPC_PAPR,
  KVM_DEV_TYPE_XICS,
  KVM_DEV_TYPE_XIVE,
  createXicsPlugin,
  kvm_ppc_xive_eq,
  type KvmPpcXiveEq,
  xive,
} from '../../src/internal.js';

/** The plugins of the powernv9 model. */
export function powernvPlugins(x: KvmPlugin = xive): KvmPlugin[] {
  return [x, createXicsPlugin({ host: 'powernv9' })];
}

export class Rig {
  readonly h: Host;
  readonly kvm: number;
  readonly vm: number;
  readonly cpus: number[] = [];
  private readonly cd: number;
  private readonly attr: number;
  private readonly val: number;
  private readonly cap: number;
  private readonly reg: number;
  private readonly irq: number;
  readonly eq: number;
  readonly vp: number;

  constructor(plugins: KvmPlugin[] = powernvPlugins(), host?: Host) {
    this.h = host ?? createHost({ plugins: plugins.length ? plugins : powernvPlugins() });
    const m = this.h.mem;
    this.kvm = this.h.open('/dev/kvm');
    this.vm = this.h.ioctl(this.kvm, this.h.ioctls.KVM_CREATE_VM, 0);
    this.cd = m.alloc(12);
    this.attr = m.alloc(24);
    this.val = m.alloc(8);
    this.cap = m.alloc(104);
    this.reg = m.alloc(16);
    this.irq = m.alloc(8);
    this.eq = m.alloc(64);
    this.vp = m.alloc(16);
  }

  private r(v: number): number {
    return v < 0 ? -this.h.errno : v;
  }

  /** KVM_CREATE_DEVICE: the fd or -errno. */
  create(type = KVM_DEV_TYPE_XIVE, flags = 0): number {
    kvm_create_device.write(this.h.mem, this.cd, { type, fd: 0, flags });
    const r = this.r(this.h.ioctl(this.vm, this.h.ioctls.KVM_CREATE_DEVICE, this.cd));
    return r < 0 ? r : kvm_create_device.read(this.h.mem, this.cd).fd;
  }
  createXics(): number {
    return this.create(KVM_DEV_TYPE_XICS);
  }
  close(fd: number): number {
    return this.r(this.h.close(fd));
  }
  /** this.h.ioctls.KVM_CREATE_VCPU, in PAPR mode unless `papr` is false: index in `cpus`. */
  vcpu(id: number, papr = true): number {
    const fd = this.h.ioctl(this.vm, this.h.ioctls.KVM_CREATE_VCPU, id);
    if (fd < 0) throw new Error(`vcpu ${id}: ${this.h.errno}`);
    this.cpus.push(fd);
    if (papr) this.enableCap(this.cpus.length - 1, KVM_CAP_PPC_PAPR, [0n]);
    return this.cpus.length - 1;
  }
  enableCap(i: number, cap: number, args: bigint[], flags = 0): number {
    const a: [bigint, bigint, bigint, bigint] = [args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n];
    kvm_enable_cap.write(this.h.mem, this.cap, { cap, flags, args: a });
    return this.r(this.h.ioctl(this.cpus[i]!, this.h.ioctls.KVM_ENABLE_CAP, this.cap));
  }
  /** KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE, fd, server). */
  connect(i: number, fd: number | bigint, server: number | bigint): number {
    return this.enableCap(i, KVM_CAP_PPC_IRQ_XIVE, [BigInt(fd), BigInt(server)]);
  }
  connectXics(i: number, fd: number, server: number): number {
    return this.enableCap(i, KVM_CAP_IRQ_XICS, [BigInt(fd), BigInt(server)]);
  }
  private attrAt(group: number, attr: number | bigint, addr: number): void {
    kvm_device_attr.write(this.h.mem, this.attr, { flags: 0, group, attr: BigInt.asUintN(64, BigInt(attr)), addr: BigInt(addr) });
  }
  /** SET with a u64 payload (or `addr` when given). */
  set(fd: number, group: number, attr: number | bigint, value: bigint = 0n, addr?: number): number {
    this.h.mem.setU64(this.val, BigInt.asUintN(64, value));
    this.attrAt(group, attr, addr ?? this.val);
    return this.r(this.h.ioctl(fd, this.h.ioctls.KVM_SET_DEVICE_ATTR, this.attr));
  }
  /** SET with a u32 payload. */
  set32(fd: number, group: number, attr: number | bigint, value: number, addr?: number): number {
    this.h.mem.setU64(this.val, 0n);
    this.h.mem.setU32(this.val, value >>> 0);
    this.attrAt(group, attr, addr ?? this.val);
    return this.r(this.h.ioctl(fd, this.h.ioctls.KVM_SET_DEVICE_ATTR, this.attr));
  }
  has(fd: number, group: number, attr: number | bigint): number {
    this.attrAt(group, attr, this.val);
    return this.r(this.h.ioctl(fd, this.h.ioctls.KVM_HAS_DEVICE_ATTR, this.attr));
  }
  get(fd: number, group: number, attr: number | bigint, addr?: number): number {
    this.attrAt(group, attr, addr ?? this.val);
    return this.r(this.h.ioctl(fd, this.h.ioctls.KVM_GET_DEVICE_ATTR, this.attr));
  }
  /** EQ_CONFIG SET with the struct at `this.eq` (or `addr`). */
  setEq(fd: number, id: number | bigint, eq: Partial<KvmPpcXiveEq> | null, addr?: number): number {
    if (eq !== null) kvm_ppc_xive_eq.write(this.h.mem, this.eq, { flags: 0, qshift: 0, qaddr: 0n, qtoggle: 0, qindex: 0, ...eq });
    this.attrAt(4, id, addr ?? this.eq);
    return this.r(this.h.ioctl(fd, this.h.ioctls.KVM_SET_DEVICE_ATTR, this.attr));
  }
  getEq(fd: number, id: number | bigint, addr?: number): number {
    this.attrAt(4, id, addr ?? this.eq);
    return this.r(this.h.ioctl(fd, this.h.ioctls.KVM_GET_DEVICE_ATTR, this.attr));
  }
  readEq(): KvmPpcXiveEq {
    return kvm_ppc_xive_eq.read(this.h.mem, this.eq);
  }
  oneReg(i: number, id: bigint, set: boolean, addr?: number): number {
    kvm_one_reg.write(this.h.mem, this.reg, { id, addr: BigInt(addr ?? this.vp) });
    return this.r(this.h.ioctl(this.cpus[i]!, set ? this.h.ioctls.KVM_SET_ONE_REG : this.h.ioctls.KVM_GET_ONE_REG, this.reg));
  }
  irqLine(irq: number, level: number): number {
    kvm_irq_level.write(this.h.mem, this.irq, { irq, level });
    return this.r(this.h.ioctl(this.vm, this.h.ioctls.KVM_IRQ_LINE, this.irq));
  }
  /** A memory slot at guest physical 0. */
  memory(size: number): number {
    const m = this.h.mem;
    const backing = m.mmap(size);
    const r = m.alloc(32);
    kvm_userspace_memory_region.write(m, r, { slot: 0, flags: 0, guestPhysAddr: 0n, memorySize: BigInt(size), userspaceAddr: BigInt(backing) });
    return this.r(this.h.ioctl(this.vm, this.h.ioctls.KVM_SET_USER_MEMORY_REGION, r));
  }
}
