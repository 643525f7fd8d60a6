/**
 * KVM_DEV_TYPE_ARM_VGIC_ITS through the device API: reference §9 items 25, 49, 50, the ITS rules
 * of §4.6, and the values read from Linux 7.3.4 (kernel-oracle.md §2).
 */
import {
  E2BIG,
  EBUSY,
  EEXIST,
  EFAULT,
  EINVAL,
  ENODEV,
  ENXIO,
  KVM_CAP_MSI_DEVID,
  KVM_CHECK_EXTENSION,
} from '@kvmdev/core';
import * as U from '../src/uapi.js';
import { GITS_BASER, GITS_CBASER, GITS_CREADR, GITS_CTLR, GITS_CWRITER, GITS_IIDR, GITS_TYPER } from '../src/index.js';
import { errnoOf, facade, typed } from './helpers.js';

const ADDR = U.KVM_DEV_ARM_VGIC_GRP_ADDR;
const CTRL = U.KVM_DEV_ARM_VGIC_GRP_CTRL;
const REGS = U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS;
const ITS = U.KVM_DEV_TYPE_ARM_VGIC_ITS;
const ALL = 0xffff_ffff_ffff_ffffn;

describe('ITS creation and ADDR (§9.25, §4.6)', () => {
  test('C(8); G(0,4) all-ones; S(0,4,0x3FFC0000) 0; again EEXIST; a misaligned base on a fresh ITS EINVAL; S(0,3) ENODEV', () => {
    const f = facade();
    const its = f.createDevice(ITS);
    expect(its).toBeGreaterThanOrEqual(0);
    expect(f.get(its, ADDR, 4, 8)).toEqual({ r: 0, v: ALL });
    expect(f.set(its, ADDR, 4, 0x3ffc0000n, 8)).toBe(0);
    expect(f.set(its, ADDR, 4, 0x3ffa0000n, 8)).toBe(-EEXIST);
    expect(f.get(its, ADDR, 4, 8)).toEqual({ r: 0, v: 0x3ffc0000n });
    const fresh = f.createDevice(ITS);
    expect(f.set(fresh, ADDR, 4, 0x3ffc8000n, 8)).toBe(-EINVAL);
    expect(f.set(fresh, ADDR, 3, 0x3ff00000n, 8)).toBe(-ENODEV); // not converted to ENXIO on the ITS
    expect(f.get(fresh, ADDR, 3, 8).r).toBe(-ENODEV);
    expect(f.has(fresh, ADDR, 4)).toBe(0);
    expect(f.has(fresh, ADDR, 3)).toBe(-ENXIO);
  });

  test('ADDR order: ENODEV (type) before EFAULT; EEXIST before EINVAL; beyond the IPA E2BIG; a rejected set changes nothing', () => {
    const f = facade();
    const its = f.createDevice(ITS);
    const attr = f.host.mem.alloc(24);
    // type first: no payload read
    f.host.mem.setU32(attr + 4, ADDR);
    f.host.mem.setU64(attr + 8, 3n);
    f.host.mem.setU64(attr + 16, 0n);
    expect(f.ioctl(its, 0x4018aee1, attr)).toBe(-ENODEV);
    f.host.mem.setU64(attr + 8, 4n);
    expect(f.ioctl(its, 0x4018aee1, attr)).toBe(-EFAULT);
    expect(f.set(its, ADDR, 4, 1n << 40n, 8)).toBe(-E2BIG);
    expect(f.set(its, ADDR, 4, (1n << 40n) - 0x10000n, 8)).toBe(-E2BIG); // the 128 KiB frame must fit
    expect(f.set(its, ADDR, 4, 0x1000n, 8)).toBe(-EINVAL);
    expect(f.get(its, ADDR, 4, 8).v).toBe(ALL);
    expect(f.set(its, ADDR, 4, (1n << 40n) - 0x20000n, 8)).toBe(0);
    expect(f.set(its, ADDR, 4, 0x1000n, 8)).toBe(-EEXIST); // EEXIST wins over the alignment
  });

  test('an ITS can be created before any GICv3, a second one too; both set msis_require_devid (KVM_CAP_MSI_DEVID 1)', () => {
    const f = facade();
    expect(f.ioctl(f.vm, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID)).toBe(0);
    const a = f.createDevice(ITS);
    const b = f.createDevice(ITS);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThanOrEqual(0);
    expect(f.ioctl(f.vm, KVM_CHECK_EXTENSION, KVM_CAP_MSI_DEVID)).toBe(1);
    expect(f.set(a, ADDR, 4, 0x8080000n, 8)).toBe(0);
    expect(f.set(b, ADDR, 4, 0x80a0000n, 8)).toBe(0); // separate 128 KiB frames
    expect(f.createDevice(U.KVM_DEV_TYPE_ARM_VGIC_V3)).toBeGreaterThanOrEqual(0);
  });
});

