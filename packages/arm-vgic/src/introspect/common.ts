/**
 * What the GICv2 and GICv3 views share: INTID names, attribute reads that answer null instead
 * of throwing, the per-IRQ distributor register families and how an access to one reads in
 * device terms, and the host-side raise (KVM_IRQ_LINE with the arm64 encoding).
 * @packageDocumentation
 */
import { EINVAL, KvmError, isKvmError } from '@kvmdev/core';
import type {
  AccessReading,
  IntrospectDevice,
  InterruptRange,
  IntrospectVcpu,
  IntrospectVm,
  RaiseResult,
  StateField,
} from '@kvmdev/core/plugin';
import * as U from '../uapi.js';

/** `0x1f`, zero-padded to `pad` digits. */
export function hex(v: number | bigint, pad = 0): string {
  return `0x${(typeof v === 'bigint' ? v : v < 0 ? BigInt(v >>> 0) : BigInt(v)).toString(16).padStart(pad, '0')}`;
}

/** A GIC INTID in words: `SGI 3`, `PPI 27`, `SPI 40`, `LPI 8192`; null for the special and reserved INTIDs. */
export function gicIntidName(id: number): string | null {
  if (!Number.isInteger(id) || id < 0) return null;
  if (id < U.VGIC_NR_SGIS) return `SGI ${id}`;
  if (id < U.VGIC_NR_PRIVATE_IRQS) return `PPI ${id}`;
  if (id < 1020) return `SPI ${id}`;
  if (id >= 8192) return `LPI ${id}`;
  return null;
}

/** The INTID of `SGI 3`, `ppi 27`, `SPI 40`, `40`: the number when its kind matches its range. */
export function gicIntidLookup(name: string): number | null {
  const m = /^\s*(?:(sgi|ppi|spi|lpi)\s*)?(0x[0-9a-f]+|\d+)\s*$/i.exec(name);
  if (!m) return null;
  const id = Number(m[2]);
  const n = gicIntidName(id);
  if (n === null) return null;
  return m[1] === undefined || n.split(' ')[0] === m[1].toUpperCase() ? id : null;
}

/** The INTID ranges of a GIC with `nrIrqs` INTIDs (SGIs and PPIs banked per vCPU). */
export function gicRanges(nrIrqs: number): InterruptRange[] {
  const out: InterruptRange[] = [
    { kind: 'SGI', first: 0, count: U.VGIC_NR_SGIS, banked: true },
    { kind: 'PPI', first: U.VGIC_NR_SGIS, count: U.VGIC_NR_PRIVATE_IRQS - U.VGIC_NR_SGIS, banked: true },
  ];
  if (nrIrqs > U.VGIC_NR_PRIVATE_IRQS) out.push({ kind: 'SPI', first: U.VGIC_NR_PRIVATE_IRQS, count: nrIrqs - U.VGIC_NR_PRIVATE_IRQS, banked: false });
  return out;
}

/**
 * Attribute reads for one view call: each (group, attr) is read once, failures read as null.
 * Made per call, so a view never shows stale state.
 */
export class AttrReader {
  private readonly memo = new Map<string, bigint | null>();
  constructor(private readonly dev: IntrospectDevice) {}

  /** KVM_GET_DEVICE_ATTR with a `size`-byte payload, or null when the call fails. */
  get(group: number, attr: bigint, size: 4 | 8 = 4): bigint | null {
    const k = `${group}:${attr}`;
    const m = this.memo.get(k);
    if (m !== undefined || this.memo.has(k)) return m ?? null;
    const v = readAttr(this.dev, group, attr, size);
    this.memo.set(k, v);
    return v;
  }
  /** Bit `bit` of a 32-bit register. */
  bit(group: number, attr: bigint, bit: number): boolean | null {
    const w = this.get(group, attr);
    return w === null ? null : ((w >> BigInt(bit)) & 1n) === 1n;
  }
  /** Byte `i` of a 32-bit register. */
  byte(group: number, attr: bigint, i: number): number | null {
    const w = this.get(group, attr);
    return w === null ? null : Number((w >> BigInt(8 * i)) & 0xffn);
  }
}

