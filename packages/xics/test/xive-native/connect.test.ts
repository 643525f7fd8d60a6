/**
 * XIVE native presenters: the vCPU connect, NR_SERVERS, VP_STATE and ICP_STATE, release, and the
 * XICS on the same VM, as recorded on powernv9 (scenarios/xive/connect.kvms, vmm/qemu-xive.kvms).
 */
import { EBADF, EBUSY, EEXIST, EFAULT, EINVAL, ENXIO, EPERM } from '@kvmdev/core';
import {
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_NR_SERVERS,
  KVM_REG_PPC_ICP_STATE,
  KVM_REG_PPC_VP_STATE,
  createXicsPlugin,
  createXivePlugin,
  packVcpuId,
  xive,
} from '../../src/internal.js';
import type { KvmPlugin } from '@kvmdev/core';
import { Rig, powernvPlugins } from './rig.js';

const NS = (r: Rig, x: number, n: number, addr?: number): number => r.set32(x, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_NR_SERVERS, n, addr);

describe('XIVE native: the vCPU connect', () => {
  it('EBADF, EPERM for a non-device fd, another device type and another VM\'s XIVE; flags EINVAL', () => {
    const r = new Rig();
    r.vcpu(0);
    expect(r.connect(0, 999, 0)).toBe(-EBADF);
    expect(r.connect(0, r.kvm, 0)).toBe(-EPERM);
    expect(r.connect(0, r.vm, 0)).toBe(-EPERM);
    const x = r.create();
    const other = new Rig([], r.h);
    const y = other.create();
    expect(r.connect(0, y, 0)).toBe(-EPERM);
    expect(r.enableCap(0, 169, [BigInt(x), 0n], 1)).toBe(-EINVAL);
    // the fd is an unsigned int, the server a u32
    expect(r.connect(0, BigInt(x) | 0x100000000n, 0x100000003n)).toBe(0);
    expect(r.connect(0, x, 1)).toBe(-EBUSY);
  });

  it('servers: below NR_SERVERS; a taken VP is EEXIST; servers from KVM_MAX_VCPUS on pack to 0', () => {
    const r = new Rig();
    const x = r.create();
    for (let i = 0; i < 3; i++) r.vcpu(i);
    expect(r.connect(0, x, 2047)).toBe(0);
    expect(r.connect(1, x, 0)).toBe(0);
    expect(r.connect(2, x, 2048)).toBe(-EEXIST);
    expect(packVcpuId(2048, 2048)).toBe(0);
    expect(packVcpuId(2048, 0xffffffff)).toBe(0);
    expect(packVcpuId(2048, 5)).toBe(5);
  });

  it('HV: a vCPU not in PAPR mode connects and still gets EINVAL; the retry is EBUSY', () => {
    const r = new Rig();
    const x = r.create();
    r.vcpu(3, false);
    expect(r.connect(0, x, 1)).toBe(-EINVAL);
    expect(r.connect(0, x, 1)).toBe(-EBUSY);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, false)).toBe(0);
    // requirePapr: false drops the check
    const q = new Rig(powernvPlugins(createXivePlugin({ requirePapr: false })));
    const y = q.create();
    q.vcpu(0, false);
    expect(q.connect(0, y, 0)).toBe(0);
  });
});

