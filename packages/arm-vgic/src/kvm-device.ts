/**
 * The attribute groups (vgic-kvm-device.c) with the kernel's validation order and errno: ADDR
 * (incl. REDIST_REGION), NR_IRQS, CTRL (INIT, SAVE_PENDING_TABLES), DIST/CPU/REDIST regs,
 * CPU_SYSREGS, LEVEL_INFO, MAINT_IRQ. Register groups go through the frame register tables
 * (unknown offsets read 0 / writes are ignored; HAS gives ENXIO).
 * @packageDocumentation
 */
import {
  EBUSY,
  EFAULT,
  EINVAL,
  ENODEV,
  ENOENT,
  ENXIO,
} from '@kvmdev/core';
import type { KvmDevice, KvmDeviceAttr } from '@kvmdev/core/plugin';
import { update } from './delivery.js';
import { checkIorange, setRedistBase, vgicInit } from './init.js';
import { GICV2_CPU_UACCESS } from './regs/gicv2-cpu.js';
import { GICV2_DIST } from './regs/gicv2-dist.js';
import { GICV3_DIST } from './regs/gicv3-dist.js';
import { GICV3_REDIST } from './regs/gicv3-redist-sgi.js';
import { iccHas, iccUGet, iccUSet } from './regs/icc.js';
import type { Vgic, VcpuGic } from './state.js';
import * as U from './uapi.js';

const TWO32 = 4294967296;

function putAddr(dev: KvmDevice<Vgic>, addr: number, base: number): number {
  const mem = dev.kvm.host.mem;
  if (!mem.ok(addr, 8)) return -EFAULT;
  if (base === -1) mem.setU64Parts(addr, 0xffffffff, 0xffffffff);
  else mem.setU64Parts(addr, base % TWO32, Math.floor(base / TWO32));
  return 0;
}

/** kvm_vgic_addr: ENODEV for a type of the other model (turned into ENXIO by the caller). */
function vgicAddr(dev: KvmDevice<Vgic>, a: KvmDeviceAttr, write: boolean): number {
  const g = dev.state;
  const mem = dev.kvm.host.mem;
  const type = a.attrHi === 0 ? a.attrLo : -1;
  let lo = 0;
  let hi = 0;
  if (write || type === U.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION) {
    if (!mem.ok(a.addr, 8)) return -EFAULT;
    lo = mem.getU64Lo(a.addr);
    hi = mem.getU64Hi(a.addr);
  }
  let cur: number;
  let align: number;
  let size: number;
  switch (type) {
    case U.KVM_VGIC_V2_ADDR_TYPE_DIST:
    case U.KVM_VGIC_V2_ADDR_TYPE_CPU:
      if (!g.v2) return -ENODEV;
      cur = type === U.KVM_VGIC_V2_ADDR_TYPE_DIST ? g.distBase : g.cpuBase;
      align = 0x1000;
      size = type === U.KVM_VGIC_V2_ADDR_TYPE_DIST ? U.KVM_VGIC_V2_DIST_SIZE : U.KVM_VGIC_V2_CPU_SIZE;
      break;
    case U.KVM_VGIC_V3_ADDR_TYPE_DIST:
      if (!g.v3) return -ENODEV;
      cur = g.distBase;
      align = 0x10000;
      size = U.KVM_VGIC_V3_DIST_SIZE;
      break;
    case U.KVM_VGIC_V3_ADDR_TYPE_REDIST:
      if (!g.v3) return -ENODEV;
      if (write) return setRedistBase(g, 0, lo, hi, 0);
      return putAddr(dev, a.addr, g.rdRegions[0]?.base ?? -1);
    case U.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION: {
      if (!g.v3) return -ENODEV;
      const index = lo & 0xff; // the kernel keeps the index in a u8
      if (write) {
        const count = hi >>> 20;
        const flags = (lo >>> 12) & 0xf;
        if (!count || flags) return -EINVAL;
        return setRedistBase(g, index, (lo & 0xffff0000) >>> 0, hi & 0xfffff, count);
      }
      const r = g.rdRegions.find((x) => x.index === index);
      if (r === undefined) return -ENOENT;
      mem.setU64Parts(a.addr, (index | r.base % TWO32) >>> 0, (Math.floor(r.base / TWO32) | (r.count << 20)) >>> 0);
      return 0;
    }
    default:
      return -ENODEV;
  }
  if (write) {
    const r = checkIorange(dev.kvm, cur, lo, hi, align, size);
    if (r < 0) return r;
    const base = hi * TWO32 + lo;
    if (type === U.KVM_VGIC_V2_ADDR_TYPE_CPU) g.cpuBase = base;
    else g.distBase = base;
    return 0;
  }
  return putAddr(dev, a.addr, cur);
}

