/**
 * The `powernv9` host profile (bare-metal POWER9 on the XIVE) and the XICS-on-XIVE rules of the
 * XICS device there (arch/powerpc/kvm/book3s_xive.c), each checked against the recording of
 * Debian's 6.12.107 ppc64el kernel under QEMU `-M powernv9` (packages/oracle-suite/recordings/
 * ppc64-powernv9/xics-on-xive).
 */
import {
  EBUSY,
  EEXIST,
  EFAULT,
  EINVAL,
  ENOENT,
  ENXIO,
  EPERM,
  KVM_CAP_MAX_VCPU_ID,
  KVM_CAP_MAX_VCPUS,
  KVM_CAP_NR_VCPUS,
  KVM_IOCTLS,
  KVM_LINE_EXTERNAL,
  kvm_device_attr,
} from '@kvmdev/core';
import {
  H_CPPR,
  H_EOI,
  H_IPI,
  H_IPOLL,
  H_PARAMETER,
  H_SUCCESS,
  H_XIRR,
  KVM_CAP_IRQ_XICS,
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_XICS_GRP_CTRL,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVM_REG_PPC_VP_STATE,
  PPC64_HOSTS,
  checkPpc64HostProfile,
  createXicsPlugin,
  powernv9,
  pseriesHv,
  xicsOnXive,
} from '../src/index.js';
import { xicsOnXiveOf, xiveGetXive, xiveIntOff, xiveIntOn, xiveSetXive } from '../src/internal.js';
import { pnv } from './pnv-harness.js';

const P = KVM_IOCTLS.powerpc;

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

const P5 = 5n << 32n;
const LEVEL = 1n << 40n;
const MASKED = 1n << 41n;
const PENDING = 1n << 42n;
const PRESENTED = 1n << 43n;
const QUEUED = 1n << 44n;

/** A powernv9 VM with an XICS-on-XIVE and `n` vCPUs in PAPR mode (ids 0..n-1), none connected. */
function withXics(n = 2) {
  const t = pnv();
  const vcpus = Array.from({ length: n }, (_, i) => t.vcpu(i));
  const xics = t.createXics();
  return { ...t, vcpus, xics };
}

/** The same, the vCPUs connected as servers 0..n-1. */
function connected(n = 2) {
  const t = withXics(n);
  t.vcpus.forEach((c, i) => expect(t.connect(c, t.xics, i)).toBe(0));
  return t;
}

describe('XICS-on-XIVE: GRP_CTRL / KVM_DEV_XICS_NR_SERVERS (kvmppc_xive_set_nr_servers)', () => {
  test('HAS answers 0 for attr 1 only; GET is ENXIO (the emulated XICS: ENXIO for all)', () => {
    const t = withXics();
    expect([0, 1, 2, 2 ** 32 + 1].map((a) => t.has(t.xics, KVM_DEV_XICS_GRP_CTRL, a))).toEqual([-ENXIO, 0, -ENXIO, -ENXIO]);
    const a = t.host.mem.alloc(24);
    kvm_device_attr.write(t.host.mem, a, { flags: 0, group: KVM_DEV_XICS_GRP_CTRL, attr: 1n, addr: BigInt(t.host.mem.alloc(8)) });
    expect(t.io(t.xics, P.KVM_GET_DEVICE_ATTR, a)).toBe(-ENXIO);
  });

  test('0 and above KVM_MAX_VCPU_IDS are EINVAL, a bad pointer EFAULT, 1..16384 accepted', () => {
    const t = withXics();
    expect([0, 1, 2048, 2049, 16384, 16385, 0xffffffff].map((n) => t.nrServers(t.xics, n))).toEqual([-EINVAL, 0, 0, 0, 0, -EINVAL, -EINVAL]);
    expect(t.nrServers(t.xics, 4, 0)).toBe(-EFAULT);
  });

  test('a packed server number at or beyond nr_servers is EINVAL and allocates nothing; values above KVM_MAX_VCPUS clamp', () => {
    const t = withXics(3);
    expect(t.nrServers(t.xics, 4)).toBe(0);
    expect([t.connect(t.vcpus[0]!, t.xics, 4), t.connect(t.vcpus[0]!, t.xics, 2047)]).toEqual([-EINVAL, -EINVAL]);
    // nothing allocated yet: NR_SERVERS is still accepted
    expect(t.nrServers(t.xics, 4096)).toBe(0);
    // clamped to 2048: server 2047 fits now
    expect(t.connect(t.vcpus[0]!, t.xics, 2047)).toBe(0);
  });

  test('EBUSY once a vCPU connected (the VP block exists); range errors still come first', () => {
    const t = connected(1);
    expect([t.nrServers(t.xics, 8), t.nrServers(t.xics, 0), t.nrServers(t.xics, 16385), t.nrServers(t.xics, 8, 0)]).toEqual([-EBUSY, -EINVAL, -EINVAL, -EFAULT]);
  });

  test('a released device gives a fresh one: NR_SERVERS settable again, the vCPUs free to connect', () => {
    const t = connected(1);
    expect(t.host.close(t.xics)).toBe(0);
    const x2 = t.createXics();
    expect(t.nrServers(x2, 1)).toBe(0);
    expect([t.connect(t.vcpus[0]!, x2, 1), t.connect(t.vcpus[0]!, x2, 0), t.nrServers(x2, 1)]).toEqual([-EINVAL, 0, -EBUSY]);
  });
});

