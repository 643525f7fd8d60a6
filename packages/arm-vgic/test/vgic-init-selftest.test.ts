/**
 * Issue 13 items 2-4, from the kernel: tools/testing/selftests/kvm/arm64/vgic_init.c
 * (`test_v3_nassgicap`), vgic-kvm-device.c (`reg_allowed_pre_init`, `vgic_v3_attr_regs_access`),
 * vgic-mmio-v3.c (`vgic_mmio_uaccess_write_v3_misc`, `vgic_mmio_read_v3r_iidr`,
 * `vgic_mmio_read_v3r_ctlr`, `vgic_sanitise_propbaser/_pendbaser`), vgic-v3.c (`vgic_v3_reset`:
 * INITIAL_PENDBASER_VALUE) and vgic-its.c (`vgic_its_create` sets INITIAL_PROPBASER_VALUE).
 */
import { EBUSY, EINVAL } from '@kvmdev/core';
import { GICD_IIDR, GICD_TYPER2, GICD_TYPER2_nASSGIcap, GICR_CTLR, GICR_IIDR, GICR_PENDBASER, GICR_PROPBASER } from '../src/index.js';
import { VGIC, vgicItsCreated } from '../src/internal.js';
import { facade } from './helpers.js';

const DIST = 1;
const REDIST = 5;
const CTRL = 4;
const NR_VCPUS = 4;

/** vm_gic_create_with_vcpus(KVM_DEV_TYPE_ARM_VGIC_V3, NR_VCPUS): initialised vCPUs, then the GIC. */
function vmGicWithVcpus() {
  const f = facade();
  for (let i = 0; i < NR_VCPUS; i++) f.vcpuInit(f.createVcpu(i));
  const gic = f.createDevice(7);
  return { f, gic };
}

describe('vgic_init.c test_v3_nassgicap', () => {
  test('GICD_TYPER2 is readable and writable before CTRL_INIT; nASSGIcap cannot be set without GICv4.1; a change after init is EBUSY', () => {
    const { f, gic } = vmGicWithVcpus();
    const t = f.get(gic, DIST, GICD_TYPER2);
    expect(t.r).toBe(0); // before CTRL_INIT: allowed (was EBUSY)
    let typer2 = Number(t.v);
    const hasNassgicap = (typer2 & GICD_TYPER2_nASSGIcap) !== 0;
    expect(hasNassgicap).toBe(false); // no host profile has GICv4.1 direct SGIs
    typer2 |= GICD_TYPER2_nASSGIcap;
    expect(f.set(gic, DIST, GICD_TYPER2, typer2)).toBe(-EINVAL); // "Enabled nASSGIcap even though it's unavailable"
    typer2 &= ~GICD_TYPER2_nASSGIcap;
    expect(f.set(gic, DIST, GICD_TYPER2, typer2)).toBe(0);
    expect(f.set(gic, CTRL, 0, 0, 0)).toBe(0);
    typer2 ^= GICD_TYPER2_nASSGIcap;
    expect(f.set(gic, DIST, GICD_TYPER2, typer2)).toBe(-EBUSY); // "Changed nASSGIcap after initializing the VGIC"
  });
});

describe('reg_allowed_pre_init', () => {
  test('before CTRL_INIT only GICD_IIDR and GICD_TYPER2 are reachable; everything else EBUSY', () => {
    const { f, gic } = vmGicWithVcpus();
    expect(f.get(gic, DIST, GICD_IIDR)).toEqual({ r: 0, v: 0x4b00343bn });
    expect(f.get(gic, DIST, GICD_TYPER2)).toEqual({ r: 0, v: 0n });
    for (const off of [0x0, 0x4, 0x10, 0x104, 0x6100, 0xffe8]) expect(f.get(gic, DIST, off).r).toBe(-EBUSY);
    expect(f.get(gic, REDIST, GICR_IIDR).r).toBe(-EBUSY);
    expect(f.get(gic, REDIST, GICR_CTLR).r).toBe(-EBUSY);
    expect(f.get(gic, 6, 0xc665, 8).r).toBe(-EBUSY); // CPU_SYSREGS
    expect(f.set(gic, DIST, 0x0, 2)).toBe(-EBUSY);
    // only the offset half of attr is tested (KVM_DEV_ARM_VGIC_OFFSET_MASK); DIST ignores the mpidr half
    expect(f.get(gic, DIST, (1n << 32n) | BigInt(GICD_IIDR))).toEqual({ r: 0, v: 0x4b00343bn });
  });
  test('vCPU 0 must still exist (EINVAL), as for any DIST access', () => {
    const f = facade();
    const gic = f.createDevice(7);
    expect(f.get(gic, DIST, GICD_IIDR).r).toBe(-EINVAL);
  });
  test('a TYPER2 value that differs outside nASSGIcap is EINVAL before init', () => {
    const { f, gic } = vmGicWithVcpus();
    expect(f.set(gic, DIST, GICD_TYPER2, 1)).toBe(-EINVAL);
    expect(f.set(gic, DIST, GICD_TYPER2, 0)).toBe(0);
  });
});