describe('unknown groups and attrs', () => {
  test('groups other than ADDR, CTRL and ITS_REGS are ENXIO on SET/GET/HAS; an unknown ADDR type ENODEV (SET/GET) and ENXIO (HAS)', () => {
    const f = facade();
    const its = f.createDevice(ITS);
    for (const g of [1, 2, 3, 5, 6, 7, 9, 0xffff]) {
      expect(f.set(its, g, 0, 0, 8)).toBe(-ENXIO);
      expect(f.get(its, g, 0, 8).r).toBe(-ENXIO);
      expect(f.has(its, g, 0)).toBe(-ENXIO);
    }
    for (const a of [0n, 5n, 0xffffffffn, (1n << 32n) | 4n]) {
      expect(f.set(its, ADDR, a, 0x8080000n, 8)).toBe(-ENODEV);
      expect(f.get(its, ADDR, a, 8).r).toBe(-ENODEV);
      expect(f.has(its, ADDR, a)).toBe(-ENXIO);
    }
  });
});

describe('ITS CTRL (§9.50, §4.6)', () => {
  test('S(4,0) before ADDR 0; S(4,4) 0; H(4,0/1/2/4) 0; G(4,0) ENXIO; an unknown CTRL attr ENXIO (7.x)', () => {
    const f = facade();
    const its = f.createDevice(ITS);
    expect(f.set(its, CTRL, 0, 0, 0)).toBe(0);
    expect(f.set(its, CTRL, 4, 0, 0)).toBe(0);
    for (const a of [0, 1, 2, 4]) expect(f.has(its, CTRL, a)).toBe(0);
    expect(f.has(its, CTRL, 3)).toBe(-ENXIO); // SAVE_PENDING_TABLES is the GICv3's
    expect(f.get(its, CTRL, 0).r).toBe(-ENXIO);
    expect(f.set(its, CTRL, 3, 0, 0)).toBe(-ENXIO);
    expect(f.set(its, CTRL, 7, 0, 0)).toBe(-ENXIO);
    expect(f.set(its, CTRL, (1n << 32n) | 1n, 0, 0)).toBe(-ENXIO);
  });

  test('SAVE_TABLES and RESTORE_TABLES with no tables return 0; RESET clears CBASER, the queue, the BASER valid bits and keeps the ABI', () => {
    const { vm } = typed();
    const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    its.setAttr(0, 4, 0x8080000n);
    its.setAttr(4, 1);
    its.setAttr(4, 2);
    its.setAttr(8, GITS_CBASER, 0x8000_0000_1234_0000n);
    its.setAttr(8, GITS_BASER, its.getAttr(8, GITS_BASER) | (1n << 63n) | 0x4000_0000n);
    its.setAttr(8, GITS_CWRITER, 0x40n);
    expect(its.getAttr(8, GITS_CWRITER)).toBe(0x40n);
    its.setAttr(4, 4);
    expect(its.getAttr(8, GITS_CBASER)).toBe(0n);
    expect(its.getAttr(8, GITS_CWRITER)).toBe(0n);
    expect(its.getAttr(8, GITS_CREADR)).toBe(0n);
    expect(its.getAttr(8, GITS_BASER)).toBe(0x1907_0000_4000_0600n); // valid bit gone, address kept
    expect(its.getAttr(8, GITS_IIDR)).toBe(0x4b00043bn);
    expect(its.getAttr(8, GITS_CTLR)).toBe(0x80000000n);
  });
});

