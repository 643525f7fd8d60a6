/**
 * The GICv3 introspection spec: SGIs and PPIs per redistributor, SPIs in the distributor, each
 * vCPU's ICC_* interface, acknowledge / EOI / SGI through the ICC system registers, and raw
 * accesses (ICC_*, distributor and redistributor MMIO, the attribute groups) in device terms.
 * State is read through the attribute groups a VMM has (DIST_REGS, REDIST_REGS, CPU_SYSREGS,
 * LEVEL_INFO); the running priority and the highest pending INTID, which no group exposes, are
 * guest reads of ICC_RPR_EL1 and ICC_HPPIR1_EL1 (they change nothing).
 * @packageDocumentation
 */
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
  sysregOrNull,
  vcpuOf,
} from './common.js';

const DIST = U.KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
const REDIST = U.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
const SYS = U.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
const LEVEL = U.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO;
const ADDR = U.KVM_DEV_ARM_VGIC_GRP_ADDR;
/** Size of one redistributor (RD_base + SGI_base frames). */
const REDIST_SIZE = 0x20000;
const DIST_SIZE = 0x10000;

/** The ICC_* system registers by name (16-bit MRS/MSR encodings). */
export const ICC_SYSREG_NAMES: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(U).filter((e): e is [string, number] => /^ICC_[A-Z0-9]+_EL1$/.test(e[0]) && typeof e[1] === 'number'),
);

function sysregName(enc: number): string {
  for (const [n, e] of Object.entries(ICC_SYSREG_NAMES)) if (e === enc) return n;
  return hex(enc);
}

/** The affinity (Aff2.Aff1.Aff0) KVM gives a vCPU id (reset MPIDR_EL1). */
function affinity(id: number): number {
  return U.defaultMpidr(id) & 0xffffff;
}

/** The per-vCPU (SGI and PPI) registers of one redistributor, as read. */
interface PrivateWords {
  readonly enabled: number | null;
  readonly latch: number | null;
  readonly active: number | null;
  readonly group: number | null;
  readonly cfg: readonly (number | null)[];
  readonly line: number | null;
  readonly priority: readonly (number | null)[];
}

const bitOf = (w: number | null, b: number): boolean | null => (w === null ? null : ((w >>> b) & 1) === 1);

/** One SGI or PPI of vCPU `id` from its redistributor's words. */
function privateRow(w: PrivateWords, id: number, n: number): InterruptState {
  const enabled = bitOf(w.enabled, n);
  const latch = bitOf(w.latch, n);
  const active = bitOf(w.active, n);
  const group = bitOf(w.group, n);
  const pw = w.priority[n >> 2]!;
  const priority = pw === null ? null : (pw >>> (8 * (n & 3))) & 0xff;
  const cfg = bitOf(w.cfg[n >> 4]!, 2 * (n & 15) + 1);
  const line = bitOf(w.line, n);
  const config = cfg === null ? null : cfg ? 'edge' : 'level';
  const pending = latch === null ? null : latch || (config === 'level' && line === true);
  return {
    id: n,
    name: gicIntidName(n)!,
    vcpu: id,
    enabled,
    pending,
    active,
    priority,
    targets: [id],
    target: `vCPU ${id}`,
    group: group === null ? null : group ? 1 : 0,
    config,
    // SGIs reset enabled (KVM enables them when the vCPU's GIC state is created); PPIs disabled
    configured: !!(pending || active || priority || (n < 16 ? enabled === false : enabled)),
    ...(line !== null && config === 'level' ? { extra: { line } } : {}),
  };
}

class GicV3View implements DeviceView {
  readonly interrupts: InterruptView;
  readonly guest: GuestOps;
  private readonly t: IntrospectTarget;

