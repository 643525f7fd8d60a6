/**
 * Interrupt delivery: which IRQs can be signalled to which vCPU, the vCPU's IRQ/FIQ lines,
 * acknowledge, priority drop and deactivation, SGI generation and line injection.
 *
 * Each IRQ sits in at most one vCPU's {@link PendingSet} (its single target: ITARGETSR's lowest
 * bit on v2, IROUTER on v3), so an event touches one IRQ and at most two vCPUs: no scan of the
 * vCPUs or of the IRQs, and no allocation.
 * @packageDocumentation
 */
import { type CpuIf, type IrqBank, LpiPendingSet, type LpiState, type Vgic, type VcpuGic, ctz } from './state.js';

// The constants of the per-event paths are literals, named in a comment where used: a binding
// (imported, or a module-level const) is a load and a check per use in V8's optimised code,
// which on these paths costs about as much as the work itself. GIC_SPURIOUS 1023,
// GIC_SPURIOUS_OTHER_GROUP 1022, VGIC_NR_SGIS 16, VGIC_NR_PRIVATE_IRQS 32, KVM_LINE_IRQ 0,
// KVM_LINE_FIQ 1 (uapi.ts and @kvmdev/core; test/hot-literals.test.ts pins those values).

/** KVM's irq_is_pending: the latch, or the line for a level-sensitive IRQ. */
export function isPending(b: IrqBank, i: number): boolean {
  return b.latch[i] === 1 || (b.level[i] === 1 && b.line[i] === 1);
}

/**
 * Re-files IRQ `i` of bank `b` after any change of its state, and updates the affected lines:
 * those of the vCPU whose pending set held it and of its new target. With `also`, that vCPU's
 * lines are updated too (once: not again when it is one of the two).
 */
export function update(g: Vgic, b: IrqBank, i: number, also: VcpuGic | null = null): void {
  const intid = b.base + i;
  const t = b.target[i]!;
  // isPending written out (see below)
  const want =
    b.enabled[i] === 1 && b.active[i] === 0 && t >= 0 && t < g.cpus.length && (b.latch[i] === 1 || (b.level[i] === 1 && b.line[i] === 1));
  const cur = b.inV[i]!;
  let ng = 0;
  let nl = 0;
  if (want) {
    ng = b.group[i]!;
    nl = b.priority[i]! >>> 3;
    if (cur === t && b.inG[i] === ng && b.inL[i] === nl) {
      if (also !== null) refresh(g, also);
      return;
    }
  } else if (cur < 0) {
    if (also !== null) refresh(g, also);
    return;
  }
  // PendingSet.remove and .add written out (the same steps; layout in state.ts: level masks at
  // 0..1, slot numbers at PENDING_SLOT_OF 2, slots from PENDING_SLOTS 66): V8 inlines callees of a
  // function up to a total bytecode size, and with these two as calls the line refresh below no
  // longer fitted (measured: ~17 ns per round trip)
  const cv = cur >= 0 ? g.cpus[cur]! : null;
  if (cv !== null) {
    const p = cv.pend;
    const d = p.data;
    const og = b.inG[i]!;
    const ol = b.inL[i]!;
    const k = d[2 + og * 32 + ol]!;
    if (k !== 0) {
      const o = 66 + (k - 1) * (p.words + 1);
      const w = intid >>> 5;
      const x = o + 1 + w;
      const nv = d[x]! & ~(1 << (intid & 31));
      d[x] = nv;
      if (nv === 0) {
        const s = d[o]! & ~(1 << w);
        d[o] = s;
        if (s === 0) d[og] = d[og]! & ~(1 << ol);
      }
    }
  }
  let tv: VcpuGic | null = null;
  if (want) {
    const p = g.cpus[t]!.pend;
    const gl = ng * 32 + nl;
    let k = p.data[2 + gl]!;
    if (k === 0) k = p.newSlot(gl);
    const d = p.data;
    const o = 66 + (k - 1) * (p.words + 1);
    const w = intid >>> 5;
    d[o + 1 + w] |= 1 << (intid & 31);
    d[o] |= 1 << w;
    d[ng] |= 1 << nl;
    b.inV[i] = t;
    b.inG[i] = ng;
    b.inL[i] = nl;
    if (t !== cur) tv = g.cpus[t]!;
  } else b.inV[i] = -1;
  // one call site for the common case (one vCPU concerned), so that V8 inlines refresh once:
  // the first of the old holder, the new target and `also`; the others, rare, after it
  const first = cv !== null ? cv : tv !== null ? tv : also;
  if (first === null) return;
  refresh(g, first);
  if ((tv !== null && tv !== first) || (also !== null && also !== first && also !== tv)) refreshOthers(g, first, tv, also);
}

