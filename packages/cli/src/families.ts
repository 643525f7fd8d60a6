/**
 * Interrupt-controller families (GICv3, GICv2, MPIC, XICS): the guest-side acknowledge, EOI
 * and IPI operations of each, how a raw access reads in device terms ("vCPU 0 acknowledges
 * SPI 40 (priority 0xa0)"), and the per-interrupt state for `inspect`, read through each
 * device's documented attribute groups.
 * @packageDocumentation
 */
import {
  type ComposedVm,
  type DeviceHandle,
  type DeviceKey,
  type Host,
  KvmError,
  type VcpuHandle,
  isKvmError,
} from '@kvmdev/core';
import { parseAddress } from '@kvmdev/core/plugin';
import { HCALLS, SYSREGS, hex } from './names.js';

/** A composed device. */
export type ComposedDevice = ComposedVm['devices'][number];

/** What a decoded guest operation says. */
export interface Decoded {
  readonly kind: 'ack' | 'eoi' | 'ipi';
  readonly text: string;
  readonly data: Record<string, unknown>;
}

/** One row of `inspect`. */
export interface InspectRow {
  readonly device: string;
  /** vCPU of a private interrupt (or of a per-vCPU row), else null. */
  readonly vcpu: number | null;
  readonly irq: string;
  readonly enabled: boolean | null;
  readonly pending: boolean | null;
  readonly active: boolean | null;
  readonly priority: number | null;
  readonly target: string;
  /** False for an interrupt in its reset state (hidden unless `--all`). */
  readonly configured: boolean;
}

/** Per-vCPU interface state for `inspect`. */
export interface InspectCpu {
  readonly device: string;
  readonly vcpu: number;
  readonly text: string;
  readonly data: Record<string, unknown>;
}

/** A family bound to one device of a composed VM. */
export interface Family {
  readonly name: 'gicv3' | 'gicv2' | 'mpic' | 'xics';
  readonly device: ComposedDevice;
  /** The vCPU line this controller drives (`irq` on arm64, `external` on PowerPC). */
  readonly line: 'irq' | 'external';
  /** Acknowledges on a vCPU (IAR / IACK / H_XIRR); returns the raw value and its reading. */
  ack(v: VcpuHandle): { raw: bigint; decoded: Decoded };
  /** EOI on a vCPU; `id` defaults to the last acknowledged interrupt of that vCPU. */
  eoi(v: VcpuHandle, id: bigint | undefined): Decoded;
  /** Sends an IPI from `v` to `targets` (SGI `id` / MPIC IPI `id` / XICS MFRR `priority`). */
  ipi(v: VcpuHandle, targets: readonly VcpuHandle[], id: number, priority: number): Decoded[];
  /** Reads a raw guest operation in device terms, or null when it is not an ack/EOI/IPI. */
  decodeSysreg?(v: VcpuHandle, op: 'read' | 'write', enc: number, value: bigint): Decoded | null;
  decodeMmio?(v: VcpuHandle, op: 'read' | 'write', addr: bigint, size: number, value: bigint | null): Decoded | null;
  decodeHcall?(v: VcpuHandle, nr: number, args: readonly number[], ret: number, out: readonly number[]): Decoded | null;
  /** Per-interrupt state and per-vCPU interface state. */
  inspect(): { rows: InspectRow[]; cpus: InspectCpu[]; warnings: string[] };
}

// ---------------------------------------------------------------- helpers

function getAttr(dev: DeviceHandle<DeviceKey>, group: number, attr: bigint, size: 4 | 8): bigint {
  const host = dev.host;
  const buf = host.scratch();
  host.mem.setU64(buf, 0n);
  dev.attrRaw('get', group, attr, buf);
  return size === 8 ? host.mem.getU64(buf) : BigInt(host.mem.getU32(buf));
}

/** A cache of attribute reads that turns failures into null (and one warning per group). */
class Reader {
  readonly warnings: string[] = [];
  private readonly failed = new Set<number>();
  private readonly cache = new Map<string, bigint | null>();
  constructor(readonly dev: DeviceHandle<DeviceKey>) {}
  get(group: number, attr: bigint, size: 4 | 8 = 4): bigint | null {
    const k = `${group}:${attr}:${size}`;
    if (this.cache.has(k)) return this.cache.get(k)!;
    let v: bigint | null = null;
    try {
      v = getAttr(this.dev, group, attr, size);
    } catch (e) {
      if (!isKvmError(e)) throw e;
      if (!this.failed.has(group)) this.warnings.push(`group ${group} attr ${hex(attr)}: ${e.code} (some state could not be read)`);
      this.failed.add(group);
    }
    this.cache.set(k, v);
    return v;
  }
  bit(group: number, attr: bigint, bit: number): boolean | null {
    const w = this.get(group, attr);
    return w === null ? null : ((w >> BigInt(bit)) & 1n) === 1n;
  }
  byte(group: number, attr: bigint, i: number): number | null {
    const w = this.get(group, attr);
    return w === null ? null : Number((w >> BigInt(8 * i)) & 0xffn);
  }
}

