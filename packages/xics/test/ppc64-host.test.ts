/**
 * The ppc64 host profile (issue 13 items 6 and 14): what a book3s-64 kernel answers around the
 * XICS, written from arch/powerpc/kvm/powerpc.c (kvm_vm_ioctl_check_extension, kvm_arch_init_vm,
 * kvm_vcpu_ioctl_enable_cap, kvmppc_sanity_check, kvm_arch_vcpu_async_ioctl), book3s_hv.c
 * (kvmppc_core_vcpu_create_hv, kvmppc_core_init_vm_hv), book3s.c (kvmppc_get/set_one_reg),
 * kvm_main.c (KVM_GET_VCPU_MMAP_SIZE, kvm_vm_ioctl_create_vcpu) and the recordings of Debian's
 * 6.12.107 ppc64el kernel under QEMU pseries with nested kvm-hv. Every call uses the powerpc
 * request numbers, as on the real host.
 */
import {
  EBUSY,
  EFAULT,
  EINVAL,
  EMFILE,
  ENOTTY,
  ENXIO,
  KVM_CAP_ENABLE_CAP,
  KVM_CAP_IRQFD,
  KVM_CAP_IRQ_ROUTING,
  KVM_CAP_MAX_VCPU_ID,
  KVM_CAP_MAX_VCPUS,
  KVM_CAP_NR_VCPUS,
  KVM_CAP_SIGNAL_MSI,
  KVM_EXIT_INTERNAL_ERROR,
  KVM_IOCTLS,
  KVM_LINE_EXTERNAL,
  type Host,
  createHost,
  kvm_enable_cap,
  kvm_one_reg,
} from '@kvmdev/core';
import {
  KVM_CAP_IRQ_XICS,
  KVM_CAP_PPC_IRQ_LEVEL,
  KVM_CAP_PPC_PAPR,
  KVM_CAP_PPC_SMT,
  KVM_CAP_PPC_UNSET_IRQ,
  KVM_DEV_TYPE_XICS,
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVM_REG_PPC_ICP_STATE,
  KVM_REG_PPC_VP_STATE,
  KVM_VM_PPC_HV,
  KVM_VM_PPC_PR,
  PPC64_HOSTS,
  createXicsPlugin,
  ppcVcpuOf,
  pseriesHv,
  xics,
} from '../src/index.js';

const P = KVM_IOCTLS.powerpc;

interface Ppc {
  host: Host;
  kvm: number;
  vm: number;
  /** The result, or -errno. */
  io(fd: number, req: number, arg: number): number;
  vcpu(id: number): number;
  enableCap(fd: number, cap: number, args?: readonly bigint[], flags?: number): number;
  createXics(): number;
}

function ppc(plugins = [createXicsPlugin({ host: 'pseries-hv' })], vmType = 0): Ppc {
  const host = createHost({ plugins });
  const io = (fd: number, req: number, arg: number): number => {
    const r = host.ioctl(fd, req, arg);
    return r < 0 ? -host.errno : r;
  };
  const kvm = host.open('/dev/kvm');
  const vm = io(kvm, P.KVM_CREATE_VM, vmType);
  const cap = host.mem.alloc(104);
  const cd = host.mem.alloc(12);
  return {
    host,
    kvm,
    vm,
    io,
    vcpu: (id) => io(vm, P.KVM_CREATE_VCPU, id),
    enableCap(fd, c, args = [], flags = 0) {
      kvm_enable_cap.write(host.mem, cap, { cap: c, flags, args: [args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n] });
      return io(fd, P.KVM_ENABLE_CAP, cap);
    },
    createXics() {
      host.mem.setU32(cd, KVM_DEV_TYPE_XICS);
      host.mem.setU32(cd + 8, 0);
      const r = io(vm, P.KVM_CREATE_DEVICE, cd);
      return r < 0 ? r : host.mem.getU32(cd + 4);
    },
  };
}