describe('XICS-on-XIVE: the connect (kvmppc_xive_connect_vcpu)', () => {
  test('server numbers become VP ids: 2048, 4096, 0x7fffffff and 0xffffffff pack to 0 and collide with server 0 (EEXIST)', () => {
    const t = withXics(3);
    expect(t.connect(t.vcpus[0]!, t.xics, 0)).toBe(0);
    expect([2048, 4096, 0x7fffffff, 0xffffffff, 2n ** 32n].map((s) => t.connect(t.vcpus[1]!, t.xics, s))).toEqual([-EEXIST, -EEXIST, -EEXIST, -EEXIST, -EEXIST]);
    expect(t.connect(t.vcpus[1]!, t.xics, 2047)).toBe(0);
    expect(t.connect(t.vcpus[1]!, t.xics, 5)).toBe(-EBUSY);
  });

  test('a source targets the server number as given (2048), not its VP', () => {
    const t = withXics(2);
    expect(t.connect(t.vcpus[0]!, t.xics, 2048)).toBe(0);
    expect(t.setSource(t.xics, 0x1000, 2048n | P5)).toBe(0);
    expect(t.getSource(t.xics, 0x1000)).toBe(P5 | 2048n);
    // server 0 is the same VP but no vCPU's server number: untargeted, act_server stays 0
    expect(t.setSource(t.xics, 0x1001, P5)).toBe(0);
    expect(t.getSource(t.xics, 0x1001)).toBe(P5);
  });
});

describe('XICS-on-XIVE: the ICP state (kvmppc_xive_get_icp / _set_icp)', () => {
  test('GET is CPPR and MFRR only (XISR 0, PPRI 0xff); SET validates nothing', () => {
    const t = connected(1);
    const c = t.vcpus[0]!;
    expect(t.getIcp(c)).toBe(0x00000000ffff0000n);
    // the emulated XICS refuses all three (XISR 0 with PPRI 5, an IPI with PPRI != MFRR, PPRI >= CPPR)
    for (const v of [0xff000000ff050000n, 0xff000002ff040000n, 0x05001000ff050000n, 0x1200ffffff341234n]) {
      expect(t.setIcp(c, v)).toBe(0);
      expect(t.getIcp(c)).toBe((v & 0xff00000000000000n) | (v & 0xff000000n) | 0xff0000n);
    }
  });

  test('no presenter: ENXIO; KVM_REG_PPC_VP_STATE on a presenter is EPERM (not XIVE native mode), ENXIO without one', () => {
    const t = connected(1);
    const other = t.vcpu(1);
    expect(t.getIcp(other)).toBe(BigInt(-ENXIO));
    const buf = t.host.mem.alloc(16);
    expect([t.oneReg(t.vcpus[0]!, P.KVM_GET_ONE_REG, KVM_REG_PPC_VP_STATE, buf), t.oneReg(t.vcpus[0]!, P.KVM_SET_ONE_REG, KVM_REG_PPC_VP_STATE, buf)]).toEqual([-EPERM, -EPERM]);
    expect([t.oneReg(other, P.KVM_GET_ONE_REG, KVM_REG_PPC_VP_STATE, buf), t.oneReg(other, P.KVM_SET_ONE_REG, KVM_REG_PPC_VP_STATE, buf)]).toEqual([-ENXIO, -ENXIO]);
  });

  test('an XISR naming a source not set yet is delayed: the SET that follows restores it PENDING', () => {
    const t = connected(1);
    expect(t.setIcp(t.vcpus[0]!, 0xff005000ff000000n)).toBe(0);
    expect(t.setSource(t.xics, 0x5000, P5 | MASKED)).toBe(0);
    expect(t.setSource(t.xics, 0x5001, P5 | MASKED)).toBe(0);
    // masked and Q set: "masked pending" needs the saved priority to be 0xff, so only QUEUED shows
    expect([t.getSource(t.xics, 0x5000), t.getSource(t.xics, 0x5001)]).toEqual([P5 | MASKED | QUEUED, P5 | MASKED]);
  });
});

