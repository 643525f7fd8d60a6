/**
 * The vGIC lifecycle (vgic-init.c, vgic-v3.c region handling): kvm_vgic_create and its checks in
 * the kernel's order, vCPU attach, vgic_init (CTRL_INIT and the GICv2 lazy init), the
 * redistributor regions, and kvm_vgic_map_resources at first KVM_RUN (since 6.12 a failure keeps
 * the vGIC and marks the VM dead).
 * @packageDocumentation
 */
import {
  E2BIG,
  EAGAIN,
  EBUSY,
  EEXIST,
  EINVAL,
  ENODEV,
  ENXIO,
  type KvmIrqRoutingEntry,
} from '@kvmdev/core';
import {
  type IrqChip,
  type MmioRegion,
  type Vcpu,
  type Vm,
  defineSlot,
} from '@kvmdev/core/plugin';
import { canEmulateGicv2 } from './arm64/host-profile.js';
import { ARM_VCPU, type ArmVcpu } from './arm64/vcpu-state.js';
import { ARM_VM, type ArmVm, INITIAL_PENDBASER_VALUE } from './arm64/vm-state.js';
import { injectLine, update } from './delivery.js';
import { ITS_DIST } from './its/slot.js';
import { GICV2_CPU_GUEST } from './regs/gicv2-cpu.js';
import { GICV2_DIST } from './regs/gicv2-dist.js';
import { GICV3_DIST } from './regs/gicv3-dist.js';
import { GICV3_REDIST } from './regs/gicv3-redist-sgi.js';
import type { RegTable } from './regs/common.js';
import { IrqBank, type RdistRegion, Vgic, VcpuGic, resetPrivateIrqs } from './state.js';
import * as U from './uapi.js';

export { ARM_VCPU, ARM_VM };
export type { ArmVcpu, ArmVm };
export const VGIC = defineSlot<Vgic>('@kvmdev/arm-vgic:vgic');

/** The vGIC of a VM, or undefined. */
export function vgicOf(vm: Vm): Vgic | undefined {
  return vm.slot(VGIC);
}

const TWO32 = 4294967296;

/** The IPA size of a VM (40 bits unless KVM_CREATE_VM asked for another). */
export function ipaBits(vm: Vm): number {
  return vm.slot(ARM_VM)?.ipaBits ?? U.KVM_PHYS_SHIFT;
}

/**
 * vgic_check_iorange on an address given as u32 halves: EEXIST (already set), EINVAL
 * (alignment, wrap), E2BIG (beyond the IPA size), else 0.
 */
export function checkIorange(vm: Vm, cur: number, lo: number, hi: number, align: number, size: number): number {
  if (cur !== -1) return -EEXIST;
  if (lo % align !== 0 || size % align !== 0) return -EINVAL;
  if (hi === 0xffffffff && lo + size > 0xffffffff) return -EINVAL;
  const limit = 2 ** ipaBits(vm);
  if (hi * TWO32 + lo + size > limit || hi * TWO32 + lo >= limit) return -E2BIG;
  return 0;
}

/** kvm_vgic_create (also KVM_CREATE_IRQCHIP): a GICv2 the host cannot emulate is ENODEV first. */
export function vgicCreate(vm: Vm, type: number): number {
  const arm = vm.slot(ARM_VM);
  if (arm === undefined) return -ENODEV;
  if (type === U.KVM_DEV_TYPE_ARM_VGIC_V2 && !canEmulateGicv2(arm.host)) return -ENODEV;
  if (vm.slot(VGIC) !== undefined) return -EEXIST;
  for (const v of vm.vcpus) if (v.hasRun) return -EBUSY;
  vm.maxVcpus = Math.min(type === U.KVM_DEV_TYPE_ARM_VGIC_V2 ? U.VGIC_V2_MAX_CPUS : U.VGIC_V3_MAX_CPUS, vm.host.maxVcpus);
  if (vm.vcpus.length > vm.maxVcpus) return -E2BIG;
  const g = new Vgic(vm, type, arm);
  vm.slots.set(VGIC, g);
  for (const v of vm.vcpus) attachVcpu(g, v);
  vm.irqchip = makeIrqChip(g);
  vm.slot(ITS_DIST)?.attachVgic(g); // an ITS created before the GIC
  return 0;
}

/** Private IRQs (and the affinity lookup) for a vCPU joining the vGIC. */
export function attachVcpu(g: Vgic, vcpu: Vcpu): VcpuGic {
  const h = g.arm.host.ichVtr;
  const v = new VcpuGic(vcpu, h.priBits, h.idBits, h.seis, h.a3v);
  g.cpus.push(v);
  if (!g.byAff.has(v.affKey)) g.byAff.set(v.affKey, v);
  resetPrivateIrqs(g, v);
  return v;
}

