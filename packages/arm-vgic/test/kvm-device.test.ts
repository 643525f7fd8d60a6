/** Reference §4 and §9 items 14–48: ADDR, register groups, sysregs, LEVEL_INFO, CTRL, MAINT_IRQ. */
import { E2BIG, EBADF, EBUSY, EEXIST, EFAULT, EINVAL, ENOENT, ENXIO, KVM_GET_DEVICE_ATTR, kvm_device_attr } from '@kvmdev/core';
import { armVgic, createArmVgic, gicv2AprsKept, gicv3Server } from '../src/index.js';
import { errnoOf, facade, typed } from './helpers.js';

const G = { ADDR: 0, DIST: 1, CPU: 2, NR: 3, CTRL: 4, REDIST: 5, SYS: 6, LEVEL: 7, MAINT: 9 };
const ALL = 0xffffffffffffffffn;

function v3(nVcpus = 1, init = true, nrIrqs?: number) {
  const f = facade();
  for (let i = 0; i < nVcpus; i++) f.createVcpu(i);
  const d = f.createDevice(7);
  if (nrIrqs) f.set(d, G.NR, 0, nrIrqs);
  if (init) f.set(d, G.CTRL, 0, 0, 0);
  return { f, d };
}
function v2(nVcpus = 1, nrIrqs?: number) {
  const f = facade();
  for (let i = 0; i < nVcpus; i++) f.createVcpu(i);
  const d = f.createDevice(5);
  if (nrIrqs) f.set(d, G.NR, 0, nrIrqs);
  return { f, d };
}