/** Legacy KVM_ARM_SET_DEVICE_ADDR (kvm_set_legacy_vgic_v2_addr): ENODEV unless a GICv2 exists. */
export function legacyV2Addr(g: Vgic | undefined, type: number, lo: number, hi: number): number {
  if (type !== U.KVM_VGIC_V2_ADDR_TYPE_DIST && type !== U.KVM_VGIC_V2_ADDR_TYPE_CPU) return -ENODEV;
  if (g === undefined || !g.v2) return -ENODEV;
  const dist = type === U.KVM_VGIC_V2_ADDR_TYPE_DIST;
  const r = checkIorange(g.vm, dist ? g.distBase : g.cpuBase, lo, hi, 0x1000, dist ? U.KVM_VGIC_V2_DIST_SIZE : U.KVM_VGIC_V2_CPU_SIZE);
  if (r < 0) return r;
  if (dist) g.distBase = hi * TWO32 + lo;
  else g.cpuBase = hi * TWO32 + lo;
  return 0;
}

/** vgic_set_common_attr. */
function setCommon(dev: KvmDevice<Vgic>, a: KvmDeviceAttr): number {
  const g = dev.state;
  switch (a.group) {
    case U.KVM_DEV_ARM_VGIC_GRP_ADDR: {
      const r = vgicAddr(dev, a, true);
      return r === -ENODEV ? -ENXIO : r;
    }
    case U.KVM_DEV_ARM_VGIC_GRP_NR_IRQS: {
      const mem = dev.kvm.host.mem;
      if (!mem.ok(a.addr, 4)) return -EFAULT;
      const val = mem.getU32(a.addr);
      if (val < U.VGIC_NR_PRIVATE_IRQS + 32 || val > U.VGIC_MAX_RESERVED || val & 31) return -EINVAL;
      if (g.ready || g.nrSpis) return -EBUSY;
      g.nrSpis = val - U.VGIC_NR_PRIVATE_IRQS;
      return 0;
    }
    case U.KVM_DEV_ARM_VGIC_GRP_CTRL:
      if (a.attrHi !== 0) return -ENXIO;
      if (a.attrLo === U.KVM_DEV_ARM_VGIC_CTRL_INIT) return vgicInit(g);
      if (a.attrLo === U.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES) {
        if (!g.v3) return -ENXIO;
        if (!g.initialized) return -ENXIO;
        return g.msi !== null ? g.msi.savePendingTables() : 0; // no LPIs without an ITS
      }
      return -ENXIO;
    default:
      return -ENXIO;
  }
}

/** vgic_get_common_attr. */
function getCommon(dev: KvmDevice<Vgic>, a: KvmDeviceAttr): number {
  switch (a.group) {
    case U.KVM_DEV_ARM_VGIC_GRP_ADDR: {
      const r = vgicAddr(dev, a, false);
      return r === -ENODEV ? -ENXIO : r;
    }
    case U.KVM_DEV_ARM_VGIC_GRP_NR_IRQS: {
      const mem = dev.kvm.host.mem;
      if (!mem.ok(a.addr, 4)) return -EFAULT;
      mem.setU32(a.addr, dev.state.nrIrqs);
      return 0;
    }
    default:
      return -ENXIO;
  }
}

// ------------------------------------------------------------------ GICv2

/** vgic_v2_parse_attr: the vCPU by id from attr bits 39:32, or null. */
function v2Vcpu(g: Vgic, a: KvmDeviceAttr): VcpuGic | null {
  const vcpu = g.vm.vcpuById(a.attrHi & 0xff);
  return vcpu === undefined ? null : (g.cpus[vcpu.index] ?? null);
}

