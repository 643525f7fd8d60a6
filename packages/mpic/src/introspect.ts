/**
 * The MPIC's introspection spec: sources, IPIs and timers by name (`source 3`, `IPI 0`,
 * `timer 1`), their state and each CPU's, acknowledge / EOI / IPI through the guest's register
 * window (IACK, EOI, IPIDR on the vCPU's CPU page), and raw accesses to the window or to
 * KVM_DEV_MPIC_GRP_REGISTER named as registers.
 *
 * Registers are read through KVM_DEV_MPIC_GRP_REGISTER and GRP_IRQ_ACTIVE. What the ABI does not
 * expose (what each CPU has in service, the CPUs an IPI is still pending for, the trigger mode of
 * the internal sources) comes from the device's own state, read without touching the queues'
 * cached values (an IACK or CTPR write compares against those, so reading them must not refresh
 * them).
 * @packageDocumentation
 */
import { EINVAL, ENXIO, KvmError, isKvmError } from '@kvmdev/core';
import type {
  AccessReading,
  CpuState,
  DeviceIntrospectSpec,
  DeviceView,
  GuestOps,
  InterruptRange,
  InterruptState,
  InterruptView,
  IntrospectTarget,
  IntrospectVcpu,
  RawAccess,
  StateField,
  StateSection,
} from '@kvmdev/core/plugin';
import { mpicCpuOf } from './hooks.js';
import { MPIC_REGIONS } from './regs/index.js';
import { qtest } from './delivery.js';
import { QSUM_RAISED, QSUM_SERVICING, type MpicState } from './state.js';
import {
  IVPR_ACTIVITY_MASK,
  IVPR_MASK_MASK,
  IVPR_PRIORITY_MASK,
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
  KVM_INTERRUPT_SET,
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  MAX_CPU as QUEUE_CPUS,
  MAX_IPI,
  MAX_SRC,
  MAX_TMR,
  MPIC_CPU_STRIDE,
  MPIC_CTPR,
  MPIC_EOI,
  MPIC_FRR,
  MPIC_GCR,
  MPIC_IACK,
  MPIC_IPIDR0,
  MPIC_IPI_IVPR0,
  MPIC_IRQ_IPI0,
  MPIC_IRQ_TIM0,
  MPIC_SPVE,
  MPIC_SRC_IDR,
  MPIC_SRC_ILR,
  MPIC_SRC_IVPR,
  MPIC_SRC_STRIDE,
  MPIC_TDR,
  MPIC_TVPR,
  MPIC_VECTOR_MASK,
  OPENPIC_CPU_REG_START,
  OPENPIC_REG_SIZE,
  OPENPIC_SRC_REG_START,
  mpicTimerReg,
} from './uapi.js';

const REG = KVM_DEV_MPIC_GRP_REGISTER;

const hex = (v: number | bigint, pad = 0): string => `0x${(typeof v === 'bigint' ? v : v < 0 ? BigInt(v >>> 0) : BigInt(v)).toString(16).padStart(pad, '0')}`;

/** Where a timer register reads (mpic.c decodes timer reads 0x10 below the write offsets). */
function timerReadAt(i: number, reg: number): number {
  for (const region of MPIC_REGIONS)
    for (const r of region.regs) if (r.offset === mpicTimerReg(0, reg) && r.readOffset) return r.readOffset(i);
  return mpicTimerReg(i, reg);
}

/** The name of internal IRQ n: `source 3`, `IPI 0`, `timer 1`. */
export function mpicIrqName(n: number): string | null {
  if (!Number.isInteger(n) || n < 0) return null;
  if (n < MAX_SRC) return `source ${n}`;
  if (n < MPIC_IRQ_IPI0 + MAX_IPI) return `IPI ${n - MPIC_IRQ_IPI0}`;
  if (n < MPIC_IRQ_TIM0 + MAX_TMR) return `timer ${n - MPIC_IRQ_TIM0}`;
  return null;
}