describe('GRP_ADDR', () => {
  test('14: V3 DIST set, EEXIST, get', () => {
    const { f, d } = v3(0, false);
    expect(f.get(d, G.ADDR, 2, 8)).toEqual({ r: 0, v: ALL });
    expect(f.set(d, G.ADDR, 2, 0x3fff0000, 8)).toBe(0);
    expect(f.set(d, G.ADDR, 2, 0x1000, 8)).toBe(-EEXIST);
    expect(f.set(d, G.ADDR, 2, 0x3fff0000, 8)).toBe(-EEXIST);
    expect(f.get(d, G.ADDR, 2, 8)).toEqual({ r: 0, v: 0x3fff0000n });
  });
  test('15/16: alignment EINVAL, IPA E2BIG', () => {
    const { f, d } = v3(0, false);
    expect(f.set(d, G.ADDR, 2, 0x1000, 8)).toBe(-EINVAL);
    expect(f.set(d, G.ADDR, 2, 1n << 40n, 8)).toBe(-E2BIG);
    expect(f.set(d, G.ADDR, 2, 0xffffffffffff0000n, 8)).toBe(-EINVAL); // wraps
    expect(f.set(d, G.ADDR, 2, (1n << 40n) - 0x10000n, 8)).toBe(0);
  });
  test('17: other model types → ENXIO; HAS', () => {
    const { f, d } = v3(0, false);
    expect(f.set(d, G.ADDR, 0, 0, 8)).toBe(-ENXIO);
    expect(f.set(d, G.ADDR, 6, 0, 8)).toBe(-ENXIO);
    expect(f.get(d, G.ADDR, 1, 8).r).toBe(-ENXIO);
    expect(f.has(d, G.ADDR, 0)).toBe(-ENXIO);
    expect(f.has(d, G.ADDR, 5)).toBe(0);
    expect(f.has(d, G.ADDR, 2)).toBe(0);
    expect(f.has(d, G.ADDR, 3)).toBe(0);
    expect(f.has(d, G.ADDR, 4)).toBe(-ENXIO);
  });
  test('18/19: V2 DIST/CPU', () => {
    const { f, d } = v2(0);
    expect(f.get(d, G.ADDR, 0, 8)).toEqual({ r: 0, v: ALL });
    expect(f.set(d, G.ADDR, 1, 0x3fffe800, 8)).toBe(-EINVAL);
    expect(f.set(d, G.ADDR, 0, 0x3ffff000, 8)).toBe(0);
    expect(f.set(d, G.ADDR, 1, 0x3fffd000, 8)).toBe(0);
    expect(f.set(d, G.ADDR, 1, 0x3fffe800, 8)).toBe(-EEXIST);
    expect(f.set(d, G.ADDR, 2, 0x3fff0000, 8)).toBe(-ENXIO);
    expect(f.has(d, G.ADDR, 0)).toBe(0);
    expect(f.has(d, G.ADDR, 1)).toBe(0);
    expect(f.has(d, G.ADDR, 2)).toBe(-ENXIO);
  });
  test('20: legacy REDIST twice → EEXIST; REDIST_REGION index 0 after legacy → EINVAL; index 1 passes', () => {
    const { f, d } = v3(0, false);
    expect(f.set(d, G.ADDR, 3, 0x3ffe0000, 8)).toBe(0);
    expect(f.set(d, G.ADDR, 3, 0x20000000, 8)).toBe(-EEXIST);
    expect(f.set(d, G.ADDR, 5, (1n << 52n) | 0x10000000n | 0n, 8)).toBe(-EINVAL);
    expect(f.set(d, G.ADDR, 5, (1n << 52n) | 0x10000000n | 1n, 8)).toBe(0);
    expect(f.get(d, G.ADDR, 3, 8).v).toBe(0x3ffe0000n);
  });
  test('21/23: regions by index, legacy after sized → EINVAL, GET by index', () => {
    const { f, d } = v3(0, false);
    expect(f.set(d, G.ADDR, 5, (1n << 52n) | 0x3ffe0000n | 0n, 8)).toBe(0);
    expect(f.set(d, G.ADDR, 5, (1n << 52n) | 0x20000000n | 0n, 8)).toBe(-EINVAL);
    expect(f.set(d, G.ADDR, 5, (2n << 52n) | 0x20000000n | 1n, 8)).toBe(0);
    expect(f.set(d, G.ADDR, 3, 0x10000000n, 8)).toBe(-EINVAL);
    expect(f.get(d, G.ADDR, 5, 8, 7n).r).toBe(-ENOENT);
    expect(f.get(d, G.ADDR, 5, 8, 0n)).toEqual({ r: 0, v: (1n << 52n) | 0x3ffe0000n });
    expect(f.get(d, G.ADDR, 5, 8, 1n)).toEqual({ r: 0, v: (2n << 52n) | 0x20000000n | 1n });
    expect(f.get(d, G.ADDR, 3, 8).v).toBe(0x3ffe0000n);
  });
  test('22: count 0 or flags → EINVAL', () => {
    const { f, d } = v3(0, false);
    expect(f.set(d, G.ADDR, 5, 0x3ffe0000n, 8)).toBe(-EINVAL);
    expect(f.set(d, G.ADDR, 5, (1n << 52n) | 0x3ffe0000n | (1n << 12n), 8)).toBe(-EINVAL);
    expect(f.set(d, G.ADDR, 5, (1n << 52n) | 0x3ffe0000n | 1n, 8)).toBe(-EINVAL); // first index must be 0
  });
  test('24: overlapping regions → EINVAL; beyond IPA → E2BIG', () => {
    const { f, d } = v3(0, false);
    expect(f.set(d, G.ADDR, 5, (4n << 52n) | 0x3ff00000n | 0n, 8)).toBe(0);
    expect(f.set(d, G.ADDR, 5, (1n << 52n) | 0x3ff20000n | 1n, 8)).toBe(-EINVAL);
    expect(f.set(d, G.ADDR, 5, (1n << 52n) | (1n << 40n) | 1n, 8)).toBe(-E2BIG);
  });
  test('EFAULT on a bad payload pointer (typed raw)', () => {
    const { vm } = typed();
    const d = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    expect(errnoOf(() => d.attrRaw('set', G.ADDR, 2, 0))).toBe(EFAULT);
    expect(errnoOf(() => d.attrRaw('get', G.ADDR, 2, 0))).toBe(EFAULT);
    expect(errnoOf(() => d.attrRaw('get', G.NR, 0, 0))).toBe(EFAULT);
  });
  test('typed: ADDR values are bigint', () => {
    const { vm } = typed();
    const d = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    expect(d.getAttr(0, 2)).toBe(ALL);
    d.setAttr(0, 2, 0x3fff0000n);
    expect(d.getAttr(0, 2)).toBe(0x3fff0000n);
    expect(errnoOf(() => d.setAttr(0, 2, 0x3fff0000n))).toBe(EEXIST);
  });
});

