/**
 * The GICv2 introspection spec: SGIs and PPIs banked per vCPU and SPIs in the distributor (all
 * through KVM_DEV_ARM_VGIC_GRP_DIST_REGS, with the vCPU id in the attr), each vCPU's CPU
 * interface (GRP_CPU_REGS, plus guest reads of GICC_RPR and GICC_HPPIR, which change nothing),
 * acknowledge / EOI through GICC_IAR / GICC_EOIR and SGIs through GICD_SGIR, and raw accesses in
 * device terms.
 * @packageDocumentation
 */
import { ENXIO, KvmError } from '@kvmdev/core';
import type {
  AccessReading,
  CpuState,
  DeviceIntrospectSpec,
  DeviceView,
  GuestOps,
  InterruptState,
  InterruptView,
  IntrospectTarget,
  IntrospectVcpu,
  RawAccess,
  StateSection,
} from '@kvmdev/core/plugin';
import * as U from '../uapi.js';
import {
  AttrReader,
  field,
  gicIntidLookup,
  gicIntidName,
  gicRanges,
  hex,
  nameIrqRegister,
  needToken,
  raiseGicIrq,
  readAttr,
  registerReading,
  vcpuOf,
} from './common.js';

const DIST = U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
const CPU = U.KVM_DEV_ARM_VGIC_GRP_CPU_REGS;
const ADDR = U.KVM_DEV_ARM_VGIC_GRP_ADDR;

const CPU_REGS: Readonly<Record<number, string>> = {
  [U.GIC_CPU_CTRL]: 'GICC_CTLR',
  [U.GIC_CPU_PRIMASK]: 'GICC_PMR',
  [U.GIC_CPU_BINPOINT]: 'GICC_BPR',
  [U.GIC_CPU_INTACK]: 'GICC_IAR',
  [U.GIC_CPU_EOI]: 'GICC_EOIR',
  [U.GIC_CPU_RUNNINGPRI]: 'GICC_RPR',
  [U.GIC_CPU_HIGHPRI]: 'GICC_HPPIR',
  [U.GIC_CPU_ALIAS_BINPOINT]: 'GICC_ABPR',
  [U.GIC_CPU_AIAR]: 'GICC_AIAR',
  [U.GIC_CPU_AEOIR]: 'GICC_AEOIR',
  [U.GIC_CPU_AHPPIR]: 'GICC_AHPPIR',
  [U.GIC_CPU_IDENT]: 'GICC_IIDR',
  [U.GIC_CPU_DEACTIVATE]: 'GICC_DIR',
};

function cpuRegName(off: number): string {
  if (CPU_REGS[off]) return CPU_REGS[off]!;
  if (off >= U.GIC_CPU_ACTIVEPRIO && off < U.GIC_CPU_ACTIVEPRIO + 16) return `GICC_APR${(off - U.GIC_CPU_ACTIVEPRIO) >> 2}`;
  if (off >= U.GIC_CPU_NSAPR && off < U.GIC_CPU_NSAPR + 16) return `GICC_NSAPR${(off - U.GIC_CPU_NSAPR) >> 2}`;
  return `GICC+${hex(off)}`;
}

class GicV2View implements DeviceView {
  readonly interrupts: InterruptView;
  readonly guest: GuestOps;
  private readonly t: IntrospectTarget;

  constructor(t: IntrospectTarget) {
    this.t = t;
    this.interrupts = {
      line: 'irq',
      ranges: () => gicRanges(this.nrIrqs()),
      name: (id) => (id < this.nrIrqs() ? gicIntidName(id) : null),
      lookup: (name) => gicIntidLookup(name),
      read: (first, count, vcpu) => this.read(first, count, vcpu),
      cpu: (vcpu) => this.cpu(vcpu),
      raise: (id, level, vcpu) => raiseGicIrq(t.vm, t.vcpus, id, level, vcpu),
    };
    this.guest = {
      ack: (vcpu) => {
        const v = vcpuOf(t.vcpus, vcpu);
        const x = v.guest.mmioRead(this.cpuBase() + U.GIC_CPU_INTACK, 4);
        if (x === null) throw new KvmError(ENXIO, `GICC_IAR of vCPU ${vcpu} is not handled in the kernel (is the CPU interface mapped? it is at the first KVM_RUN)`);
        return { value: BigInt(x), reading: this.ackReading(v, BigInt(x)) };
      },
      eoi: (vcpu, token) => {
        const v = vcpuOf(t.vcpus, vcpu);
        if (token === undefined) throw needToken(vcpu, 'GICC_EOIR');
        if (!v.guest.mmioWrite(this.cpuBase() + U.GIC_CPU_EOI, 4, Number(token & 0xffffffffn)))
          throw new KvmError(ENXIO, `GICC_EOIR of vCPU ${vcpu} is not handled in the kernel`);
        return this.eoiReading(v, token, 'GICC_EOIR');
      },
      ipi: (vcpu, targets, options = {}) => {
        const v = vcpuOf(t.vcpus, vcpu);
        let list = 0;
        for (const tid of targets) list |= 1 << t.vcpus.indexOf(vcpuOf(t.vcpus, tid));
        const val = ((list & 0xff) << 16) | ((options.id ?? 0) & 0xf);
        if (!v.guest.mmioWrite(this.distBase() + U.GIC_DIST_SOFTINT, 4, val)) throw new KvmError(ENXIO, 'GICD_SGIR is not handled in the kernel');
        return [this.sgirReading(v, BigInt(val))];
      },
    };
  }