/** The internal IRQ of `source 3` / `src 3` / `IPI 0` / `timer 1`, or null. */
export function mpicIrqLookup(name: string): number | null {
  const m = /^\s*(source|src|ipi|timer)\s+(0x[0-9a-f]+|\d+)\s*$/i.exec(name);
  if (!m) return null;
  const k = Number(m[2]);
  const kind = m[1]!.toLowerCase();
  if (kind === 'ipi') return k < MAX_IPI ? MPIC_IRQ_IPI0 + k : null;
  if (kind === 'timer') return k < MAX_TMR ? MPIC_IRQ_TIM0 + k : null;
  return k < MAX_SRC ? k : null;
}

/** The register at window offset `off`, in device terms: `source 3 IVPR`, `CPU 1 CTPR`, `TVPR 0`. */
export function mpicRegisterName(off: number, read: boolean): string {
  if (off >= OPENPIC_CPU_REG_START && off < OPENPIC_CPU_REG_START + QUEUE_CPUS * MPIC_CPU_STRIDE) {
    const cpu = (off - OPENPIC_CPU_REG_START) >> 12;
    return `CPU ${cpu} ${perCpuName(off & 0xfff)}`;
  }
  if (off >= MPIC_IPIDR0 && off <= MPIC_EOI) return `current-CPU ${perCpuName(off)}`;
  if (off >= OPENPIC_SRC_REG_START && off < OPENPIC_SRC_REG_START + MAX_SRC * MPIC_SRC_STRIDE) {
    const n = (off - OPENPIC_SRC_REG_START) >> 5;
    const sub = off & 0x1f;
    return `source ${n} ${sub === MPIC_SRC_IVPR ? 'IVPR' : sub === MPIC_SRC_IDR ? 'IDR' : sub === MPIC_SRC_ILR ? 'ILR' : `+${hex(sub)}`}`;
  }
  for (const region of MPIC_REGIONS)
    for (const r of region.regs)
      for (let k = 0; k < r.count; k++) {
        const at = read && r.readOffset ? r.readOffset(k) : r.offset + k * r.stride;
        if (at === off) return r.count > 1 ? `${r.name} ${k}` : r.name;
      }
  return `register ${hex(off)}`;
}

function perCpuName(page: number): string {
  if (page >= MPIC_IPIDR0 && page < MPIC_IPIDR0 + 0x40) return `IPIDR${(page - MPIC_IPIDR0) >> 4}`;
  if (page === MPIC_CTPR) return 'CTPR';
  if (page === MPIC_IACK) return 'IACK';
  if (page === MPIC_EOI) return 'EOI';
  if (page === 0x90) return 'WHOAMI';
  return `+${hex(page)}`;
}

/** An IVPR in words: `vector 0x43, priority 5, masked`. */
function ivprText(ivpr: number): string {
  return `vector ${hex(ivpr & MPIC_VECTOR_MASK)}, priority ${(ivpr & IVPR_PRIORITY_MASK) >>> 16}${ivpr & IVPR_MASK_MASK ? ', masked' : ''}`;
}

class MpicView implements DeviceView {
  readonly interrupts: InterruptView;
  readonly guest: GuestOps;
  private readonly t: IntrospectTarget;