/** The rest of {@link update}'s refreshes: `tv` and `also` unless already done. */
function refreshOthers(g: Vgic, done: VcpuGic, tv: VcpuGic | null, also: VcpuGic | null): void {
  if (tv !== null && tv !== done) refresh(g, tv);
  if (also !== null && also !== done && also !== tv) refresh(g, also);
}

/** Preemption level (0..31) of priority `prio` in group `grp` under the binary points. */
export function preemptLevel(c: CpuIf, grp: number, prio: number): number {
  let shift = grp === 0 || c.cbpr ? (c.bpr & 7) + 1 : c.abpr & 7;
  if (shift < 3) shift = 3;
  return ((prio & ((0xff << shift) & 0xff)) >>> 3) & 31;
}

/** Lowest active preemption level, or 32 when nothing is active. */
export function runningLevel(c: CpuIf): number {
  const a = c.ap0r[0]! | c.ap1r[0]!;
  return a === 0 ? 32 : 31 - Math.clz32(a & -a); // ctz, written out (a call less on the per-event path)
}

/** GICC_RPR / ICC_RPR_EL1. */
export function runningPriority(c: CpuIf): number {
  const l = runningLevel(c);
  return l === 32 ? 0xff : l << 3;
}

/** Whether group `grp`'s best candidate can be signalled now; returns its level or -1. */
function signallable(g: Vgic, v: VcpuGic, grp: number): number {
  const c = v.cpu;
  if (!g.enabled || (grp === 0 ? c.grpen0 : c.grpen1) === 0) return -1;
  return signallableLevel(v, grp, runningLevel(c));
}

/**
 * {@link signallable} past the distributor and group enables, with the running level `rl`
 * computed by the caller.
 */
function signallableLevel(v: VcpuGic, grp: number, rl: number): number {
  const c = v.cpu;
  let l = v.pend.topLevel(grp);
  const lp = v.lpi;
  if (grp === 1 && lp !== null && lp.levels !== 0) {
    const ll = lp.topLevel();
    if (l < 0 || ll < l) l = ll;
  }
  if (l < 0) return -1;
  const prio = l << 3;
  if (prio >= (c.pmr & 0xf8)) return -1;
  if (preemptLevel(c, grp, prio) >= rl) return -1;
  return l;
}

/** Sets the vCPU's IRQ and FIQ lines from its state (O(1)). */
export function refresh(g: Vgic, v: VcpuGic): void {
  let irq = 0;
  let fiq = 0;
  const c = v.cpu;
  if (g.enabled && (c.grpen0 | c.grpen1) !== 0) {
    const rl = runningLevel(c);
    if (c.grpen1 !== 0 && signallableLevel(v, 1, rl) >= 0) irq = 1;
    if (c.grpen0 !== 0 && signallableLevel(v, 0, rl) >= 0) {
      if (g.v3 || c.fiqen) fiq = 1;
      else irq = 1;
    }
  }
  v.vcpu.setLine(0, irq); // KVM_LINE_IRQ
  v.vcpu.setLine(1, fiq); // KVM_LINE_FIQ
}

/** Refreshes every vCPU (distributor enable changes only). */
export function refreshAll(g: Vgic): void {
  for (let i = 0; i < g.cpus.length; i++) refresh(g, g.cpus[i]!);
}

/**
 * The group (0/1) and level of the interrupt that IAR would take among `groups` (bit mask),
 * packed as `grp << 8 | level`, or -1.
 */
function best(g: Vgic, v: VcpuGic, groups: number): number {
  const l0 = groups & 1 ? signallable(g, v, 0) : -1;
  const l1 = groups & 2 ? signallable(g, v, 1) : -1;
  if (l0 < 0 && l1 < 0) return -1;
  if (l1 < 0 || (l0 >= 0 && l0 <= l1)) return l0;
  return 0x100 | l1;
}

/** HPPIR: the INTID of the highest pending interrupt that could be signalled (no side effects). */
export function highestPending(g: Vgic, v: VcpuGic, groups: number): number {
  const bl = best(g, v, groups);
  if (bl < 0) return 1023; // GIC_SPURIOUS
  const grp = bl >>> 8;
  const l = bl & 0xff;
  if (!fromBanks(v, grp, l)) return v.lpi!.first(l);
  const intid = v.pend.first(grp, l);
  if (g.v2 && intid < 16) {
    const s = v.priv.sources[intid]!;
    return s ? intid | (ctz(s) << 10) : intid;
  }
  return intid;
}