describe('V3 register access gating', () => {
  test('26: EBUSY before init, 0x50 after', () => {
    const { f, d } = v3(1, false);
    expect(f.get(d, G.DIST, 0).r).toBe(-EBUSY);
    expect(f.set(d, G.DIST, 0, 2)).toBe(-EBUSY);
    expect(f.get(d, G.SYS, 0xc665, 8).r).toBe(-EBUSY);
    f.set(d, G.CTRL, 0, 0, 0);
    expect(f.get(d, G.DIST, 0)).toEqual({ r: 0, v: 0x50n });
    expect(f.set(d, G.DIST, 0, 2)).toBe(0);
    expect(f.get(d, G.DIST, 0).v).toBe(0x52n);
  });
  test('27: no vCPUs → EINVAL (also before the EBUSY check)', () => {
    const { f, d } = v3(0, true);
    expect(f.get(d, G.DIST, 0).r).toBe(-EINVAL);
    expect(f.get(d, G.REDIST, 0x10).r).toBe(-EINVAL);
    expect(f.has(d, G.DIST, 0)).toBe(-EINVAL);
  });
  test('28: unknown mpidr → EINVAL, also for HAS', () => {
    const { f, d } = v3(1);
    expect(f.get(d, G.REDIST, (1n << 32n) | 8n).r).toBe(-EINVAL);
    expect(f.has(d, G.REDIST, (1n << 32n) | 8n)).toBe(-EINVAL);
    expect(f.get(d, G.SYS, (1n << 32n) | 0xc665n, 8).r).toBe(-EINVAL);
  });
  test('29: GICD_TYPER', () => {
    expect(v3(1, true, 128).f.get(v3(1, true, 128).d, G.DIST, 4).v).toBe(0x00480003n);
    const a = v3(1, true, 128);
    expect(a.f.get(a.d, G.DIST, 4).v).toBe(0x00480003n);
    const b = v3(1, true);
    expect(b.f.get(b.d, G.DIST, 4).v).toBe(0x00480007n);
  });
  test('30: GICD_IIDR revision write', () => {
    const { f, d } = v3(1);
    expect(f.get(d, G.DIST, 8).v).toBe(0x4b00343bn);
    expect(f.set(d, G.DIST, 8, 0x4b01343b)).toBe(-EINVAL);
    expect(f.set(d, G.DIST, 8, 0x4b00443b)).toBe(-EINVAL);
    expect(f.set(d, G.DIST, 8, 0x4b00243b)).toBe(0);
    expect(f.get(d, G.DIST, 8).v).toBe(0x4b00243bn);
    // rev 2 drops GICR_CTLR.{IR,CES}
    expect(f.get(d, G.REDIST, 0).v).toBe(0n);
    expect(f.set(d, G.DIST, 8, 0x4b00343b)).toBe(0);
    expect(f.get(d, G.REDIST, 0).v).toBe(0x6n);
    expect(f.set(d, G.DIST, 0xc, 0)).toBe(0); // TYPER2: the value it reads is accepted
    expect(f.set(d, G.DIST, 0xc, 1)).toBe(-EBUSY); // after init any change is EBUSY, before the value is checked
  });
  test('31: GICR SGI frame resets', () => {
    const { f, d } = v3(1);
    expect(f.get(d, G.REDIST, 0x10100).v).toBe(0xffffn);
    expect(f.get(d, G.REDIST, 0x10c00).v).toBe(0xaaaaaaaan);
    expect(f.get(d, G.REDIST, 0x10c04).v).toBe(0n);
    expect(f.get(d, G.REDIST, 0x10080).v).toBe(0xffffffffn);
    expect(f.get(d, G.REDIST, 0xffe8).v).toBe(0x3bn);
    expect(f.get(d, G.REDIST, 4).v).toBe(0x4b00043bn); // GICR_IIDR has no revision field
  });
  test('32: GICR_TYPER and the Last bit', () => {
    const one = facade();
    one.createVcpu(0);
    const d1 = one.createDevice(7);
    one.set(d1, G.ADDR, 3, 0x3ffd0000, 8);
    one.set(d1, G.CTRL, 0, 0, 0);
    expect(one.get(d1, G.REDIST, 8).v).toBe(0x10n);
    const two = facade();
    // MPIDR_EL1 is reset (Aff0 = vCPU id) by KVM_ARM_VCPU_INIT; before it every vCPU has affinity 0
    for (const id of [0, 1]) two.vcpuInit(two.createVcpu(id));
    const d2 = two.createDevice(7);
    two.set(d2, G.ADDR, 3, 0x3ffb0000, 8);
    two.set(d2, G.CTRL, 0, 0, 0);
    expect(two.get(d2, G.REDIST, 8).v).toBe(0n);
    expect(two.get(d2, G.REDIST, (1n << 32n) | 8n).v).toBe(0x110n);
    expect(two.get(d2, G.REDIST, 0xc).v).toBe(0n);
    expect(two.get(d2, G.REDIST, (1n << 32n) | 0xcn).v).toBe(1n);
    // no redistributor assigned: no Last
    const none = v3(1);
    expect(none.f.get(none.d, G.REDIST, 8).v).toBe(0n);
  });
  test('32b: Last across regions (selftest test_v3_last_bit_redist_regions shape)', () => {
    const f = facade();
    for (let i = 0; i < 3; i++) f.vcpuInit(f.createVcpu(i));
    const d = f.createDevice(7);
    f.set(d, G.ADDR, 5, (2n << 52n) | 0x200000n | 0n, 8);
    f.set(d, G.ADDR, 5, (1n << 52n) | 0x240000n | 1n, 8);
    f.set(d, G.CTRL, 0, 0, 0);
    // region 0 is full and region 1 starts right after it and is used: vCPU 1 is not last
    expect(f.get(d, G.REDIST, 8).v).toBe(0x000n);
    expect(f.get(d, G.REDIST, (1n << 32n) | 8n).v).toBe(0x100n);
    expect(f.get(d, G.REDIST, (2n << 32n) | 8n).v).toBe(0x210n);
  });
  test('33: unknown offsets read 0 but HAS → ENXIO', () => {
    const { f, d } = v3(1, true, 128);
    expect(f.get(d, G.DIST, 0x1234)).toEqual({ r: 0, v: 0n });
    expect(f.set(d, G.DIST, 0x1234, 5)).toBe(0);
    expect(f.has(d, G.DIST, 0x1234)).toBe(-ENXIO);
    expect(f.has(d, G.DIST, 0x2)).toBe(-ENXIO);
    expect(f.has(d, G.DIST, 0x10c)).toBe(0); // INTIDs 96..127 exist
  });
  test('33c: GICR_STATUSR (0x10) is missed by the kernel\'s lookup: HAS ENXIO, GET 0, SET ignored', () => {
    // vgic_v3_rd_registers lists STATUSR between CTLR (0x0) and IIDR (0x4); the bsearch of
    // vgic_find_mmio_region assumes a sorted array and never reaches it (Linux 7.3.4: HAS ENXIO
    // on every vCPU, oracle gicv3/redist-regs L68.*.16). Every other RD/SGI register is found.
    const f = facade();
    for (let i = 0; i < 2; i++) f.vcpuInit(f.createVcpu(i)); // vCPU 1 gets MPIDR Aff0 = 1
    const d = f.createDevice(7);
    f.set(d, G.CTRL, 0, 0, 0);
    for (const cpu of [0n, 1n]) {
      const a = (cpu << 32n) | 0x10n;
      expect(f.has(d, G.REDIST, a)).toBe(-ENXIO);
      expect(f.get(d, G.REDIST, a)).toEqual({ r: 0, v: 0n });
      expect(f.set(d, G.REDIST, a, 0xffffffff)).toBe(0);
      expect(f.get(d, G.REDIST, a)).toEqual({ r: 0, v: 0n });
    }
    const found = [0x0, 0x4, 0x8, 0xc, 0x14, 0x70, 0x74, 0x78, 0x7c, 0xa0, 0xa4, 0xb0, 0xb4, 0xc0, 0xffd0, 0xffe8, 0xfffc];
    for (const o of found) expect([o, f.has(d, G.REDIST, o)]).toEqual([o, 0]);
    for (const o of [0x10080, 0x10100, 0x10180, 0x10200, 0x10280, 0x10300, 0x10380, 0x10400, 0x1041c, 0x10c00, 0x10c04, 0x10d00, 0x10e00]) {
      expect([o, f.has(d, G.REDIST, o)]).toEqual([o, 0]);
    }
  });
  test('33b: per-IRQ offsets beyond nr_irqs read 0, HAS → ENXIO', () => {
    const { f, d } = v3(1, true, 128);
    expect(f.set(d, G.DIST, 0x110, 1)).toBe(0);
    expect(f.get(d, G.DIST, 0x110)).toEqual({ r: 0, v: 0n });
    expect(f.has(d, G.DIST, 0x110)).toBe(-ENXIO);
    expect(f.has(d, G.DIST, 0x6000 + 8 * 127)).toBe(0);
    expect(f.has(d, G.DIST, 0x6000 + 8 * 128)).toBe(-ENXIO);
  });
  test('34: 5 priority bits; first 32 INTIDs RAZ/WI in the V3 distributor', () => {
    const { f, d } = v3(1);
    expect(f.set(d, G.DIST, 0x420, 0xffffffff)).toBe(0);
    expect(f.get(d, G.DIST, 0x420).v).toBe(0xf8f8f8f8n);
    expect(f.set(d, G.DIST, 0x404, 0xffffffff)).toBe(0);
    expect(f.get(d, G.DIST, 0x404).v).toBe(0n);
    expect(f.has(d, G.DIST, 0x404)).toBe(0);
    expect(f.get(d, G.DIST, 0x100).v).toBe(0n);
    expect(f.get(d, G.DIST, 0x80).v).toBe(0n);
    expect(f.get(d, G.DIST, 0x84).v).toBe(0xffffffffn);
    expect(f.get(d, G.DIST, 0xc08).v).toBe(0xaaaaaaaan);
    expect(f.get(d, G.DIST, 0xffe8).v).toBe(0x3bn);
    expect(f.get(d, G.DIST, 0x10).v).toBe(0xffffffffn);
  });
  test('35: CPU_SYSREGS', () => {
    const { f, d } = v3(1);
    expect(f.get(d, G.SYS, 0xc665, 8)).toEqual({ r: 0, v: 7n });
    expect(f.set(d, G.SYS, 0xc665, 0, 8)).toBe(-EINVAL);
    expect(f.set(d, G.SYS, 0xc665, 7, 8)).toBe(0);
    expect(f.get(d, G.SYS, 0xc230, 8).v).toBe(0n);
    expect(f.set(d, G.SYS, 0xc230, 0xf0, 8)).toBe(0);
    expect(f.get(d, G.SYS, 0xc230, 8).v).toBe(0xf0n);
    expect(f.get(d, G.SYS, 0xc600, 8).r).toBe(-ENOENT);
    expect(f.set(d, G.SYS, 0xc600, 0, 8)).toBe(-ENOENT);
    expect(f.has(d, G.SYS, 0xc600)).toBe(-ENXIO);
    expect(f.has(d, G.SYS, 0xc664)).toBe(0);
    expect(f.get(d, G.SYS, 0xc664, 8).v).toBe(0x8400n);
  });
  test('35b: ICC_CTLR_EL1 checks, BPR1 with CBPR', () => {
    const { f, d } = v3(1);
    expect(f.set(d, G.SYS, 0xc664, 0x8500, 8)).toBe(-EINVAL); // 6 pri bits > host 5
    expect(f.set(d, G.SYS, 0xc664, 0x8c00, 8)).toBe(-EINVAL); // IDbits 1 > host 0
    expect(f.set(d, G.SYS, 0xc664, 0xc400, 8)).toBe(-EINVAL); // SEIS differs
    expect(f.set(d, G.SYS, 0xc664, 0x0400, 8)).toBe(-EINVAL); // A3V differs
    expect(f.get(d, G.SYS, 0xc664, 8).v).toBe(0x8400n); // refused writes changed nothing
    expect(f.set(d, G.SYS, 0xc643, 3, 8)).toBe(0);
    expect(f.set(d, G.SYS, 0xc663, 5, 8)).toBe(0);
    expect(f.get(d, G.SYS, 0xc663, 8).v).toBe(5n);
    expect(f.set(d, G.SYS, 0xc664, 0x8403, 8)).toBe(0);
    expect(f.get(d, G.SYS, 0xc664, 8).v).toBe(0x8403n);
    expect(f.get(d, G.SYS, 0xc663, 8).v).toBe(4n); // min(BPR0 + 1, 7)
    expect(f.set(d, G.SYS, 0xc663, 1, 8)).toBe(0); // ignored
    expect(f.get(d, G.SYS, 0xc663, 8).v).toBe(4n);
  });
  test('36: AP0R1 on a 5-priority-bit host → EINVAL', () => {
    const { f, d } = v3(1);
    expect(f.get(d, G.SYS, 0xc645, 8).r).toBe(-EINVAL);
    expect(f.set(d, G.SYS, 0xc649, 1, 8)).toBe(-EINVAL);
    expect(f.has(d, G.SYS, 0xc645)).toBe(0);
    expect(f.get(d, G.SYS, 0xc644, 8).v).toBe(0n);
  });
  test('37: LEVEL_INFO', () => {
    const { f, d } = v3(1);
    expect(f.get(d, G.LEVEL, 33).r).toBe(-EINVAL);
    expect(f.get(d, G.LEVEL, (1 << 10) | 32).r).toBe(-EINVAL);
    expect(f.get(d, G.LEVEL, 32)).toEqual({ r: 0, v: 0n });
    expect(f.has(d, G.LEVEL, 32)).toBe(0);
    expect(f.has(d, G.LEVEL, (1 << 10) | 32)).toBe(-ENXIO);
  });
  test('38/39: CTRL', () => {
    const { f, d } = v3(1, false);
    expect(f.set(d, G.CTRL, 3, 0, 0)).toBe(-ENXIO);
    f.set(d, G.CTRL, 0, 0, 0);
    expect(f.set(d, G.CTRL, 3, 0, 0)).toBe(0);
    expect(f.set(d, G.CTRL, 7, 0, 0)).toBe(-ENXIO);
    expect(f.get(d, G.CTRL, 0).r).toBe(-ENXIO);
    expect(f.has(d, G.CTRL, 0)).toBe(0);
    expect(f.has(d, G.CTRL, 3)).toBe(0);
    expect(f.has(d, G.CTRL, 7)).toBe(-ENXIO);
    const w = v2(1);
    expect(w.f.set(w.d, G.CTRL, 3, 0, 0)).toBe(-ENXIO);
    expect(w.f.has(w.d, G.CTRL, 3)).toBe(-ENXIO);
    expect(w.f.has(w.d, G.CTRL, 0)).toBe(0);
  });
  test('unknown group → ENXIO', () => {
    const { f, d } = v3(1);
    expect(f.get(d, 42, 0).r).toBe(-ENXIO);
    expect(f.set(d, 42, 0, 0)).toBe(-ENXIO);
    expect(f.has(d, 42, 0)).toBe(-ENXIO);
    expect(f.get(d, G.CPU, 0).r).toBe(-ENXIO);
    const w = v2(1);
    expect(w.f.get(w.d, G.REDIST, 0).r).toBe(-ENXIO);
    expect(w.f.get(w.d, G.MAINT, 0).r).toBe(-ENXIO);
  });
  test('MAINT_IRQ: PPI only, before init', () => {
    const { f, d } = v3(1, false);
    expect(f.has(d, G.MAINT, 0)).toBe(0);
    expect(f.get(d, G.MAINT, 0).v).toBe(0n);
    expect(f.set(d, G.MAINT, 0, 9)).toBe(-EINVAL);
    expect(f.set(d, G.MAINT, 0, 32)).toBe(-EINVAL);
    expect(f.set(d, G.MAINT, 0, 25)).toBe(0);
    expect(f.get(d, G.MAINT, 0).v).toBe(25n);
    f.set(d, G.CTRL, 0, 0, 0);
    expect(f.set(d, G.MAINT, 0, 25)).toBe(-EBUSY);
    expect(f.get(d, G.MAINT, 0).v).toBe(25n);
  });
  test('closed device fd → EBADF', () => {
    const { f, d } = v3(1);
    f.host.close(d);
    expect(f.get(d, G.NR, 0).r).toBe(-EBADF);
    expect(f.set(d, G.NR, 0, 64)).toBe(-EBADF);
  });
});

