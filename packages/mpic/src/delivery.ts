/**
 * The MPIC's interrupt logic (the openpic core of arch/powerpc/kvm/mpic.c): per-CPU raised and
 * servicing queues with cached next/priority, edge and level sources, masking, CTPR, IACK and
 * EOI, IPIs, MSIs, the IVPR/IDR/ILR/GCR write rules, the reset, and the vCPU's INT output.
 *
 * Everything here is allocation-free: typed arrays, numbers, no closures.
 * @packageDocumentation
 */
import { KVM_LINE_EXTERNAL } from '@kvmdev/core';
import {
  IDR_RESET,
  IVPR_RESET,
  type MpicState,
  NUM_OUTPUTS,
  QSUM_RAISED,
  QSUM_SERVICING,
  QUEUE_WORDS,
  SPVE_RESET,
  refilePriorities,
} from './state.js';
import {
  FRR_NIRQ_SHIFT,
  GCR_RESET,
  IDR_CI0_SHIFT,
  IDR_EP,
  ILR_INTTGT_CINT,
  ILR_INTTGT_INT,
  ILR_INTTGT_MASK,
  IRQ_TYPE_FSLINT,
  IRQ_TYPE_NORMAL,
  IVPR_ACTIVITY_MASK,
  IVPR_MASK_MASK,
  IVPR_MODE_MASK,
  IVPR_POLARITY_MASK,
  IVPR_PRIORITY_MASK,
  IVPR_SENSE_MASK,
  MAX_CPU,
  MAX_IPI,
  MAX_IRQ,
  MAX_TMR,
  MPIC_IRQ_IPI0,
  MPIC_IRQ_MSI,
  MPIC_VECTOR_MASK,
  MSIIR_IBS_MASK,
  MSIIR_IBS_SHIFT,
  MSIIR_OFFSET,
  MSIIR_SRS_SHIFT,
  OPENPIC_FLAG_IDR_CRIT,
  OPENPIC_FLAG_ILR,
  TBCR_CI,
  TCCR_TOG,
  VID_REVISION_1_2,
} from './uapi.js';

const W = QUEUE_WORDS;

/** IVPR priority field of internal IRQ n. */
export function priorityOf(s: MpicState, n: number): number {
  return (s.ivpr[n] & IVPR_PRIORITY_MASK) >>> 16;
}

// ------------------------------------------------------------------ queues
//
// A queue is cpu's slice of a bitmap (`s.raised` / `s.servicing`) plus, at offset `q`
// (QSUM_RAISED / QSUM_SERVICING), its exact summary in `s.qsum` (non-empty words, priorities
// present) and its exact IRQ_check result in `s.qtop` (highest priority, lowest IRQ number on
// ties). The top is updated incrementally: an insert compares with it, removing a non-top IRQ
// leaves it, and removing the top (or changing a member's priority) finds the new one from the
// summary and `s.prioBits` (which IRQs have which priority) — one mask lookup plus at most one
// AND per non-empty word of that priority, instead of the kernel's scan of all 264 bits.

function qset(s: MpicState, bits: Uint32Array, q: number, cpu: number, n: number): void {
  const w = n >>> 5;
  const i = cpu * W + w;
  const b = 1 << (n & 31);
  const old = bits[i];
  if ((old & b) !== 0) return;
  bits[i] = old | b;
  const p = (s.ivpr[n] & IVPR_PRIORITY_MASK) >>> 16;
  const qsum = s.qsum;
  qsum[q + cpu] |= 1 << w;
  qsum[q + MAX_CPU + cpu] |= 1 << p;
  const top = s.qtop;
  const tp = top[q + MAX_CPU + cpu];
  if (p > tp || (p === tp && n < top[q + cpu])) {
    top[q + cpu] = n;
    top[q + MAX_CPU + cpu] = p;
  }
}