describe('ITS_REGS (§9.49, §4.6, 7.3.4 values)', () => {
  test('G(8,0) before ADDR ENXIO; after: CTLR 0x80000000, IIDR 0x4b00043b, TYPER 0x1ef71, CBASER 0, BASER0/1; CWRITER 0; 0x84 EINVAL; 0x40 ENXIO', () => {
    const f = facade();
    const its = f.createDevice(ITS);
    expect(f.get(its, REGS, 0x0, 8).r).toBe(-ENXIO);
    expect(f.has(its, REGS, 0x0)).toBe(0); // HAS does not need the address
    expect(f.set(its, ADDR, 4, 0x8080000n, 8)).toBe(0);
    expect(f.get(its, REGS, 0x0, 8)).toEqual({ r: 0, v: 0x80000000n });
    expect(f.get(its, REGS, 0x4, 8)).toEqual({ r: 0, v: 0x4b00043bn });
    expect(f.get(its, REGS, 0x8, 8)).toEqual({ r: 0, v: 0x1ef71n });
    expect(f.get(its, REGS, 0x80, 8)).toEqual({ r: 0, v: 0n });
    expect(f.get(its, REGS, 0x88, 8)).toEqual({ r: 0, v: 0n });
    expect(f.get(its, REGS, 0x100, 8)).toEqual({ r: 0, v: 0x1907000000000600n });
    expect(f.get(its, REGS, 0x108, 8)).toEqual({ r: 0, v: 0x1c07000000000600n });
    expect(f.get(its, REGS, 0x110, 8)).toEqual({ r: 0, v: 0n }); // BASER2..7 RAZ
    expect(f.get(its, REGS, 0x84, 8).r).toBe(-EINVAL);
    expect(f.get(its, REGS, 0x40, 8).r).toBe(-ENXIO);
    expect(f.get(its, REGS, 0x10040, 8).r).toBe(-ENXIO); // GITS_TRANSLATER: no register
    expect(f.get(its, REGS, 0x98, 8).r).toBe(-ENXIO);
    expect(f.has(its, REGS, 0x84)).toBe(-EINVAL);
    expect(f.has(its, REGS, 0x40)).toBe(-ENXIO);
    expect(f.has(its, REGS, 0x6)).toBe(-EINVAL);
    expect(f.get(its, REGS, 0xffe8, 8)).toEqual({ r: 0, v: 0x3bn }); // GITS_PIDR2
    expect(f.get(its, REGS, 0xffd4, 8)).toEqual({ r: 0, v: 0n });
    expect(f.get(its, REGS, 0xfff0, 8)).toEqual({ r: 0, v: 0x0dn });
    expect(f.get(its, REGS, 1n << 32n, 8).r).toBe(-ENXIO);
    expect(f.get(its, REGS, (1n << 32n) | 2n, 8).r).toBe(-EINVAL);
  });

  test('SET: EFAULT (payload) first; IIDR revision ≠ 0 EINVAL; TYPER write ignored; CREADR EBUSY while enabled, EINVAL beyond the queue', () => {
    const { vm } = typed();
    const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    expect(errnoOf(() => its.attrRaw('set', REGS, 0x84, 0))).toBe(EFAULT); // before the alignment check
    its.setAttr(0, 4, 0x8080000n);
    expect(errnoOf(() => its.setAttr(REGS, GITS_IIDR, 0x4b00143bn))).toBe(EINVAL);
    its.setAttr(REGS, GITS_IIDR, 0x4b00043bn);
    its.setAttr(REGS, GITS_TYPER, 0n);
    expect(its.getAttr(REGS, GITS_TYPER)).toBe(0x1ef71n);
    its.setAttr(REGS, GITS_CBASER, (1n << 63n) | 0x1000_0000n); // 1 page: 4 KiB queue
    expect(errnoOf(() => its.setAttr(REGS, GITS_CREADR, 0x1000n))).toBe(EINVAL);
    its.setAttr(REGS, GITS_CREADR, 0xfe7n); // bits 19:5 kept
    expect(its.getAttr(REGS, GITS_CREADR)).toBe(0xfe0n);
    its.setAttr(REGS, GITS_BASER, its.getAttr(REGS, GITS_BASER) | (1n << 63n) | 0x2000_0000n);
    its.setAttr(REGS, GITS_BASER + 8, its.getAttr(REGS, GITS_BASER + 8) | (1n << 63n) | 0x2001_0000n);
    its.setAttr(REGS, GITS_CTLR, 1n);
    expect(its.getAttr(REGS, GITS_CTLR) & 1n).toBe(1n);
    expect(errnoOf(() => its.setAttr(REGS, GITS_CREADR, 0n))).toBe(EBUSY);
  });

  test('CBASER: sanitised (OuterShareable → Inner, nC/nCnB inner → RaWb, other outer → SameAsInner, bits 15:12 cleared), resets CREADR and CWRITER, ignored while enabled', () => {
    const { vm } = typed();
    const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    its.setAttr(0, 4, 0x8080000n);
    its.setAttr(REGS, GITS_CBASER, 0x8000_0000_1000_0000n);
    its.setAttr(REGS, GITS_CREADR, 0x20n);
    its.setAttr(REGS, GITS_CWRITER, 0x40n);
    its.setAttr(REGS, GITS_CBASER, (1n << 63n) | (2n << 53n) | (1n << 59n) | 0x1000_f800n | 0x1n);
    expect(its.getAttr(REGS, GITS_CBASER)).toBe((1n << 63n) | (3n << 59n) | 0x1000_0401n);
    expect([its.getAttr(REGS, GITS_CREADR), its.getAttr(REGS, GITS_CWRITER)]).toEqual([0n, 0n]);
  });

  test('BASER: entry size and type read-only, page size forced to 64 KiB, no indirect collection table, BASER2..7 WI', () => {
    const { vm } = typed();
    const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    its.setAttr(0, 4, 0x8080000n);
    its.setAttr(REGS, GITS_BASER, 0xff1f_0000_2000_0803n); // valid, indirect, RaWaWb, type 7, esz 32, OuterShareable, 4K pages
    expect(its.getAttr(REGS, GITS_BASER)).toBe(0xf907_0000_2000_0603n);
    its.setAttr(REGS, GITS_BASER + 8, 0xc000_0000_3000_0000n);
    expect(its.getAttr(REGS, GITS_BASER + 8)).toBe(0x9c07_0000_3000_0200n);
    its.setAttr(REGS, GITS_BASER + 16, 0xffffn);
    expect(its.getAttr(REGS, GITS_BASER + 16)).toBe(0n);
  });

  test('CWRITER from userspace processes the queue (disabled: stored only, CTLR 0); beyond the queue or misaligned bits ignored/masked', () => {
    const { vm } = typed();
    const its = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    its.setAttr(0, 4, 0x8080000n);
    its.setAttr(REGS, GITS_CBASER, (1n << 63n) | 0x1000_0000n);
    its.setAttr(REGS, GITS_CWRITER, 0x1000n); // = queue size: ignored
    expect(its.getAttr(REGS, GITS_CWRITER)).toBe(0n);
    its.setAttr(REGS, GITS_CWRITER, 0x3fn);
    expect(its.getAttr(REGS, GITS_CWRITER)).toBe(0x20n);
    expect(its.getAttr(REGS, GITS_CTLR)).toBe(0n); // CREADR ≠ CWRITER: not quiescent
    its.setAttr(REGS, GITS_CTLR, 1n); // BASERs not valid: enable ignored
    expect(its.getAttr(REGS, GITS_CTLR)).toBe(0n);
  });
});

