/**
 * The `powernv9` host profile (bare-metal POWER9 on the XIVE) and the XICS-on-XIVE rules of the
 * XICS device there (arch/powerpc/kvm/book3s_xive.c), each checked against the recording of
 * Debian's 6.12.107 ppc64el kernel under QEMU `-M powernv9` (packages/oracle-suite/recordings/
 * ppc64-powernv9/xics-on-xive).
 */
import {
  KVM_CAP_MAX_VCPU_ID,
  KVM_CAP_MAX_VCPUS,
  KVM_CAP_NR_VCPUS,
  KVM_IOCTLS,
  type Host,
  createHost,
  kvm_enable_cap,
} from '@kvmdev/core';
import {
  KVM_CAP_IRQ_XICS,
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_CAP_PPC_PAPR,
  KVM_DEV_TYPE_XICS,
  PPC64_HOSTS,
  checkPpc64HostProfile,
  createXicsPlugin,
  powernv9,
  pseriesHv,
  xicsOnXive,
} from '../src/index.js';

const P = KVM_IOCTLS.powerpc;

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
  };
  return t;
}

describe('the powernv9 host profile', () => {
  test('is a preset: kvm-hv on a bare-metal POWER9 with the XIVE, one CPU', () => {
    expect(PPC64_HOSTS.powernv9).toBe(powernv9);
    expect([xicsOnXive(powernv9), xicsOnXive(pseriesHv)]).toEqual([true, false]);
    expect(checkPpc64HostProfile(powernv9)).toEqual([]);
    // the XIVE needs CONFIG_KVM_XIVE, kvm-hv and a POWER9
    expect(checkPpc64HostProfile({ ...powernv9, kvmXive: false })).toEqual([expect.stringMatching(/^xive: needs/)]);
    expect(checkPpc64HostProfile({ ...powernv9, kvm: 'pr' })).toEqual([expect.stringMatching(/^xive: needs/)]);
    const p = createXicsPlugin({ host: 'powernv9' });
    expect(p.host).toBe(powernv9);
    expect(p.hostArch?.ioctlEncoding).toBe('powerpc');
    expect(p.options).toEqual({ host: 'powernv9' });
  });

  test('KVM_CAP_PPC_IRQ_XIVE is 1 on the XIVE host and 0 on pseries; NR_VCPUS the one present CPU', () => {
    const t = pnv();
    for (const fd of [t.kvm, t.vm]) {
      expect([t.cap(fd, KVM_CAP_PPC_IRQ_XIVE), t.cap(fd, KVM_CAP_IRQ_XICS)]).toEqual([1, 1]);
      expect([t.cap(fd, KVM_CAP_NR_VCPUS), t.cap(fd, KVM_CAP_MAX_VCPUS), t.cap(fd, KVM_CAP_MAX_VCPU_ID)]).toEqual([1, 2048, 16384]);
    }
    const s = pnv([createXicsPlugin({ host: 'pseries-hv' })]);
    expect(s.cap(s.kvm, KVM_CAP_PPC_IRQ_XIVE)).toBe(0);
  });
});