  constructor(t: IntrospectTarget) {
    this.t = t;
    this.interrupts = {
      line: 'irq',
      ranges: () => gicRanges(this.nrIrqs()),
      name: (id) => (id < this.nrIrqs() || id >= 8192 ? gicIntidName(id) : null),
      lookup: (name) => gicIntidLookup(name),
      read: (first, count, vcpu) => this.read(first, count, vcpu),
      cpu: (vcpu) => this.cpu(vcpu),
      raise: (id, level, vcpu) => raiseGicIrq(t.vm, t.vcpus, id, level, vcpu),
    };
    this.guest = {
      ack: (vcpu) => {
        const v = vcpuOf(t.vcpus, vcpu);
        const value = v.guest.sysregRead(U.ICC_IAR1_EL1);
        return { value, reading: this.ackReading(v, value, 1) };
      },
      eoi: (vcpu, token) => {
        const v = vcpuOf(t.vcpus, vcpu);
        if (token === undefined) throw needToken(vcpu, 'ICC_EOIR1_EL1');
        v.guest.sysregWrite(U.ICC_EOIR1_EL1, token);
        return this.eoiReading(v, Number(token & 0xffffffn), 'ICC_EOIR1_EL1');
      },
      ipi: (vcpu, targets, options = {}) => {
        const v = vcpuOf(t.vcpus, vcpu);
        const id = (options.id ?? 0) & 0xf;
        // one ICC_SGI1R_EL1 write per Aff3.Aff2.Aff1 cluster, Aff0 bits in the target list
        const clusters = new Map<number, number>();
        for (const tid of targets) {
          const a = affinity(vcpuOf(t.vcpus, tid).id);
          clusters.set(a >>> 8, (clusters.get(a >>> 8) ?? 0) | (1 << (a & 0xf)));
        }
        const out: AccessReading[] = [];
        for (const [cl, list] of clusters) {
          const val = (BigInt((cl >> 8) & 0xff) << 32n) | (BigInt(id) << 24n) | (BigInt(cl & 0xff) << 16n) | BigInt(list);
          v.guest.sysregWrite(U.ICC_SGI1R_EL1, val);
          out.push(this.sgiReading(v, val));
        }
        return out;
      },
    };
  }

  /** vCPU id by affinity (the target's vCPUs are fixed; built on the first SPI read). */
  private affinities: Map<number, number> | null = null;
  private byAffinity(): ReadonlyMap<number, number> {
    this.affinities ??= new Map(this.t.vcpus.map((v) => [affinity(v.id), v.id]));
    return this.affinities;
  }

  private nrIrqs(): number {
    const n = readAttr(this.t.device, U.KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0n, 4);
    return n === null ? U.VGIC_NR_PRIVATE_IRQS : Number(n);
  }

  summary(): string {
    const r = new AttrReader(this.t.device);
    const ctlr = r.get(DIST, BigInt(U.GICD_CTLR));
    return `GICv3, ${this.nrIrqs()} INTIDs (${Math.max(0, this.nrIrqs() - 32)} SPIs), ${this.t.vcpus.length} redistributors, GICD_CTLR ${ctlr === null ? '?' : hex(ctlr)}`;
  }

  state(): StateSection[] {
    const r = new AttrReader(this.t.device);
    const ctlr = r.get(DIST, BigInt(U.GICD_CTLR));
    const bits: string[] = [];
    if (ctlr !== null) {
      if (ctlr & BigInt(U.GICD_CTLR_ENABLE_SS_G0)) bits.push('EnableGrp0');
      if (ctlr & BigInt(U.GICD_CTLR_ENABLE_SS_G1)) bits.push('EnableGrp1A');
      if (ctlr & BigInt(U.GICD_CTLR_ARE_NS)) bits.push('ARE');
      if (ctlr & BigInt(U.GICD_CTLR_DS)) bits.push('DS');
    }
    const dist = readAttr(this.t.device, ADDR, BigInt(U.KVM_VGIC_V3_ADDR_TYPE_DIST), 8);
    const redist = readAttr(this.t.device, ADDR, BigInt(U.KVM_VGIC_V3_ADDR_TYPE_REDIST), 8);
    return [
      {
        title: 'distributor',
        fields: [
          field('GICD_CTLR', ctlr, 0, bits.length ? ` (${bits.join(', ')})` : ''),
          field('GICD_TYPER', r.get(DIST, BigInt(U.GICD_TYPER))),
          { name: 'INTIDs', value: this.nrIrqs(), text: String(this.nrIrqs()) },
          field('base', dist),
          field('redistributor base', redist),
        ],
      },
    ];
  }

  private read(first: number, count: number, vcpu: number | undefined): InterruptState[] {
    const r = new AttrReader(this.t.device);
    const nr = this.nrIrqs();
    const out: InterruptState[] = [];
    const end = Math.min(first + count, nr);
    let words: PrivateWords | null = null;
    for (let n = Math.max(0, first); n < end; n++) {
      if (n < U.VGIC_NR_PRIVATE_IRQS) {
        if (vcpu === undefined) throw new RangeError(`${gicIntidName(n)} is banked: read it for a vCPU`);
        if (words === null) {
          vcpuOf(this.t.vcpus, vcpu); // EINVAL for an id the VM does not have
          words = this.privateWords(vcpu);
        }
        out.push(privateRow(words, vcpu, n));
      } else out.push(this.readSpi(r, n, this.byAffinity()));
    }
    return out;
  }

