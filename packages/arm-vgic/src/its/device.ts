/**
 * `kvm_arm_vgic_its_ops`: KVM_DEV_TYPE_ARM_VGIC_ITS (8), destroy-style. Its attribute groups with
 * the kernel's checks and errno: ADDR (only KVM_VGIC_ITS_ADDR_TYPE, else ENODEV; then EFAULT,
 * EEXIST, EINVAL for 64 KiB alignment, E2BIG beyond the IPA space), CTRL (INIT does nothing;
 * RESET, SAVE_TABLES, RESTORE_TABLES; anything else ENXIO), ITS_REGS (offset alignment EINVAL, the
 * frame address not set ENXIO, an offset without a register ENXIO; the value is always a u64).
 * Several ITSes may exist in a VM, before or after the GICv3.
 * @packageDocumentation
 */
import { EFAULT, EINVAL, ENODEV, ENXIO } from '@kvmdev/core';
import type { DeviceOps, KvmDevice, KvmDeviceAttr } from '@kvmdev/core/plugin';
import { checkIorange, vgicOf } from '../init.js';
import { vgicItsCreated } from '../arm64/vm-state.js';
import * as U from '../uapi.js';
import { restoreTables, saveTables } from './abi.js';
import { freeCollection, freeDevice } from './commands.js';
import { ITS_FRAME_SIZE, GITS_PIDR4, GITS_TYPER } from './defs.js';
import { ItsDist } from './dist.js';
import { findItsReg, itsFrame, setAbi } from './regs.js';
import { ITS_DIST } from './slot.js';
import { VgicIts } from './state.js';

const TWO32 = 4294967296;

/** The device's private state: the ITS and the VM's ITS side. */
export interface ItsDeviceState {
  readonly its: VgicIts;
  readonly dist: ItsDist;
}

function create(dev: KvmDevice<ItsDeviceState>, type: number): number {
  if (type !== U.KVM_DEV_TYPE_ARM_VGIC_ITS) return -ENODEV;
  const vm = dev.kvm;
  let dist = vm.slot(ITS_DIST);
  if (dist === undefined) {
    dist = new ItsDist(vm);
    vm.slots.set(ITS_DIST, dist);
  }
  const its = new VgicIts(dist.itses.length);
  setAbi(its, 0); // vgic_its_set_abi(NR_ITS_ABIS - 1)
  dist.itses.push(its);
  vgicItsCreated(vm); // has_its, msis_require_devid, GICR_PROPBASER = INITIAL_PROPBASER_VALUE
  dist.itsCreated(vgicOf(vm));
  dev.private = { its, dist };
  return 0;
}

/** vgic_its_free_device_list + vgic_its_free_collection_list. */
function freeLists(s: ItsDeviceState): void {
  for (const d of [...s.its.devices.values()]) freeDevice(s.dist, s.its, d);
  for (const c of [...s.its.collections]) freeCollection(s.its, c.id);
}

function destroy(dev: KvmDevice<ItsDeviceState>): void {
  const s = dev.state;
  freeLists(s);
  if (s.its.region !== null) dev.kvm.mmio.unregister(s.its.region);
  const i = s.dist.itses.indexOf(s.its);
  if (i >= 0) s.dist.itses.splice(i, 1);
}

/** vgic_its_reset: BASERs invalid, queue registers 0, disabled, no devices or collections; the ABI stays. */
function reset(s: ItsDeviceState): void {
  const its = s.its;
  its.baserCollHi = (its.baserCollHi & ~(1 << 31)) >>> 0;
  its.baserDevHi = (its.baserDevHi & ~(1 << 31)) >>> 0;
  its.cbaserLo = its.cbaserHi = 0;
  its.creadr = its.cwriter = 0;
  its.enabled = false;
  its.cache.clear();
  freeLists(s);
}

/** The ITS_REGS offset alignment: 4 for GITS_CTLR/GITS_IIDR and the ID registers, 8 elsewhere. */
function regAlign(off: number): number {
  return off < GITS_TYPER || off >= GITS_PIDR4 ? 3 : 7;
}

/** The attr as an offset (attrs with high bits never name a register). */
function regOffset(a: KvmDeviceAttr): number {
  return a.attrHi === 0 ? a.attrLo >>> 0 : -1;
}

const out = new Uint32Array(2);

/** vgic_its_attr_regs_access. */
function regsAccess(s: ItsDeviceState, a: KvmDeviceAttr, write: boolean, lo: number, hi: number): number {
  const off = regOffset(a);
  if (off < 0) return a.attrLo & 3 ? -EINVAL : -ENXIO;
  if (off & regAlign(off)) return -EINVAL;
  const its = s.its;
  if (its.base === -1) return -ENXIO;
  const r = findItsReg(off);
  if (r === null) return -ENXIO;
  const len = r.acc64 ? 8 : 4;
  if (write) {
    if (r.uwrite) return r.uwrite(s.dist, its, off, lo, hi);
    r.write(s.dist, its, off, len, lo, len === 8 ? hi : 0);
    return 0;
  }
  r.read(s.dist, its, off, out);
  return 0;
}