function qclr(s: MpicState, bits: Uint32Array, q: number, cpu: number, n: number): void {
  const w = n >>> 5;
  const i = cpu * W + w;
  const b = 1 << (n & 31);
  const old = bits[i];
  if ((old & b) === 0) return;
  const nv = old & ~b;
  bits[i] = nv;
  if (nv === 0) {
    const qsum = s.qsum;
    const words = qsum[q + cpu] & ~(1 << w);
    qsum[q + cpu] = words;
    if (words === 0) {
      // n was the last member: the queue is empty, so no priority is present and there is no top
      qsum[q + MAX_CPU + cpu] = 0;
      const top = s.qtop;
      top[q + cpu] = -1;
      top[q + MAX_CPU + cpu] = -1;
      return;
    }
  }
  const p = (s.ivpr[n] & IVPR_PRIORITY_MASK) >>> 16;
  if (!hasPriority(s, bits, q, cpu, p)) s.qsum[q + MAX_CPU + cpu] &= ~(1 << p);
  if (s.qtop[q + cpu] === n) findTop(s, bits, q, cpu);
}

/** Whether cpu's queue holds an IRQ whose IVPR priority is p (from the bitmaps, not the summary's priority mask). */
function hasPriority(s: MpicState, bits: Uint32Array, q: number, cpu: number, p: number): boolean {
  let wm = s.qsum[q + cpu] & s.prioWords[p];
  const base = cpu * W;
  const pb = p * W;
  while (wm !== 0) {
    const w = 31 - Math.clz32(wm & -wm);
    wm &= wm - 1;
    if ((bits[base + w] & s.prioBits[pb + w]) !== 0) return true;
  }
  return false;
}

/** Recomputes cpu's queue top from its summary: the kernel's IRQ_check scan. */
function findTop(s: MpicState, bits: Uint32Array, q: number, cpu: number): void {
  const top = s.qtop;
  const pm = s.qsum[q + MAX_CPU + cpu];
  if (pm !== 0) {
    const p = 31 - Math.clz32(pm);
    let wm = s.qsum[q + cpu] & s.prioWords[p];
    const base = cpu * W;
    const pb = p * W;
    while (wm !== 0) {
      const w = 31 - Math.clz32(wm & -wm);
      wm &= wm - 1;
      const x = bits[base + w] & s.prioBits[pb + w];
      if (x !== 0) {
        top[q + cpu] = (w << 5) | (31 - Math.clz32(x & -x));
        top[q + MAX_CPU + cpu] = p;
        return;
      }
    }
  }
  top[q + cpu] = -1;
  top[q + MAX_CPU + cpu] = -1;
}

/** IRQ n's IVPR priority changed from p0 to p1: moves it in `prioBits` and in the queues holding it. */
function movePriority(s: MpicState, n: number, p0: number, p1: number): void {
  const w = n >>> 5;
  const b = 1 << (n & 31);
  const i0 = p0 * W + w;
  const nv = s.prioBits[i0] & ~b;
  s.prioBits[i0] = nv;
  if (nv === 0) s.prioWords[p0] &= ~(1 << w);
  s.prioBits[p1 * W + w] |= b;
  s.prioWords[p1] |= 1 << w;
  for (let cpu = 0; cpu < MAX_CPU; cpu++) {
    const i = cpu * W + w;
    if ((s.raised[i] & b) !== 0) refile(s, s.raised, QSUM_RAISED, cpu, p0, p1);
    if ((s.servicing[i] & b) !== 0) refile(s, s.servicing, QSUM_SERVICING, cpu, p0, p1);
  }
}

function refile(s: MpicState, bits: Uint32Array, q: number, cpu: number, p0: number, p1: number): void {
  const k = q + MAX_CPU + cpu;
  s.qsum[k] |= 1 << p1;
  if (!hasPriority(s, bits, q, cpu, p0)) s.qsum[k] &= ~(1 << p0);
  findTop(s, bits, q, cpu);
}

/** Empties every queue (the reset's memset). */
function clearQueues(s: MpicState): void {
  s.raised.fill(0);
  s.servicing.fill(0);
  s.qsum.fill(0);
  s.qtop.fill(-1);
}

/** Whether IRQ n is in queue q of cpu. */
export function qtest(q: Uint32Array, cpu: number, n: number): boolean {
  return (q[cpu * W + (n >>> 5)] & (1 << (n & 31))) !== 0;
}

/** IRQ_check / IRQ_get_next on cpu's raised queue: refreshes the cache, returns next (-1 if empty). */
export function checkRaised(s: MpicState, cpu: number): number {
  const n = s.qtop[QSUM_RAISED + cpu];
  s.raisedNext[cpu] = n;
  s.raisedPrio[cpu] = s.qtop[QSUM_RAISED + MAX_CPU + cpu];
  return n;
}