describe('GICD_IIDR revision chosen before init decides GICR_CTLR.{IR,CES}', () => {
  test('revision 2 written before CTRL_INIT: GICR_CTLR reads 0 after init, and the choice survives init', () => {
    const { f, gic } = vmGicWithVcpus();
    expect(f.set(gic, DIST, GICD_IIDR, 0x4b00243b)).toBe(0);
    expect(f.set(gic, CTRL, 0, 0, 0)).toBe(0);
    expect(f.get(gic, DIST, GICD_IIDR).v).toBe(0x4b00243bn);
    expect(f.get(gic, REDIST, GICR_CTLR).v).toBe(0n);
    // no write: revision 3, IR | CES
    const b = vmGicWithVcpus();
    b.f.set(b.gic, CTRL, 0, 0, 0);
    expect(b.f.get(b.gic, REDIST, GICR_CTLR).v).toBe(0x6n);
  });
  test('an IIDR write with other bits changed or a revision other than 2/3 is EINVAL before init too', () => {
    const { f, gic } = vmGicWithVcpus();
    expect(f.set(gic, DIST, GICD_IIDR, 0x4b01343b)).toBe(-EINVAL);
    expect(f.set(gic, DIST, GICD_IIDR, 0x4b00143b)).toBe(-EINVAL);
    expect(f.get(gic, DIST, GICD_IIDR).v).toBe(0x4b00343bn);
  });
});

describe('redistributor ID and LPI base registers', () => {
  function inited() {
    const { f, gic } = vmGicWithVcpus();
    f.set(gic, CTRL, 0, 0, 0);
    return { f, gic };
  }
  test('GICR_IIDR is 0x4b00043b: no revision field, whatever GICD_IIDR says', () => {
    const { f, gic } = inited();
    expect(f.get(gic, REDIST, GICR_IIDR).v).toBe(0x4b00043bn);
    f.set(gic, DIST, GICD_IIDR, 0x4b00243b);
    expect(f.get(gic, REDIST, GICR_IIDR).v).toBe(0x4b00043bn);
  });
  test('GICR_PENDBASER resets to 0x580 on every vCPU; GICR_PROPBASER is 0 with no ITS', () => {
    const { f, gic } = inited();
    for (let i = 0; i < NR_VCPUS; i++) {
      const mpidr = BigInt(i) << 32n;
      expect(f.get(gic, REDIST, mpidr | BigInt(GICR_PENDBASER)).v).toBe(0x580n);
      expect(f.get(gic, REDIST, mpidr | BigInt(GICR_PENDBASER + 4)).v).toBe(0n);
      expect(f.get(gic, REDIST, mpidr | BigInt(GICR_PROPBASER)).v).toBe(0n);
    }
  });
  test('writing 0 back reads 0x180 (inner nCnB becomes RaWb); a high-half write alone re-sanitises the low half', () => {
    const { f, gic } = inited();
    expect(f.set(gic, REDIST, GICR_PROPBASER + 4, 0)).toBe(0);
    expect(f.get(gic, REDIST, GICR_PROPBASER).v).toBe(0x180n);
    expect(f.set(gic, REDIST, GICR_PROPBASER, 0)).toBe(0);
    expect(f.get(gic, REDIST, GICR_PROPBASER).v).toBe(0x180n);
    expect(f.set(gic, REDIST, GICR_PENDBASER, 0)).toBe(0);
    expect(f.get(gic, REDIST, GICR_PENDBASER).v).toBe(0x180n);
  });
  test('sanitising: OuterShareable becomes InnerShareable, outer cacheability other than nC becomes SameAsInner, RES0 dropped, PTZ reads 0', () => {
    const { f, gic } = inited();
    // PROPBASER: Shareability 2 (outer) at 11:10, inner nC (1) at 9:7, IDbits 0xf, RES0 bit 5
    f.set(gic, REDIST, GICR_PROPBASER, 0x1000_0000 | (2 << 10) | (1 << 7) | 0x2f);
    expect(f.get(gic, REDIST, GICR_PROPBASER).v).toBe(BigInt(0x1000_0000 | (1 << 10) | (3 << 7) | 0xf));
    // high half: outer cacheability (58:56) RaWb (3) becomes SameAsInner, nC (1) stays; RES0 63:59 dropped
    f.set(gic, REDIST, GICR_PROPBASER + 4, (3 << 24) | 0xf800_0000);
    expect(f.get(gic, REDIST, GICR_PROPBASER + 4).v).toBe(0n);
    f.set(gic, REDIST, GICR_PROPBASER + 4, 1 << 24);
    expect(f.get(gic, REDIST, GICR_PROPBASER + 4).v).toBe(BigInt(1 << 24));
    // PENDBASER: PTZ (bit 62) is not stored; RES0 15:12 and 6:0 dropped
    f.set(gic, REDIST, GICR_PENDBASER, 0x2000_0000 | 0xf07f | (1 << 10) | (7 << 7));
    expect(f.get(gic, REDIST, GICR_PENDBASER).v).toBe(BigInt(0x2000_0000 | (1 << 10) | (7 << 7)));
    f.set(gic, REDIST, GICR_PENDBASER + 4, 1 << 30);
    expect(f.get(gic, REDIST, GICR_PENDBASER + 4).v).toBe(0n);
  });
  test('an ITS sets GICR_PROPBASER to 0x580 and LPIs appear in GICD_TYPER / GICR_TYPER, even when it comes before the GIC', () => {
    const f = facade();
    for (let i = 0; i < 2; i++) f.vcpuInit(f.createVcpu(i));
    const vm = f.host.vmOf(f.vm);
    vgicItsCreated(vm); // what the ITS device's create does (the ITS itself is another change)
    const gic = f.createDevice(7);
    f.set(gic, 3, 0, 128);
    f.set(gic, CTRL, 0, 0, 0);
    expect(f.get(gic, REDIST, GICR_PROPBASER).v).toBe(0x580n);
    expect(f.get(gic, DIST, 0x4).v).toBe(0x007a0003n); // ITS: 16 ID bits and LPIS
    expect(f.get(gic, REDIST, 0x8).v & 1n).toBe(1n); // PLPIS
    expect(vm.slot(VGIC)!.hasIts).toBe(true);
  });
});