/** vgic_v2_attr_regs_access: vCPU (EINVAL), payload (EFAULT), lazy vgic_init, access, copy-out (EFAULT). */
function v2Regs(dev: KvmDevice<Vgic>, a: KvmDeviceAttr, write: boolean): number {
  const g = dev.state;
  const mem = dev.kvm.host.mem;
  const v = v2Vcpu(g, a);
  if (v === null) return -EINVAL;
  let val = 0;
  if (write) {
    if (!mem.ok(a.addr, 4)) return -EFAULT;
    val = mem.getU32(a.addr);
  }
  const r = vgicInit(g);
  if (r < 0) return r;
  const table = a.group === U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS ? GICV2_CPU_UACCESS : GICV2_DIST;
  if (write) return table.uwrite(g, v, a.attrLo, val);
  const out = table.uread(g, v, a.attrLo);
  if (!mem.ok(a.addr, 4)) return -EFAULT;
  mem.setU32(a.addr, out);
  return 0;
}

export function v2SetAttr(dev: KvmDevice<Vgic>, a: KvmDeviceAttr): number {
  if (a.group === U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS || a.group === U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS)
    return v2Regs(dev, a, true);
  return setCommon(dev, a);
}

export function v2GetAttr(dev: KvmDevice<Vgic>, a: KvmDeviceAttr): number {
  if (a.group === U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS || a.group === U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS)
    return v2Regs(dev, a, false);
  return getCommon(dev, a);
}

export function v2HasAttr(dev: KvmDevice<Vgic>, a: KvmDeviceAttr): number {
  const g = dev.state;
  switch (a.group) {
    case U.KVM_DEV_ARM_VGIC_GRP_ADDR:
      return a.attrHi === 0 && (a.attrLo === U.KVM_VGIC_V2_ADDR_TYPE_DIST || a.attrLo === U.KVM_VGIC_V2_ADDR_TYPE_CPU)
        ? 0
        : -ENXIO;
    case U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
    case U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS: {
      if (v2Vcpu(g, a) === null) return -EINVAL;
      const table = a.group === U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS ? GICV2_CPU_UACCESS : GICV2_DIST;
      return table.has(g, a.attrLo);
    }
    case U.KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
      return 0;
    case U.KVM_DEV_ARM_VGIC_GRP_CTRL:
      return a.attrHi === 0 && a.attrLo === U.KVM_DEV_ARM_VGIC_CTRL_INIT ? 0 : -ENXIO;
    default:
      return -ENXIO;
  }
}

// ------------------------------------------------------------------ GICv3

/** vgic_v3_parse_attr: vCPU 0 (by index) for DIST_REGS, else the vCPU whose affinity is attr[63:32]. */
function v3Vcpu(g: Vgic, a: KvmDeviceAttr): VcpuGic | null {
  if (a.group === U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS) return g.cpus[0] ?? null;
  if (a.attrHi >>> 24 !== 0) return null; // Aff3: KVM vCPUs have Aff3 = 0
  return g.byAff.get(a.attrHi & 0xffffff) ?? null;
}

/** LEVEL_INFO line levels of 32 INTIDs from `intid` (SGIs and missing INTIDs skipped). */
function readLineLevel(g: Vgic, v: VcpuGic, intid: number): number {
  let val = 0;
  for (let i = 0; i < 32; i++) {
    const id = intid + i;
    if (id < U.VGIC_NR_SGIS || id >= g.nrIrqs) continue;
    const b = id < 32 ? v.priv : g.spis;
    const k = id - b.base;
    if (b.level[k] === 1 && b.line[k] === 1) val |= 1 << i;
  }
  return val >>> 0;
}

function writeLineLevel(g: Vgic, v: VcpuGic, intid: number, val: number): void {
  for (let i = 0; i < 32; i++) {
    const id = intid + i;
    if (id < U.VGIC_NR_SGIS || id >= g.nrIrqs) continue;
    const b = id < 32 ? v.priv : g.spis;
    const k = id - b.base;
    b.line[k] = (val >>> i) & 1;
    update(g, b, k);
  }
}

/** reg_allowed_pre_init: GICD_IIDR and GICD_TYPER2 may be read and written before vgic_init. */
function regAllowedPreInit(a: KvmDeviceAttr): boolean {
  return a.group === U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS && (a.attrLo === U.GICD_IIDR || a.attrLo === U.GICD_TYPER2);
}

