/**
 * The MPIC's state (`struct openpic`) as plain typed arrays and numbers, and its reset.
 * Internal IRQ numbering: 0..255 sources, 256..259 IPIs, 260..263 global timers.
 * @packageDocumentation
 */
import type { MmioRegion, Vcpu, Vm } from '@kvmdev/core/plugin';
import {
  IRQ_TYPE_FSLINT,
  IRQ_TYPE_FSLSPECIAL,
  IVPR_MASK_MASK,
  IVPR_PRIORITY_MASK,
  MAX_CPU,
  MAX_IRQ,
  MAX_MSI,
  MAX_SRC,
  MAX_TMR,
  MPIC_MAX_EXT,
  MPIC_MODEL_20,
  MPIC_MODEL_42,
  MPIC_VECTOR_MASK,
  type MpicModel,
} from './uapi.js';

/** u32 words of one IRQ queue bitmap (264 bits rounded up). */
export const QUEUE_WORDS = (MAX_IRQ + 31) >>> 5;
/** The MPIC outputs (ILR_INTTGT_INT, _CINT, _MCP). */
export const NUM_OUTPUTS = 3;
/** Number of IVPR priorities (the field is 4 bits). */
export const NUM_PRIORITIES = 16;
/** Offsets in {@link MpicState.qsum} of the raised and the servicing queue's summaries. */
export const QSUM_RAISED = 0;
export const QSUM_SERVICING = 2 * MAX_CPU;

/**
 * Where each typed array of an MPIC lives in its one ArrayBuffer (one allocation per device instead
 * of one per array: the views are cheap, the backing stores are not). Widest elements first, so
 * every view is aligned.
 */
const LAYOUT = (() => {
  let off = 0;
  const at = (bytes: number, n: number): number => {
    const o = off;
    off += bytes * n;
    return o;
  };
  return {
    ivpr: at(4, MAX_IRQ),
    idr: at(4, MAX_IRQ),
    destmask: at(4, MAX_IRQ),
    lastCpu: at(4, MAX_IRQ),
    output: at(4, MAX_IRQ),
    pending: at(4, MAX_IRQ),
    ctpr: at(4, MAX_CPU),
    raised: at(4, MAX_CPU * QUEUE_WORDS),
    raisedNext: at(4, MAX_CPU),
    raisedPrio: at(4, MAX_CPU),
    servicing: at(4, MAX_CPU * QUEUE_WORDS),
    servicingNext: at(4, MAX_CPU),
    servicingPrio: at(4, MAX_CPU),
    prioBits: at(4, NUM_PRIORITIES * QUEUE_WORDS),
    outputsActive: at(4, MAX_CPU * NUM_OUTPUTS),
    tccr: at(4, MAX_TMR),
    tbcr: at(4, MAX_TMR),
    msir: at(4, MAX_MSI),
    qsum: at(2, 4 * MAX_CPU),
    qtop: at(2, 4 * MAX_CPU),
    prioWords: at(2, NUM_PRIORITIES),
    type: at(1, MAX_IRQ),
    level: at(1, MAX_IRQ),
    nomask: at(1, MAX_IRQ),
    /** Evaluated last: the bytes of every view above. */
    total: off,
  };
})();

/**
 * One MPIC. Queues are bitmaps of `QUEUE_WORDS` u32 words per CPU, with the kernel's cached
 * `next` and `priority` (recomputed only where the kernel recomputes them: that staleness is
 * guest-visible, e.g. through a CTPR write after an IACK).
 */
export class MpicState {
  readonly model: MpicModel;
  readonly vm: Vm;
  // global registers
  frr = 0;
  gcr = 0;
  pir = 0;
  spve = 0;
  tfrr = 0;
  /** max(cpu)+1 over the connected vCPUs (0 when none). */
  nbCpus = 0;
  // sources (one entry per internal IRQ)
  readonly ivpr: Uint32Array;
  readonly idr: Uint32Array;
  readonly destmask: Uint32Array;
  readonly lastCpu: Int32Array;
  readonly output: Uint32Array;
  /** The `pending` int: 0/1 for edges, the raw level for level sources. */
  readonly pending: Int32Array;
  readonly type: Uint8Array;
  readonly level: Uint8Array;
  readonly nomask: Uint8Array;
  // destinations
  readonly vcpus: (Vcpu | null)[] = new Array<Vcpu | null>(MAX_CPU).fill(null);
  readonly ctpr: Int32Array;
  readonly raised: Uint32Array;
  readonly raisedNext: Int32Array;
  readonly raisedPrio: Int32Array;
  readonly servicing: Uint32Array;
  readonly servicingNext: Int32Array;
  readonly servicingPrio: Int32Array;
  /**
   * Exact summaries of the queues (unlike the cached next/priority above, always current), so
   * that the highest-priority member is found without scanning the 264 bits. For queue offset
   * `q` (QSUM_RAISED / QSUM_SERVICING): `qsum[q + cpu]` = the non-empty words of cpu's bitmap,
   * `qsum[q + MAX_CPU + cpu]` = the IVPR priorities of its members (bit p).
   */
  readonly qsum: Uint16Array;
  /**
   * The current (exact) result of IRQ_check for each queue, at the same offsets as `qsum`:
   * `qtop[q + cpu]` = next (-1 when empty), `qtop[q + MAX_CPU + cpu]` = its priority (-1 when
   * empty). The kernel's cached copies (raisedNext/Prio, servicingNext/Prio) are taken from it
   * exactly where the kernel runs IRQ_check.
   */
  readonly qtop: Int16Array;
  /** The internal IRQs whose IVPR priority is p: NUM_PRIORITIES bitmaps of QUEUE_WORDS words. */
  readonly prioBits: Uint32Array;
  /** The non-empty words of each `prioBits` bitmap. */
  readonly prioWords: Uint16Array;
  /**
   * Count of sources asserting each non-INT output, per CPU, for the three outputs that exist
   * (INT, CINT, MCP): index cpu·NUM_OUTPUTS + output. The v4.2 ILR output select is a whole byte;
   * the selects >= NUM_OUTPUTS name no output and are counted in {@link outputsActiveOther}.
   */
  readonly outputsActive: Uint32Array;
  /** Counters of output selects >= NUM_OUTPUTS (key cpu·256 + select), created on first use. */
  outputsActiveOther: Map<number, number> | null = null;
  // timers and MSIs
  readonly tccr: Uint32Array;
  readonly tbcr: Uint32Array;
  readonly msir: Uint32Array;
  // the window
  /** BASE_ADDR as two u32 halves (0 = unmapped). */
  baseLo = 0;
  baseHi = 0;
  /** The region on the VM's MMIO bus, or null while unmapped. */
  region: MmioRegion | null = null;