describe('XICS-on-XIVE: sources (xive_set_source / xive_get_source)', () => {
  test('a missing server is accepted (0) and leaves the source untargeted at its old server', () => {
    const t = connected(2);
    expect(t.setSource(t.xics, 0x1000, 1n | P5)).toBe(0);
    expect(t.setSource(t.xics, 0x1000, 7n | P5)).toBe(0); // the emulated XICS: EINVAL
    expect(t.getSource(t.xics, 0x1000)).toBe(1n | P5);
  });

  test('GET answers from a snapshot taken by the first GET of a round of src_count GETs', () => {
    const t = connected(1);
    for (let n = 0x1000; n < 0x1003; n++) expect(t.setSource(t.xics, n, P5)).toBe(0);
    expect(t.getSource(t.xics, 0x1000)).toBe(P5); // scans: nothing pending
    expect(t.irqLine(0x1000, 1)).toBe(0);
    // same round: the trigger does not show
    expect([t.getSource(t.xics, 0x1000), t.getSource(t.xics, 0x1000)]).toEqual([P5, P5]);
    // next round: presented and in a queue (PENDING)
    expect(t.getSource(t.xics, 0x1000)).toBe(P5 | PRESENTED | PENDING);
    // a GET with a bad pointer still counts in the round; ENOENT does not
    expect(t.getSource(t.xics, 0x1001, 0)).toBe(BigInt(-EFAULT));
    expect(t.getSource(t.xics, 0x1003)).toBe(BigInt(-ENOENT));
    expect(t.irqLine(0x1000, 1)).toBe(0);
    expect(t.getSource(t.xics, 0x1000)).toBe(P5 | PRESENTED | PENDING);
    expect(t.getSource(t.xics, 0x1000)).toBe(P5 | PRESENTED | QUEUED | PENDING);
  });

  test('priority 0xff (unmasked) reads back MASKED and leaves the source untargeted at its old server', () => {
    const t = connected(2);
    expect(t.setSource(t.xics, 0x1000, P5)).toBe(0);
    expect(t.setSource(t.xics, 0x1000, 1n | (0xffn << 32n))).toBe(0);
    // the emulated XICS stores server 1
    expect(t.getSource(t.xics, 0x1000)).toBe((0xffn << 32n) | MASKED);
  });

  test('a queue takes 1022 targets (a 4 KiB page of entries less 2); the next source goes to another vCPU, then none', () => {
    const t = connected(2);
    for (let i = 0; i < 1022; i++) expect(t.setSource(t.xics, 0x1000 + i, 1n | P5)).toBe(0);
    expect(t.setSource(t.xics, 0x1000 + 1022, 1n | P5)).toBe(0);
    for (let i = 1023; i < 2044; i++) t.setSource(t.xics, 0x1000 + i, 1n | P5);
    // the 2045th: no room anywhere, untargeted (act_server stays at its initial 0)
    expect(t.setSource(t.xics, 0x1000 + 2044, 1n | P5)).toBe(0);
    const srv = (n: number) => t.getSource(t.xics, n) & 0xffffffffn;
    expect([srv(0x1000 + 1021), srv(0x1000 + 1022), srv(0x1000 + 2043), srv(0x1000 + 2044)]).toEqual([1n, 0n, 0n, 0n]);
    // untargeted: a trigger queues nothing (no PENDING), unlike one of the targeted sources
    t.irqLine(0x1000 + 2044, 1);
    t.irqLine(0x1000 + 2043, 1);
    const rest = 2045 - 2;
    t.getSource(t.xics, 0x1000);
    for (let i = 0; i < rest - 1; i++) t.getSource(t.xics, 0x1000);
    const a = t.getSource(t.xics, 0x1000 + 2044);
    const b = t.getSource(t.xics, 0x1000 + 2043);
    expect([a & PENDING, b & PENDING]).toEqual([0n, PENDING]);
  });
});