  /** A vCPU's redistributor words (SGI_base registers and its line levels), each read once. */
  private privateWords(id: number): PrivateWords {
    const m = U.vgicMpidrAttr(id);
    const w = (off: number): number | null => {
      const v = readAttr(this.t.device, REDIST, m | BigInt(off), 4);
      return v === null ? null : Number(v);
    };
    const line = readAttr(this.t.device, LEVEL, m, 4);
    return {
      enabled: w(U.GICR_ISENABLER0),
      latch: w(U.GICR_ISPENDR0),
      active: w(U.GICR_ISACTIVER0),
      group: w(U.GICR_IGROUPR0),
      cfg: [w(U.GICR_ICFGR0), w(U.GICR_ICFGR1)],
      line: line === null ? null : Number(line),
      priority: [0, 4, 8, 12, 16, 20, 24, 28].map((o) => w(U.GICR_IPRIORITYR0 + o)),
    };
  }

  private readSpi(r: AttrReader, n: number, byAff: ReadonlyMap<number, number>): InterruptState {
    const w = BigInt((n >> 5) * 4);
    const enabled = r.bit(DIST, BigInt(U.GICD_ISENABLER) + w, n & 31);
    const latch = r.bit(DIST, BigInt(U.GICD_ISPENDR) + w, n & 31);
    const active = r.bit(DIST, BigInt(U.GICD_ISACTIVER) + w, n & 31);
    const group = r.bit(DIST, BigInt(U.GICD_IGROUPR) + w, n & 31);
    const priority = r.byte(DIST, BigInt(U.GICD_IPRIORITYR + (n & ~3)), n & 3);
    const cfg = r.bit(DIST, BigInt(U.GICD_ICFGR + 4 * (n >> 4)), 2 * (n & 15) + 1);
    const line = r.bit(LEVEL, BigInt(n & ~31), n & 31);
    const route = r.get(DIST, BigInt(U.GICD_IROUTER + 8 * n));
    const config = cfg === null ? null : cfg ? 'edge' : 'level';
    const pending = latch === null ? null : latch || (config === 'level' && line === true);
    let target = '?';
    let targets: number[] | null = null;
    if (route !== null) {
      if (route & 0x80000000n) target = 'any (1 of N)';
      else {
        const id = byAff.get(Number(route & 0xffffffn));
        target = id === undefined ? `affinity ${hex(route & 0xffffffn)} (no vCPU)` : `vCPU ${id}`;
        targets = id === undefined ? [] : [id];
      }
    }
    return {
      id: n,
      name: gicIntidName(n)!,
      vcpu: null,
      enabled,
      pending,
      active,
      priority,
      targets,
      target,
      group: group === null ? null : group ? 1 : 0,
      config,
      configured: !!(enabled || pending || active || priority || (route !== null && route !== 0n)),
      ...(line !== null && config === 'level' ? { extra: { line } } : {}),
    };
  }

  private cpu(id: number): CpuState {
    const v = vcpuOf(this.t.vcpus, id);
    const r = new AttrReader(this.t.device);
    const m = U.vgicMpidrAttr(v.id);
    const sys = (enc: number) => r.get(SYS, m | BigInt(enc), 8);
    const pmr = sys(U.ICC_PMR_EL1);
    const grpen1 = sys(U.ICC_IGRPEN1_EL1);
    const grpen0 = sys(U.ICC_IGRPEN0_EL1);
    const ctlr = sys(U.ICC_CTLR_EL1);
    const bpr1 = sys(U.ICC_BPR1_EL1);
    const rpr = sysregOrNull(v, U.ICC_RPR_EL1);
    const hppir = sysregOrNull(v, U.ICC_HPPIR1_EL1);
    const hp = hppir === null ? null : Number(hppir & 0xffffffn);
    const highestPending = hp === null || (hp >= 1020 && hp < 1024) ? null : hp;
    const irq = v.line('irq');
    const fiq = v.line('fiq');
    const rp = rpr === null ? null : Number(rpr & 0xffn);
    return {
      vcpu: v.id,
      lines: [
        { name: 'irq', level: irq },
        { name: 'fiq', level: fiq },
      ],
      runningPriority: rp,
      priorityMask: pmr === null ? null : Number(pmr),
      highestPending,
      fields: [
        field('ICC_PMR_EL1', pmr, 2),
        field('ICC_IGRPEN0_EL1', grpen0),
        field('ICC_IGRPEN1_EL1', grpen1),
        field('ICC_CTLR_EL1', ctlr),
        field('ICC_BPR1_EL1', bpr1),
        field('ICC_RPR_EL1', rpr, 2, rp === 0xff ? ' (idle)' : ''),
        field('ICC_HPPIR1_EL1', hppir),
      ],
      text:
        `vCPU ${v.id}: irq line ${irq}, ICC_PMR_EL1 ${pmr === null ? '?' : hex(pmr, 2)}, ICC_IGRPEN1_EL1 ${grpen1 === null ? '?' : String(grpen1)}, ` +
        `running priority ${rp === null ? '?' : rp === 0xff ? 'idle' : hex(rp, 2)}, highest pending ${highestPending === null ? 'none' : gicIntidName(highestPending)}`,
    };
  }