  constructor(t: IntrospectTarget) {
    this.t = t;
    this.interrupts = {
      line: 'external',
      ranges: () => this.ranges(),
      name: (id) => (this.exists(id) ? mpicIrqName(id) : null),
      lookup: (name) => mpicIrqLookup(name),
      read: (first, count) => this.read(first, count),
      cpu: (vcpu) => this.cpu(vcpu),
      raise: (id, level) => {
        if (!(id >= 0 && id < MAX_SRC)) throw new KvmError(EINVAL, `${mpicIrqName(id) ?? `IRQ ${id}`} has no input line the host drives (only sources do)`);
        // a source's pin is reached through the GSI routing table (identity in the composition default)
        return { status: t.vm.irqLine(id, level), via: `KVM_IRQ_LINE GSI ${id}` };
      },
    };
    this.guest = {
      ack: (vcpu) => {
        const v = this.vcpu(vcpu);
        const x = v.guest.mmioRead(this.cpuReg(v, MPIC_IACK), 4);
        if (x === null) throw new KvmError(ENXIO, 'IACK is not handled in the kernel (is KVM_DEV_MPIC_BASE_ADDR set?)');
        return { value: BigInt(x), reading: this.ackReading(v, x) };
      },
      eoi: (vcpu) => {
        const v = this.vcpu(vcpu);
        const retired = this.inService(v);
        if (!v.guest.mmioWrite(this.cpuReg(v, MPIC_EOI), 4, 0)) throw new KvmError(ENXIO, 'EOI is not handled in the kernel');
        return this.eoiReading(v, retired);
      },
      ipi: (vcpu, targets, options = {}) => {
        const v = this.vcpu(vcpu);
        const k = (options.id ?? 0) & (MAX_IPI - 1);
        let mask = 0;
        for (const id of targets) mask |= 1 << this.cpuOf(this.vcpu(id));
        if (!v.guest.mmioWrite(this.cpuReg(v, MPIC_IPIDR0 + 0x10 * k), 4, mask >>> 0)) throw new KvmError(ENXIO, 'IPIDR is not handled in the kernel');
        return [this.ipiReading(v, k, mask >>> 0)];
      },
    };
  }

  // ------------------------------------------------------------ reads

  private get s(): MpicState {
    return this.t.device.device.private as MpicState;
  }
  private reg(off: number): number | null {
    return this.attr(REG, off, 4);
  }
  private attr(group: number, attr: number, size: 4 | 8): number | null {
    const host = this.t.device.host;
    const buf = host.scratch();
    host.mem.setU64(buf, 0n);
    try {
      this.t.device.attrRaw('get', group, attr, buf);
    } catch (e) {
      if (isKvmError(e)) return null;
      throw e;
    }
    return size === 8 ? Number(host.mem.getU64(buf)) : host.mem.getU32(buf);
  }
  private nbIrqs(): number {
    const frr = this.reg(MPIC_FRR);
    return frr === null ? MAX_SRC : Math.min(MAX_SRC, ((frr >>> 16) & 0x7ff) + 1);
  }
  private base(): number {
    const b = this.attr(KVM_DEV_MPIC_GRP_MISC, KVM_DEV_MPIC_BASE_ADDR, 8);
    if (!b) throw new KvmError(ENXIO, 'the MPIC has no base address (KVM_DEV_MPIC_BASE_ADDR)');
    return b;
  }
  private vcpu(id: number): IntrospectVcpu {
    const v = this.t.vcpus.find((x) => x.id === id);
    if (!v) throw new KvmError(EINVAL, `no vCPU ${id}`);
    return v;
  }
  /** The MPIC CPU number a vCPU is connected as (its id when it is not connected). */
  private cpuOf(v: IntrospectVcpu): number {
    const c = mpicCpuOf(v.vcpu);
    return c < 0 ? v.id : c;
  }
  private vcpuOfCpu(cpu: number): number | null {
    return this.s.vcpus[cpu]?.id ?? null;
  }
  private cpuReg(v: IntrospectVcpu, r: number): number {
    return this.base() + OPENPIC_CPU_REG_START + this.cpuOf(v) * MPIC_CPU_STRIDE + r;
  }
  private exists(id: number): boolean {
    return (id >= 0 && id < this.nbIrqs()) || (id >= MPIC_IRQ_IPI0 && id < MPIC_IRQ_TIM0 + MAX_TMR);
  }
  /** The highest-priority IRQ in service on the vCPU's CPU (the one an EOI retires), or -1. */
  private inService(v: IntrospectVcpu): number {
    return this.s.qtop[QSUM_SERVICING + this.cpuOf(v)] ?? -1;
  }
  private cpuList(mask: number): number[] {
    const out: number[] = [];
    for (let c = 0; c < QUEUE_CPUS; c++) if ((mask >>> c) & 1) out.push(this.vcpuOfCpu(c) ?? c);
    return out;
  }

