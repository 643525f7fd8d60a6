/**
 * The timing and allocation machinery shared by every figure group.
 *
 * ns-scale figures use a hand-rolled loop: each case is a `run(n)` function that performs the
 * operation `n` times in its own loop (so the harness adds one call per sample, not per
 * operation), calibrated to a sample length, warmed up, then sampled several times; the median
 * sample is reported. tinybench 6.2.4 is used for the ms-scale groups (state, churn) where its
 * per-iteration overhead (a clock read and a promise check per call, ~100 ns) is negligible.
 * @packageDocumentation
 */
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks';

/** Whether this is the ~20 s smoke run. */
export const QUICK = process.env.KVMDEV_BENCH_QUICK === '1';

/** One measured row of the report. */
export interface Figure {
  /** Figure group (real, attr, roundtrip, scale, state, churn, memory). */
  group: string;
  /** What was measured. */
  name: string;
  /** Operations per second (undefined for skipped rows and pure memory rows). */
  opsPerSec?: number;
  /** Nanoseconds per operation. */
  nsPerOp?: number;
  /** Name of the reference figure measured in the same run, if any. */
  ref?: string;
  /** This figure's cost (time per op) divided by the reference's: < 1 is faster than the reference. */
  ratio?: number;
  /** Heap bytes allocated per call (hot-path allocation check). */
  bytesPerCall?: number;
  /** Garbage collections per million calls. */
  gcPerMillion?: number;
  /** Free-form value for rows that are not rates (e.g. bytes per VM). */
  value?: string;
  /** The target this row is checked against, in words. */
  target?: string;
  /** 'met' | 'NOT MET' | 'n/a' | 'skipped'. */
  status?: string;
  /** A note (why skipped, what the reference is, etc.). */
  note?: string;
  /**
   * The real-kernel call this row is compared with (`syscall.ts`: has_attr, irq_line,
   * create_close, fionread); the runner sets `realRatio` from the real row of the same run.
   */
  real?: RealCall;
  /** `realRatio` is the median ratio of samples taken in alternation with the real call (this process ran the C program). */
  realPaired?: boolean;
  /** The real call's median ns per call over those paired samples. */
  realNsPaired?: number;
  /** `ratio` is the median ratio of samples taken in alternation with the reference's case (same process). */
  ratioPaired?: boolean;
  /** The reference's median ns per op over those paired samples. */
  refNsPaired?: number;
  /** How many real calls one operation of this row stands for (default 1; a snapshot: its entries). */
  realCount?: number;
  /** This row's time per op divided by `realCount` real calls' time (below 1 = cheaper than the kernel). */
  realRatio?: number;
  /** A target on `realRatio` (the row must cost at most this many real calls); the runner judges it. */
  realMax?: number;
}

/** A case: performs the operation `n` times. */
export type RunFn = (n: number) => void;

const SAMPLE_MS = QUICK ? 4 : 20;
const SAMPLES = QUICK ? 3 : 7;
const WARM_MS = QUICK ? 25 : 150;

let sink = 0;
/** Keeps a value alive so the optimiser cannot drop the work that produced it. */
export function consume(v: number | bigint | null | boolean | undefined): void {
  if (typeof v === 'number') sink = (sink + v) | 0;
  else if (v) sink ^= 1;
}
/** The sink's value (printed at the end so nothing is dead code). */
export function sinkValue(): number {
  return sink;
}

/** Warms `run` up (by time, then until the JIT has settled) and returns the `n` of one sample. */
function calibrate(run: RunFn): number {
  // warm-up: grow n until the warm-up budget is spent (cold code can be 10-50x slower), then
  // keep warming while the per-op time still improves by more than 10% per round (tier-up)
  let n = 16;
  let spent = 0;
  let last = 0;
  while (spent < WARM_MS) {
    const t0 = performance.now();
    run(n);
    last = performance.now() - t0;
    spent += last;
    if (last < SAMPLE_MS / 8 && n < 1 << 28) n *= 2;
  }
  let prev = (last * 1e6) / n;
  for (let round = 0; round < 6; round++) {
    const t0 = performance.now();
    run(n);
    const cur = ((performance.now() - t0) * 1e6) / n;
    if (cur > prev * 0.9) break;
    prev = cur;
  }
  // calibrate on warm code
  const t0 = performance.now();
  run(n);
  last = performance.now() - t0;
  return Math.max(1, Math.ceil((n * SAMPLE_MS) / Math.max(last, 0.001)));
}

