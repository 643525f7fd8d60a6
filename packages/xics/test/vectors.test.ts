/**
 * Reference section 3, XICS vectors 21-40, with the exact values, through both faces (facade and
 * typed API) and the vCPU guest port.
 */
import { EBADF, EBUSY, EEXIST, EINVAL, ENOENT, ENXIO, EPERM, KVM_CREATE_VM } from '@kvmdev/core';
import {
  H_CPPR,
  H_EOI,
  H_IPI,
  H_IPOLL,
  H_PARAMETER,
  H_RTAS,
  H_SUCCESS,
  H_XIRR,
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_DEV_XICS_NR_SERVERS,
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  KVM_PPC_RTAS_DEFINE_TOKEN,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  readRtasRets,
  writeRtasArgs,
  writeRtasTokenArgs,
} from '../src/internal.js';
import { FACES, type Face, hcall, P5, setupT } from './harness.js';

const G = KVM_DEV_XICS_GRP_SOURCES;
const X = 0x1000;
const Y = 0x1001;
const Z = 0x1002;
const P3 = 0x0000000300000000n;
const P4 = 0x0000000400000000n;

const ee = (f: Face, i = 0): number => f.guest(i).line('external');

/** Defines the RTAS token for `name` on the VM. */
function defineToken(f: Face, name: string, token: number): number {
  const a = f.host.mem.alloc(128);
  writeRtasTokenArgs(f.host.mem, a, name, token);
  return f.vmIoctl(KVM_PPC_RTAS_DEFINE_TOKEN, a);
}

/** An RTAS call through H_RTAS; returns [hcall ret, ...rets]. */
function rtas(f: Face, i: number, token: number, args: number[], nret: number): number[] {
  const a = f.host.mem.alloc(88);
  writeRtasArgs(f.host.mem, a, token, args, nret);
  const r = hcall(f, i, H_RTAS, [a]);
  return [r.ret, ...readRtasRets(f.host.mem, a, args.length, nret)];
}

