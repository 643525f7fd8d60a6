/**
 * The report: a markdown table (printed and written to results/latest.md) and the raw figures
 * as JSON (results/latest.json), with the machine they ran on.
 * @packageDocumentation
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, QUICK, fmtOps } from './harness.js';

/** What the figures ran on. */
export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  v8: string;
  platform: string;
  quick: boolean;
  date: string;
  totalSeconds?: number;
}

export function machine(): Machine {
  const c = cpus();
  return {
    nproc: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    quick: QUICK,
    date: new Date().toISOString(),
  };
}

function num(v: number | undefined, digits: number): string {
  return v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits);
}

function cell(s: string | undefined): string {
  return (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function realLabel(f: Figure): string {
  if (!f.real) return '';
  if (f.realPaired) return `${f.real} (paired, ${num(f.realNsPaired, 1)} ns)`;
  return f.realCount && f.realCount !== 1 ? `${f.realCount.toLocaleString('en')} x ${f.real}` : f.real;
}

/** The markdown table of every figure. */
export function markdownTable(figs: readonly Figure[]): string {
  const head = '| Group | Figure | ops/s | ns/op | Reference | Cost vs ref (x) | Real call | vs real (x) | B/call | GC/1M calls | Value | Target | Status | Note |';
  const sep = '|---|---|---:|---:|---|---:|---|---:|---:|---:|---|---|---|---|';
  const rows = figs.map(
    (f) =>
      `| ${cell(f.group)} | ${cell(f.name)} | ${fmtOps(f.opsPerSec)} | ${num(f.nsPerOp, 1)} | ${cell(f.ref ? (f.ratioPaired ? `${f.ref} (paired)` : f.ref) : undefined)} | ${num(f.ratio, 2)} | ${cell(realLabel(f))} | ${num(f.realRatio, 3)} | ${num(f.bytesPerCall, 1)} | ${num(f.gcPerMillion, 1)} | ${cell(f.value)} | ${cell(f.target)} | ${cell(f.status)} | ${cell(f.note)} |`,
  );
  return [head, sep, ...rows].join('\n');
}

/** The whole markdown report. */
export function markdownReport(figs: readonly Figure[], m: Machine): string {
  return [
    `# kvmdev benchmark results${m.quick ? ' (QUICK smoke run: fewer samples, smaller sizes)' : ''}`,
    '',
    `Machine: ${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node} (V8 ${m.v8}), ${m.platform}. Run at ${m.date}${m.totalSeconds ? `, ${m.totalSeconds.toFixed(1)} s total` : ''}.`,
    '',
    'Cost vs ref: this row\'s time per operation divided by its reference\'s (measured in the same run); below 1 is faster than the reference. (paired): the row was timed in alternation with its reference (sample, reference sample, and so on, 7 pairs) and the ratio is the median of the per-pair ratios.',
    'vs real: this row\'s time per operation divided by the matching real-kernel call\'s (c/kvmref.c); has_attr = KVM_HAS_DEVICE_ATTR on a KVM-VFIO fd, irq_line = KVM_IRQ_LINE on the x86 in-kernel irqchip, create_close = KVM_CREATE_DEVICE + close. (paired, N ns): timed in alternation with short runs of the real call (the median per-pair ratio; N = the real call\'s median in those runs); otherwise against the `real` rows measured at the start of the run.',
    'B/call and GC/1M calls: the allocation check (heapUsed growth over chunks without a GC, and GCs observed per million calls).',
    '',
    markdownTable(figs),
    '',
  ].join('\n');
}

const here = dirname(fileURLToPath(import.meta.url));
/** packages/bench/results */
export const RESULTS_DIR = join(here, '..', 'results');

/** Writes results/latest.md and results/latest.json. */
export function writeResults(figs: readonly Figure[], m: Machine): { md: string; json: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const md = join(RESULTS_DIR, 'latest.md');
  const json = join(RESULTS_DIR, 'latest.json');
  writeFileSync(md, markdownReport(figs, m));
  writeFileSync(json, `${JSON.stringify({ machine: m, figures: figs }, null, 2)}\n`);
  return { md, json };
}