  private nrIrqs(): number {
    const n = readAttr(this.t.device, U.KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0n, 4);
    return n === null ? U.VGIC_NR_PRIVATE_IRQS : Number(n);
  }
  private addr(type: number): bigint | null {
    return readAttr(this.t.device, ADDR, BigInt(type), 8);
  }
  private cpuBase(): number {
    const b = this.addr(U.KVM_VGIC_V2_ADDR_TYPE_CPU);
    if (b === null || b === BigInt(U.VGIC_ADDR_UNDEF)) throw new KvmError(ENXIO, 'the GICv2 CPU interface has no address (KVM_VGIC_V2_ADDR_TYPE_CPU)');
    return Number(b);
  }
  private distBase(): number {
    const b = this.addr(U.KVM_VGIC_V2_ADDR_TYPE_DIST);
    if (b === null || b === BigInt(U.VGIC_ADDR_UNDEF)) throw new KvmError(ENXIO, 'the GICv2 distributor has no address (KVM_VGIC_V2_ADDR_TYPE_DIST)');
    return Number(b);
  }

  summary(): string {
    const ctlr = readAttr(this.t.device, DIST, BigInt(U.GIC_DIST_CTRL), 4);
    return `GICv2, ${this.nrIrqs()} INTIDs (${Math.max(0, this.nrIrqs() - 32)} SPIs), ${this.t.vcpus.length} CPU interfaces, GICD_CTLR ${ctlr === null ? '?' : hex(ctlr)}`;
  }

  state(): StateSection[] {
    const r = new AttrReader(this.t.device);
    const ctlr = r.get(DIST, BigInt(U.GIC_DIST_CTRL));
    const bits = ctlr === null ? [] : [...(ctlr & 1n ? ['EnableGrp0'] : []), ...(ctlr & 2n ? ['EnableGrp1'] : [])];
    return [
      {
        title: 'distributor',
        fields: [
          field('GICD_CTLR', ctlr, 0, bits.length ? ` (${bits.join(', ')})` : ''),
          field('GICD_TYPER', r.get(DIST, BigInt(U.GIC_DIST_CTR))),
          { name: 'INTIDs', value: this.nrIrqs(), text: String(this.nrIrqs()) },
          field('base', this.addr(U.KVM_VGIC_V2_ADDR_TYPE_DIST)),
          field('CPU interface base', this.addr(U.KVM_VGIC_V2_ADDR_TYPE_CPU)),
        ],
      },
    ];
  }

  private read(first: number, count: number, vcpu: number | undefined): InterruptState[] {
    const r = new AttrReader(this.t.device);
    const nr = this.nrIrqs();
    const out: InterruptState[] = [];
    const end = Math.min(first + count, nr);
    for (let n = Math.max(0, first); n < end; n++) {
      let v: IntrospectVcpu | null = null;
      if (n < U.VGIC_NR_PRIVATE_IRQS) {
        if (vcpu === undefined) throw new RangeError(`${gicIntidName(n)} is banked: read it for a vCPU`);
        v = vcpuOf(this.t.vcpus, vcpu);
      }
      // banked registers: the vCPU id in the attr's CPUID field (vCPU 0 for the SPIs)
      const c = BigInt(v?.id ?? 0) << 32n;
      const w = BigInt((n >> 5) * 4);
      const enabled = r.bit(DIST, c | (BigInt(U.GIC_DIST_ENABLE_SET) + w), n & 31);
      const pending = r.bit(DIST, c | (BigInt(U.GIC_DIST_PENDING_SET) + w), n & 31);
      const active = r.bit(DIST, c | (BigInt(U.GIC_DIST_ACTIVE_SET) + w), n & 31);
      const group = r.bit(DIST, c | (BigInt(U.GIC_DIST_IGROUP) + w), n & 31);
      const priority = r.byte(DIST, c | BigInt(U.GIC_DIST_PRI + (n & ~3)), n & 3);
      const cfg = r.bit(DIST, c | BigInt(U.GIC_DIST_CONFIG + 4 * (n >> 4)), 2 * (n & 15) + 1);
      const config = cfg === null ? null : cfg ? 'edge' : 'level';
      const base = { id: n, name: gicIntidName(n)!, enabled, pending, active, priority, group: group === null ? null : group ? 1 : 0, config } as const;
      if (v !== null) {
        out.push({ ...base, vcpu: v.id, targets: [v.id], target: `vCPU ${v.id}`, configured: !!(pending || active || priority || (n < 16 ? enabled === false : enabled)) });
        continue;
      }
      const mask = r.byte(DIST, BigInt(U.GIC_DIST_TARGET + (n & ~3)), n & 3);
      const targets = mask === null ? null : this.t.vcpus.filter((_x, i) => (mask >> i) & 1).map((x) => x.id);
      out.push({
        ...base,
        vcpu: null,
        targets,
        target: targets === null ? '?' : targets.length ? `vCPU ${targets.join(',')}` : 'none',
        configured: !!(enabled || pending || active || priority || mask),
      });
    }
    return out;
  }