/** One sample: `run(n)`, in ns per operation. */
function sampleNs(run: RunFn, n: number): number {
  const t0 = performance.now();
  run(n);
  return ((performance.now() - t0) * 1e6) / n;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Nanoseconds per operation: warmed up by time (so the JIT has settled), calibrated, median of several samples. */
export function timeNs(run: RunFn): number {
  const n = calibrate(run);
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) samples.push(sampleNs(run, n));
  return median(samples);
}

/** One sample of a partner measured alternately with a figure: ns per operation. */
export type PartnerSampler = () => number;

/** A model case as a partner: calibrated once, then one sample per call. */
export function modelPartner(run: RunFn): PartnerSampler {
  let n = 0;
  return () => {
    if (n === 0) n = calibrate(run);
    return sampleNs(run, n);
  };
}

/**
 * A figure timed in alternation with partners: sample of the figure, one sample of each partner,
 * and so on, `SAMPLES` times. Returns the figure's median ns/op, and for each partner its median
 * ns/op and the median of the per-pair ratios (figure / partner): a slow phase of a shared
 * machine slows both halves of a pair, so the ratio holds where two figures measured seconds
 * apart would not.
 */
export function timePaired(run: RunFn, partners: readonly PartnerSampler[]): { ns: number; partners: { ns: number; ratio: number }[] } {
  const n = calibrate(run);
  for (const p of partners) p(); // warm and calibrate the partners before the first pair
  const own: number[] = [];
  const theirs: number[][] = partners.map(() => []);
  const ratios: number[][] = partners.map(() => []);
  for (let i = 0; i < SAMPLES; i++) {
    const x = sampleNs(run, n);
    own.push(x);
    partners.forEach((p, k) => {
      const y = p();
      theirs[k]!.push(y);
      ratios[k]!.push(x / y);
    });
  }
  return { ns: median(own), partners: partners.map((_, k) => ({ ns: median(theirs[k]!), ratio: median(ratios[k]!) })) };
}

// ------------------------------------------------------------------ GC counting

let gcCount = 0;
const FORCED = perfConstants.NODE_PERFORMANCE_GC_FLAGS_FORCED;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const flags = (e as { detail?: { flags?: number } }).detail?.flags ?? 0;
    if ((flags & FORCED) === 0) gcCount++;
  }
});
obs.observe({ entryTypes: ['gc'] });

/** Lets queued PerformanceObserver entries arrive. */
export async function flush(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setImmediate(r));
}

/** Forces a full GC (the bench runs with --expose-gc). */
export function forceGc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/** Whether `global.gc` is available. */
export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** The observer only reports GCs when a queued entry is delivered: stop it at the end. */
export function stopGcObserver(): void {
  obs.disconnect();
}

/**
 * Allocation check: heap bytes per call and GCs per million calls. The calls run in chunks;
 * a chunk whose heapUsed went down (a scavenge ran inside it) is discarded, so the sum of the
 * remaining chunks' growth divided by their calls is the allocation rate. The harness's own
 * cost (one memoryUsage() call per chunk) is measured with an empty chunk and subtracted.
 */
export async function allocCheck(run: RunFn, calls = QUICK ? 100_000 : 1_000_000): Promise<{ bytesPerCall: number; gcPerMillion: number }> {
  const chunk = 5000;
  const chunks = Math.max(1, Math.floor(calls / chunk));
  const empty = (): void => {};
  const measure = (fn: RunFn, k: number): number => {
    let grown = 0;
    let used = 0;
    for (let c = 0; c < chunks; c++) {
      const h0 = process.memoryUsage().heapUsed;
      fn(k);
      const h1 = process.memoryUsage().heapUsed;
      if (h1 >= h0) {
        grown += h1 - h0;
        used++;
      }
    }
    return used === 0 ? Number.NaN : grown / used;
  };
  run(chunk); // warm
  forceGc();
  const base = measure(empty as RunFn, 0);
  forceGc();
  await flush();
  const g0 = gcCount;
  const perChunk = measure(run, chunk);
  await flush();
  const gcs = gcCount - g0;
  const bytes = Math.max(0, (perChunk - base) / chunk);
  return { bytesPerCall: bytes, gcPerMillion: (gcs * 1e6) / (chunks * chunk) };
}