describe('V2 register access', () => {
  test('40: access lazily initializes', () => {
    const { f, d } = v2(1);
    expect(f.get(d, G.DIST, 0)).toEqual({ r: 0, v: 0n });
    expect(f.createVcpu(1)).toBe(-EBUSY);
    expect(f.set(d, G.NR, 0, 128)).toBe(-EBUSY);
    expect(f.get(d, G.NR, 0).v).toBe(256n);
  });
  test('40b: HAS does not initialize; before init INTIDs ≥ 32 do not exist', () => {
    const { f, d } = v2(1);
    expect(f.has(d, G.DIST, 0x100)).toBe(0);
    expect(f.has(d, G.DIST, 0x104)).toBe(-ENXIO);
    expect(f.createVcpu(1)).toBeGreaterThanOrEqual(0);
  });
  test('41: vCPU index without a vCPU → EINVAL (GET, SET, HAS)', () => {
    const { f, d } = v2(1);
    expect(f.get(d, G.CPU, (1n << 32n) | 0n).r).toBe(-EINVAL);
    expect(f.set(d, G.CPU, (1n << 32n) | 0n, 0)).toBe(-EINVAL);
    expect(f.has(d, G.CPU, (1n << 32n) | 0n)).toBe(-EINVAL);
    const z = v2(0);
    expect(z.f.get(z.d, G.CPU, 0).r).toBe(-EINVAL);
  });
  test('42: GICD_TYPER', () => {
    const a = v2(1);
    expect(a.f.get(a.d, G.DIST, 4).v).toBe(0x07n);
    const b = v2(4, 128);
    expect(b.f.get(b.d, G.DIST, 4).v).toBe(0x63n);
  });
  test('43: ITARGETSR', () => {
    const { f, d } = v2(2);
    expect(f.get(d, G.DIST, 0x800).v).toBe(0x01010101n);
    expect(f.get(d, G.DIST, (1n << 32n) | 0x800n).v).toBe(0x02020202n);
    expect(f.set(d, G.DIST, 0x800, 0x02020202)).toBe(0);
    expect(f.get(d, G.DIST, 0x800).v).toBe(0x01010101n);
    expect(f.set(d, G.DIST, 0x820, 0xff0302ff)).toBe(0);
    expect(f.get(d, G.DIST, 0x820).v).toBe(0x03030203n); // masked to the 2 vCPUs
  });
  test('44: resets', () => {
    const { f, d } = v2(1);
    expect(f.get(d, G.DIST, 0x100).v).toBe(0xffffn);
    expect(f.get(d, G.DIST, 0xc00).v).toBe(0xaaaaaaaan);
    expect(f.get(d, G.DIST, 0xc04).v).toBe(0n);
    expect(f.get(d, G.DIST, 0xc08).v).toBe(0xaaaaaaaan);
    expect(f.get(d, G.DIST, 0x80).v).toBe(0n);
    expect(f.get(d, G.DIST, 0x10)).toEqual({ r: 0, v: 0n }); // Firecracker reads a non-register
    expect(f.has(d, G.DIST, 0x10)).toBe(-ENXIO);
    expect(f.has(d, G.DIST, 0xfe8)).toBe(-ENXIO); // no ID registers on V2
  });
  test('45: IIDR and IGROUPR user writes', () => {
    const { f, d } = v2(1);
    expect(f.get(d, G.DIST, 8).v).toBe(0x4b00343bn);
    expect(f.set(d, G.DIST, 0x80, 0xffffffff)).toBe(0);
    expect(f.get(d, G.DIST, 0x80).v).toBe(0n);
    expect(f.set(d, G.DIST, 8, 0x4b01343b)).toBe(-EINVAL);
    expect(f.set(d, G.DIST, 8, 0x4b00343b)).toBe(0);
    expect(f.set(d, G.DIST, 0x80, 0xffffffff)).toBe(0);
    expect(f.get(d, G.DIST, 0x80).v).toBe(0xffffffffn);
  });
  test('46: GICC_IIDR; IAR not exposed', () => {
    const { f, d } = v2(1);
    expect(f.get(d, G.CPU, 0xfc).v).toBe(0x04b2043bn);
    expect(f.get(d, G.CPU, 0x0c)).toEqual({ r: 0, v: 0n });
    expect(f.has(d, G.CPU, 0x0c)).toBe(-ENXIO);
    expect(f.has(d, G.CPU, 0xd0)).toBe(0);
    expect(f.has(d, G.CPU, 0xd2)).toBe(-ENXIO);
  });
  test('46b: GICC_DIR (0x1000) is a CPU_REGS register on Linux 7.x: HAS 0, GET 0, a SET changes nothing', () => {
    // Linux 7.3.4 (oracle gicv2/regs L84/L85): GET 0 and HAS 0; vCPU 5 without a vCPU is still EINVAL
    const { f, d } = v2(1);
    expect(f.has(d, G.CPU, 0x1000)).toBe(0);
    expect(f.get(d, G.CPU, 0x1000)).toEqual({ r: 0, v: 0n });
    expect(f.set(d, G.CPU, 0x1000, 40)).toBe(0);
    expect(f.get(d, G.CPU, 0x1000)).toEqual({ r: 0, v: 0n });
    expect(f.has(d, G.CPU, 0x1004)).toBe(-ENXIO);
    expect(f.has(d, G.CPU, 5n << 32n)).toBe(-EINVAL);
  });
  test('46c: GICC_APRn: APR0 is kept, APR1..3 read 0 after a write (one APR on a GICv2 host or with 5 priority bits)', () => {
    // vgic_mmio_write_apr: a GICv2 host keeps GICH_APR only; a GICv3 host the ICH_AP1Rn that
    // vgic_v3_max_apr_idx allows (5 priority bits: AP1R0). Linux 7.3.4 under QEMU gic-version=2
    // (oracle gicv2/regs L222.*): APR0 keeps 0x80000001, APR1..3 read 0.
    for (const plugin of [createArmVgic({ host: 'qemu-tcg-max-gicv2' }), createArmVgic({ host: 'gicv2-host' }), armVgic]) {
      const f = facade(0, plugin);
      f.createVcpu(0);
      const d = f.createDevice(5);
      for (let k = 0; k < 4; k++) {
        expect(f.set(d, G.CPU, 0xd0 + 4 * k, 0x80000001)).toBe(0);
        expect(f.get(d, G.CPU, 0xd0 + 4 * k).v).toBe(k === 0 ? 0x80000001n : 0n);
        expect(f.has(d, G.CPU, 0xd0 + 4 * k)).toBe(0);
      }
    }
  });
  test('46d: a GICv3 host with 6 or 7 priority bits keeps 2 or 4 GICv2 APRs', () => {
    for (const [priBits, kept] of [[6, 2], [7, 4]] as const) {
      const host = { ...gicv3Server, name: `pri${priBits}`, ichVtr: { ...gicv3Server.ichVtr, priBits } };
      expect(gicv2AprsKept(host)).toBe(kept);
      const f = facade(0, createArmVgic({ host }));
      f.createVcpu(0);
      const d = f.createDevice(5);
      for (let k = 0; k < 4; k++) {
        expect(f.set(d, G.CPU, 0xd0 + 4 * k, 0x11 << k)).toBe(0);
        expect(f.get(d, G.CPU, 0xd0 + 4 * k).v).toBe(k < kept ? BigInt(0x11 << k) : 0n);
      }
    }
  });
  test('47: PMR in the 5-bit format', () => {
    const { f, d } = v2(1);
    expect(f.set(d, G.CPU, 0x4, 0x1f)).toBe(0);
    expect(f.get(d, G.CPU, 0x4).v).toBe(0x1fn);
    const { vm } = { vm: f.host.vmOf(f.vm) };
    expect(vm.vcpus[0]!.guest).toBeDefined();
  });
  test('48: CPU interface before first run', () => {
    const { f, d } = v2(1);
    for (const o of [0x0, 0x8, 0x1c, 0xd0]) expect(f.get(d, G.CPU, o)).toEqual({ r: 0, v: 0n });
  });
  test('typed: V2 regs with bigint attrs and EINVAL code', () => {
    const { vm } = typed();
    vm.createVcpu(0);
    const d = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V2');
    expect(d.getAttr(1, 0x800n)).toBe(0x01010101);
    expect(d.getAttr(2, 0xfc)).toBe(0x04b2043b);
    expect(errnoOf(() => d.getAttr(2, (1n << 32n) | 0n))).toBe(EINVAL);
    expect(d.hasAttr(2, 0x0c)).toBe(false);
    expect(d.hasAttr(2, 0xd0)).toBe(true);
  });
  test('GET copies out after the access: bad pointer on an unknown offset → EFAULT', () => {
    const f = facade();
    f.createVcpu(0);
    const d = f.createDevice(5);
    const a = f.host.mem.alloc(24);
    kvm_device_attr.write(f.host.mem, a, { flags: 0, group: 1, attr: 0x10n, addr: 0n });
    expect(f.ioctl(d, KVM_GET_DEVICE_ATTR, a)).toBe(-EFAULT);
  });
});