/**
 * Acknowledge (GICC_IAR/AIAR, ICC_IAR0/1_EL1): takes the highest signallable interrupt of
 * `groups`, makes it active, records its active priority. Returns INTID (| source << 10 for v2
 * SGIs) or 1023. With `ackCtlCheck` (GICC_IAR) a Group 1 winner with AckCtl 0 gives 1022.
 */
export function acknowledge(g: Vgic, v: VcpuGic, groups: number, ackCtlCheck: boolean): number {
  const bl = best(g, v, groups);
  if (bl < 0) return 1023; // GIC_SPURIOUS
  const grp = bl >>> 8;
  const l = bl & 0xff;
  if (ackCtlCheck && grp === 1 && !v.cpu.ackctl) return 1022; // GIC_SPURIOUS_OTHER_GROUP
  if (!fromBanks(v, grp, l)) return acknowledgeLpi(g, v, l);
  const intid = v.pend.first(grp, l);
  const b = intid < 32 ? v.priv : g.spis;
  const i = intid - b.base;
  let src = 0;
  if (g.v2 && intid < 16) {
    const s = b.sources[i]!;
    if (s) {
      src = ctz(s);
      b.sources[i] = s & ~(1 << src);
    }
    b.latch[i] = b.sources[i] !== 0 ? 1 : 0;
    b.activeSource[i] = src;
  } else b.latch[i] = 0;
  b.active[i] = 1;
  const pl = preemptLevel(v.cpu, grp, l << 3);
  if (grp === 0 && g.v3) v.cpu.ap0r[0] = (v.cpu.ap0r[0]! | (1 << pl)) >>> 0;
  else v.cpu.ap1r[0] = (v.cpu.ap1r[0]! | (1 << pl)) >>> 0;
  update(g, b, i, v);
  return intid | (src << 10);
}

/** Whether the winner at (grp, l) is an SGI/PPI/SPI (lower INTIDs win a tie with LPIs), not an LPI. */
function fromBanks(v: VcpuGic, grp: number, l: number): boolean {
  return ((v.pend.data[grp]! >>> l) & 1) === 1;
}

/**
 * Acknowledge of an LPI: the pending state goes (LPIs are edge-triggered and have no active
 * state: a virtual LPI's list register becomes invalid when it is acknowledged), the priority
 * becomes active until the EOI.
 */
function acknowledgeLpi(g: Vgic, v: VcpuGic, l: number): number {
  const intid = v.lpi!.first(l);
  const t = g.lpis!;
  t.latch[intid] = 0;
  const pl = preemptLevel(v.cpu, 1, l << 3);
  v.cpu.ap1r[0] = (v.cpu.ap1r[0]! | (1 << pl)) >>> 0;
  updateLpi(g, t, intid);
  refresh(g, v);
  return intid;
}

/**
 * Re-files LPI `intid` after any change of its state (property, pending, target, existence, the
 * target's GICR_CTLR.EnableLPIs) and updates the lines of the vCPUs concerned. An LPI is
 * deliverable when it exists, is enabled and pending, and targets a vCPU with LPIs enabled.
 */
export function updateLpi(g: Vgic, t: LpiState, intid: number): void {
  const tv = t.target[intid]!;
  const want =
    t.refs[intid] !== 0 && t.enabled[intid] === 1 && t.latch[intid] === 1 && tv >= 0 && tv < g.cpus.length && (g.cpus[tv]!.gicrCtlr & 1) === 1;
  const cur = t.inV[intid]!;
  let nl = 0;
  if (want) {
    nl = t.priority[intid]! >>> 3;
    if (cur === tv && t.inL[intid] === nl) return;
  } else if (cur < 0) return;
  if (cur >= 0) g.cpus[cur]!.lpi!.remove(t.inL[intid]!, intid);
  if (want) {
    const v = g.cpus[tv]!;
    (v.lpi ??= new LpiPendingSet()).add(nl, intid);
    t.inV[intid] = tv;
    t.inL[intid] = nl;
  } else t.inV[intid] = -1;
  if (cur >= 0) refresh(g, g.cpus[cur]!);
  if (want && tv !== cur) refresh(g, g.cpus[tv]!);
}