describe('the pseries-hv host profile', () => {
  test('is a preset; the plugin declares a ppc64 host: powerpc numbers, no GSI routing, no MSIs', () => {
    expect(PPC64_HOSTS['pseries-hv']).toBe(pseriesHv);
    const p = createXicsPlugin({ host: 'pseries-hv' });
    expect(p.host).toBe(pseriesHv);
    expect(p.hostArch).toEqual({ name: 'ppc64', ioctlEncoding: 'powerpc', irqRouting: false, msi: false });
    expect(xics.host).toBeNull();
    expect(xics.hostArch).toBeUndefined();
    const { host } = ppc([p]);
    expect(host.ioctls).toBe(P);
    expect(() => createXicsPlugin({ host: 'pseries' })).toThrow(/unknown ppc64 host profile/);
    expect(() => createXicsPlugin({ host: { ...pseriesHv, pageSize: 8192 as 4096 } })).toThrow(/pageSize/);
    expect(() => createXicsPlugin({ host: 'pseries-hv', msi: true })).toThrow(/no MSI/);
  });

  test('capabilities: the powerpc ones 1 (kvm_vm_ioctl_check_extension), IRQFD 1, IRQ_ROUTING and SIGNAL_MSI 0 everywhere', () => {
    const t = ppc();
    const cap = (fd: number, c: number) => t.io(fd, P.KVM_CHECK_EXTENSION, c);
    for (const fd of [t.kvm, t.vm]) {
      expect([fd, cap(fd, KVM_CAP_PPC_IRQ_LEVEL), cap(fd, KVM_CAP_ENABLE_CAP), cap(fd, KVM_CAP_PPC_PAPR), cap(fd, KVM_CAP_PPC_UNSET_IRQ)]).toEqual([fd, 1, 1, 1, 1]);
      expect([fd, cap(fd, KVM_CAP_IRQFD), cap(fd, KVM_CAP_IRQ_ROUTING), cap(fd, KVM_CAP_SIGNAL_MSI)]).toEqual([fd, 1, 0, 0]);
      // HV on POWER9: 1 thread per vcore (CPU_FTR_ARCH_300 on /dev/kvm, the VM's smt_mode on a VM)
      expect(cap(fd, KVM_CAP_PPC_SMT)).toBe(1);
    }
    expect(t.createXics()).toBeGreaterThan(0);
    expect(cap(t.vm, KVM_CAP_IRQ_ROUTING)).toBe(0);
    expect(cap(t.vm, KVM_CAP_IRQ_XICS)).toBe(1);
  });

  test('limits: NR_VCPUS the present CPUs (HV), MAX_VCPUS NR_CPUS 2048, MAX_VCPU_ID 8 * 2048', () => {
    const t = ppc();
    for (const fd of [t.kvm, t.vm]) {
      expect(t.io(fd, P.KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS)).toBe(2);
      expect(t.io(fd, P.KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS)).toBe(2048);
      expect(t.io(fd, P.KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID)).toBe(16384);
    }
    expect(t.host.vmOf(t.vm).maxVcpus).toBe(2048);
  });

  test('KVM_SIGNAL_MSI and KVM_SET_GSI_ROUTING are ENOTTY on a VM without an XICS (and with one)', () => {
    const t = ppc();
    for (const req of [P.KVM_SIGNAL_MSI, P.KVM_SET_GSI_ROUTING]) expect(t.io(t.vm, req, 0)).toBe(-ENOTTY);
    t.createXics();
    for (const req of [P.KVM_SIGNAL_MSI, P.KVM_SET_GSI_ROUTING]) expect(t.io(t.vm, req, 0)).toBe(-ENOTTY);
  });

  test('KVM_GET_VCPU_MMAP_SIZE is one 4 KiB page (recorded: 4096; no PIO page, no KVM_MMIO on an HV-capable build)', () => {
    const t = ppc();
    expect(t.io(t.kvm, P.KVM_GET_VCPU_MMAP_SIZE, 0)).toBe(4096);
    expect(t.host.pageSize()).toBe(4096);
  });

  test('KVM_CREATE_VM: 0 and KVM_VM_PPC_HV (kvm-hv is loaded), not KVM_VM_PPC_PR (no kvm-pr) nor 3', () => {
    const t = ppc();
    expect(t.io(t.kvm, P.KVM_CREATE_VM, KVM_VM_PPC_HV)).toBeGreaterThan(0);
    expect(t.io(t.kvm, P.KVM_CREATE_VM, KVM_VM_PPC_PR)).toBe(-EINVAL);
    expect(t.io(t.kvm, P.KVM_CREATE_VM, 3)).toBe(-EINVAL);
    expect(ppc(undefined, KVM_VM_PPC_HV).vm).toBeGreaterThan(0);
  });
});