/** The same for cpu's servicing queue. */
export function checkServicing(s: MpicState, cpu: number): number {
  const n = s.qtop[QSUM_SERVICING + cpu];
  s.servicingNext[cpu] = n;
  s.servicingPrio[cpu] = s.qtop[QSUM_SERVICING + MAX_CPU + cpu];
  return n;
}

// ------------------------------------------------------------------ outputs

/** mpic_irq_raise: INT raises the vCPU's external line; other outputs are a kernel TODO (nothing). */
function irqRaise(s: MpicState, cpu: number, output: number): void {
  const v = s.vcpus[cpu];
  if (v === null || output !== ILR_INTTGT_INT) return;
  v.setLine(KVM_LINE_EXTERNAL, 1);
}

/** mpic_irq_lower: kvmppc_core_dequeue_external for INT; nothing for other outputs. */
function irqLower(s: MpicState, cpu: number, output: number): void {
  const v = s.vcpus[cpu];
  if (v === null || output !== ILR_INTTGT_INT) return;
  v.setLine(KVM_LINE_EXTERNAL, 0);
}

// ------------------------------------------------------------------ the pipe

/** The same counting for a v4.2 output select that names no output (u32 counters, as the array's). */
function otherOutput(s: MpicState, cpu: number, out: number, activeIn: boolean, wasActive: boolean): void {
  const m = (s.outputsActiveOther ??= new Map<number, number>());
  const k = cpu * 256 + out;
  const c = m.get(k) ?? 0;
  if (activeIn) {
    if (wasActive) return;
    m.set(k, (c + 1) >>> 0);
    if (c === 0) irqRaise(s, cpu, out);
  } else if (wasActive) {
    const nv = (c - 1) >>> 0;
    m.set(k, nv);
    if (nv === 0) irqLower(s, cpu, out);
  }
}

function localPipe(s: MpicState, cpu: number, n: number, activeIn: boolean, wasActive: boolean): void {
  const out = s.output[n];
  if (out !== ILR_INTTGT_INT) {
    // critical / machine check: counted, not prioritised, not acknowledged
    if (out >= NUM_OUTPUTS) {
      otherOutput(s, cpu, out, activeIn, wasActive);
      return;
    }
    const k = cpu * NUM_OUTPUTS + out;
    const oa = s.outputsActive;
    if (activeIn) {
      if (!wasActive && oa[k]++ === 0) irqRaise(s, cpu, out);
    } else if (wasActive && --oa[k] === 0) irqLower(s, cpu, out);
    return;
  }
  const prio = (s.ivpr[n] & IVPR_PRIORITY_MASK) >>> 16;
  // raised even when too low for CTPR, in case CTPR drops later
  if (activeIn) qset(s, s.raised, QSUM_RAISED, cpu, n);
  else qclr(s, s.raised, QSUM_RAISED, cpu, n);
  checkRaised(s, cpu);
  const ctpr = s.ctpr[cpu];
  const active = activeIn && prio > ctpr;
  if (active) {
    if (checkServicing(s, cpu) >= 0 && prio <= s.servicingPrio[cpu]) return; // hidden by servicing
    irqRaise(s, cpu, ILR_INTTGT_INT);
  } else {
    checkServicing(s, cpu);
    const rp = s.raisedPrio[cpu];
    if (rp > ctpr && rp > s.servicingPrio[cpu]) return; // the line stays asserted
    irqLower(s, cpu, ILR_INTTGT_INT);
  }
}