  private ranges(): InterruptRange[] {
    return [
      { kind: 'source', first: 0, count: this.nbIrqs(), banked: false },
      { kind: 'IPI', first: MPIC_IRQ_IPI0, count: MAX_IPI, banked: false },
      { kind: 'timer', first: MPIC_IRQ_TIM0, count: MAX_TMR, banked: false },
    ];
  }

  private read(first: number, count: number): InterruptState[] {
    const out: InterruptState[] = [];
    const s = this.s;
    const end = first + count;
    for (let n = Math.max(0, first); n < end && n < MPIC_IRQ_TIM0 + MAX_TMR; n++) {
      if (!this.exists(n)) continue;
      let ivpr: number | null;
      let dest: number[] | null;
      let pending: boolean | null;
      if (n < MAX_SRC) {
        const at = OPENPIC_SRC_REG_START + n * MPIC_SRC_STRIDE;
        ivpr = this.reg(at + MPIC_SRC_IVPR);
        const idr = this.reg(at + MPIC_SRC_IDR);
        dest = idr === null ? null : this.cpuList(idr & ((1 << Math.max(1, s.nbCpus)) - 1));
        const line = this.attr(KVM_DEV_MPIC_GRP_IRQ_ACTIVE, n, 4);
        pending = line === null ? null : line !== 0;
      } else if (n < MPIC_IRQ_TIM0) {
        const k = n - MPIC_IRQ_IPI0;
        ivpr = this.reg(MPIC_IPI_IVPR0 + 0x10 * k);
        // where a dispatch of the IPI goes, and whether a CPU has it raised (neither is readable through the ABI)
        dest = this.cpuList(s.destmask[n]!);
        pending = false;
        for (let c = 0; c < QUEUE_CPUS; c++) if (qtest(s.raised, c, n)) pending = true;
      } else {
        const k = n - MPIC_IRQ_TIM0;
        ivpr = this.reg(timerReadAt(k, MPIC_TVPR));
        const tdr = this.reg(timerReadAt(k, MPIC_TDR));
        dest = tdr === null ? null : this.cpuList(tdr & ((1 << Math.max(1, s.nbCpus)) - 1));
        pending = s.pending[n] !== 0;
      }
      let active = false;
      for (let c = 0; c < QUEUE_CPUS; c++) if (qtest(s.servicing, c, n)) active = true;
      const masked = ivpr === null ? null : (ivpr & IVPR_MASK_MASK) !== 0;
      const priority = ivpr === null ? null : (ivpr & IVPR_PRIORITY_MASK) >>> 16;
      const vector = ivpr === null ? 0 : ivpr & MPIC_VECTOR_MASK;
      out.push({
        id: n,
        name: mpicIrqName(n)!,
        vcpu: null,
        enabled: masked === null ? null : !masked,
        pending,
        active,
        priority,
        targets: dest,
        target: dest === null ? '?' : dest.length ? `vCPU ${dest.join(',')}` : 'none',
        group: null,
        config: s.level[n] ? 'level' : 'edge',
        configured: !!(masked === false || pending || active || priority || vector),
        extra: { vector, activity: ivpr !== null && (ivpr & IVPR_ACTIVITY_MASK) !== 0 },
      });
    }
    return out;
  }