/** A GIC INTID in words: `SGI 3`, `PPI 27`, `SPI 40`, `spurious (1023)`. */
export function gicIrqName(id: number): string {
  if (id < 16) return `SGI ${id}`;
  if (id < 32) return `PPI ${id}`;
  if (id < 1020) return `SPI ${id}`;
  if (id >= 8192) return `LPI ${id}`;
  return `spurious (${id})`;
}

/** KVM's default MPIDR_EL1 affinity of a vCPU id (reset_mpidr), without the RES1 bit. */
export function vcpuAffinity(id: number): number {
  return ((id & 0xf) | (((id >> 4) & 0xff) << 8) | (((id >> 12) & 0xff) << 16)) >>> 0;
}

const ICC_IAR1 = SYSREGS.ICC_IAR1_EL1!;
const ICC_IAR0 = SYSREGS.ICC_IAR0_EL1!;
const ICC_EOIR1 = SYSREGS.ICC_EOIR1_EL1!;
const ICC_EOIR0 = SYSREGS.ICC_EOIR0_EL1!;
const ICC_DIR = SYSREGS.ICC_DIR_EL1!;
const ICC_RPR = SYSREGS.ICC_RPR_EL1!;
const ICC_SGI1R = SYSREGS.ICC_SGI1R_EL1!;

function stacks(): { push(v: number, x: bigint): void; pop(v: number): bigint | undefined } {
  const m = new Map<number, bigint[]>();
  return {
    push(v, x) {
      const s = m.get(v) ?? [];
      s.push(x);
      m.set(v, s);
    },
    pop(v) {
      return m.get(v)?.pop();
    },
  };
}

function noAck(v: VcpuHandle, what: string): Error {
  return new KvmError(22, `eoi on vCPU ${v.id}: nothing was acknowledged on this vCPU and no id was given (${what})`);
}

/** SGIs reset enabled (KVM enables them at vCPU init); PPIs reset disabled. */
function privateConfigured(n: number, enabled: boolean | null, pending: boolean | null, active: boolean | null, priority: number | null): boolean {
  return !!(pending || active || priority || (n < 16 ? enabled === false : enabled));
}

// ---------------------------------------------------------------- GICv3