describe('XICS-on-XIVE: KVM_IRQ_LINE (kvmppc_xive_set_irq)', () => {
  test('MSI: 1 triggers (PQ 10, queued: PENDING even with the CPPR open), again sets Q; 0 and UNSET do nothing', () => {
    const t = connected(1);
    // CPPR 0xff: the emulated XICS would present the source in XISR (PRESENTED, not PENDING)
    expect(t.setIcp(t.vcpus[0]!, 0xff000000ff000000n)).toBe(0);
    expect(t.setSource(t.xics, 0x1000, P5)).toBe(0);
    for (const lv of [0, KVM_INTERRUPT_UNSET]) expect(t.irqLine(0x1000, lv)).toBe(0);
    expect(t.getSource(t.xics, 0x1000)).toBe(P5);
    t.irqLine(0x1000, 1);
    expect(t.getSource(t.xics, 0x1000)).toBe(P5 | PRESENTED | PENDING);
    t.irqLine(0x1000, 2);
    expect(t.getSource(t.xics, 0x1000)).toBe(P5 | PRESENTED | QUEUED | PENDING);
  });

  test('LSI: asserted lines show PENDING (P), the presented/queued bits are an MSI\'s only', () => {
    const t = connected(1);
    expect(t.setSource(t.xics, 0x1008, P5 | LEVEL)).toBe(0);
    expect(t.getSource(t.xics, 0x1008)).toBe(P5 | LEVEL);
    t.irqLine(0x1008, KVM_INTERRUPT_SET_LEVEL);
    t.irqLine(0x1008, KVM_INTERRUPT_SET_LEVEL);
    expect(t.getSource(t.xics, 0x1008)).toBe(P5 | LEVEL | PENDING);
    // deasserting does not take the event back
    t.irqLine(0x1008, KVM_INTERRUPT_UNSET);
    expect(t.getSource(t.xics, 0x1008)).toBe(P5 | LEVEL | PENDING);
  });
});

describe('XICS-on-XIVE: the in-kernel RTAS handlers (kvmppc_xive_set_xive and friends)', () => {
  test('int-on of an untargeted source is EINVAL; set-xive retargets and unmasks; int-off masks keeping the priority', () => {
    const t = connected(2);
    const x = xicsOnXiveOf(t.host.vmOf(t.vm))!;
    expect(t.setSource(t.xics, 0x1000, 0xffn << 32n)).toBe(0);
    expect(xiveIntOn(x, 0x1000)).toBe(-EINVAL); // the emulated XICS: 0
    expect(xiveSetXive(x, 0x1000, 7, 5)).toBe(-EINVAL); // no server 7: the status is the error
    expect(xiveSetXive(x, 0x1000, 1, 5)).toBe(0);
    const out = [0, 0];
    expect(xiveGetXive(x, 0x1000, out)).toBe(0);
    expect(out).toEqual([1, 5]);
    expect(xiveIntOff(x, 0x1000)).toBe(0);
    expect(xiveGetXive(x, 0x1000, out)).toBe(0);
    expect(out).toEqual([1, 0xff]);
    expect(t.getSource(t.xics, 0x1000)).toBe(1n | P5 | MASKED);
    expect(xiveIntOn(x, 0x1000)).toBe(0);
    expect(t.getSource(t.xics, 0x1000)).toBe(1n | P5);
    // a source in a block that does not exist
    expect([xiveSetXive(x, 0x9000, 0, 5), xiveGetXive(x, 0x9000, out), xiveIntOn(x, 0x9000), xiveIntOff(x, 0x9000)]).toEqual([-EINVAL, -EINVAL, -EINVAL, -EINVAL]);
  });
});