/** One attribute read, null when it fails with an errno. */
export function readAttr(dev: IntrospectDevice, group: number, attr: bigint, size: 4 | 8): bigint | null {
  const host = dev.host;
  const buf = host.scratch();
  host.mem.setU64(buf, 0n);
  try {
    dev.attrRaw('get', group, attr, buf);
  } catch (e) {
    if (isKvmError(e)) return null;
    throw e;
  }
  return size === 8 ? host.mem.getU64(buf) : BigInt(host.mem.getU32(buf));
}

/** A guest system-register read that answers null when the register is not served. */
export function sysregOrNull(v: IntrospectVcpu, encoding: number): bigint | null {
  try {
    return v.guest.sysregRead(encoding);
  } catch (e) {
    if (isKvmError(e)) return null;
    throw e;
  }
}

/** A field for a register value (`?` when unreadable). */
export function field(name: string, value: bigint | number | null, pad = 0, extra = ''): StateField {
  const v = typeof value === 'bigint' ? Number(value) : value;
  return { name, value: v, text: v === null ? '?' : `${hex(v, pad)}${extra}` };
}

/** KVM_IRQ_LINE of an SPI (global) or a PPI (of the vCPU with index `vcpuIndex`), as a VMM raises it. */
export function raiseGicIrq(vm: IntrospectVm, vcpus: readonly IntrospectVcpu[], id: number, level: 0 | 1, vcpu: number | undefined): RaiseResult {
  const name = gicIntidName(id);
  if (name === null || id >= 1020) throw new KvmError(EINVAL, `INTID ${id} is not an SPI or a PPI`);
  if (id < U.VGIC_NR_SGIS) throw new KvmError(EINVAL, `${name}: an SGI is raised by a vCPU (an IPI), not by KVM_IRQ_LINE`);
  let irq: number;
  if (id < U.VGIC_NR_PRIVATE_IRQS) {
    const index = vcpus.findIndex((v) => v.id === vcpu);
    if (index < 0) throw new KvmError(EINVAL, `${name} is banked: name the vCPU that raises it`);
    irq = U.kvmArmIrq(U.KVM_ARM_IRQ_TYPE_PPI, index, id);
  } else irq = U.kvmArmIrq(U.KVM_ARM_IRQ_TYPE_SPI, 0, id);
  return { status: vm.irqLine(irq, level), via: `KVM_IRQ_LINE ${hex(irq, 8)}` };
}

/** The per-IRQ distributor register families (GICD and, at the SGI_base offsets, GICR). */
interface IrqFamily {
  readonly name: string;
  readonly base: number;
  /** Bits per IRQ. */
  readonly bpi: number;
  /** What a write of a set bit does (1-bit set/clear registers). */
  readonly verb?: string;
}

/** GICD per-IRQ families, by offset (shared by GICv2 and GICv3; ITARGETSR is GICv2 only, IROUTER GICv3 only). */
const DIST_FAMILIES: readonly IrqFamily[] = [
  { name: 'IGROUPR', base: U.GICD_IGROUPR, bpi: 1 },
  { name: 'ISENABLER', base: U.GICD_ISENABLER, bpi: 1, verb: 'enables' },
  { name: 'ICENABLER', base: U.GICD_ICENABLER, bpi: 1, verb: 'disables' },
  { name: 'ISPENDR', base: U.GICD_ISPENDR, bpi: 1, verb: 'sets pending' },
  { name: 'ICPENDR', base: U.GICD_ICPENDR, bpi: 1, verb: 'clears pending' },
  { name: 'ISACTIVER', base: U.GICD_ISACTIVER, bpi: 1, verb: 'activates' },
  { name: 'ICACTIVER', base: U.GICD_ICACTIVER, bpi: 1, verb: 'deactivates' },
  { name: 'IPRIORITYR', base: U.GICD_IPRIORITYR, bpi: 8 },
  { name: 'ITARGETSR', base: U.GICD_ITARGETSR, bpi: 8 },
  { name: 'ICFGR', base: U.GICD_ICFGR, bpi: 2 },
  { name: 'IGRPMODR', base: U.GICD_IGRPMODR, bpi: 1 },
];

/** One register access, named: `GICD_ISENABLER1`, and what a write of `value` does to which INTIDs. */
export interface RegName {
  readonly reg: string;
  /** `enables SPI 40`, `SPI 40 priority 0xa0`; empty when there is nothing to add. */
  readonly effect: string;
}