function gicv3(_host: Host, vm: ComposedVm, dev: ComposedDevice): Family {
  const st = stacks();
  const settings = vm.config.devices.find((d) => (d.name ?? d.type) === dev.name)?.settings ?? {};
  const rpr = (v: VcpuHandle): number | null => {
    try {
      return Number(v.guest.sysregRead(ICC_RPR));
    } catch {
      return null;
    }
  };
  const decodeAck = (v: VcpuHandle, raw: bigint, grp: 0 | 1): Decoded => {
    const id = Number(raw & 0xffffffn);
    if (id >= 1020 && id < 1024) return { kind: 'ack', text: `vCPU ${v.id} reads ICC_IAR${grp}_EL1: spurious (${id}), nothing pending`, data: { intid: id, spurious: true } };
    st.push(v.id, BigInt(id));
    const p = rpr(v);
    return {
      kind: 'ack',
      text: `vCPU ${v.id} acknowledges ${gicIrqName(id)}${p === null ? '' : ` (priority ${hex(p, 2)})`}`,
      data: { intid: id, ...(p === null ? {} : { priority: p }) },
    };
  };
  const decodeEoi = (v: VcpuHandle, id: number, reg: string): Decoded => ({ kind: 'eoi', text: `vCPU ${v.id} ${reg === 'ICC_DIR_EL1' ? 'deactivates' : 'EOIs'} ${gicIrqName(id)}`, data: { intid: id, reg } });
  const decodeSgi = (v: VcpuHandle, val: bigint): Decoded => {
    const intid = Number((val >> 24n) & 0xfn);
    const irm = ((val >> 40n) & 1n) === 1n;
    const aff1 = Number((val >> 16n) & 0xffn);
    const aff2 = Number((val >> 32n) & 0xffn);
    const aff3 = Number((val >> 48n) & 0xffn);
    const list = Number(val & 0xffffn);
    const targets: number[] = [];
    for (const t of vm.vcpus) {
      if (irm) {
        if (t.id !== v.id) targets.push(t.id);
        continue;
      }
      const a = vcpuAffinity(t.id);
      if (((a >> 8) & 0xff) === aff1 && ((a >> 16) & 0xff) === aff2 && aff3 === 0 && list & (1 << (a & 0xf))) targets.push(t.id);
    }
    return {
      kind: 'ipi',
      text: `vCPU ${v.id} sends SGI ${intid} to ${irm ? 'all other vCPUs' : targets.length ? `vCPU ${targets.join(', ')}` : 'no vCPU'} (ICC_SGI1R_EL1 = ${hex(val)})`,
      data: { intid, targets },
    };
  };
  return {
    name: 'gicv3',
    device: dev,
    line: 'irq',
    ack(v) {
      const raw = v.guest.sysregRead(ICC_IAR1);
      return { raw, decoded: decodeAck(v, raw, 1) };
    },
    eoi(v, id) {
      const x = id ?? st.pop(v.id);
      if (x === undefined) throw noAck(v, 'ICC_EOIR1_EL1');
      if (id !== undefined) st.pop(v.id);
      v.guest.sysregWrite(ICC_EOIR1, x);
      return decodeEoi(v, Number(x), 'ICC_EOIR1_EL1');
    },
    ipi(v, targets, id) {
      const groups = new Map<number, number>();
      for (const t of targets) {
        const a = vcpuAffinity(t.id);
        const key = a >>> 8;
        groups.set(key, (groups.get(key) ?? 0) | (1 << (a & 0xf)));
      }
      const out: Decoded[] = [];
      for (const [key, list] of groups) {
        const val = (BigInt((key >> 8) & 0xff) << 32n) | (BigInt(id & 0xf) << 24n) | (BigInt(key & 0xff) << 16n) | BigInt(list);
        v.guest.sysregWrite(ICC_SGI1R, val);
        out.push(decodeSgi(v, val));
      }
      return out;
    },
    decodeSysreg(v, op, enc, value) {
      if (op === 'read' && (enc === ICC_IAR1 || enc === ICC_IAR0)) return decodeAck(v, value, enc === ICC_IAR1 ? 1 : 0);
      if (op === 'write' && (enc === ICC_EOIR1 || enc === ICC_EOIR0 || enc === ICC_DIR)) {
        if (enc !== ICC_DIR) st.pop(v.id);
        return decodeEoi(v, Number(value & 0xffffffn), enc === ICC_DIR ? 'ICC_DIR_EL1' : enc === ICC_EOIR1 ? 'ICC_EOIR1_EL1' : 'ICC_EOIR0_EL1');
      }
      if (op === 'write' && enc === ICC_SGI1R) return decodeSgi(v, value);
      return null;
    },
    inspect() {
      const r = new Reader(dev.handle);
      const nr = Number(r.get(3, 0n) ?? BigInt((settings.nrIrqs as number | undefined) ?? 128));
      const rows: InspectRow[] = [];
      const cpus: InspectCpu[] = [];
      const byAff = new Map(vm.vcpus.map((v) => [vcpuAffinity(v.id), v.id]));
      for (const v of vm.vcpus) {
        const mp = BigInt(vcpuAffinity(v.id)) << 32n;
        for (let n = 0; n < 32; n++) {
          const enabled = r.bit(5, mp | 0x10100n, n);
          const pending = r.bit(5, mp | 0x10200n, n);
          const active = r.bit(5, mp | 0x10300n, n);
          const priority = r.byte(5, mp | BigInt(0x10400 + (n & ~3)), n & 3);
          rows.push({ device: dev.name, vcpu: v.id, irq: gicIrqName(n), enabled, pending, active, priority, target: `vCPU ${v.id}`, configured: privateConfigured(n, enabled, pending, active, priority) });
        }
        const pmr = r.get(6, mp | BigInt(SYSREGS.ICC_PMR_EL1!), 8);
        const grpen = r.get(6, mp | BigInt(SYSREGS.ICC_IGRPEN1_EL1!), 8);
        cpus.push({
          device: dev.name,
          vcpu: v.id,
          text: `vCPU ${v.id}: irq line ${v.line('irq')}, ICC_PMR_EL1 ${pmr === null ? '?' : hex(pmr, 2)}, ICC_IGRPEN1_EL1 ${grpen === null ? '?' : String(grpen)}`,
          data: { line: v.line('irq'), pmr: pmr === null ? null : Number(pmr), igrpen1: grpen === null ? null : Number(grpen) },
        });
      }
      for (let n = 32; n < nr; n++) {
        const w = BigInt((n >> 5) * 4);
        const enabled = r.bit(1, 0x100n + w, n & 31);
        const pending = r.bit(1, 0x200n + w, n & 31);
        const active = r.bit(1, 0x300n + w, n & 31);
        const priority = r.byte(1, BigInt(0x400 + (n & ~3)), n & 3);
        const lo = r.get(1, BigInt(0x6000 + 8 * n));
        let target = '?';
        if (lo !== null) {
          if ((lo >> 31n) & 1n) target = 'any (1 of N)';
          else {
            const id = byAff.get(Number(lo & 0xffffffn));
            target = id === undefined ? `affinity ${hex(lo & 0xffffffn)}` : `vCPU ${id}`;
          }
        }
        rows.push({ device: dev.name, vcpu: null, irq: gicIrqName(n), enabled, pending, active, priority, target, configured: !!(enabled || pending || active || priority || (lo !== null && lo !== 0n)) });
      }
      return { rows, cpus, warnings: r.warnings };
    },
  };
}