  private cpu(id: number): CpuState {
    const v = vcpuOf(this.t.vcpus, id);
    const r = new AttrReader(this.t.device);
    const c = BigInt(v.id) << 32n;
    const ctlr = r.get(CPU, c | BigInt(U.GIC_CPU_CTRL));
    // the ABI's GICC_PMR is GICH_VMCR.VMPriMask: the top five priority bits in bits 4:0
    const vmpri = r.get(CPU, c | BigInt(U.GIC_CPU_PRIMASK));
    const pmr = vmpri === null ? null : Number((vmpri << 3n) & 0xf8n);
    const bpr = r.get(CPU, c | BigInt(U.GIC_CPU_BINPOINT));
    let rpr: number | null = null;
    let hppir: number | null = null;
    try {
      const b = this.cpuBase();
      rpr = v.guest.mmioRead(b + U.GIC_CPU_RUNNINGPRI, 4);
      hppir = v.guest.mmioRead(b + U.GIC_CPU_HIGHPRI, 4);
    } catch {
      // no CPU interface address: the guest-side reads are not possible
    }
    const hp = hppir === null ? null : hppir & 0x3ff;
    const highestPending = hp === null || hp >= 1020 ? null : hp;
    const irq = v.line('irq');
    const fiq = v.line('fiq');
    return {
      vcpu: v.id,
      lines: [
        { name: 'irq', level: irq },
        { name: 'fiq', level: fiq },
      ],
      runningPriority: rpr,
      priorityMask: pmr,
      highestPending,
      fields: [
        field('GICC_CTLR', ctlr),
        field('GICC_PMR', pmr, 2, vmpri === null ? '' : ` (VMPriMask ${hex(vmpri)})`),
        field('GICC_BPR', bpr),
        field('GICC_RPR', rpr, 2, rpr === 0xff ? ' (idle)' : ''),
        field('GICC_HPPIR', hppir),
      ],
      text:
        `vCPU ${v.id}: irq line ${irq}, GICC_CTLR ${ctlr === null ? '?' : hex(ctlr)}, GICC_PMR ${pmr === null ? '?' : hex(pmr, 2)}, ` +
        `running priority ${rpr === null ? '?' : rpr === 0xff ? 'idle' : hex(rpr, 2)}, highest pending ${highestPending === null ? 'none' : gicIntidName(highestPending)}`,
    };
  }

  private ackReading(v: IntrospectVcpu, raw: bigint): AccessReading {
    const id = Number(raw & 0x3ffn);
    const src = Number((raw >> 10n) & 7n);
    if (id >= 1020) return { kind: 'ack', text: `vCPU ${v.id} reads GICC_IAR: spurious (${id}), nothing pending`, data: { intid: id, spurious: true } };
    let p: number | null = null;
    try {
      p = v.guest.mmioRead(this.cpuBase() + U.GIC_CPU_RUNNINGPRI, 4);
    } catch {
      p = null;
    }
    const from = id < 16 ? this.t.vcpus[src] : undefined;
    return {
      kind: 'ack',
      text: `vCPU ${v.id} acknowledges ${gicIntidName(id)}${id < 16 ? ` from vCPU ${from?.id ?? src}` : ''}${p === null ? '' : ` (priority ${hex(p, 2)})`}`,
      data: { intid: id, ...(id < 16 ? { source: from?.id ?? src } : {}), ...(p === null ? {} : { priority: p }) },
      // GICC_EOIR needs the whole IAR value (the source CPU of an SGI too)
      token: raw,
    };
  }

  private eoiReading(v: IntrospectVcpu, raw: bigint, reg: string): AccessReading {
    const id = Number(raw & 0x3ffn);
    return { kind: 'eoi', text: `vCPU ${v.id} ${reg === 'GICC_DIR' ? 'deactivates' : 'EOIs'} ${gicIntidName(id) ?? `INTID ${id}`}`, data: { intid: id, reg } };
  }