  private cpu(id: number): CpuState {
    const v = this.vcpu(id);
    const c = this.cpuOf(v);
    const s = this.s;
    const ctpr = this.reg(OPENPIC_CPU_REG_START + c * MPIC_CPU_STRIDE + MPIC_CTPR);
    const serving = s.qtop[QSUM_SERVICING + c]!;
    const servingPrio = s.qtop[QSUM_SERVICING + QUEUE_CPUS + c]!;
    const raised = s.qtop[QSUM_RAISED + c]!;
    const line = v.line('external');
    const fields: StateField[] = [
      { name: 'CTPR', value: ctpr, text: ctpr === null ? '?' : String(ctpr) },
      { name: 'in service', value: serving < 0 ? null : serving, text: serving < 0 ? 'none' : `${mpicIrqName(serving)} (priority ${servingPrio})` },
      { name: 'highest raised', value: raised < 0 ? null : raised, text: raised < 0 ? 'none' : (mpicIrqName(raised) ?? String(raised)) },
      { name: 'MPIC CPU', value: c, text: String(c) },
    ];
    return {
      vcpu: v.id,
      lines: [{ name: 'external', level: line }],
      runningPriority: serving < 0 ? null : servingPrio,
      priorityMask: ctpr,
      highestPending: raised < 0 ? null : raised,
      fields,
      text: `vCPU ${v.id}: external line ${line}, CTPR ${ctpr === null ? '?' : String(ctpr)}, in service ${fields[1]!.text}, highest raised ${fields[2]!.text}`,
    };
  }

  summary(): string {
    const s = this.s;
    const base = this.attr(KVM_DEV_MPIC_GRP_MISC, KVM_DEV_MPIC_BASE_ADDR, 8);
    return `${s.model.name}, ${this.nbIrqs()} sources, ${MAX_IPI} IPIs, ${MAX_TMR} timers, ${s.nbCpus} CPUs, window ${base ? hex(base) : 'unmapped'}`;
  }

  state(): StateSection[] {
    const base = this.attr(KVM_DEV_MPIC_GRP_MISC, KVM_DEV_MPIC_BASE_ADDR, 8);
    const f = (name: string, off: number): StateField => {
      const x = this.reg(off);
      return { name, value: x, text: x === null ? '?' : hex(x, 8) };
    };
    return [
      {
        title: 'global',
        fields: [
          { name: 'BASE_ADDR', value: base, text: base === null ? '?' : base ? hex(base) : '0 (unmapped)' },
          f('FRR', MPIC_FRR),
          f('GCR', MPIC_GCR),
          f('SPVE', MPIC_SPVE),
        ],
      },
    ];
  }

  // ------------------------------------------------------------ readings

  /** The IRQ with this vector: the one just taken into service, else any whose IVPR has it. */
  private byVector(v: IntrospectVcpu, vec: number): number {
    const s = this.s;
    const c = this.cpuOf(v);
    let any = -1;
    for (let n = 0; n < MPIC_IRQ_TIM0 + MAX_TMR; n++) {
      if ((s.ivpr[n]! & MPIC_VECTOR_MASK) !== vec || !this.exists(n)) continue;
      if (qtest(s.servicing, c, n)) return n;
      if (any < 0) any = n;
    }
    return any;
  }

  private ackReading(v: IntrospectVcpu, raw: number): AccessReading {
    const vec = raw & MPIC_VECTOR_MASK;
    const spve = this.reg(MPIC_SPVE);
    if (spve !== null && (spve & MPIC_VECTOR_MASK) === vec)
      return { kind: 'ack', text: `vCPU ${v.id} reads IACK: spurious vector ${hex(vec)}, nothing pending`, data: { vector: vec, spurious: true } };
    const n = this.byVector(v, vec);
    const who = n < 0 ? '' : ` (${mpicIrqName(n)}, priority ${(this.s.ivpr[n]! & IVPR_PRIORITY_MASK) >>> 16})`;
    return {
      kind: 'ack',
      text: `vCPU ${v.id} acknowledges vector ${hex(vec)}${who}`,
      data: { vector: vec, ...(n < 0 ? {} : { irq: mpicIrqName(n)!, priority: (this.s.ivpr[n]! & IVPR_PRIORITY_MASK) >>> 16 }) },
      token: BigInt(vec),
    };
  }