/** openpic_update_irq: re-evaluates internal IRQ n after its registers or input changed. */
export function updateIrq(s: MpicState, n: number): void {
  let active = s.pending[n] !== 0;
  const ivpr = s.ivpr[n];
  if ((ivpr & IVPR_MASK_MASK) !== 0 && s.nomask[n] === 0) active = false;
  const wasActive = (ivpr & IVPR_ACTIVITY_MASK) !== 0;
  if (!active && !wasActive) return;
  s.ivpr[n] = active ? (ivpr | IVPR_ACTIVITY_MASK) >>> 0 : (ivpr & ~IVPR_ACTIVITY_MASK) >>> 0;
  const dm = s.destmask[n];
  if (dm === 0) return;
  const last = s.lastCpu[n];
  if (dm === (1 << last) >>> 0) {
    localPipe(s, last, n, active, wasActive);
  } else if ((s.ivpr[n] & IVPR_MODE_MASK) === 0) {
    // directed delivery (MODE is not writable, so this is the only multi-CPU case)
    const nb = s.nbCpus;
    for (let i = 0; i < nb; i++) if ((dm & (1 << i)) !== 0) localPipe(s, i, n, active, wasActive);
  } else {
    // distributed delivery: unreachable on the FSL models (MODE reads 0), kept for completeness
    const nb = s.nbCpus;
    for (let i = last + 1; i !== last; i++) {
      if (i >= nb) i = 0;
      if ((dm & (1 << i)) !== 0) {
        localPipe(s, i, n, active, wasActive);
        s.lastCpu[n] = i;
        break;
      }
      if (i === last) break;
    }
  }
}

/**
 * openpic_set_irq: drives internal IRQ n (IRQ_ACTIVE, routing, MSI, IPI). Level sources store
 * the level as given; edge sources latch 1 on a nonzero level and ignore 0. n >= 264 is ignored.
 */
export function setIrq(s: MpicState, n: number, level: number): void {
  if (n < 0 || n >= MAX_IRQ) return;
  if (s.level[n] !== 0) {
    s.pending[n] = level;
    updateIrq(s, n);
    return;
  }
  if (level !== 0) {
    s.pending[n] = 1;
    updateIrq(s, n);
  }
  if (s.output[n] !== ILR_INTTGT_INT) {
    // edges on a non-INT output are a pulse
    s.pending[n] = 0;
    updateIrq(s, n);
  }
}

// ------------------------------------------------------------------ register write rules

/** IVPR write: MSK, PRIORITY, SENSE, POLARITY, VECTOR are writable; A is kept; per-type fixups. */
export function writeIvpr(s: MpicState, n: number, val: number): void {
  const mask = IVPR_MASK_MASK | IVPR_PRIORITY_MASK | IVPR_SENSE_MASK | IVPR_POLARITY_MASK | MPIC_VECTOR_MASK;
  const old = s.ivpr[n];
  let v = (old & IVPR_ACTIVITY_MASK) | (val & mask);
  const t = s.type[n];
  if (t === IRQ_TYPE_NORMAL) s.level[n] = (v & IVPR_SENSE_MASK) !== 0 ? 1 : 0;
  else if (t === IRQ_TYPE_FSLINT) v &= ~IVPR_SENSE_MASK;
  else v &= ~(IVPR_POLARITY_MASK | IVPR_SENSE_MASK);
  s.ivpr[n] = v >>> 0;
  const p0 = (old & IVPR_PRIORITY_MASK) >>> 16;
  const p1 = (v & IVPR_PRIORITY_MASK) >>> 16;
  if (p0 !== p1) movePriority(s, n, p0, p1);
  updateIrq(s, n);
}

/**
 * IDR write. v2.0: IDR = val & (normal | crit | EP); a crit bit makes the output critical
 * (mask ignored, CPU i iff bit 30-i). v4.2: IDR = destmask = val & normal. No re-evaluation.
 */
export function writeIdr(s: MpicState, n: number, val: number): void {
  const nb = s.nbCpus;
  const normal = nb >= 32 ? 0xffffffff : ((1 << nb) >>> 0) - 1;
  if ((s.model.flags & OPENPIC_FLAG_IDR_CRIT) === 0) {
    const idr = (val & normal) >>> 0;
    s.idr[n] = idr;
    s.destmask[n] = idr;
    return;
  }
  // crit_shift = 31 - nb_cpus; a negative shift (32 CPUs) gives no crit bits (PPC slw semantics)
  const sh = IDR_CI0_SHIFT + 1 - nb;
  const crit = sh >= 0 ? (normal << sh) >>> 0 : 0;
  const idr = (val & (normal | crit | IDR_EP)) >>> 0;
  s.idr[n] = idr;
  if ((idr & crit) !== 0) {
    s.output[n] = ILR_INTTGT_CINT;
    s.nomask[n] = 1;
    let dm = 0;
    for (let i = 0; i < nb; i++) {
      const ci = IDR_CI0_SHIFT - i;
      if (ci >= 0 && (idr & (1 << ci)) !== 0) dm |= 1 << i;
    }
    s.destmask[n] = dm >>> 0;
  } else {
    s.output[n] = ILR_INTTGT_INT;
    s.nomask[n] = 0;
    s.destmask[n] = (idr & normal) >>> 0;
  }
}