  constructor(type: 1 | 2, vm: Vm) {
    const buf = new ArrayBuffer(LAYOUT.total);
    this.ivpr = new Uint32Array(buf, LAYOUT.ivpr, MAX_IRQ);
    this.idr = new Uint32Array(buf, LAYOUT.idr, MAX_IRQ);
    this.destmask = new Uint32Array(buf, LAYOUT.destmask, MAX_IRQ);
    this.lastCpu = new Int32Array(buf, LAYOUT.lastCpu, MAX_IRQ);
    this.output = new Uint32Array(buf, LAYOUT.output, MAX_IRQ);
    this.pending = new Int32Array(buf, LAYOUT.pending, MAX_IRQ);
    this.type = new Uint8Array(buf, LAYOUT.type, MAX_IRQ);
    this.level = new Uint8Array(buf, LAYOUT.level, MAX_IRQ);
    this.nomask = new Uint8Array(buf, LAYOUT.nomask, MAX_IRQ);
    this.ctpr = new Int32Array(buf, LAYOUT.ctpr, MAX_CPU);
    this.raised = new Uint32Array(buf, LAYOUT.raised, MAX_CPU * QUEUE_WORDS);
    this.raisedNext = new Int32Array(buf, LAYOUT.raisedNext, MAX_CPU);
    this.raisedPrio = new Int32Array(buf, LAYOUT.raisedPrio, MAX_CPU);
    this.servicing = new Uint32Array(buf, LAYOUT.servicing, MAX_CPU * QUEUE_WORDS);
    this.servicingNext = new Int32Array(buf, LAYOUT.servicingNext, MAX_CPU);
    this.servicingPrio = new Int32Array(buf, LAYOUT.servicingPrio, MAX_CPU);
    this.qsum = new Uint16Array(buf, LAYOUT.qsum, 4 * MAX_CPU);
    this.qtop = new Int16Array(buf, LAYOUT.qtop, 4 * MAX_CPU);
    this.qtop.fill(-1);
    this.prioBits = new Uint32Array(buf, LAYOUT.prioBits, NUM_PRIORITIES * QUEUE_WORDS);
    this.prioWords = new Uint16Array(buf, LAYOUT.prioWords, NUM_PRIORITIES);
    this.outputsActive = new Uint32Array(buf, LAYOUT.outputsActive, MAX_CPU * NUM_OUTPUTS);
    this.tccr = new Uint32Array(buf, LAYOUT.tccr, MAX_TMR);
    this.tbcr = new Uint32Array(buf, LAYOUT.tbcr, MAX_TMR);
    this.msir = new Uint32Array(buf, LAYOUT.msir, MAX_MSI);
    this.model = type === 1 ? MPIC_MODEL_20 : MPIC_MODEL_42;
    this.vm = vm;
    // fsl_common_init: source types and the fixed trigger modes
    for (let i = 0; i < MPIC_MAX_EXT; i++) this.level[i] = 0;
    for (let i = 16; i < MAX_SRC; i++) {
      this.type[i] = IRQ_TYPE_FSLINT;
      this.level[i] = 1;
    }
    for (let i = MAX_SRC; i < MAX_IRQ; i++) {
      this.type[i] = IRQ_TYPE_FSLSPECIAL;
      this.level[i] = 0;
    }
    refilePriorities(this);
  }

  /** BASE_ADDR as a bigint (edge use only). */
  get base(): bigint {
    return (BigInt(this.baseHi >>> 0) << 32n) | BigInt(this.baseLo >>> 0);
  }

  /** Whether this is the v4.2 model. */
  get isV42(): boolean {
    return this.model.type === 2;
  }
}

/** Rebuilds `prioBits`/`prioWords` from the IVPRs (after a reset or at construction; the queues must be empty). */
export function refilePriorities(s: MpicState): void {
  s.prioBits.fill(0);
  s.prioWords.fill(0);
  for (let n = 0; n < MAX_IRQ; n++) {
    const p = (s.ivpr[n] & IVPR_PRIORITY_MASK) >>> 16;
    s.prioBits[p * QUEUE_WORDS + (n >>> 5)] |= 1 << (n & 31);
    s.prioWords[p] |= 1 << (n >>> 5);
  }
}

/** The reset value of every IVPR (masked), before the per-type fixups. */
export const IVPR_RESET = IVPR_MASK_MASK;
/** The IDR value the reset writes through the IDR rules (CPU 0). */
export const IDR_RESET = 1;
/** SPVE after reset (-1 & vector_mask). */
export const SPVE_RESET = MPIC_VECTOR_MASK;