describe('XIVE native: NR_SERVERS', () => {
  it('EFAULT, EINVAL for 0 and above KVM_MAX_VCPU_IDS, settable (clipped) until a connect, then EBUSY', () => {
    const r = new Rig();
    const x = r.create();
    r.vcpu(0);
    r.vcpu(1);
    expect(r.has(x, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_NR_SERVERS)).toBe(0);
    expect(r.get(x, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_NR_SERVERS)).toBe(-ENXIO);
    expect(NS(r, x, 0)).toBe(-EINVAL);
    expect(NS(r, x, 16384)).toBe(0);
    expect(NS(r, x, 16385)).toBe(-EINVAL);
    expect(NS(r, x, 0xffffffff)).toBe(-EINVAL);
    expect(NS(r, x, 2, 0)).toBe(-EFAULT);
    expect(NS(r, x, 2)).toBe(0);
    expect(NS(r, x, 4)).toBe(0);
    expect(r.connect(0, x, 4)).toBe(-EINVAL);
    expect(r.connect(0, x, 3)).toBe(0);
    expect(r.connect(1, x, 3)).toBe(-EEXIST);
    expect(NS(r, x, 8)).toBe(-EBUSY);
    expect(NS(r, x, 0)).toBe(-EINVAL);
  });

  it('a connect that fails after its effect (not in PAPR mode) fixes the VP block too', () => {
    const r = new Rig();
    const x = r.create();
    r.vcpu(0, false);
    expect(NS(r, x, 4)).toBe(0);
    expect(r.connect(0, x, 4)).toBe(-EINVAL); // out of range: nothing allocated
    expect(NS(r, x, 2)).toBe(0);
    expect(r.connect(0, x, 1)).toBe(-EINVAL); // PAPR: connected, then EINVAL
    expect(NS(r, x, 8)).toBe(-EBUSY);
  });
});

describe('XIVE native: VP_STATE and ICP_STATE', () => {
  // the plugins answer alike in either order (a vCPU attached to one controller is that one's)
  it.each([
    ['the XIVE plugin first', (): KvmPlugin[] => powernvPlugins()],
    ['the XICS plugin first', (): KvmPlugin[] => [createXicsPlugin({ host: 'powernv9' }), xive]],
  ])('ENXIO without a presenter; the saved context reads 0x000000ff00000000 (CPPR 0xff, big-endian); %s', (_order, plugins) => {
    const r = new Rig(plugins());
    r.vcpu(0);
    r.vcpu(1);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, false)).toBe(-ENXIO);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, true)).toBe(-ENXIO);
    expect(r.oneReg(0, KVM_REG_PPC_ICP_STATE, false)).toBe(-ENXIO);
    const x = r.create();
    r.connect(0, x, 0);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, false)).toBe(0);
    expect(r.h.mem.getU64(r.vp)).toBe(0x000000ff00000000n);
    r.h.mem.setU64(r.vp, 0x1122334455667788n);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, true)).toBe(0);
    r.h.mem.setU64(r.vp, 0n);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, false)).toBe(0);
    expect(r.h.mem.getU64(r.vp)).toBe(0x1122334455667788n);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, false, 0)).toBe(-EFAULT);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, true, 0)).toBe(-EFAULT);
    expect(r.oneReg(0, KVM_REG_PPC_ICP_STATE, false)).toBe(0);
    expect(r.h.mem.getU64(r.vp)).toBe(0xff0000n);
  });

  it('release: the vCPUs lose their presenters (ENXIO) and can connect to a new device', () => {
    const r = new Rig();
    r.vcpu(0);
    const x = r.create();
    r.connect(0, x, 0);
    r.close(x);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, false)).toBe(-ENXIO);
    const y = r.create();
    expect(r.connect(0, y, 0)).toBe(0);
  });

  it('the XICS: a XIVE fd is EPERM to KVM_CAP_IRQ_XICS and the XICS fd to the XIVE connect; its vCPUs answer VP_STATE EPERM', () => {
    const r = new Rig();
    r.vcpu(0);
    r.vcpu(1);
    const x = r.create();
    expect(r.connectXics(0, x, 9)).toBe(-EPERM);
    r.close(x);
    const xi = r.createXics();
    expect(r.connectXics(0, xi, 0)).toBe(0);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, false)).toBe(-EPERM);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, true)).toBe(-EPERM);
    expect(r.oneReg(0, KVM_REG_PPC_VP_STATE, true, 0)).toBe(-EFAULT);
    expect(r.connect(0, xi, 0)).toBe(-EPERM);
    expect(r.connect(1, xi, 1)).toBe(-EPERM);
    r.close(xi);
    const y = r.create();
    expect(r.connect(0, y, 0)).toBe(0);
  });

});