/** ILR write: v4.2 stores the output select (val & 0xFF); v2.0 ignores it. */
export function writeIlr(s: MpicState, n: number, val: number): void {
  if ((s.model.flags & OPENPIC_FLAG_ILR) !== 0) s.output[n] = val & ILR_INTTGT_MASK;
}

/** ILR read: v4.2 the output select, v2.0 0xFFFFFFFF. */
export function readIlr(s: MpicState, n: number): number {
  return (s.model.flags & OPENPIC_FLAG_ILR) !== 0 ? s.output[n] : 0xffffffff;
}

/** GCR write: bit 31 resets the controller; otherwise only the model's mode bits change. */
export function writeGcr(s: MpicState, val: number): void {
  if ((val & GCR_RESET) !== 0) {
    mpicReset(s);
    return;
  }
  const mm = s.model.modeMask;
  s.gcr = ((s.gcr & ~mm) | (val & mm)) >>> 0;
}

/** FRR read: NIRQ | NCPU (computed in u32, so 0xFFFFFF00 with no CPUs) | VID. */
export function readFrr(s: MpicState): number {
  return (s.frr | ((s.nbCpus - 1) << 8)) >>> 0;
}

/** TBCR write: clears TCCR's TOG when TOG is set, the new CI is 0 and the old CI was 1. */
export function writeTbcr(s: MpicState, i: number, val: number): void {
  if ((s.tccr[i] & TCCR_TOG) !== 0 && (val & TBCR_CI) === 0 && (s.tbcr[i] & TBCR_CI) !== 0) {
    s.tccr[i] = (s.tccr[i] & ~TCCR_TOG) >>> 0;
  }
  s.tbcr[i] = val >>> 0;
}

/**
 * openpic_reset (at create and on GCR bit 31). The IDR is written through the IDR rules, so it
 * depends on nb_cpus. Pending flags, MSI bits, critical counters and vCPU lines are kept.
 */
export function mpicReset(s: MpicState): void {
  s.gcr = GCR_RESET;
  s.frr = (((s.model.nbIrqs - 1) << FRR_NIRQ_SHIFT) | VID_REVISION_1_2) >>> 0;
  s.pir = 0;
  s.spve = SPVE_RESET;
  s.tfrr = 0;
  for (let i = 0; i < MAX_IRQ; i++) {
    let v = IVPR_RESET;
    const t = s.type[i];
    if (t === IRQ_TYPE_NORMAL) s.level[i] = (IVPR_RESET & IVPR_SENSE_MASK) !== 0 ? 1 : 0;
    else if (t === IRQ_TYPE_FSLINT) v |= IVPR_POLARITY_MASK;
    s.ivpr[i] = v >>> 0;
  }
  // the IDR write rules give every IRQ the same IDR, destination mask (and on v2.0 output and
  // nomask): computed once, then copied
  writeIdr(s, 0, IDR_RESET);
  s.idr.fill(s.idr[0]);
  s.destmask.fill(s.destmask[0]);
  if ((s.model.flags & OPENPIC_FLAG_IDR_CRIT) !== 0) {
    s.output.fill(s.output[0]);
    s.nomask.fill(s.nomask[0]);
  }
  s.ctpr.fill(15);
  clearQueues(s);
  refilePriorities(s);
  // memset(0) then next = -1: the cached priority is 0 (not -1) until the next IRQ_check
  s.raisedNext.fill(-1);
  s.raisedPrio.fill(0);
  s.servicingNext.fill(-1);
  s.servicingPrio.fill(0);
  for (let i = 0; i < MAX_TMR; i++) {
    s.tccr[i] = 0;
    s.tbcr[i] = TBCR_CI;
  }
  s.gcr = 0;
}

// ------------------------------------------------------------------ per-CPU actions