  private ackReading(v: IntrospectVcpu, raw: bigint, grp: 0 | 1): AccessReading {
    const id = Number(raw & 0xffffffn);
    if (id >= 1020 && id < 1024) return { kind: 'ack', text: `vCPU ${v.id} reads ICC_IAR${grp}_EL1: spurious (${id}), nothing pending`, data: { intid: id, spurious: true } };
    const rpr = sysregOrNull(v, U.ICC_RPR_EL1);
    const p = rpr === null ? null : Number(rpr & 0xffn);
    return {
      kind: 'ack',
      text: `vCPU ${v.id} acknowledges ${gicIntidName(id) ?? `INTID ${id}`}${p === null ? '' : ` (priority ${hex(p, 2)})`}`,
      data: { intid: id, ...(p === null ? {} : { priority: p }) },
      token: BigInt(id),
    };
  }

  private eoiReading(v: IntrospectVcpu, id: number, reg: string): AccessReading {
    return { kind: 'eoi', text: `vCPU ${v.id} ${reg === 'ICC_DIR_EL1' ? 'deactivates' : 'EOIs'} ${gicIntidName(id) ?? `INTID ${id}`}`, data: { intid: id, reg } };
  }

  private sgiReading(v: IntrospectVcpu, val: bigint): AccessReading {
    const intid = Number((val >> 24n) & 0xfn);
    const irm = ((val >> 40n) & 1n) === 1n;
    const aff1 = Number((val >> 16n) & 0xffn);
    const aff2 = Number((val >> 32n) & 0xffn);
    const aff3 = Number((val >> 48n) & 0xffn);
    const list = Number(val & 0xffffn);
    const targets: number[] = [];
    for (const t of this.t.vcpus) {
      if (irm) {
        if (t.id !== v.id) targets.push(t.id);
        continue;
      }
      const a = affinity(t.id);
      if (((a >> 8) & 0xff) === aff1 && ((a >> 16) & 0xff) === aff2 && aff3 === 0 && list & (1 << (a & 0xf))) targets.push(t.id);
    }
    return {
      kind: 'ipi',
      text: `vCPU ${v.id} sends SGI ${intid} to ${irm ? 'all other vCPUs' : targets.length ? `vCPU ${targets.join(', ')}` : 'no vCPU'} (ICC_SGI1R_EL1 = ${hex(val)})`,
      data: { intid, targets },
    };
  }

  describe(a: RawAccess): AccessReading | null {
    if (a.kind === 'sysreg') {
      const v = vcpuOf(this.t.vcpus, a.vcpu);
      if (a.op === 'read' && (a.encoding === U.ICC_IAR1_EL1 || a.encoding === U.ICC_IAR0_EL1)) return this.ackReading(v, a.value, a.encoding === U.ICC_IAR1_EL1 ? 1 : 0);
      if (a.op === 'write' && (a.encoding === U.ICC_EOIR1_EL1 || a.encoding === U.ICC_EOIR0_EL1 || a.encoding === U.ICC_DIR_EL1))
        return this.eoiReading(v, Number(a.value & 0xffffffn), sysregName(a.encoding));
      if (a.op === 'write' && a.encoding === U.ICC_SGI1R_EL1) return this.sgiReading(v, a.value);
      return null;
    }
    if (a.kind === 'mmio') return this.describeMmio(a.vcpu, a.op, a.addr, a.size, a.value);
    if (a.kind === 'attr') return this.describeAttr(a.op, a.group, a.attr, a.value);
    return null;
  }