// ---------------------------------------------------------------- GICv2

function gicv2(_host: Host, vm: ComposedVm, dev: ComposedDevice): Family {
  const st = stacks();
  const settings = vm.config.devices.find((d) => (d.name ?? d.type) === dev.name)?.settings ?? {};
  const cpuBase = parseAddress(settings.cpu);
  const distBase = parseAddress(settings.dist);
  const need = (b: bigint | null, what: string): number => {
    if (b === null) throw new KvmError(22, `the GICv2 ${what} address is not in the VM config`);
    return Number(b);
  };
  const decodeAck = (v: VcpuHandle, raw: bigint): Decoded => {
    const id = Number(raw & 0x3ffn);
    const src = Number((raw >> 10n) & 7n);
    if (id >= 1020) return { kind: 'ack', text: `vCPU ${v.id} reads GICC_IAR: spurious (${id}), nothing pending`, data: { intid: id, spurious: true } };
    st.push(v.id, raw);
    let p: number | null = null;
    if (cpuBase !== null) {
      const x = v.guest.mmioRead(Number(cpuBase) + 0x14, 4);
      p = x === null ? null : x;
    }
    return {
      kind: 'ack',
      text: `vCPU ${v.id} acknowledges ${gicIrqName(id)}${id < 16 ? ` from vCPU ${src}` : ''}${p === null ? '' : ` (priority ${hex(p, 2)})`}`,
      data: { intid: id, ...(id < 16 ? { source: src } : {}), ...(p === null ? {} : { priority: p }) },
    };
  };
  const decodeEoi = (v: VcpuHandle, raw: bigint): Decoded => {
    const id = Number(raw & 0x3ffn);
    return { kind: 'eoi', text: `vCPU ${v.id} EOIs ${gicIrqName(id)}`, data: { intid: id } };
  };
  const decodeSgir = (v: VcpuHandle, val: bigint): Decoded => {
    const filter = Number((val >> 24n) & 3n);
    const list = Number((val >> 16n) & 0xffn);
    const intid = Number(val & 0xfn);
    const targets = vm.vcpus.filter((t, i) => (filter === 1 ? t.id !== v.id : filter === 2 ? t.id === v.id : (list >> i) & 1)).map((t) => t.id);
    return { kind: 'ipi', text: `vCPU ${v.id} sends SGI ${intid} to ${targets.length ? `vCPU ${targets.join(', ')}` : 'no vCPU'} (GICD_SGIR = ${hex(val)})`, data: { intid, targets } };
  };
  return {
    name: 'gicv2',
    device: dev,
    line: 'irq',
    ack(v) {
      const x = v.guest.mmioRead(need(cpuBase, 'cpu') + 0x0c, 4);
      if (x === null) throw new KvmError(6, `GICC_IAR at ${hex(cpuBase!)} is not handled in the kernel`);
      return { raw: BigInt(x), decoded: decodeAck(v, BigInt(x)) };
    },
    eoi(v, id) {
      const x = id ?? st.pop(v.id);
      if (x === undefined) throw noAck(v, 'GICC_EOIR');
      if (id !== undefined) st.pop(v.id);
      if (!v.guest.mmioWrite(need(cpuBase, 'cpu') + 0x10, 4, x)) throw new KvmError(6, 'GICC_EOIR is not handled in the kernel');
      return decodeEoi(v, x);
    },
    ipi(v, targets, id) {
      let list = 0;
      for (const t of targets) list |= 1 << vm.vcpus.findIndex((x) => x.id === t.id);
      const val = (BigInt(list & 0xff) << 16n) | BigInt(id & 0xf);
      if (!v.guest.mmioWrite(need(distBase, 'dist') + 0xf00, 4, val)) throw new KvmError(6, 'GICD_SGIR is not handled in the kernel');
      return [decodeSgir(v, val)];
    },
    decodeMmio(v, op, addr, _size, value) {
      if (value === null) return null;
      if (cpuBase !== null && op === 'read' && (addr === cpuBase + 0x0cn || addr === cpuBase + 0x20n)) return decodeAck(v, value);
      if (cpuBase !== null && op === 'write' && (addr === cpuBase + 0x10n || addr === cpuBase + 0x24n)) {
        st.pop(v.id);
        return decodeEoi(v, value);
      }
      if (distBase !== null && op === 'write' && addr === distBase + 0xf00n) return decodeSgir(v, value);
      return null;
    },
    inspect() {
      const r = new Reader(dev.handle);
      const nr = Number(r.get(3, 0n) ?? BigInt((settings.nrIrqs as number | undefined) ?? 128));
      const rows: InspectRow[] = [];
      const cpus: InspectCpu[] = [];
      const cpuList = (mask: number) => vm.vcpus.filter((_t, i) => (mask >> i) & 1).map((t) => t.id);
      vm.vcpus.forEach((v, i) => {
        const c = BigInt(i) << 32n;
        for (let n = 0; n < 32; n++) {
          const enabled = r.bit(1, c | 0x100n, n);
          const pending = r.bit(1, c | 0x200n, n);
          const active = r.bit(1, c | 0x300n, n);
          const priority = r.byte(1, c | BigInt(0x400 + (n & ~3)), n & 3);
          rows.push({ device: dev.name, vcpu: v.id, irq: gicIrqName(n), enabled, pending, active, priority, target: `vCPU ${v.id}`, configured: privateConfigured(n, enabled, pending, active, priority) });
        }
        const pmr = r.get(2, c | 0x04n);
        const ctlr = r.get(2, c | 0x00n);
        cpus.push({
          device: dev.name,
          vcpu: v.id,
          text: `vCPU ${v.id}: irq line ${v.line('irq')}, GICC_CTLR ${ctlr === null ? '?' : hex(ctlr)}, GICC_PMR ${pmr === null ? '?' : hex(pmr, 2)}`,
          data: { line: v.line('irq'), ctlr: ctlr === null ? null : Number(ctlr), pmr: pmr === null ? null : Number(pmr) },
        });
      });
      for (let n = 32; n < nr; n++) {
        const w = BigInt((n >> 5) * 4);
        const enabled = r.bit(1, 0x100n + w, n & 31);
        const pending = r.bit(1, 0x200n + w, n & 31);
        const active = r.bit(1, 0x300n + w, n & 31);
        const priority = r.byte(1, BigInt(0x400 + (n & ~3)), n & 3);
        const t = r.byte(1, BigInt(0x800 + (n & ~3)), n & 3);
        const ids = t === null ? [] : cpuList(t);
        rows.push({
          device: dev.name,
          vcpu: null,
          irq: gicIrqName(n),
          enabled,
          pending,
          active,
          priority,
          target: t === null ? '?' : ids.length ? `vCPU ${ids.join(',')}` : 'none',
          configured: !!(enabled || pending || active || priority || t),
        });
      }
      return { rows, cpus, warnings: r.warnings };
    },
  };
}