describe('book3s-HV vCPU creation: one vCPU per vcore slot on POWER9 (kvmppc_core_vcpu_create_hv)', () => {
  test('a second create of an id is EINVAL (the slot collision comes before the generic EEXIST)', () => {
    const t = ppc();
    expect(t.vcpu(0)).toBeGreaterThan(0);
    expect(t.vcpu(1)).toBeGreaterThan(0);
    expect(t.vcpu(1)).toBe(-EINVAL);
    expect(t.vcpu(0)).toBe(-EINVAL);
  });

  test('ids at or above KVM_MAX_VCPUS * emul_smt_mode (2048) are EINVAL; 0x100 and 2047 are fine', () => {
    const t = ppc();
    expect(t.vcpu(0x100)).toBeGreaterThan(0);
    expect(t.vcpu(2047)).toBeGreaterThan(0);
    expect(t.vcpu(2048)).toBe(-EINVAL);
    expect(t.vcpu(16383)).toBe(-EINVAL);
    expect(t.vcpu(16384)).toBe(-EINVAL);
  });

  test('a create that fails after the arch create (no fd: EMFILE) keeps its slot: the retry is EINVAL', () => {
    const host = createHost({ plugins: [createXicsPlugin({ host: 'pseries-hv' })], fdLimit: 5 });
    const kvm = host.open('/dev/kvm'); // 3
    const vm = host.ioctl(kvm, P.KVM_CREATE_VM, 0); // 4: the table is full
    expect(host.ioctl(vm, P.KVM_CREATE_VCPU, 1)).toBe(-1);
    expect(host.errno).toBe(EMFILE);
    host.close(kvm);
    expect(host.ioctl(vm, P.KVM_CREATE_VCPU, 1)).toBe(-1);
    expect(host.errno).toBe(EINVAL);
    expect(host.ioctl(vm, P.KVM_CREATE_VCPU, 2)).toBeGreaterThanOrEqual(0);
  });

  test('without a profile the generic rule stays: a duplicate id is EEXIST', () => {
    const host = createHost({ plugins: [xics] });
    const kvm = host.open('/dev/kvm');
    const vm = host.ioctl(kvm, KVM_IOCTLS.generic.KVM_CREATE_VM, 0);
    host.ioctl(vm, KVM_IOCTLS.generic.KVM_CREATE_VCPU, 1);
    expect(host.ioctl(vm, KVM_IOCTLS.generic.KVM_CREATE_VCPU, 1)).toBe(-1);
    expect(host.errno).toBe(17); // EEXIST
  });
});