describe('V3 ISPENDR/ICPENDR userspace semantics', () => {
  test('ISPENDR writes the latch (set and clear); ICPENDR RAZ/WI', () => {
    const { f, d } = v3(1);
    expect(f.set(d, G.DIST, 0x204, 0x3)).toBe(0);
    expect(f.get(d, G.DIST, 0x204).v).toBe(3n);
    expect(f.get(d, G.DIST, 0x284).v).toBe(0n);
    expect(f.set(d, G.DIST, 0x284, 0xffffffff)).toBe(0);
    expect(f.get(d, G.DIST, 0x204).v).toBe(3n);
    expect(f.set(d, G.DIST, 0x204, 0x1)).toBe(0);
    expect(f.get(d, G.DIST, 0x204).v).toBe(1n);
  });
  test('IROUTER halves and targets', () => {
    const { f, d } = v3(2);
    expect(f.set(d, G.DIST, 0x6000 + 8 * 40, 0x80000001)).toBe(0);
    expect(f.get(d, G.DIST, 0x6000 + 8 * 40).v).toBe(1n); // IRM not kept
    expect(f.set(d, G.DIST, 0x6000 + 8 * 40 + 4, 0xff)).toBe(0);
    expect(f.get(d, G.DIST, 0x6000 + 8 * 40 + 4).v).toBe(0n);
    expect(f.get(d, G.DIST, 0x6000 + 8 * 4).v).toBe(0n); // private: RAZ
  });
  test('GICR_PROPBASER / PENDBASER sanitising', () => {
    const { f, d } = v3(1);
    expect(f.set(d, G.REDIST, 0x70, 0x12345fff)).toBe(0);
    // inner cacheability 7 kept, shareability 3 kept, RES0 6:5 cleared
    expect(f.get(d, G.REDIST, 0x70).v).toBe(0x12345f9fn);
    expect(f.set(d, G.REDIST, 0x70, 0x00000800)).toBe(0); // outer shareable → inner, nCnB → RaWb
    expect(f.get(d, G.REDIST, 0x70).v).toBe(0x00000580n);
    expect(f.set(d, G.REDIST, 0x7c, 0xffffffff)).toBe(0);
    expect(f.get(d, G.REDIST, 0x7c).v).toBe(0x000fffffn); // RES0, PTZ and outer cacheability dropped
  });
});