function listIds(ids: readonly number[]): string {
  if (ids.length > 6) return `${gicIntidName(ids[0]!)} .. ${gicIntidName(ids[ids.length - 1]!)} (${ids.length} INTIDs)`;
  return ids.map((i) => gicIntidName(i) ?? `INTID ${i}`).join(', ');
}

/**
 * Names a per-IRQ register access at `off` of a distributor (`prefix` 'GICD') or of a
 * redistributor's SGI frame (`prefix` 'GICR', offsets from SGI_base), with the effect of a
 * write of `value`; null when `off` is not a per-IRQ register.
 */
export function nameIrqRegister(prefix: 'GICD' | 'GICR', off: number, size: number, value: bigint | null, write: boolean): RegName | null {
  if (off >= U.GICD_IROUTER && off < U.GICD_IROUTER + 8 * 1024 && prefix === 'GICD') {
    const intid = (off - U.GICD_IROUTER) >> 3;
    const half = off & 4 ? ' (high half)' : '';
    let effect = '';
    if (write && value !== null && !(off & 4)) effect = value & 0x80000000n ? `routes ${gicIntidName(intid)} to any vCPU (1 of N)` : `routes ${gicIntidName(intid)} to affinity ${hex(value & 0xffffffn)}`;
    return { reg: `GICD_IROUTER${intid}${half}`, effect };
  }
  for (const f of DIST_FAMILIES) {
    const len = (f.bpi * 1024) / 8;
    if (off < f.base || off >= f.base + len) continue;
    const rel = off - f.base;
    const first = (rel * 8) / f.bpi;
    const reg = `${prefix}_${f.name}${Math.floor(rel / 4)}`;
    if (!write || value === null) return { reg, effect: '' };
    const perAccess = (size * 8) / f.bpi;
    const ids: number[] = [];
    if (f.bpi === 1) {
      for (let i = 0; i < perAccess; i++) if ((value >> BigInt(i)) & 1n) ids.push(first + i);
      if (!ids.length) return { reg, effect: '' };
      if (f.verb) return { reg, effect: `${f.verb} ${listIds(ids)}` };
      return { reg, effect: `${f.name === 'IGROUPR' ? 'group 1' : 'modifier'}: ${listIds(ids)}` };
    }
    const parts: string[] = [];
    for (let i = 0; i < perAccess && parts.length < 4; i++) {
      const v = Number((value >> BigInt(i * f.bpi)) & ((1n << BigInt(f.bpi)) - 1n));
      const id = first + i;
      if (f.name === 'IPRIORITYR') parts.push(`${gicIntidName(id)} priority ${hex(v, 2)}`);
      else if (f.name === 'ITARGETSR') parts.push(`${gicIntidName(id)} targets ${hex(v, 2)}`);
      else if (v) parts.push(`${gicIntidName(id)} ${v & 2 ? 'edge' : 'level'}`);
    }
    return { reg, effect: parts.join(', ') };
  }
  return null;
}

/** `vCPU 0 writes GICD_ISENABLER1 = 0x100: enables SPI 40`, as an access reading. */
export function registerReading(who: string, op: 'read' | 'write', reg: string, value: bigint | null, effect: string, data: Record<string, number | string | boolean>): AccessReading {
  const v = value === null ? '' : ` = ${hex(value)}`;
  return { kind: 'access', text: `${who} ${op === 'read' ? 'reads' : 'writes'} ${reg}${v}${effect ? `: ${effect}` : ''}`, data: { reg, ...data } };
}

/** The error an EOI without the acknowledged INTID gets. */
export function needToken(vcpu: number, reg: string): KvmError {
  return new KvmError(EINVAL, `${reg} on vCPU ${vcpu} needs the INTID being ended (the acknowledge's token)`);
}

const byId = new WeakMap<readonly IntrospectVcpu[], Map<number, IntrospectVcpu>>();

/**
 * The vCPU with id `id` of a view, or a KvmError. The id map is built once per vCPU list (a
 * typed handle's `id` is an fd lookup, too slow to scan 512 of them per row).
 */
export function vcpuOf(vcpus: readonly IntrospectVcpu[], id: number): IntrospectVcpu {
  let m = byId.get(vcpus);
  if (!m) byId.set(vcpus, (m = new Map(vcpus.map((v) => [v.id, v]))));
  const v = m.get(id);
  if (!v) throw new KvmError(EINVAL, `no vCPU ${id}`);
  return v;
}