describe('the GICv3 bits that depend on an ITS', () => {
  test('GICD_TYPER 0x00480003 → 0x007A0003; GICR_TYPER PLPIS; PROPBASER 0 until an ITS exists, then 0x580; EnableLPIs writable', () => {
    const { vm } = typed();
    vm.createVcpu(0);
    const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    gic.setAttr(0, 2, 0x3fff0000n);
    gic.setAttr(0, 3, 0x3ffd0000n);
    gic.setAttr(3, 0, 128);
    gic.setAttr(4, 0);
    expect(gic.getAttr(1, 0x4)).toBe(0x00480003);
    expect(gic.getAttr(5, 0x8)).toBe(0x10);
    expect(gic.getAttr(5, 0x70)).toBe(0);
    gic.setAttr(5, 0x0, 1);
    expect(gic.getAttr(5, 0x0)).toBe(0x6); // EnableLPIs WI without an ITS
    vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    expect(gic.getAttr(1, 0x4)).toBe(0x007a0003);
    expect(gic.getAttr(5, 0x8)).toBe(0x11);
    expect(gic.getAttr(5, 0x70)).toBe(0x580);
    gic.setAttr(5, 0x0, 1);
    expect(gic.getAttr(5, 0x0)).toBe(0x7);
    gic.setAttr(5, 0x70, 0x12345f); // ignored while LPIs are enabled
    expect(gic.getAttr(5, 0x70)).toBe(0x580);
  });

  test('an ITS created before the GICv3 gives it the ITS bits and the initial PROPBASER; a GICv2 does not get them', () => {
    const { vm } = typed();
    vm.createVcpu(0);
    vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
    gic.setAttr(4, 0);
    expect(gic.getAttr(1, 0x4)).toBe(0x007a0007);
    expect(gic.getAttr(5, 0x70)).toBe(0x580);
    const v2 = typed();
    v2.vm.createVcpu(0);
    v2.vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    const g2 = v2.vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V2');
    expect(v2.vm.vm.irqchip!.msi).toBe(true);
    expect(errnoOf(() => v2.vm.signalMsi({ addressLo: 0, data: 0, flags: 1 }))).toBe(ENODEV);
    void g2;
  });

  test('SAVE_PENDING_TABLES: ENXIO before init, 0 after (no LPIs)', () => {
    const f = facade();
    f.createVcpu(0);
    const gic = f.createDevice(U.KVM_DEV_TYPE_ARM_VGIC_V3);
    f.createDevice(ITS);
    expect(f.set(gic, CTRL, 3, 0, 0)).toBe(-ENXIO);
    expect(f.set(gic, CTRL, 0, 0, 0)).toBe(0);
    expect(f.set(gic, CTRL, 3, 0, 0)).toBe(0);
  });
});