/**
 * The irqchip the core sees: 988 routing pins (pin = SPI - 32, vgic_irqfd_set_irq) and MSI routes
 * with or without a DeviceID (arm64's kvm_set_routing_entry takes both; an MSI fired without an
 * ITS is ENODEV, kvm_set_msi).
 */
function makeIrqChip(g: Vgic): IrqChip {
  return {
    name: g.v3 ? 'vgic-v3' : 'vgic-v2',
    numPins: U.KVM_IRQCHIP_NUM_PINS,
    msi: true,
    msiDevid: true,
    setPin(_chip: number, pin: number, level: number): number {
      return irqfdSetIrq(g, pin, level !== 0);
    },
    setPinInatomic(_chip: number, pin: number): number {
      // SPIs can always be injected atomically once the vgic is initialized
      return g.initialized ? irqfdSetIrq(g, pin, true) : -EAGAIN;
    },
    setMsi(addressLo: number, addressHi: number, data: number, flags: number, devid: number): number {
      const its = g.msi;
      return its === null ? -ENODEV : its.injectMsi(addressLo, addressHi, data, flags, devid);
    },
    setMsiInatomic(addressLo: number, addressHi: number, data: number, _flags: number, devid: number): number {
      const its = g.msi;
      return its === null ? -EAGAIN : its.injectCached(addressLo, addressHi, data, devid);
    },
  };
}

/** vgic_irqfd_set_irq: the SPI of routing pin `pin` (EINVAL beyond nr_spis), then kvm_vgic_inject_irq. */
function irqfdSetIrq(g: Vgic, pin: number, level: boolean): number {
  if (pin >= g.nrSpis) return -EINVAL;
  return injectSpi(g, pin + U.VGIC_NR_PRIVATE_IRQS, level);
}

/** vgic_lazy_init: GICv2 initializes on demand, GICv3 gives EBUSY. */
export function lazyInit(g: Vgic): number {
  if (g.initialized) return 0;
  if (!g.v2) return -EBUSY;
  return vgicInit(g);
}

/** kvm_vgic_inject_irq for an SPI (KVM_IRQ_LINE, GSI routing). */
export function injectSpi(g: Vgic, intid: number, level: boolean): number {
  const r = lazyInit(g);
  if (r < 0) return r;
  const k = intid - 32; // VGIC_NR_PRIVATE_IRQS (a literal on the per-event path, see delivery.ts)
  if (k < 0 || k >= g.spis.n) return -EINVAL;
  return injectLine(g, g.spis, k, level);
}

/** kvm_vgic_inject_irq for a PPI of one vCPU. */
export function injectPpi(g: Vgic, v: VcpuGic, intid: number, level: boolean): number {
  const r = lazyInit(g);
  if (r < 0) return r;
  return injectLine(g, v.priv, intid, level);
}

/** vgic_init: idempotent; freezes nr_spis (default 224), resets SPIs and CPU interfaces, default routing. */
export function vgicInit(g: Vgic): number {
  if (g.initialized) return 0;
  if (g.nrSpis === 0) g.nrSpis = U.VGIC_NR_IRQS_LEGACY - U.VGIC_NR_PRIVATE_IRQS;
  const b = new IrqBank(g.nrSpis, U.VGIC_NR_PRIVATE_IRQS);
  const t0 = g.cpus.length > 0 ? 0 : -1;
  for (let i = 0; i < b.n; i++) {
    b.group[i] = g.v3 ? 1 : 0;
    b.target[i] = t0;
  }
  g.spis = b;
  for (const v of g.cpus) {
    v.cpu.reset(g.v3);
    if (g.v3) {
      v.pendbaserLo = INITIAL_PENDBASER_VALUE;
      v.pendbaserHi = 0;
    }
    v.pend.resize(g.nrIrqs);
  }
  const entries: KvmIrqRoutingEntry[] = [];
  for (let i = 0; i < g.nrSpis; i++) entries.push({ gsi: i, type: 1, flags: 0, irqchip: 0, pin: i });
  g.vm.routing.set(g.vm.irqchip, entries, 0);
  g.initialized = true;
  return 0;
}

// ------------------------------------------------------------------ GICv3 redistributor regions

/** Size of a region: count × 128 KiB, or (online vCPUs) × 128 KiB for the legacy region. */
export function regionSize(_g: Vgic, r: RdistRegion, online: number): number {
  return (r.count || online) * U.KVM_VGIC_V3_REDIST_SIZE;
}