/** Priority drop (EOIR): clears the highest active priority; with EOImode 0 also deactivates `intid`. */
export function endOfInterrupt(g: Vgic, v: VcpuGic, intid: number): void {
  const c = v.cpu;
  const a = (c.ap0r[0]! | c.ap1r[0]!) >>> 0;
  if (a !== 0) {
    const m = ~(a & -a);
    c.ap0r[0] = (c.ap0r[0]! & m) >>> 0;
    c.ap1r[0] = (c.ap1r[0]! & m) >>> 0;
  }
  if (c.eoim) refresh(g, v);
  else deactivateAndRefresh(g, v, intid);
}

/** Deactivation (EOIR with EOImode 0, GICC_DIR, ICC_DIR_EL1). */
export function deactivate(g: Vgic, v: VcpuGic, intid: number): void {
  const b = g.bank(v, intid);
  if (b === null) return;
  const i = intid - b.base;
  if (b.active[i] === 0) return;
  b.active[i] = 0;
  update(g, b, i);
  ackedLevelSpi(g, b, i);
}

/** {@link deactivate}, then `v`'s lines are up to date (ICC_DIR_EL1, and EOIR after the priority drop). */
export function deactivateAndRefresh(g: Vgic, v: VcpuGic, intid: number): void {
  const b = g.bank(v, intid);
  if (b === null || b.active[intid - b.base] === 0) {
    refresh(g, v);
    return;
  }
  const i = intid - b.base;
  b.active[i] = 0;
  update(g, b, i, v);
  ackedLevelSpi(g, b, i);
}

/**
 * A level SPI's list register asked for an EOI maintenance interrupt: its ack notifiers run
 * (kvm_notify_acked_irq, the irqfd resamplers). What they change re-files and refreshes itself.
 */
function ackedLevelSpi(g: Vgic, b: IrqBank, i: number): void {
  if (b === g.spis && b.level[i] === 1) g.vm.notifyAckedIrq(0, i);
}

/** kvm_vgic_inject_irq after validation of the INTID: line level or edge latch. Returns 0. */
export function injectLine(g: Vgic, b: IrqBank, i: number, level: boolean): number {
  const l = level ? 1 : 0;
  if (b.level[i] === 1) {
    if (b.line[i] === l) return 0;
    b.line[i] = l;
  } else {
    if (!l) return 0;
    b.latch[i] = 1;
  }
  update(g, b, i);
  return 0;
}

/** GICD_SGIR write (v2): target list, all-but-self, self. */
export function sendSgiV2(g: Vgic, src: VcpuGic, val: number): void {
  const intid = val & 0xf;
  let targets = (val >>> 16) & 0xff;
  const mode = (val >>> 24) & 3;
  const n = g.cpus.length;
  const self = src.vcpu.id;
  if (mode === 1) targets = ((1 << n) - 1) & ~(1 << self);
  else if (mode === 2) targets = 1 << self;
  else if (mode === 3) return;
  targets &= 0xff;
  while (targets) {
    const c = ctz(targets);
    targets &= targets - 1;
    const v = g.cpus[c];
    if (v === undefined) continue;
    const b = v.priv;
    b.latch[intid] = 1;
    b.sources[intid] = (b.sources[intid]! | (1 << self)) & 0xff;
    update(g, b, intid);
  }
}

function queueSgiV3(g: Vgic, v: VcpuGic, intid: number, allowGroup1: boolean): void {
  const b = v.priv;
  if (b.group[intid] === 0 || allowGroup1) {
    b.latch[intid] = 1;
    update(g, b, intid);
  }
}

/**
 * ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 (`allowGroup1`) and ICC_SGI0R_EL1 writes (vgic_v3_dispatch_sgi),
 * with the 64-bit value as two halves.
 */
export function sendSgiV3(g: Vgic, src: VcpuGic, lo: number, hi: number, allowGroup1: boolean): void {
  const intid = (lo >>> 24) & 0xf;
  if ((hi >>> 8) & 1) {
    for (let c = 0; c < g.cpus.length; c++) {
      const v = g.cpus[c]!;
      if (v !== src) queueSgiV3(g, v, intid, allowGroup1);
    }
    return;
  }
  if ((hi >>> 16) & 0xff) return; // Aff3: KVM vCPUs have Aff3 = 0
  const aff1 = (lo >>> 16) & 0xff;
  const aff2 = hi & 0xff;
  const rs = (hi >>> 12) & 0xf;
  let list = lo & 0xffff;
  while (list) {
    const t = ctz(list);
    list &= list - 1;
    const v = g.byAff.get((aff2 << 16) | (aff1 << 8) | (rs * 16 + t));
    if (v !== undefined) queueSgiV3(g, v, intid, allowGroup1);
  }
}