describe('PAPR mode and kvmppc_sanity_check', () => {
  test('KVM_ENABLE_CAP(KVM_CAP_PPC_PAPR) on a vCPU is 0 and puts it in PAPR mode (again: 0); flags 1 EINVAL', () => {
    const t = ppc();
    const c = t.vcpu(0);
    expect(t.enableCap(c, KVM_CAP_PPC_PAPR, [], 1)).toBe(-EINVAL);
    expect(ppcVcpuOf(t.host.vcpuOf(c))!.papr).toBe(false);
    expect(t.enableCap(c, KVM_CAP_PPC_PAPR)).toBe(0);
    expect(ppcVcpuOf(t.host.vcpuOf(c))!.papr).toBe(true);
    expect(t.enableCap(c, KVM_CAP_PPC_PAPR)).toBe(0);
    expect(t.enableCap(t.vm, KVM_CAP_PPC_PAPR)).toBe(-EINVAL); // a vCPU capability
  });

  test('the XICS connect of a vCPU not in PAPR mode makes the ICP but fails EINVAL; the retry is EBUSY', () => {
    const t = ppc();
    const c0 = t.vcpu(0);
    const c1 = t.vcpu(1);
    const x = t.createXics();
    expect(t.enableCap(c0, KVM_CAP_IRQ_XICS, [BigInt(x), 0n])).toBe(-EINVAL);
    expect(t.host.vcpuOf(c0).irqConnection).toBe('xics');
    const r = t.host.mem.alloc(16);
    const v = t.host.mem.alloc(8);
    kvm_one_reg.write(t.host.mem, r, { id: KVM_REG_PPC_ICP_STATE, addr: BigInt(v) });
    expect(t.io(c0, P.KVM_GET_ONE_REG, r)).toBe(0); // the ICP exists
    expect(t.host.mem.getU64(v)).toBe(0x00000000ffff0000n);
    expect(t.enableCap(c0, KVM_CAP_IRQ_XICS, [BigInt(x), 0n])).toBe(-EBUSY);
    expect(t.enableCap(c0, KVM_CAP_PPC_PAPR)).toBe(0);
    expect(t.enableCap(c0, KVM_CAP_IRQ_XICS, [BigInt(x), 0n])).toBe(-EBUSY);
    // in PAPR mode first: the connect succeeds
    expect(t.enableCap(c1, KVM_CAP_PPC_PAPR)).toBe(0);
    expect(t.enableCap(c1, KVM_CAP_IRQ_XICS, [BigInt(x), 1n])).toBe(0);
  });

  test('a failing connect (EEXIST) is not sanity-checked: its errno stands', () => {
    const t = ppc();
    const c0 = t.vcpu(0);
    const c1 = t.vcpu(1);
    const x = t.createXics();
    t.enableCap(c0, KVM_CAP_PPC_PAPR);
    expect(t.enableCap(c0, KVM_CAP_IRQ_XICS, [BigInt(x), 7n])).toBe(0);
    expect(t.enableCap(c1, KVM_CAP_IRQ_XICS, [BigInt(x), 7n])).toBe(-17); // EEXIST, not EINVAL
    expect(t.host.vcpuOf(c1).irqConnection).toBeNull();
  });

  test('KVM_RUN of a vCPU not in PAPR mode is EINVAL with exit_reason KVM_EXIT_INTERNAL_ERROR (kvmppc_vcpu_run_hv); in PAPR mode it runs', () => {
    const t = ppc();
    const c = t.vcpu(0);
    expect(t.io(c, P.KVM_RUN, 0)).toBe(-EINVAL);
    expect(t.host.vcpuOf(c).guest.run.exitReason).toBe(KVM_EXIT_INTERNAL_ERROR);
    expect(t.host.vcpuOf(c).runs).toBe(0);
    t.enableCap(c, KVM_CAP_PPC_PAPR);
    expect(t.io(c, P.KVM_RUN, 0)).toBe(0);
  });

  test('the device-only plugin connects without PAPR mode (no HV sanity check)', () => {
    const host = createHost({ plugins: [xics] });
    const G = KVM_IOCTLS.generic;
    const kvm = host.open('/dev/kvm');
    const vm = host.ioctl(kvm, G.KVM_CREATE_VM, 0);
    const c = host.ioctl(vm, G.KVM_CREATE_VCPU, 0);
    const cd = host.mem.alloc(12);
    host.mem.setU32(cd, KVM_DEV_TYPE_XICS);
    host.ioctl(vm, G.KVM_CREATE_DEVICE, cd);
    const cap = host.mem.alloc(104);
    kvm_enable_cap.write(host.mem, cap, { cap: KVM_CAP_IRQ_XICS, flags: 0, args: [BigInt(host.mem.getU32(cd + 4)), 0n, 0n, 0n] });
    expect(host.ioctl(c, G.KVM_ENABLE_CAP, cap)).toBe(0);
  });
});

