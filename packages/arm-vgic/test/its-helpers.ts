/** A GICv3 + ITS VM with guest RAM and a guest-side ITS driver, for the ITS tests. */
import { KVM_ARM_VCPU_INIT } from '@kvmdev/core';
import { ItsGuestDriver } from '../src/internal.js';
import * as U from '../src/uapi.js';
import { typed } from './helpers.js';

export const RAM_GPA = 0x8000_0000;
export const DIST = 0x3fff0000;

export interface ItsWorldOptions {
  vcpus?: number;
  ramSize?: number;
  /** Program the LPI tables, enable LPIs and the ITS (default true). */
  enable?: boolean;
  /** Property-table INTID bits (default 16). */
  idBits?: number;
  /** Device table pages (default 1). */
  tablePages?: number;
  /** Create the ITS (and set its address) before the GICv3 (default false). */
  itsFirst?: boolean;
}

/** Firecracker's layout: GICD below 1 GiB, redistributors below it, the ITS below them; RAM at 2 GiB. */
export function itsWorld(opts: ItsWorldOptions = {}) {
  const n = opts.vcpus ?? 4;
  const { host, vm } = typed();
  const vcpus = [];
  for (let i = 0; i < n; i++) vcpus.push(vm.createVcpu(i));
  const redist = DIST - n * 0x20000;
  const itsBase = redist - 0x20000;
  const makeIts = () => {
    const d = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_ITS');
    d.setAttr(0, 4, BigInt(itsBase));
    d.setAttr(4, 0);
    return d;
  };
  const first = opts.itsFirst ? makeIts() : null;
  const gic = vm.createDevice('KVM_DEV_TYPE_ARM_VGIC_V3');
  gic.setAttr(0, 2, BigInt(DIST));
  gic.setAttr(0, 3, BigInt(redist));
  const its = first ?? makeIts();
  gic.setAttr(3, 0, 128);
  gic.setAttr(4, 0);
  const ramSize = opts.ramSize ?? 16 << 20;
  const hva = host.mem.mmap(ramSize);
  vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM_GPA, memorySize: ramSize, userspaceAddr: hva });
  const init = host.mem.alloc(32);
  host.mem.setU32(init, 5);
  for (const v of vcpus) {
    v.ioctl(KVM_ARM_VCPU_INIT, init);
    v.run();
  }
  const guests = vcpus.map((v) => v.guest);
  guests[0]!.mmioWrite32(DIST, 4, 2); // GICD_CTLR.EnableGrp1
  for (const g of guests) {
    g.sysregWrite(U.ICC_PMR_EL1, 0xff);
    g.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
  }
  const drv = new ItsGuestDriver({
    ram: { gpa: RAM_GPA, size: ramSize, hva, mem: host.mem },
    cpus: guests,
    its: itsBase,
    redist,
    idBits: opts.idBits,
    tablePages: opts.tablePages,
  });
  if (opts.enable !== false) drv.enableDefaults();
  /** Takes and EOIs every interrupt vCPU `i` is signalled; returns the INTIDs in order. */
  const drain = (i: number): number[] => {
    const got: number[] = [];
    const g = guests[i]!;
    for (let k = 0; k < 10000 && g.line('irq'); k++) {
      const intid = Number(g.sysregRead(U.ICC_IAR1_EL1));
      if (intid === 1023) break;
      got.push(intid);
      g.sysregWrite(U.ICC_EOIR1_EL1, intid);
    }
    return got;
  };
  /** What every vCPU takes now: `cpu:intid` in vCPU order. */
  const drainAll = (): string[] => guests.flatMap((_g, i) => drain(i).map((x) => `${i}:${x}`));
  return { host, vm, vcpus, gic, its, itsBase, redist, hva, ramSize, guests, drv, drain, drainAll };
}