/** vgic_v3_attr_regs_access: vCPU (EINVAL), payload (EFAULT), not initialised (EBUSY, but see {@link regAllowedPreInit}), access. */
function v3Regs(dev: KvmDevice<Vgic>, a: KvmDeviceAttr, write: boolean): number {
  const g = dev.state;
  const mem = dev.kvm.host.mem;
  const v = v3Vcpu(g, a);
  if (v === null) return -EINVAL;
  const uaccess = a.group !== U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
  let val = 0;
  if (uaccess && write) {
    if (!mem.ok(a.addr, 4)) return -EFAULT;
    val = mem.getU32(a.addr);
  }
  if (!g.initialized && !regAllowedPreInit(a)) return -EBUSY;
  let out = 0;
  switch (a.group) {
    case U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
    case U.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS: {
      const table = a.group === U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS ? GICV3_DIST : GICV3_REDIST;
      if (write) return table.uwrite(g, v, a.attrLo, val);
      out = table.uread(g, v, a.attrLo);
      break;
    }
    case U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: {
      const instr = a.attrLo & U.KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK;
      if (write) {
        if (!mem.ok(a.addr, 8)) return -EFAULT;
        return iccUSet(g, v, instr, mem.getU64Lo(a.addr), mem.getU64Hi(a.addr));
      }
      const r = iccUGet(v, instr);
      if (r < 0) return r;
      if (!mem.ok(a.addr, 8)) return -EFAULT;
      mem.setU64Parts(a.addr, r, 0);
      return 0;
    }
    case U.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: {
      const info = (a.attrLo & U.KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >>> U.KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT;
      if (info !== U.VGIC_LEVEL_INFO_LINE_LEVEL) return -EINVAL;
      const intid = a.attrLo & U.KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK;
      if (intid % 32) return -EINVAL;
      if (write) {
        writeLineLevel(g, v, intid, val);
        return 0;
      }
      out = readLineLevel(g, v, intid);
      break;
    }
    default:
      return -EINVAL;
  }
  if (!mem.ok(a.addr, 4)) return -EFAULT;
  mem.setU32(a.addr, out);
  return 0;
}

function isV3Regs(group: number): boolean {
  return (
    group === U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS ||
    group === U.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS ||
    group === U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS ||
    group === U.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO
  );
}

export function v3SetAttr(dev: KvmDevice<Vgic>, a: KvmDeviceAttr): number {
  if (isV3Regs(a.group)) return v3Regs(dev, a, true);
  if (a.group === U.KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ) {
    const mem = dev.kvm.host.mem;
    if (!mem.ok(a.addr, 4)) return -EFAULT;
    const val = mem.getU32(a.addr);
    const g = dev.state;
    if (g.initialized) return -EBUSY;
    if (val < U.VGIC_NR_SGIS || val >= U.VGIC_NR_PRIVATE_IRQS) return -EINVAL;
    g.maintIrq = val;
    return 0;
  }
  return setCommon(dev, a);
}

export function v3GetAttr(dev: KvmDevice<Vgic>, a: KvmDeviceAttr): number {
  if (isV3Regs(a.group)) return v3Regs(dev, a, false);
  if (a.group === U.KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ) {
    const mem = dev.kvm.host.mem;
    if (!mem.ok(a.addr, 4)) return -EFAULT;
    mem.setU32(a.addr, dev.state.maintIrq);
    return 0;
  }
  return getCommon(dev, a);
}

export function v3HasAttr(dev: KvmDevice<Vgic>, a: KvmDeviceAttr): number {
  const g = dev.state;
  switch (a.group) {
    case U.KVM_DEV_ARM_VGIC_GRP_ADDR:
      return a.attrHi === 0 &&
        (a.attrLo === U.KVM_VGIC_V3_ADDR_TYPE_DIST ||
          a.attrLo === U.KVM_VGIC_V3_ADDR_TYPE_REDIST ||
          a.attrLo === U.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION)
        ? 0
        : -ENXIO;
    case U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
    case U.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
    case U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: {
      if (v3Vcpu(g, a) === null) return -EINVAL;
      if (a.group === U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS) return iccHas(a.attrLo & U.KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK);
      return (a.group === U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS ? GICV3_DIST : GICV3_REDIST).has(g, a.attrLo);
    }
    case U.KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
    case U.KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ:
      return 0;
    case U.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
      return (a.attrLo & U.KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >>> U.KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT ===
        U.VGIC_LEVEL_INFO_LINE_LEVEL
        ? 0
        : -ENXIO;
    case U.KVM_DEV_ARM_VGIC_GRP_CTRL:
      return a.attrHi === 0 &&
        (a.attrLo === U.KVM_DEV_ARM_VGIC_CTRL_INIT || a.attrLo === U.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)
        ? 0
        : -ENXIO;
    default:
      return -ENXIO;
  }
}