/**
 * openpic_iack: lowers INT, takes the highest raised IRQ into servicing and returns its vector,
 * or SPVE. A "bad raised" IRQ (A clear or priority <= CTPR) is re-evaluated and gives SPVE; an
 * edge source is consumed either way (the edge is lost). IPIs re-pulse for the remaining CPUs.
 */
export function iack(s: MpicState, cpu: number): number {
  irqLower(s, cpu, ILR_INTTGT_INT);
  const irq = checkRaised(s, cpu);
  if (irq === -1) return s.spve;
  let ret: number;
  const ivpr = s.ivpr[irq];
  if ((ivpr & IVPR_ACTIVITY_MASK) === 0 || !(((ivpr & IVPR_PRIORITY_MASK) >>> 16) > s.ctpr[cpu])) {
    updateIrq(s, irq);
    ret = s.spve;
  } else {
    qset(s, s.servicing, QSUM_SERVICING, cpu, irq);
    ret = ivpr & MPIC_VECTOR_MASK;
  }
  if (s.level[irq] === 0) {
    s.ivpr[irq] = (s.ivpr[irq] & ~IVPR_ACTIVITY_MASK) >>> 0;
    s.pending[irq] = 0;
    qclr(s, s.raised, QSUM_RAISED, cpu, irq);
  }
  if (irq >= MPIC_IRQ_IPI0 && irq < MPIC_IRQ_IPI0 + MAX_IPI) {
    s.destmask[irq] = (s.destmask[irq] & ~(1 << cpu)) >>> 0;
    if (s.destmask[irq] !== 0 && s.level[irq] === 0) {
      // trigger on the CPUs that did not see it yet, then mark it active again
      setIrq(s, irq, 1);
      setIrq(s, irq, 0);
      s.ivpr[irq] = (s.ivpr[irq] | IVPR_ACTIVITY_MASK) >>> 0;
    }
  }
  return ret >>> 0;
}

/**
 * EOI: retires the highest IRQ in service; raises INT when the next raised IRQ beats what is
 * still in service (no CTPR check, as in the kernel). Returns the retired IRQ or -1.
 */
export function eoi(s: MpicState, cpu: number): number {
  const retired = checkServicing(s, cpu);
  if (retired < 0) return -1;
  qclr(s, s.servicing, QSUM_SERVICING, cpu, retired);
  const sIrq = checkServicing(s, cpu);
  const nIrq = checkRaised(s, cpu);
  if (nIrq !== -1 && (sIrq === -1 || priorityOf(s, nIrq) > s.servicingPrio[cpu])) {
    irqRaise(s, cpu, ILR_INTTGT_INT);
  }
  return retired;
}

/** CTPR write: compares against the cached raised/servicing priorities (possibly stale). */
export function writeCtpr(s: MpicState, cpu: number, val: number): void {
  const ctpr = val & 0xf;
  s.ctpr[cpu] = ctpr;
  if (s.raisedPrio[cpu] <= ctpr) irqLower(s, cpu, ILR_INTTGT_INT);
  else if (s.raisedPrio[cpu] > s.servicingPrio[cpu]) irqRaise(s, cpu, ILR_INTTGT_INT);
}

/** IPIDR k write: destmask |= val, then a pulse of IPI k. */
export function writeIpidr(s: MpicState, k: number, val: number): void {
  const n = MPIC_IRQ_IPI0 + k;
  s.destmask[n] = (s.destmask[n] | val) >>> 0;
  setIrq(s, n, 1);
  setIrq(s, n, 0);
}

/** MSI sub-region write (offset relative to 0x1600): only MSIIR does something. */
export function msiWrite(s: MpicState, off: number, val: number): number {
  if ((off & 0xf) !== 0) return 0;
  if (off === MSIIR_OFFSET) {
    const srs = val >>> MSIIR_SRS_SHIFT;
    const ibs = (val & MSIIR_IBS_MASK) >>> MSIIR_IBS_SHIFT;
    s.msir[srs] = (s.msir[srs] | (1 << ibs)) >>> 0;
    setIrq(s, MPIC_IRQ_MSI + srs, 1);
  }
  return 0;
}

/** Whether the vCPU's MPIC is in proxy (EPR) mode. */
export function proxyMode(s: MpicState): boolean {
  return s.isV42 && (s.gcr & s.model.modeMask) >>> 0 === s.model.modeMask;
}