  private sgirReading(v: IntrospectVcpu, val: bigint): AccessReading {
    const filter = Number((val >> 24n) & 3n);
    const list = Number((val >> 16n) & 0xffn);
    const intid = Number(val & 0xfn);
    const targets = this.t.vcpus.filter((x, i) => (filter === 1 ? x.id !== v.id : filter === 2 ? x.id === v.id : (list >> i) & 1)).map((x) => x.id);
    return { kind: 'ipi', text: `vCPU ${v.id} sends SGI ${intid} to ${targets.length ? `vCPU ${targets.join(', ')}` : 'no vCPU'} (GICD_SGIR = ${hex(val)})`, data: { intid, targets } };
  }

  describe(a: RawAccess): AccessReading | null {
    if (a.kind === 'mmio') {
      const v = vcpuOf(this.t.vcpus, a.vcpu);
      const write = a.op === 'write';
      const cpu = this.addr(U.KVM_VGIC_V2_ADDR_TYPE_CPU);
      if (cpu !== null && cpu !== BigInt(U.VGIC_ADDR_UNDEF) && a.addr >= cpu && a.addr < cpu + BigInt(U.KVM_VGIC_V2_CPU_SIZE)) {
        const off = Number(a.addr - cpu);
        if (!write && (off === U.GIC_CPU_INTACK || off === U.GIC_CPU_AIAR) && a.value !== null) return this.ackReading(v, a.value);
        if (write && (off === U.GIC_CPU_EOI || off === U.GIC_CPU_AEOIR || off === U.GIC_CPU_DEACTIVATE) && a.value !== null)
          return this.eoiReading(v, a.value, cpuRegName(off));
        return registerReading(`vCPU ${v.id}`, a.op, cpuRegName(off), a.value, '', { frame: 'cpu interface', offset: hex(off) });
      }
      const dist = this.addr(U.KVM_VGIC_V2_ADDR_TYPE_DIST);
      if (dist !== null && dist !== BigInt(U.VGIC_ADDR_UNDEF) && a.addr >= dist && a.addr < dist + BigInt(U.KVM_VGIC_V2_DIST_SIZE)) {
        const off = Number(a.addr - dist);
        if (write && off === U.GIC_DIST_SOFTINT && a.value !== null) return this.sgirReading(v, a.value);
        const n = this.distReg(off, a.size, a.value, write);
        return registerReading(`vCPU ${v.id}`, a.op, n.reg, a.value, n.effect, { frame: 'distributor', offset: hex(off) });
      }
      return null;
    }
    if (a.kind === 'attr') {
      const off = Number(a.attr & 0xffffffffn);
      const who = Number((a.attr >> 32n) & 0xffn);
      const write = a.op === 'set' && a.value !== null;
      if (a.group === DIST) {
        const n = this.distReg(off, 4, a.value, write);
        const banked = off < U.GIC_DIST_TARGET + 32 && off >= U.GIC_DIST_IGROUP;
        return { kind: 'access', text: `${n.reg}${banked ? ` (vCPU ${who}'s view)` : ''}${n.effect ? `: ${n.effect}` : ''}`, data: { reg: n.reg } };
      }
      if (a.group === CPU) return { kind: 'access', text: `${cpuRegName(off)} of vCPU ${who}`, data: { reg: cpuRegName(off) } };
    }
    return null;
  }

  private distReg(off: number, size: number, value: bigint | null, write: boolean): { reg: string; effect: string } {
    const fixed: Record<number, string> = {
      [U.GIC_DIST_CTRL]: 'GICD_CTLR',
      [U.GIC_DIST_CTR]: 'GICD_TYPER',
      [U.GIC_DIST_IIDR]: 'GICD_IIDR',
      [U.GIC_DIST_SOFTINT]: 'GICD_SGIR',
    };
    if (fixed[off]) return { reg: fixed[off]!, effect: '' };
    if (off >= U.GIC_DIST_SGI_PENDING_CLEAR && off < U.GIC_DIST_SGI_PENDING_CLEAR + 16) return { reg: `GICD_CPENDSGIR${(off - U.GIC_DIST_SGI_PENDING_CLEAR) >> 2}`, effect: '' };
    if (off >= U.GIC_DIST_SGI_PENDING_SET && off < U.GIC_DIST_SGI_PENDING_SET + 16) return { reg: `GICD_SPENDSGIR${(off - U.GIC_DIST_SGI_PENDING_SET) >> 2}`, effect: '' };
    return nameIrqRegister('GICD', off, size, value, write) ?? { reg: `GICD+${hex(off)}`, effect: '' };
  }
}

/** The GICv2's introspection spec (`DeviceRegistration.introspect`). */
export const vgicV2Introspect: DeviceIntrospectSpec = {
  open: (t) => new GicV2View(t),
};