function rdistOverlap(g: Vgic, base: number, size: number, online: number): boolean {
  for (const r of g.rdRegions) {
    if (base + size > r.base && base < r.base + regionSize(g, r, online)) return true;
  }
  return false;
}

function distOverlap(g: Vgic, base: number, size: number): boolean {
  return base + size > g.distBase && base < g.distBase + U.KVM_VGIC_V3_DIST_SIZE;
}

/** vgic_v3_check_base with `online` vCPUs. */
export function checkBase(g: Vgic, online: number): boolean {
  for (const r of g.rdRegions) {
    const sz = regionSize(g, r, online);
    if (checkIorange(g.vm, -1, r.base % TWO32, Math.floor(r.base / TWO32), 0x10000, sz) !== 0) return false;
  }
  if (g.distBase === -1) return true;
  return !rdistOverlap(g, g.distBase, U.KVM_VGIC_V3_DIST_SIZE, online);
}

function freeSlot(g: Vgic): RdistRegion | null {
  for (const r of g.rdRegions) if (r.count === 0 || r.freeIndex < r.count) return r;
  return null;
}

/**
 * vgic_register_redist_iodev for a vCPU with `online` vCPUs online: 0 (assigned, or no free slot
 * yet) or -EINVAL (frames would overlap).
 */
function registerRedist(g: Vgic, v: VcpuGic, online: number): number {
  if (v.rdreg !== null) return 0;
  const r = freeSlot(g);
  if (r === null) return 0;
  if (!checkBase(g, online)) return -EINVAL;
  v.rdreg = r;
  v.rdregIndex = r.freeIndex++;
  return 0;
}

/** Whether attaching a new vCPU (KVM_CREATE_VCPU) would fail its redistributor registration. */
export function newVcpuRedistFails(g: Vgic): boolean {
  return g.v3 && freeSlot(g) !== null && !checkBase(g, g.cpus.length);
}

/** Registers the redistributor of a vCPU created after the GIC. */
export function vcpuRedistAttach(g: Vgic, v: VcpuGic): void {
  if (g.v3) registerRedist(g, v, g.cpus.length - 1);
}

/**
 * vgic_v3_set_redist_base: legacy REDIST (count 0) or REDIST_REGION, with the checks of
 * vgic_v3_alloc_redist_region in order, then the redistributors of the existing vCPUs.
 */
export function setRedistBase(g: Vgic, index: number, lo: number, hi: number, count: number): number {
  const online = g.cpus.length;
  const size = (count || online) * U.KVM_VGIC_V3_REDIST_SIZE;
  if (hi === 0xffffffff && lo + size > 0xffffffff) return -EINVAL;
  const base = hi * TWO32 + lo;
  const last = g.rdRegions[g.rdRegions.length - 1];
  if (last === undefined) {
    if (index !== 0) return -EINVAL;
  } else {
    if (!count && last.count) return -EINVAL;
    if (!count) return -EEXIST;
    if (index !== last.index + 1) return -EINVAL;
  }
  if (!count && g.distBase !== -1 && distOverlap(g, base, size)) return -EINVAL;
  if (rdistOverlap(g, base, size, online)) return -EINVAL;
  const r = checkIorange(g.vm, -1, lo, hi, 0x10000, size);
  if (r < 0) return r;
  const region: RdistRegion = { index, base, count, freeIndex: 0 };
  g.rdRegions.push(region);
  for (let c = 0; c < g.cpus.length; c++) {
    const v = g.cpus[c]!;
    if (registerRedist(g, v, online) < 0) {
      for (let k = 0; k < g.cpus.length; k++) {
        const w = g.cpus[k]!;
        if (w.rdreg === region) w.rdreg = null;
      }
      g.rdRegions.pop();
      return -EINVAL;
    }
  }
  return 0;
}

// ------------------------------------------------------------------ first run

/** kvm_vgic_map_resources: the first-run checks in the kernel's order; on error the VM is dead. */
export function mapResources(g: Vgic): number {
  if (g.ready) return 0;
  const r = g.v2 ? v2Map(g) : v3Map(g);
  if (r < 0) {
    // kvm_vm_dead (since ~6.12 the vgic is kept): the vCPUs can no longer run (KVM_RUN → EIO);
    // since the 2025 "reject ioctls only if the VM is bugged" change other ioctls still work
    g.vm.markDead();
    return r;
  }
  registerMmio(g);
  g.ready = true;
  return 0;
}