describe('KVM_INTERRUPT on a vCPU (kvm_arch_vcpu_async_ioctl, kvm_vcpu_ioctl_interrupt)', () => {
  test('0 for every value: UNSET dequeues the external interrupt, anything else queues it', () => {
    const t = ppc();
    const c = t.vcpu(0);
    const vcpu = t.host.vcpuOf(c);
    const irq = t.host.mem.alloc(4);
    const put = (v: number) => {
      t.host.mem.setU32(irq, v);
      return t.io(c, P.KVM_INTERRUPT, irq);
    };
    expect(put(KVM_INTERRUPT_SET)).toBe(0);
    expect(vcpu.line(KVM_LINE_EXTERNAL)).toBe(1);
    expect(ppcVcpuOf(vcpu)!.externalOneshot).toBe(true);
    expect(put(KVM_INTERRUPT_UNSET)).toBe(0);
    expect(vcpu.line(KVM_LINE_EXTERNAL)).toBe(0);
    expect(put(5)).toBe(0);
    expect(vcpu.line(KVM_LINE_EXTERNAL)).toBe(1);
    expect(ppcVcpuOf(vcpu)!.externalOneshot).toBe(false);
    expect(put(KVM_INTERRUPT_SET_LEVEL)).toBe(0);
    expect(put(0)).toBe(0);
    expect(vcpu.line(KVM_LINE_EXTERNAL)).toBe(1);
  });

  test('the struct is copied first: a bad pointer is EFAULT; the generic number is not a request here', () => {
    const t = ppc();
    const c = t.vcpu(0);
    expect(t.io(c, P.KVM_INTERRUPT, 0)).toBe(-EFAULT);
    const irq = t.host.mem.alloc(4);
    expect(t.io(c, KVM_IOCTLS.generic.KVM_INTERRUPT, irq)).toBe(-EINVAL); // kvm_arch_vcpu_ioctl's default
  });
});

describe('KVM_REG_PPC_VP_STATE (CONFIG_KVM_XIVE, no XIVE presenter on the plain XICS)', () => {
  test('GET is ENXIO before the address is touched; SET copies 16 bytes first (EFAULT), then ENXIO', () => {
    const t = ppc();
    const c = t.vcpu(0);
    const r = t.host.mem.alloc(16);
    const v = t.host.mem.alloc(16);
    const one = (req: number, addr: number) => {
      kvm_one_reg.write(t.host.mem, r, { id: KVM_REG_PPC_VP_STATE, addr: BigInt(addr) });
      return t.io(c, req, r);
    };
    expect(one(P.KVM_GET_ONE_REG, v)).toBe(-ENXIO);
    expect(one(P.KVM_GET_ONE_REG, 8)).toBe(-ENXIO);
    expect(one(P.KVM_SET_ONE_REG, v)).toBe(-ENXIO);
    expect(one(P.KVM_SET_ONE_REG, 8)).toBe(-EFAULT);
  });

  test('a host without CONFIG_KVM_XIVE does not know the register (EINVAL)', () => {
    const t = ppc([createXicsPlugin({ host: { ...pseriesHv, name: 'no-xive', kvmXive: false } })]);
    const c = t.vcpu(0);
    const r = t.host.mem.alloc(16);
    kvm_one_reg.write(t.host.mem, r, { id: KVM_REG_PPC_VP_STATE, addr: BigInt(t.host.mem.alloc(16)) });
    expect(t.io(c, P.KVM_GET_ONE_REG, r)).toBe(-EINVAL);
  });
});

describe('composition on the pseries-hv host', () => {
  test("presets.qemuPseries composes: every vCPU in PAPR mode first, then connected (QEMU's order)", async () => {
    const { composeVm, presets } = await import('@kvmdev/core');
    const host = createHost({ plugins: [createXicsPlugin({ host: 'pseries-hv' })] });
    const c = composeVm(host, presets.qemuPseries({ vcpus: 2, sources: 4 }));
    for (const v of c.vcpus) {
      const vcpu = host.vcpuOf(v.fd);
      expect(ppcVcpuOf(vcpu)!.papr).toBe(true);
      expect(vcpu.irqConnection).toBe('xics');
    }
  });
});