describe.each(FACES)('XICS vectors (%s)', (_name, make) => {
  test('21: initial ICP state, ENXIO without an ICP, second XICS EEXIST', () => {
    const f = setupT(make);
    expect(f.getIcp(0)).toBe(0x00000000ffff0000n);
    expect(f.createVcpu(1)).toBe(1);
    expect(f.getIcp(1)).toBe(-ENXIO);
    expect(f.setIcp(1, 0xff000000ffff0000n)).toBe(-ENXIO);
    expect(f.createXics()).toBe(-EEXIST);
    expect(ee(f)).toBe(0);
  });

  test('22: missing sources, range checks, HAS_ATTR, GRP_CTRL on the emulated XICS', () => {
    const f = setupT(make);
    expect(f.getAttr(G, 0x1000)).toBe(-ENOENT);
    expect(f.setAttr(G, 15, 0n)).toBe(-ENOENT);
    expect(f.setAttr(G, 0x100000, 0n)).toBe(-ENOENT);
    expect(f.hasAttr(G, 16)).toBe(0);
    expect(f.hasAttr(G, 0xfffff)).toBe(0);
    expect(f.hasAttr(G, 15)).toBe(-ENXIO);
    expect(f.hasAttr(G, 0x100000)).toBe(-ENXIO);
    expect(f.hasAttr(KVM_DEV_XICS_GRP_CTRL, KVM_DEV_XICS_NR_SERVERS)).toBe(-ENXIO);
    expect(f.setAttr(KVM_DEV_XICS_GRP_CTRL, KVM_DEV_XICS_NR_SERVERS, 4n)).toBe(-ENXIO);
    expect(f.getAttr(KVM_DEV_XICS_GRP_CTRL, KVM_DEV_XICS_NR_SERVERS)).toBe(-ENXIO);
    expect(f.getAttr(3, 0x1000)).toBe(-ENXIO);
  });

  test('23: a server is needed unless the priority is 0xff', () => {
    const f = setupT(make);
    expect(f.setAttr(G, X, 7n | P5)).toBe(-EINVAL);
    expect(f.getAttr(G, X)).toBe(-ENOENT);
    expect(f.setAttr(G, X, 7n | (0xffn << 32n))).toBe(0);
    expect(f.getAttr(G, X)).toBe(0x000002ff00000007n);
  });

  test('24: SET then GET of an MSI source', () => {
    const f = setupT(make);
    expect(f.setAttr(G, X, P5)).toBe(0);
    expect(f.getAttr(G, X)).toBe(0x0000000500000000n);
  });

  test('25-26: CPPR 0 refuses, H_CPPR(0xff) resends, H_XIRR accepts, H_EOI completes', () => {
    const f = setupT(make);
    f.setAttr(G, X, P5);
    expect(f.irqLine(X, KVM_INTERRUPT_SET)).toBe(0);
    expect(f.getIcp(0)).toBe(0x00000000ffff0000n);
    expect(f.getAttr(G, X)).toBe(0x00000c0500000000n);
    expect(ee(f)).toBe(0);
    expect(hcall(f, 0, H_CPPR, [0xff]).ret).toBe(H_SUCCESS);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(ee(f)).toBe(1);
    // 26
    const x = hcall(f, 0, H_XIRR);
    expect(x).toMatchObject({ ret: H_SUCCESS, r4: 0xff001000 });
    expect(f.getIcp(0)).toBe(0x05000000ffff0000n);
    expect(f.getAttr(G, X)).toBe(0x0000080500000000n);
    expect(ee(f)).toBe(0);
    expect(hcall(f, 0, H_EOI, [0xff001000]).ret).toBe(H_SUCCESS);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    expect(f.getAttr(G, X)).toBe(0x0000000500000000n);
    expect(ee(f)).toBe(0);
  });

  test('27: MSI coalescing through PQ', () => {
    const f = setupT(make);
    f.setAttr(G, X, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(X, KVM_INTERRUPT_SET);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    f.irqLine(X, KVM_INTERRUPT_SET);
    expect(f.getAttr(G, X)).toBe(0x0000180500000000n);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(hcall(f, 0, H_XIRR).r4).toBe(0xff001000);
    expect(f.getIcp(0)).toBe(0x05000000ffff0000n);
    expect(hcall(f, 0, H_EOI, [0xff001000]).ret).toBe(H_SUCCESS);
    expect(f.getAttr(G, X)).toBe(0x0000080500000000n);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(ee(f)).toBe(1);
  });

  test('28: LSI re-presents while asserted, not after UNSET', () => {
    const f = setupT(make);
    expect(f.setAttr(G, Y, P5 | KVM_XICS_LEVEL_SENSITIVE)).toBe(0);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(Y, KVM_INTERRUPT_SET_LEVEL);
    expect(f.getIcp(0)).toBe(0xff001001ff050000n);
    expect(f.getAttr(G, Y)).toBe(0x00000d0500000000n);
    // asserting again while P is set is a no-op
    f.irqLine(Y, KVM_INTERRUPT_SET_LEVEL);
    expect(f.getAttr(G, Y)).toBe(0x00000d0500000000n);
    expect(hcall(f, 0, H_XIRR).r4).toBe(0xff001001);
    expect(f.getIcp(0)).toBe(0x05000000ffff0000n);
    hcall(f, 0, H_EOI, [0xff001001]);
    expect(f.getIcp(0)).toBe(0xff001001ff050000n);
    expect(hcall(f, 0, H_XIRR).r4).toBe(0xff001001);
    f.irqLine(Y, KVM_INTERRUPT_UNSET);
    hcall(f, 0, H_EOI, [0xff001001]);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    expect(f.getAttr(G, Y)).toBe(0x0000010500000000n);
    expect(ee(f)).toBe(0);
  });

  test('28: deasserting does not retract an LSI already at the ICP', () => {
    const f = setupT(make);
    f.setAttr(G, Y, P5 | KVM_XICS_LEVEL_SENSITIVE);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(Y, 1);
    f.irqLine(Y, 0);
    expect(f.getIcp(0)).toBe(0xff001001ff050000n);
    expect(f.getAttr(G, Y)).toBe(0x0000010500000000n);
  });

  test('29: MSI level 0 is a no-op; unknown sources return 0 and change nothing', () => {
    const f = setupT(make);
    f.setAttr(G, X, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    expect(f.irqLine(X, 0)).toBe(0);
    expect(f.irqLine(X, KVM_INTERRUPT_UNSET)).toBe(0);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    expect(f.getAttr(G, X)).toBe(0x0000000500000000n);
    expect(f.irqLine(0x2000, KVM_INTERRUPT_SET)).toBe(0); // block missing
    expect(f.irqLine(0x1005, KVM_INTERRUPT_SET)).toBe(0); // block exists, source never SET
    expect(f.irqLine(0xffffffff, KVM_INTERRUPT_SET)).toBe(0);
    expect(f.getAttr(G, 0x1005)).toBe(-ENOENT);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    // any other nonzero level counts as 1
    expect(f.irqLine(X, 7)).toBe(0);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
  });

  test('30: masked source goes masked-pending; ibm,int-on delivers it', () => {
    const f = setupT(make);
    expect(defineToken(f, 'ibm,int-on', 0x200d)).toBe(0);
    expect(f.setAttr(G, Z, P5 | KVM_XICS_MASKED)).toBe(0);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(Z, KVM_INTERRUPT_SET);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    expect(f.getAttr(G, Z)).toBe(0x00000e0500000000n);
    expect(rtas(f, 0, 0x200d, [Z], 1)).toEqual([H_SUCCESS, 0]);
    expect(f.getIcp(0)).toBe(0xff001002ff050000n);
    expect(f.getAttr(G, Z)).toBe(0x0000080500000000n);
    expect(ee(f)).toBe(1);
  });

  test('31: a more favoured source rejects the pending one into resend', () => {
    const f = setupT(make);
    f.setAttr(G, X, P5);
    f.setAttr(G, Y, P3);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(X, KVM_INTERRUPT_SET);
    f.irqLine(Y, KVM_INTERRUPT_SET);
    expect(f.getIcp(0)).toBe(0xff001001ff030000n);
    expect(f.getAttr(G, X)).toBe(0x00000c0500000000n);
    expect(hcall(f, 0, H_XIRR).r4).toBe(0xff001001);
    expect(f.getIcp(0)).toBe(0x03000000ffff0000n);
    expect(hcall(f, 0, H_EOI, [0xff001001]).ret).toBe(H_SUCCESS);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(f.getAttr(G, X)).toBe(0x0000080500000000n);
    expect(f.getAttr(G, Y)).toBe(0x0000000300000000n);
  });

  test('32: equal priority does not preempt', () => {
    const f = setupT(make);
    f.setAttr(G, X, P5);
    f.setAttr(G, Z, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(X, KVM_INTERRUPT_SET);
    f.irqLine(Z, KVM_INTERRUPT_SET);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(f.getAttr(G, Z)).toBe(0x00000c0500000000n);
    expect(f.getAttr(G, X)).toBe(0x0000080500000000n);
  });

  test('33: H_CPPR upward rejects, H_CPPR(0xff) re-presents', () => {
    const f = setupT(make);
    f.setAttr(G, X, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(X, KVM_INTERRUPT_SET);
    expect(ee(f)).toBe(1);
    expect(hcall(f, 0, H_CPPR, [5]).ret).toBe(H_SUCCESS);
    expect(f.getIcp(0)).toBe(0x05000000ffff0000n);
    expect(f.getAttr(G, X)).toBe(0x00000c0500000000n);
    expect(ee(f)).toBe(0);
    hcall(f, 0, H_CPPR, [0xff]);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(ee(f)).toBe(1);
  });

  test('34: IPI; accepting it leaves MFRR, so it comes back until H_IPI(0xff)', () => {
    const f = setupT(make);
    hcall(f, 0, H_CPPR, [0xff]);
    expect(hcall(f, 0, H_IPI, [0, 4]).ret).toBe(H_SUCCESS);
    expect(f.getIcp(0)).toBe(0xff00000204040000n);
    expect(ee(f)).toBe(1);
    expect(hcall(f, 0, H_XIRR).r4).toBe(0xff000002);
    expect(f.getIcp(0)).toBe(0x0400000004ff0000n);
    hcall(f, 0, H_EOI, [0xff000002]);
    expect(f.getIcp(0)).toBe(0xff00000204040000n);
    expect(hcall(f, 0, H_XIRR).r4).toBe(0xff000002);
    hcall(f, 0, H_IPI, [0, 0xff]);
    hcall(f, 0, H_EOI, [0xff000002]);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
  });

  test('35: an IPI at equal priority takes over; a less favoured one does not', () => {
    const f = setupT(make);
    f.setAttr(G, X, P4);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(X, KVM_INTERRUPT_SET);
    expect(hcall(f, 0, H_IPI, [0, 4]).ret).toBe(H_SUCCESS);
    expect(f.getIcp(0)).toBe(0xff00000204040000n);
    expect(f.getAttr(G, X)).toBe(0x00000c0400000000n);

    const g = setupT(make);
    g.setAttr(G, X, P4);
    hcall(g, 0, H_CPPR, [0xff]);
    g.irqLine(X, KVM_INTERRUPT_SET);
    hcall(g, 0, H_IPI, [0, 6]);
    expect(g.getIcp(0)).toBe(0xff00100006040000n);
    expect(g.getAttr(G, X)).toBe(0x0000080400000000n);
  });

  test('36: H_IPOLL peeks; unknown servers are H_PARAMETER', () => {
    const f = setupT(make);
    expect(hcall(f, 0, H_IPOLL, [0])).toEqual({ ret: H_SUCCESS, r4: 0, r5: 0xff });
    f.setAttr(G, X, P5);
    hcall(f, 0, H_CPPR, [0xff]);
    f.irqLine(X, KVM_INTERRUPT_SET);
    expect(hcall(f, 0, H_IPOLL, [0])).toEqual({ ret: H_SUCCESS, r4: 0xff001000, r5: 0xff });
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(ee(f)).toBe(1);
    expect(hcall(f, 0, H_IPOLL, [99]).ret).toBe(H_PARAMETER);
    expect(hcall(f, 0, H_IPI, [99, 5]).ret).toBe(H_PARAMETER);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
  });

  test('37: H_EOI of a source in a missing block is H_PARAMETER after the CPPR change', () => {
    const f = setupT(make);
    expect(hcall(f, 0, H_EOI, [0xff000000 | 0x7f000]).ret).toBe(H_PARAMETER);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
  });

  test('38: ONE_REG set validation', () => {
    const f = setupT(make);
    expect(f.setIcp(0, 0xff001000ff050000n)).toBe(-EINVAL); // block 4 does not exist yet
    expect(f.setIcp(0, 0xff000000ff050000n)).toBe(-EINVAL);
    expect(f.setIcp(0, 0xff000002ff040000n)).toBe(-EINVAL);
    expect(f.setIcp(0, 0xff00000204040000n)).toBe(0);
    expect(f.setIcp(0, 0x0400000204040000n)).toBe(-EINVAL); // IPI PPRI >= CPPR
    f.setAttr(G, X, P5);
    expect(f.setIcp(0, 0x05001000ff050000n)).toBe(-EINVAL);
    expect(f.setIcp(0, 0xff00100005050000n)).toBe(-EINVAL); // PPRI >= MFRR
    expect(f.getIcp(0)).toBe(0xff00000204040000n); // rejected sets changed nothing
    expect(f.setIcp(0, 0xff001000ff050000n)).toBe(0);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(ee(f)).toBe(1);
    // the low 16 bits are ignored on set and read back as 0
    expect(f.setIcp(0, 0xff000000ffff1234n)).toBe(0);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    expect(ee(f)).toBe(0);
  });

  test('39: raising CPPR through ONE_REG alone does not resend', () => {
    const f = setupT(make);
    f.setAttr(G, X, P5);
    f.irqLine(X, KVM_INTERRUPT_SET); // refused at CPPR 0: resend
    expect(f.setIcp(0, 0xff000000ffff0000n)).toBe(0);
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    expect(f.getAttr(G, X)).toBe(0x00000c0500000000n);
    expect(ee(f)).toBe(0);
    expect(hcall(f, 0, H_CPPR, [0xff]).ret).toBe(H_SUCCESS); // equal CPPR: nothing
    expect(f.getIcp(0)).toBe(0xff000000ffff0000n);
    hcall(f, 0, H_EOI, [0xff000002]); // Down_CPPR runs the carried need_resend
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);
    expect(ee(f)).toBe(1);
  });

  test('39: an MFRR increase (H_IPI or ONE_REG) runs the resend', () => {
    const f = setupT(make);
    f.setAttr(G, X, P5);
    f.irqLine(X, KVM_INTERRUPT_SET);
    f.setIcp(0, 0xff000000ffff0000n);
    hcall(f, 0, H_IPI, [0, 0x10]);
    expect(f.getIcp(0)).toBe(0xff00000210100000n);
    hcall(f, 0, H_IPI, [0, 0xff]);
    expect(f.getIcp(0)).toBe(0xff001000ff050000n);

    const g = setupT(make);
    g.setAttr(G, X, P5);
    g.irqLine(X, KVM_INTERRUPT_SET);
    expect(g.setIcp(0, 0xff00000010ff0000n)).toBe(0);
    expect(g.getIcp(0)).toBe(0xff00000010ff0000n);
    expect(g.setIcp(0, 0xff000000ffff0000n)).toBe(0);
    expect(g.getIcp(0)).toBe(0xff001000ff050000n);
  });

  test('40: connect errors', () => {
    const f = setupT(make);
    expect(f.createVcpu(1)).toBe(1);
    expect(f.connect(1, 0)).toBe(-EEXIST);
    expect(f.connect(0, 5)).toBe(-EBUSY);
    expect(f.connect(0, 0)).toBe(-EBUSY);
    expect(f.connect(1, 1, 999)).toBe(-EBADF);
    expect(f.connect(1, 1, f.vcpuFd(0))).toBe(-EPERM); // not a KVM device
    expect(f.connect(1, 1)).toBe(0);
    expect(f.vcpu(1).irqConnection).toBe('xics');
  });

  test('40: another VM\'s XICS is EPERM', () => {
    const f = setupT(make);
    const kvm = f.host.open('/dev/kvm');
    const vm2 = f.host.ioctl(kvm, KVM_CREATE_VM, 0);
    expect(vm2).toBeGreaterThan(0);
    const v = f.host.vmOf(vm2);
    const vcpuFd = f.host.createVcpu(v, 0);
    const vcpu = f.host.vcpuOf(vcpuFd);
    expect(f.host.enableCap(vcpu, 92, 0, [BigInt(f.xicsFd), 1n, 0n, 0n])).toBe(-EPERM);
  });
});