function v2Map(g: Vgic): number {
  if (g.distBase === -1 || g.cpuBase === -1) return -ENXIO;
  const d = g.distBase;
  const c = g.cpuBase;
  const ok = d + U.KVM_VGIC_V2_DIST_SIZE <= c || c + U.KVM_VGIC_V2_CPU_SIZE <= d;
  if (!ok) return -EINVAL;
  return vgicInit(g);
}

function v3Map(g: Vgic): number {
  for (const v of g.cpus) if (v.rdreg === null) return -ENXIO;
  if (g.distBase === -1) return -ENXIO;
  if (!checkBase(g, g.cpus.length)) return -EINVAL;
  if (!g.initialized) return -EBUSY;
  return 0;
}

/** A bus region over one register table, for one vCPU or banked by the accessing vCPU. */
function frame(g: Vgic, name: string, base: number, size: number, table: RegTable): MmioRegion {
  const vg = (vcpu: Vcpu | null): VcpuGic | null => (vcpu === null ? null : (g.cpus[vcpu.index] ?? null));
  return {
    name,
    base,
    size,
    read: (vcpu, off, len) => table.read(g, vg(vcpu), off, len),
    write: (vcpu, off, len, val) => {
      table.write(g, vg(vcpu), off, len, val);
      return 0;
    },
    read64: (vcpu, off) => {
      if (!table.has64(g, off)) return 0n;
      const v = vg(vcpu);
      return (BigInt(table.read(g, v, off + 4, 4)) << 32n) | BigInt(table.read(g, v, off, 4));
    },
    write64: (vcpu, off, value) => {
      if (!table.has64(g, off)) return 0;
      const v = vg(vcpu);
      table.write(g, v, off, 4, Number(value & 0xffffffffn));
      table.write(g, v, off + 4, 4, Number(value >> 32n));
      return 0;
    },
  };
}

/** Redistributor frames of one region: the vCPU comes from the 128 KiB slot, not from the accessor. */
function redistFrame(g: Vgic, r: RdistRegion): MmioRegion {
  const slots: (VcpuGic | null)[] = [];
  const n = r.count || g.cpus.length;
  for (let i = 0; i < n; i++) slots.push(null);
  for (const v of g.cpus) if (v.rdreg === r) slots[v.rdregIndex] = v;
  const RS = U.KVM_VGIC_V3_REDIST_SIZE;
  return {
    name: `vgic-v3-redist-${r.index}`,
    base: r.base,
    size: n * RS,
    read: (_vcpu, off, len) => {
      const v = slots[(off / RS) | 0] ?? null;
      return v === null ? 0 : GICV3_REDIST.read(g, v, off % RS, len);
    },
    write: (_vcpu, off, len, val) => {
      const v = slots[(off / RS) | 0] ?? null;
      if (v !== null) GICV3_REDIST.write(g, v, off % RS, len, val);
      return 0;
    },
    read64: (_vcpu, off) => {
      const v = slots[(off / RS) | 0] ?? null;
      const o = off % RS;
      if (v === null || !GICV3_REDIST.has64(g, o)) return 0n;
      return (BigInt(GICV3_REDIST.read(g, v, o + 4, 4)) << 32n) | BigInt(GICV3_REDIST.read(g, v, o, 4));
    },
    write64: (_vcpu, off, value) => {
      const v = slots[(off / RS) | 0] ?? null;
      const o = off % RS;
      if (v === null || !GICV3_REDIST.has64(g, o)) return 0;
      GICV3_REDIST.write(g, v, o, 4, Number(value & 0xffffffffn));
      GICV3_REDIST.write(g, v, o + 4, 4, Number(value >> 32n));
      return 0;
    },
  };
}

function registerMmio(g: Vgic): void {
  const bus = g.vm.mmio;
  if (g.v2) {
    bus.register(frame(g, 'vgic-v2-dist', g.distBase, U.KVM_VGIC_V2_DIST_SIZE, GICV2_DIST));
    bus.register(frame(g, 'vgic-v2-cpu', g.cpuBase, U.KVM_VGIC_V2_CPU_SIZE, GICV2_CPU_GUEST));
  } else {
    bus.register(frame(g, 'vgic-v3-dist', g.distBase, U.KVM_VGIC_V3_DIST_SIZE, GICV3_DIST));
    for (const r of g.rdRegions) if ((r.count || g.cpus.length) > 0) bus.register(redistFrame(g, r));
  }
}

/** Re-files every IRQ (after a bulk change such as a restore); not used on hot paths. */
export function refileAll(g: Vgic): void {
  for (const v of g.cpus) for (let i = 0; i < v.priv.n; i++) update(g, v.priv, i);
  for (let i = 0; i < g.spis.n; i++) update(g, g.spis, i);
}