  private eoiReading(v: IntrospectVcpu, retired: number): AccessReading {
    if (retired < 0) return { kind: 'eoi', text: `vCPU ${v.id} EOIs (nothing was in service)`, data: {} };
    const vec = this.s.ivpr[retired]! & MPIC_VECTOR_MASK;
    return { kind: 'eoi', text: `vCPU ${v.id} EOIs vector ${hex(vec)} (${mpicIrqName(retired)})`, data: { vector: vec, irq: mpicIrqName(retired)! } };
  }

  private ipiReading(v: IntrospectVcpu, k: number, mask: number): AccessReading {
    const targets = this.cpuList(mask);
    return { kind: 'ipi', text: `vCPU ${v.id} sends IPI ${k} to ${targets.length ? `vCPU ${targets.join(', ')}` : 'no CPU'} (IPIDR${k} = ${hex(mask)})`, data: { ipi: k, targets } };
  }

  describe(a: RawAccess): AccessReading | null {
    if (a.kind === 'attr') {
      if (a.group === KVM_DEV_MPIC_GRP_MISC) return { kind: 'access', text: 'BASE_ADDR (the register window)', data: { reg: 'BASE_ADDR' } };
      if (a.group === KVM_DEV_MPIC_GRP_IRQ_ACTIVE) {
        const n = Number(a.attr);
        return { kind: 'access', text: `input line of ${mpicIrqName(n) ?? `IRQ ${n}`}`, data: { irq: n } };
      }
      if (a.group === REG) {
        const off = Number(a.attr & 0xffffffffn);
        const name = mpicRegisterName(off, a.op === 'get');
        const ivpr = /IVPR|TVPR/.test(name) && a.value !== null ? `: ${ivprText(Number(a.value))}` : '';
        return { kind: 'access', text: `${name}${ivpr}`, data: { reg: name } };
      }
      return null;
    }
    if (a.kind !== 'mmio') return null;
    let base: number;
    try {
      base = this.base();
    } catch {
      return null;
    }
    const off = Number(a.addr - BigInt(base));
    if (off < 0 || off >= OPENPIC_REG_SIZE) return null;
    const v = this.vcpu(a.vcpu);
    // the vCPU's own page, or the current-CPU aliases in the global region
    const own = off >= OPENPIC_CPU_REG_START ? ((off - OPENPIC_CPU_REG_START) >> 12) === this.cpuOf(v) : off >= MPIC_IPIDR0 && off <= MPIC_EOI;
    const page = off >= OPENPIC_CPU_REG_START ? (off - OPENPIC_CPU_REG_START) & 0xfff : off;
    if (own && a.op === 'read' && page === MPIC_IACK && a.value !== null) return this.ackReading(v, Number(a.value));
    if (own && a.op === 'write' && page === MPIC_EOI) return { kind: 'eoi', text: `vCPU ${v.id} EOIs the highest interrupt in service`, data: {} };
    if (own && a.op === 'write' && page >= MPIC_IPIDR0 && page < MPIC_IPIDR0 + 0x40 && a.value !== null) return this.ipiReading(v, (page - MPIC_IPIDR0) >> 4, Number(a.value));
    const name = mpicRegisterName(off, a.op === 'read');
    const ivpr = /IVPR|TVPR/.test(name) && a.op === 'write' && a.value !== null ? `: ${ivprText(Number(a.value))}` : '';
    return {
      kind: 'access',
      text: `vCPU ${v.id} ${a.op === 'read' ? 'reads' : 'writes'} ${name}${a.value === null ? '' : ` = ${hex(a.value)}`}${ivpr}`,
      data: { reg: name, offset: hex(off) },
    };
  }
}

/** The MPIC's introspection spec (`DeviceRegistration.introspect`), for both models. */
export const mpicIntrospect: DeviceIntrospectSpec = {
  names: { irqLineLevels: { KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET, KVM_INTERRUPT_SET_LEVEL } },
  open: (t) => new MpicView(t),
};