describe('XICS-on-XIVE: the XICS hypercalls of a XIVE presenter (xive_vm_h_*)', () => {
  const ee = (t: ReturnType<typeof connected>, c: number) => t.host.vcpuOf(c).lines[KVM_LINE_EXTERNAL];
  const hc = (t: ReturnType<typeof connected>, c: number, nr: number, args: number[] = []) => t.host.guest(c).hypercall(nr, args);

  test('an MSI: the exception follows the VP (PIPR < CPPR); H_XIRR takes it from the queue, H_EOI ends it', () => {
    const t = connected(1);
    const c = t.vcpus[0]!;
    expect(t.setSource(t.xics, 0x1000, P5)).toBe(0);
    t.irqLine(0x1000, 1);
    expect(ee(t, c)).toBe(0); // CPPR 0 blocks it
    expect(hc(t, c, H_CPPR, [0xff]).ret).toBe(H_SUCCESS);
    expect(ee(t, c)).toBe(1);
    const x = hc(t, c, H_XIRR);
    expect([x.ret, x.out[0]]).toEqual([H_SUCCESS, 0xff001000]);
    expect(ee(t, c)).toBe(0);
    expect(t.getIcp(c)).toBe(0x05000000ffff0000n);
    expect(hc(t, c, H_EOI, [0xff001000]).ret).toBe(H_SUCCESS);
    expect(t.getIcp(c)).toBe(0xff000000ffff0000n);
    // fetched: no longer in a queue, and the EOI cleared P
    expect(t.getSource(t.xics, 0x1000)).toBe(P5);
    // nothing left
    expect(hc(t, c, H_XIRR).out[0]).toBe(0xff000000);
    // a vCPU without a presenter: KVM_EXIT_PAPR_HCALL
    expect(hc(t, t.vcpu(1), H_XIRR).kind).toBe('exit');
  });

  test('a second trigger before the EOI (Q) is re-sent by the EOI and taken again', () => {
    const t = connected(1);
    const c = t.vcpus[0]!;
    t.setSource(t.xics, 0x1000, P5);
    hc(t, c, H_CPPR, [0xff]);
    t.irqLine(0x1000, 1);
    expect(hc(t, c, H_XIRR).out[0]).toBe(0xff001000);
    t.irqLine(0x1000, 1);
    expect(ee(t, c)).toBe(0);
    hc(t, c, H_EOI, [0xff001000]);
    expect(ee(t, c)).toBe(1);
    expect(hc(t, c, H_XIRR).out[0]).toBe(0xff001000);
  });

  test('H_IPI: an IPI below CPPR is XISR 2 at the MFRR; accepting it leaves the MFRR, so clear it before the EOI', () => {
    const t = connected(2);
    const [c0, c1] = [t.vcpus[0]!, t.vcpus[1]!];
    hc(t, c1, H_CPPR, [0xff]);
    expect(hc(t, c0, H_IPI, [1, 4]).ret).toBe(H_SUCCESS);
    expect(ee(t, c1)).toBe(1);
    expect(hc(t, c1, H_XIRR).out[0]).toBe(0xff000002);
    expect(t.getIcp(c1)).toBe(0x0400000004ff0000n);
    hc(t, c1, H_IPI, [1, 0xff]);
    hc(t, c1, H_EOI, [0xff000002]);
    expect(t.getIcp(c1)).toBe(0xff000000ffff0000n);
    expect(hc(t, c0, H_IPI, [99, 4]).ret).toBe(H_PARAMETER);
  });

  test("H_IPOLL of another server writes that vCPU's r4, not the caller's; an unknown server is H_PARAMETER", () => {
    const t = connected(2);
    const [c0, c1] = [t.vcpus[0]!, t.vcpus[1]!];
    hc(t, c1, H_CPPR, [0xff]);
    const self = hc(t, c1, H_IPOLL, [1]);
    expect([self.ret, self.out[0]]).toEqual([H_SUCCESS, 0xff000000]);
    const other = hc(t, c0, H_IPOLL, [1]);
    expect([other.ret, other.out[0]]).toEqual([H_SUCCESS, 0]);
    expect(hc(t, c0, H_IPOLL, [99]).ret).toBe(H_PARAMETER);
  });

  test('H_EOI of a source in no block is H_PARAMETER after the CPPR change', () => {
    const t = connected(1);
    const c = t.vcpus[0]!;
    expect(hc(t, c, H_EOI, [0xff07f000]).ret).toBe(H_PARAMETER);
    expect(t.getIcp(c)).toBe(0xff000000ffff0000n);
  });
});