/** Formats a number of operations per second. */
export function fmtOps(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(1);
}

/** Builds a rate figure from ns/op. */
export function rate(group: string, name: string, ns: number, extra: Partial<Figure> = {}): Figure {
  return { group, name, nsPerOp: ns, opsPerSec: 1e9 / ns, ...extra };
}

/**
 * Sets `ratio` of `f` against `ref` (cost ratio) and names the reference. A reference measured
 * in another process (no nsPerOp here) is resolved by name by the runner.
 */
export function against(f: Figure, ref: Pick<Figure, 'name' | 'nsPerOp'>): Figure {
  if (f.ratioPaired) return f; // measured in alternation with its reference: keep that ratio
  if (f.nsPerOp !== undefined && ref.nsPerOp !== undefined) f.ratio = f.nsPerOp / ref.nsPerOp;
  f.ref = ref.name;
  return f;
}

/** A row for something that could not be measured. */
export function skipped(group: string, name: string, note: string, target?: string): Figure {
  return { group, name, status: 'skipped', note, ...(target ? { target } : {}) };
}

/** What a measured figure is timed in alternation with (see {@link timePaired}). */
export interface PairWith {
  /** The reference figure's case (same process): `ratio` becomes the median per-pair ratio. */
  ref?: { name: string; run: RunFn };
  /** The real-kernel call: `realRatio` becomes the median per-pair ratio (when the C program runs here). */
  real?: RealCall;
}

/** The real-kernel calls a model figure can be compared with. */
export type RealCall = 'fionread' | 'has_attr' | 'irq_line' | 'create_close';

/** The real call's paired sampler, when the runner handed this process the C program (else null). */
let realSampler: ((key: RealCall) => PartnerSampler | null) | null = null;
/** Installs the paired real-call sampler (syscall.ts, in every figure process the runner starts). */
export function setRealSampler(fn: (key: RealCall) => PartnerSampler | null): void {
  realSampler = fn;
}

/**
 * Measures a case: time, then the allocation check. With `pair`, the case is timed in
 * alternation with its reference and/or the real call ({@link timePaired}) and the figure
 * carries the paired ratios (`ratioPaired`, `realPaired`).
 */
export async function measure(group: string, name: string, run: RunFn, extra: Partial<Figure> = {}, allocCalls?: number, pair: PairWith = {}): Promise<Figure> {
  const partners: PartnerSampler[] = [];
  const refSampler = pair.ref ? modelPartner(pair.ref.run) : null;
  if (refSampler) partners.push(refSampler);
  const real = pair.real && realSampler ? realSampler(pair.real) : null;
  if (real) partners.push(real);
  const fig: Partial<Figure> = {};
  let ns: number;
  if (partners.length === 0) ns = timeNs(run);
  else {
    const r = timePaired(run, partners);
    ns = r.ns;
    let k = 0;
    if (refSampler && pair.ref) {
      const p = r.partners[k++]!;
      Object.assign(fig, { ref: pair.ref.name, ratio: p.ratio, ratioPaired: true, refNsPaired: p.ns });
    }
    if (real && pair.real) {
      const p = r.partners[k++]!;
      Object.assign(fig, { real: pair.real, realRatio: p.ratio, realPaired: true, realNsPaired: p.ns });
    }
  }
  if (pair.real && !real) fig.real = pair.real;
  const a = await allocCheck(run, allocCalls);
  return rate(group, name, ns, { bytesPerCall: a.bytesPerCall, gcPerMillion: a.gcPerMillion, ...fig, ...extra });
}

/** Marks a figure against a boolean target. */
export function judge(f: Figure, target: string, ok: boolean | undefined): Figure {
  f.target = target;
  f.status = ok === undefined ? 'n/a' : ok ? 'met' : 'NOT MET';
  return f;
}
