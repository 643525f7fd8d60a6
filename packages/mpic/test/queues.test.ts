/**
 * The queue summaries (qsum, qtop, prioBits) that replace the kernel's IRQ_check scan: after
 * every operation of a random sequence — priority changes of queued IRQs, CTPR, IACK, EOI,
 * IPIs, GCR resets included — they must equal what a full scan of the bitmaps gives, so every
 * checkRaised / checkServicing returns (and caches) exactly what the kernel's scan would.
 */
import fc from 'fast-check';
import {
  MAX_CPU,
  MAX_IRQ,
  MPIC_CTPR,
  MPIC_EOI,
  MPIC_GCR,
  MPIC_IACK,
  MPIC_IPIDR0,
  MPIC_IPI_IVPR0,
  QUEUE_WORDS,
  checkRaised,
  checkServicing,
  mpicCpuReg,
  mpicIdr,
  mpicIvpr,
  type MpicState,
} from '../src/internal.js';
import { MODELS, setupS1 } from './helpers.js';

const seed = process.env.KVMDEV_FC_SEED ? Number(process.env.KVMDEV_FC_SEED) : (Date.now() ^ 0x5eed) >>> 0;
const numRuns = Number(process.env.KVMDEV_FC_RUNS ?? 30);
const NCPU = 3;

/** The kernel's IRQ_check: highest priority, lowest IRQ number on ties; [-1, -1] when empty. */
function refScan(s: MpicState, q: Uint32Array, cpu: number): [number, number] {
  let next = -1;
  let prio = -1;
  for (let n = 0; n < MAX_IRQ; n++) {
    if ((q[cpu * QUEUE_WORDS + (n >>> 5)] & (1 << (n & 31))) === 0) continue;
    const p = (s.ivpr[n] >>> 16) & 0xf;
    if (p > prio) {
      prio = p;
      next = n;
    }
  }
  return [next, prio];
}

function checkSummaries(s: MpicState, what: string, cpus = MAX_CPU): void {
  for (let p = 0; p < 16; p++) {
    let words = 0;
    for (let w = 0; w < QUEUE_WORDS; w++) {
      let want = 0;
      for (let b = 0; b < 32; b++) {
        const n = w * 32 + b;
        if (n < MAX_IRQ && ((s.ivpr[n] >>> 16) & 0xf) === p) want |= 1 << b;
      }
      if (s.prioBits[p * QUEUE_WORDS + w] !== want >>> 0) throw new Error(`${what}: prioBits[${p}][${w}]`);
      if (want !== 0) words |= 1 << w;
    }
    if (s.prioWords[p] !== words) throw new Error(`${what}: prioWords[${p}]`);
  }
  const queues: [Uint32Array, number][] = [
    [s.raised, 0],
    [s.servicing, 2 * MAX_CPU],
  ];
  for (const [bits, q] of queues) {
    for (let cpu = 0; cpu < cpus; cpu++) {
      let words = 0;
      let prios = 0;
      for (let n = 0; n < MAX_IRQ; n++) {
        if ((bits[cpu * QUEUE_WORDS + (n >>> 5)] & (1 << (n & 31))) === 0) continue;
        words |= 1 << (n >>> 5);
        prios |= 1 << ((s.ivpr[n] >>> 16) & 0xf);
      }
      const [next, prio] = refScan(s, bits, cpu);
      const got = [s.qsum[q + cpu], s.qsum[q + MAX_CPU + cpu], s.qtop[q + cpu], s.qtop[q + MAX_CPU + cpu]];
      const want = [words, prios, next, prio];
      if (got.join() !== want.join()) throw new Error(`${what}: queue ${q} cpu ${cpu}: ${got} != ${want}`);
    }
  }
}

type Op =
  | { k: 'ivpr'; n: number; v: number }
  | { k: 'active'; n: number; v: 0 | 1 }
  | { k: 'idr'; n: number; v: number }
  | { k: 'iack'; cpu: number }
  | { k: 'eoi'; cpu: number }
  | { k: 'ctpr'; cpu: number; v: number }
  | { k: 'ipi'; from: number; ipi: number; mask: number }
  | { k: 'reset' };

const srcArb = fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 7 }) }, fc.constantFrom(16, 17, 31, 32, 33, 63, 64, 200, 224, 255));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc
      .record({
        n: fc.oneof(srcArb, fc.integer({ min: 256, max: 259 })),
        mask: fc.constantFrom(false, false, false, true),
        level: fc.boolean(),
        prio: fc.nat({ max: 15 }),
        vec: fc.nat({ max: 0xffff }),
      })
      .map(({ n, mask, level, prio, vec }) => ({
        k: 'ivpr' as const,
        n,
        v: ((mask ? 0x80000000 : 0) | (level ? 0x400000 : 0) | (prio << 16) | vec) >>> 0,
      })) },
  { weight: 12, arbitrary: fc.record({ k: fc.constant('active' as const), n: srcArb, v: fc.constantFrom(0, 1, 1) as fc.Arbitrary<0 | 1> }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('idr' as const), n: srcArb, v: fc.nat() }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('iack' as const), cpu: fc.nat({ max: NCPU - 1 }) }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('eoi' as const), cpu: fc.nat({ max: NCPU - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('ctpr' as const), cpu: fc.nat({ max: NCPU - 1 }), v: fc.nat({ max: 15 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('ipi' as const), from: fc.nat({ max: NCPU - 1 }), ipi: fc.nat({ max: 3 }), mask: fc.nat({ max: 0xffffffff }) }),
  },
  { weight: 1, arbitrary: fc.constant({ k: 'reset' as const }) },
);

describe.each(MODELS)('%s queue summaries', (key) => {
  test(`equal a full scan after every operation (seed ${seed})`, () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 40, maxLength: 200, size: 'max' }), (ops) => {
        const t = setupS1(key, NCPU);
        const s = t.state;
        checkSummaries(s, 'setup');
        for (const op of ops) {
          switch (op.k) {
            case 'ivpr':
              t.setReg(op.n >= 256 ? MPIC_IPI_IVPR0 + 0x10 * (op.n - 256) : mpicIvpr(op.n), op.v >>> 0);
              break;
            case 'active':
              t.setActive(op.n, op.v);
              break;
            case 'idr':
              t.setReg(mpicIdr(op.n), op.v >>> 0);
              break;
            case 'iack':
              t.gr(op.cpu, mpicCpuReg(op.cpu, MPIC_IACK));
              break;
            case 'eoi':
              t.gw(op.cpu, MPIC_EOI, 0);
              break;
            case 'ctpr':
              t.gw(op.cpu, MPIC_CTPR, op.v);
              break;
            case 'ipi':
              t.gw(op.from, MPIC_IPIDR0 + 0x10 * op.ipi, op.mask >>> 0);
              break;
            case 'reset':
              t.setReg(MPIC_GCR, 0x80000000);
              break;
          }
          // only the connected CPUs receive (IPIs and directed delivery stop at nb_cpus)
          checkSummaries(s, JSON.stringify(op), NCPU);
        }
        checkSummaries(s, 'end');
        // and what IRQ_check caches is the scan's result
        for (let cpu = 0; cpu < MAX_CPU; cpu++) {
          expect([checkRaised(s, cpu), s.raisedPrio[cpu]]).toEqual(refScan(s, s.raised, cpu));
          expect([checkServicing(s, cpu), s.servicingPrio[cpu]]).toEqual(refScan(s, s.servicing, cpu));
        }
      }),
      { seed, numRuns },
    );
  });
});