  private describeMmio(vcpu: number, op: 'read' | 'write', addr: bigint, size: number, value: bigint | null): AccessReading | null {
    const who = `vCPU ${vcpu}`;
    const dist = readAttr(this.t.device, ADDR, BigInt(U.KVM_VGIC_V3_ADDR_TYPE_DIST), 8);
    if (dist !== null && addr >= dist && addr < dist + BigInt(DIST_SIZE)) {
      const off = Number(addr - dist);
      const n = this.distReg(off, size, value, op === 'write');
      return registerReading(who, op, n.reg, value, n.effect, { frame: 'distributor', offset: hex(off) });
    }
    const redist = readAttr(this.t.device, ADDR, BigInt(U.KVM_VGIC_V3_ADDR_TYPE_REDIST), 8);
    if (redist !== null && addr >= redist && addr < redist + BigInt(REDIST_SIZE * this.t.vcpus.length)) {
      const index = Number((addr - redist) / BigInt(REDIST_SIZE));
      const off = Number((addr - redist) % BigInt(REDIST_SIZE));
      const owner = this.t.vcpus[index]!;
      const n = this.redistReg(off, size, value, op === 'write');
      return registerReading(who, op, `${n.reg} of vCPU ${owner.id}`, value, n.effect, { frame: 'redistributor', redistributor: owner.id, offset: hex(off) });
    }
    return null;
  }

  private distReg(off: number, size: number, value: bigint | null, write: boolean): { reg: string; effect: string } {
    const fixed: Record<number, string> = { [U.GICD_CTLR]: 'GICD_CTLR', [U.GICD_TYPER]: 'GICD_TYPER', [U.GICD_IIDR]: 'GICD_IIDR', [U.GICD_TYPER2]: 'GICD_TYPER2', [U.GICD_STATUSR]: 'GICD_STATUSR' };
    if (fixed[off]) return { reg: fixed[off]!, effect: '' };
    return nameIrqRegister('GICD', off, size, value, write) ?? { reg: `GICD+${hex(off)}`, effect: '' };
  }

  private redistReg(off: number, size: number, value: bigint | null, write: boolean): { reg: string; effect: string } {
    const fixed: Record<number, string> = {
      [U.GICR_CTLR]: 'GICR_CTLR',
      [U.GICR_IIDR]: 'GICR_IIDR',
      [U.GICR_TYPER]: 'GICR_TYPER',
      [U.GICR_TYPER + 4]: 'GICR_TYPER (high half)',
      [U.GICR_STATUSR]: 'GICR_STATUSR',
      [U.GICR_WAKER]: 'GICR_WAKER',
      [U.GICR_PROPBASER]: 'GICR_PROPBASER',
      [U.GICR_PENDBASER]: 'GICR_PENDBASER',
    };
    if (fixed[off]) return { reg: fixed[off]!, effect: '' };
    if (off >= U.GICR_SGI_BASE) {
      const n = nameIrqRegister('GICR', off - U.GICR_SGI_BASE, size, value, write);
      if (n) return n;
    }
    return { reg: off >= U.GICR_SGI_BASE ? `GICR SGI_base+${hex(off - U.GICR_SGI_BASE)}` : `GICR RD_base+${hex(off)}`, effect: '' };
  }

  private describeAttr(op: 'get' | 'set' | 'has', group: number, attr: bigint, value: bigint | null): AccessReading | null {
    const write = op === 'set' && value !== null;
    const off = Number(attr & 0xffffffffn);
    const mp = Number(attr >> 32n);
    const owner = this.t.vcpus.find((v) => affinity(v.id) === mp);
    const of = owner ? ` of vCPU ${owner.id}` : ` of affinity ${hex(mp)}`;
    let reg: string;
    let effect = '';
    if (group === DIST) {
      ({ reg, effect } = this.distReg(off, 4, value, write));
    } else if (group === REDIST) {
      const n = this.redistReg(off, 4, value, write);
      reg = `${n.reg}${of}`;
      effect = n.effect;
    } else if (group === SYS) {
      reg = `${sysregName(off & 0xffff)}${of}`;
    } else if (group === LEVEL) {
      const intid = off & U.KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK;
      reg = `line levels of INTIDs ${intid}..${intid + 31}${intid < 32 ? of : ''}`;
    } else return null;
    return { kind: 'access', text: `${reg}${effect ? `: ${effect}` : ''}`, data: { reg } };
  }
}

/** The GICv3's introspection spec (`DeviceRegistration.introspect`). */
export const vgicV3Introspect: DeviceIntrospectSpec = {
  names: { sysregs: ICC_SYSREG_NAMES },
  open: (t) => new GicV3View(t),
};