function setAttr(dev: KvmDevice<ItsDeviceState>, a: KvmDeviceAttr): number {
  const s = dev.state;
  const mem = dev.kvm.host.mem;
  switch (a.group) {
    case U.KVM_DEV_ARM_VGIC_GRP_ADDR: {
      if (a.attrHi !== 0 || a.attrLo !== U.KVM_VGIC_ITS_ADDR_TYPE) return -ENODEV;
      if (!mem.ok(a.addr, 8)) return -EFAULT;
      const lo = mem.getU64Lo(a.addr);
      const hi = mem.getU64Hi(a.addr);
      const r = checkIorange(dev.kvm, s.its.base, lo, hi, 0x10000, ITS_FRAME_SIZE);
      if (r < 0) return r;
      const base = hi * TWO32 + lo;
      const region = itsFrame(s.dist, s.its, base);
      dev.kvm.mmio.register(region); // kvm_io_bus_register_dev
      s.its.base = base;
      s.its.region = region;
      return 0;
    }
    case U.KVM_DEV_ARM_VGIC_GRP_CTRL: {
      const attr = a.attrHi === 0 ? a.attrLo : -1;
      if (attr === U.KVM_DEV_ARM_VGIC_CTRL_INIT) return 0; // nothing to do
      switch (attr) {
        case U.KVM_DEV_ARM_ITS_CTRL_RESET:
          reset(s);
          return 0;
        case U.KVM_DEV_ARM_ITS_SAVE_TABLES:
          return saveTables(s.dist, s.its);
        case U.KVM_DEV_ARM_ITS_RESTORE_TABLES:
          return restoreTables(s.dist, s.its);
        default:
          return -ENXIO; // 7.x (6.12 returned 0)
      }
    }
    case U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS: {
      if (!mem.ok(a.addr, 8)) return -EFAULT;
      return regsAccess(s, a, true, mem.getU64Lo(a.addr), mem.getU64Hi(a.addr));
    }
    default:
      return -ENXIO;
  }
}

function getAttr(dev: KvmDevice<ItsDeviceState>, a: KvmDeviceAttr): number {
  const s = dev.state;
  const mem = dev.kvm.host.mem;
  switch (a.group) {
    case U.KVM_DEV_ARM_VGIC_GRP_ADDR: {
      if (a.attrHi !== 0 || a.attrLo !== U.KVM_VGIC_ITS_ADDR_TYPE) return -ENODEV;
      if (!mem.okWrite(a.addr, 8)) return -EFAULT;
      const b = s.its.base;
      if (b === -1) mem.setU64Parts(a.addr, 0xffffffff, 0xffffffff);
      else mem.setU64Parts(a.addr, b % TWO32, Math.floor(b / TWO32));
      return 0;
    }
    case U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS: {
      const r = regsAccess(s, a, false, 0, 0);
      if (r < 0) return r;
      if (!mem.okWrite(a.addr, 8)) return -EFAULT;
      mem.setU64Parts(a.addr, out[0]!, out[1]!);
      return 0;
    }
    default:
      return -ENXIO;
  }
}

function hasAttr(_dev: KvmDevice<ItsDeviceState>, a: KvmDeviceAttr): number {
  switch (a.group) {
    case U.KVM_DEV_ARM_VGIC_GRP_ADDR:
      return a.attrHi === 0 && a.attrLo === U.KVM_VGIC_ITS_ADDR_TYPE ? 0 : -ENXIO;
    case U.KVM_DEV_ARM_VGIC_GRP_CTRL:
      return a.attrHi === 0 &&
        (a.attrLo === U.KVM_DEV_ARM_VGIC_CTRL_INIT ||
          a.attrLo === U.KVM_DEV_ARM_ITS_CTRL_RESET ||
          a.attrLo === U.KVM_DEV_ARM_ITS_SAVE_TABLES ||
          a.attrLo === U.KVM_DEV_ARM_ITS_RESTORE_TABLES)
        ? 0
        : -ENXIO;
    case U.KVM_DEV_ARM_VGIC_GRP_ITS_REGS: {
      const off = regOffset(a);
      if (off < 0) return a.attrLo & 3 ? -EINVAL : -ENXIO;
      if (off & regAlign(off)) return -EINVAL;
      return findItsReg(off) === null ? -ENXIO : 0;
    }
    default:
      return -ENXIO;
  }
}

/** DeviceOps of KVM_DEV_TYPE_ARM_VGIC_ITS. */
export const vgicItsOps: DeviceOps<ItsDeviceState> = {
  name: 'kvm-arm-vgic-its',
  create,
  destroy,
  setAttr,
  getAttr,
  hasAttr,
};