// ---------------------------------------------------------------- MPIC

const MPIC_SRC = 0x10000;
const MPIC_CPU = 0x20000;
const MPIC_IACK = 0xa0;
const MPIC_EOI = 0xb0;
const MPIC_CTPR = 0x80;
/** TVPR0 reads at 0x1110 and TDR0 at 0x1120 (mpic.c's timer reads are 0x10 early; writes go to 0x1120 / 0x1130). */
const TVPR_READ = 0x1110;

function mpicFamily(_host: Host, vm: ComposedVm, dev: ComposedDevice): Family {
  const st = stacks();
  const settings = vm.config.devices.find((d) => (d.name ?? d.type) === dev.name)?.settings ?? {};
  const base = (): number => {
    let b = parseAddress(settings.base);
    if (b === null) {
      try {
        b = getAttr(dev.handle, 1, 0n, 8);
      } catch {
        b = 0n;
      }
    }
    if (!b) throw new KvmError(6, 'the MPIC has no base address (KVM_DEV_MPIC_BASE_ADDR)');
    return Number(b);
  };
  const reg = (off: number): bigint | null => {
    try {
      return getAttr(dev.handle, 2, BigInt(off), 4);
    } catch {
      return null;
    }
  };
  const nbIrqs = (): number => {
    const frr = reg(0x1000);
    return frr === null ? 256 : Math.min(256, Number((frr >> 16n) & 0x7ffn) + 1);
  };
  /** Which interrupt has this vector: a source, an IPI or a timer. */
  const byVector = (vec: number): { name: string; priority: number } | null => {
    const look = (name: string, off: number) => {
      const ivpr = reg(off);
      if (ivpr !== null && Number(ivpr & 0xffffn) === vec) return { name, priority: Number((ivpr >> 16n) & 0xfn) };
      return null;
    };
    for (let k = 0; k < 4; k++) {
      const x = look(`IPI ${k}`, 0x10a0 + 0x10 * k) ?? look(`timer ${k}`, TVPR_READ + 0x40 * k);
      if (x) return x;
    }
    const n = nbIrqs();
    for (let i = 0; i < n; i++) {
      const x = look(`source ${i}`, MPIC_SRC + 0x20 * i);
      if (x) return x;
    }
    return null;
  };
  const cpuReg = (v: VcpuHandle, r: number) => base() + MPIC_CPU + v.id * 0x1000 + r;
  const decodeAck = (v: VcpuHandle, raw: bigint): Decoded => {
    const vec = Number(raw & 0xffffn);
    const spve = reg(0x10e0);
    if (spve !== null && Number(spve & 0xffffn) === vec)
      return { kind: 'ack', text: `vCPU ${v.id} reads IACK: spurious vector ${hex(vec)}, nothing pending`, data: { vector: vec, spurious: true } };
    st.push(v.id, raw);
    const who = byVector(vec);
    return {
      kind: 'ack',
      text: `vCPU ${v.id} acknowledges vector ${hex(vec)}${who ? ` (${who.name}, priority ${who.priority})` : ''}`,
      data: { vector: vec, ...(who ? { irq: who.name, priority: who.priority } : {}) },
    };
  };
  const decodeEoi = (v: VcpuHandle, raw: bigint | undefined): Decoded => {
    const vec = raw === undefined ? undefined : Number(raw & 0xffffn);
    const who = vec === undefined ? null : byVector(vec);
    return { kind: 'eoi', text: `vCPU ${v.id} EOIs${vec === undefined ? ' (highest in service)' : ` vector ${hex(vec)}`}${who ? ` (${who.name})` : ''}`, data: vec === undefined ? {} : { vector: vec } };
  };
  const decodeIpi = (v: VcpuHandle, k: number, mask: number): Decoded => {
    const targets = vm.vcpus.filter((t) => (mask >>> t.id) & 1).map((t) => t.id);
    return { kind: 'ipi', text: `vCPU ${v.id} sends IPI ${k} to ${targets.length ? `vCPU ${targets.join(', ')}` : 'no CPU'} (IPIDR${k} = ${hex(mask)})`, data: { ipi: k, targets } };
  };
  return {
    name: 'mpic',
    device: dev,
    line: 'external',
    ack(v) {
      const x = v.guest.mmioRead(cpuReg(v, MPIC_IACK), 4);
      if (x === null) throw new KvmError(6, 'IACK is not handled in the kernel');
      return { raw: BigInt(x), decoded: decodeAck(v, BigInt(x)) };
    },
    eoi(v, id) {
      const x = id ?? st.pop(v.id);
      if (id !== undefined) st.pop(v.id);
      if (!v.guest.mmioWrite(cpuReg(v, MPIC_EOI), 4, 0)) throw new KvmError(6, 'EOI is not handled in the kernel');
      return decodeEoi(v, x);
    },
    ipi(v, targets, id) {
      let mask = 0;
      for (const t of targets) mask |= 1 << t.id;
      if (!v.guest.mmioWrite(cpuReg(v, 0x40 + 0x10 * (id & 3)), 4, mask >>> 0)) throw new KvmError(6, 'IPIDR is not handled in the kernel');
      return [decodeIpi(v, id & 3, mask >>> 0)];
    },
    decodeMmio(v, op, addr, _size, value) {
      let b: number;
      try {
        b = base();
      } catch {
        return null;
      }
      const off = Number(addr - BigInt(b));
      if (off < 0 || off >= 0x40000) return null;
      const r = off >= MPIC_CPU ? (off - MPIC_CPU) & 0xfff : off < 0x1000 ? off : -1;
      const cpuOk = off < MPIC_CPU || ((off - MPIC_CPU) >> 12) === v.id;
      if (!cpuOk) return null;
      if (op === 'read' && r === MPIC_IACK && value !== null) return decodeAck(v, value);
      if (op === 'write' && r === MPIC_EOI) return decodeEoi(v, st.pop(v.id));
      if (op === 'write' && r >= 0x40 && r < 0x80 && value !== null) return decodeIpi(v, (r - 0x40) >> 4, Number(value));
      return null;
    },
    inspect() {
      const r = new Reader(dev.handle);
      const rows: InspectRow[] = [];
      const cpus: InspectCpu[] = [];
      const n = nbIrqs();
      const cpuList = (mask: bigint | null) => (mask === null ? '?' : vm.vcpus.filter((t) => (mask >> BigInt(t.id)) & 1n).map((t) => t.id).join(',') || 'none');
      const row = (irq: string, ivpr: bigint | null, idr: bigint | null, line: boolean | null) => {
        const masked = ivpr === null ? null : ((ivpr >> 31n) & 1n) === 1n;
        const activity = ivpr === null ? null : ((ivpr >> 30n) & 1n) === 1n;
        const priority = ivpr === null ? null : Number((ivpr >> 16n) & 0xfn);
        const vector = ivpr === null ? 0 : Number(ivpr & 0xffffn);
        rows.push({
          device: dev.name,
          vcpu: null,
          irq: `${irq} (vector ${hex(vector)})`,
          enabled: masked === null ? null : !masked,
          pending: line,
          active: activity,
          priority,
          target: idr === null ? '-' : `CPU ${cpuList(idr & 0xffffffn)}`,
          configured: !!(masked === false || line || activity || priority || vector),
        });
      };
      for (let i = 0; i < n; i++) {
        const line = r.get(3, BigInt(i));
        row(`source ${i}`, r.get(2, BigInt(MPIC_SRC + 0x20 * i)), r.get(2, BigInt(MPIC_SRC + 0x20 * i + 0x10)), line === null ? null : line !== 0n);
      }
      for (let k = 0; k < 4; k++) row(`IPI ${k}`, r.get(2, BigInt(0x10a0 + 0x10 * k)), null, false);
      for (let k = 0; k < 4; k++) row(`timer ${k}`, r.get(2, BigInt(TVPR_READ + 0x40 * k)), r.get(2, BigInt(TVPR_READ + 0x10 + 0x40 * k)), null);
      for (const v of vm.vcpus) {
        const ctpr = r.get(2, BigInt(MPIC_CPU + v.id * 0x1000 + MPIC_CTPR));
        cpus.push({
          device: dev.name,
          vcpu: v.id,
          text: `vCPU ${v.id}: external line ${v.line('external')}, CTPR ${ctpr === null ? '?' : String(ctpr)}`,
          data: { line: v.line('external'), ctpr: ctpr === null ? null : Number(ctpr) },
        });
      }
      return { rows, cpus, warnings: r.warnings };
    },
  };
}

// ---------------------------------------------------------------- XICS

const KVM_REG_PPC_ICP_STATE = 0x1030_0000_0000_008cn;

function xicsFamily(_host: Host, vm: ComposedVm, dev: ComposedDevice): Family {
  const st = stacks();
  const settings = vm.config.devices.find((d) => (d.name ?? d.type) === dev.name)?.settings ?? {};
  const icp = (v: VcpuHandle): bigint | null => {
    try {
      return v.getOneReg(KVM_REG_PPC_ICP_STATE);
    } catch {
      return null;
    }
  };
  const srcName = (x: number) => (x === 2 ? 'IPI' : `source ${hex(x)}`);
  const decodeAck = (v: VcpuHandle, xirr: number, ret: number, call: string): Decoded => {
    const xisr = xirr & 0xffffff;
    const old = xirr >>> 24;
    if (ret !== 0) return { kind: 'ack', text: `vCPU ${v.id} ${call} fails (${ret})`, data: { ret } };
    if (xisr === 0) return { kind: 'ack', text: `vCPU ${v.id} ${call}: nothing pending (CPPR ${hex(old, 2)})`, data: { xirr, xisr: 0 } };
    st.push(v.id, BigInt(xirr >>> 0));
    const s = icp(v);
    const prio = s === null ? null : Number((s >> 56n) & 0xffn);
    return {
      kind: 'ack',
      text: `vCPU ${v.id} acknowledges ${srcName(xisr)}${prio === null ? '' : ` (priority ${hex(prio, 2)}, CPPR was ${hex(old, 2)})`}`,
      data: { xirr: xirr >>> 0, xisr, ...(prio === null ? {} : { priority: prio }), oldCppr: old },
    };
  };
  const decodeEoi = (v: VcpuHandle, xirr: number): Decoded => ({
    kind: 'eoi',
    text: `vCPU ${v.id} EOIs ${srcName(xirr & 0xffffff)} (CPPR back to ${hex(xirr >>> 24, 2)})`,
    data: { xirr: xirr >>> 0, xisr: xirr & 0xffffff },
  });
  const decodeIpi = (v: VcpuHandle, server: number, mfrr: number): Decoded => ({
    kind: 'ipi',
    text: `vCPU ${v.id} ${mfrr === 0xff ? 'clears the IPI of' : `sends an IPI (MFRR ${hex(mfrr, 2)}) to`} server ${server}`,
    data: { server, mfrr },
  });
  return {
    name: 'xics',
    device: dev,
    line: 'external',
    ack(v) {
      const r = v.guest.hypercall(HCALLS.H_XIRR!, []);
      const xirr = r.out[0]! >>> 0;
      return { raw: BigInt(xirr), decoded: decodeAck(v, xirr, r.ret, 'H_XIRR') };
    },
    eoi(v, id) {
      const x = id ?? st.pop(v.id);
      if (x === undefined) throw noAck(v, 'H_EOI');
      if (id !== undefined) st.pop(v.id);
      const r = v.guest.hypercall(HCALLS.H_EOI!, [Number(x & 0xffffffffn)]);
      if (r.ret !== 0) throw new KvmError(22, `H_EOI returned ${r.ret}`);
      return decodeEoi(v, Number(x & 0xffffffffn));
    },
    ipi(v, targets, _id, priority) {
      return targets.map((t) => {
        const r = v.guest.hypercall(HCALLS.H_IPI!, [t.id, priority & 0xff]);
        if (r.ret !== 0) throw new KvmError(22, `H_IPI returned ${r.ret}`);
        return decodeIpi(v, t.id, priority & 0xff);
      });
    },
    decodeHcall(v, nr, args, ret, out) {
      if (nr === HCALLS.H_XIRR || nr === HCALLS.H_XIRR_X) return decodeAck(v, out[0]! >>> 0, ret, nr === HCALLS.H_XIRR ? 'H_XIRR' : 'H_XIRR_X');
      if (nr === HCALLS.H_EOI && ret === 0) {
        st.pop(v.id);
        return decodeEoi(v, (args[0] ?? 0) >>> 0);
      }
      if (nr === HCALLS.H_IPI && ret === 0) return decodeIpi(v, args[0] ?? 0, (args[1] ?? 0) & 0xff);
      return null;
    },
    inspect() {
      const r = new Reader(dev.handle);
      const rows: InspectRow[] = [];
      const cpus: InspectCpu[] = [];
      const first = (settings.firstSource as number | undefined) ?? 0x1000;
      const n = (settings.sources as number | undefined) ?? 0;
      for (let i = first; i < first + n; i++) {
        const s = r.get(1, BigInt(i), 8);
        const prio = s === null ? null : Number((s >> 32n) & 0xffn);
        const flag = (b: bigint) => (s === null ? null : ((s >> b) & 1n) === 1n);
        const masked = flag(41n);
        rows.push({
          device: dev.name,
          vcpu: null,
          irq: `source ${hex(i)}${flag(40n) ? ' (LSI)' : ''}`,
          enabled: prio === null ? null : prio !== 0xff && !masked,
          pending: flag(42n),
          active: flag(43n),
          priority: prio,
          target: s === null ? '?' : `server ${Number(s & 0xffffffffn)}`,
          configured: s !== null && (prio !== 0xff || !!flag(42n) || !!flag(43n) || (s & 0xffffffffn) !== 0n),
        });
      }
      for (const v of vm.vcpus) {
        const s = icp(v);
        const f = (sh: bigint, m: bigint) => (s === null ? null : Number((s >> sh) & m));
        const cppr = f(56n, 0xffn);
        const xisr = f(32n, 0xffffffn);
        const mfrr = f(24n, 0xffn);
        const ppri = f(16n, 0xffn);
        if (mfrr !== null && mfrr !== 0xff)
          rows.push({ device: dev.name, vcpu: v.id, irq: 'IPI', enabled: true, pending: true, active: xisr === 2, priority: mfrr, target: `server ${v.id}`, configured: true });
        const x = (y: number | null, p = 2) => (y === null ? '?' : hex(y, p));
        cpus.push({
          device: dev.name,
          vcpu: v.id,
          text: `vCPU ${v.id}: external line ${v.line('external')}, ICP CPPR ${x(cppr)} XISR ${x(xisr)} MFRR ${x(mfrr)} PPRI ${x(ppri)}`,
          data: { line: v.line('external'), cppr, xisr, mfrr, ppri },
        });
      }
      return { rows, cpus, warnings: r.warnings };
    },
  };
}

/** The families of a composed VM's devices (devices of unknown types have none). */
export function familiesOf(host: Host, vm: ComposedVm): Family[] {
  const out: Family[] = [];
  for (const d of vm.devices) {
    if (d.key === 'KVM_DEV_TYPE_ARM_VGIC_V3') out.push(gicv3(host, vm, d));
    else if (d.key === 'KVM_DEV_TYPE_ARM_VGIC_V2') out.push(gicv2(host, vm, d));
    else if (d.key === 'KVM_DEV_TYPE_FSL_MPIC_20' || d.key === 'KVM_DEV_TYPE_FSL_MPIC_42') out.push(mpicFamily(host, vm, d));
    else if (d.key === 'KVM_DEV_TYPE_XICS') out.push(xicsFamily(host, vm, d));
  }
  return out;
}
