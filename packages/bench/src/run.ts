/**
 * `pnpm bench`: runs every figure group, each in its own Node process (so one group's JIT
 * feedback, heap and garbage do not leak into the next), prints the table and writes
 * results/latest.md and results/latest.json. `--only <group>` runs one group in this process
 * and prints its figures as JSON on a marker line (what the parent reads).
 *
 * KVMDEV_BENCH_QUICK=1: the ~20 s smoke run (fewer samples, smaller sizes).
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import { attrUnits } from './attr.js';
import { churnUnits } from './churn.js';
import { introspectUnits } from './introspect.js';
import { type Figure, hasGc, setRealSampler, sinkValue, skipped, stopGcObserver } from './harness.js';
import { machine, markdownTable, writeResults } from './report.js';
import { msiUnits } from './msi.js';
import { roundtripUnits } from './roundtrip.js';
import { scaleUnits } from './scale.js';
import { stateUnits } from './state.js';
import { KVMREF_ENV, REAL, type RealKey, kvmrefForPairing, realPartner, syscallFigures } from './syscall.js';

const MARK = '@@kvmdev-bench-figures@@';

/** Every unit, in report order. A unit runs in its own process; its id is `group:family`. */
const UNITS: Record<string, () => Promise<Figure[]> | Figure[]> = {
  syscall: () => syscallFigures(),
  ...attrUnits,
  ...roundtripUnits,
  ...msiUnits,
  ...scaleUnits,
  ...stateUnits,
  ...churnUnits,
  ...introspectUnits,
};

async function runOne(list: string): Promise<void> {
  const figs: Figure[] = [];
  setRealSampler(realPartner);
  for (const group of list.split(',')) {
    const fn = UNITS[group];
    if (!fn) throw new Error(`unknown unit ${group}`);
    try {
      figs.push(...(await fn()));
    } catch (e) {
      figs.push(skipped(group, `${group} group`, `failed: ${(e as Error).stack?.split('\n').slice(0, 3).join(' ') ?? String(e)}`));
    }
  }
  stopGcObserver();
  process.stdout.write(`${MARK}${JSON.stringify(figs)}\n`);
  process.stderr.write(`(sink ${sinkValue()})\n`);
}

function spawnGroup(group: string): Figure[] {
  const args = [...process.execArgv, process.argv[1]!, '--only', group];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const line = r.stdout.split('\n').find((l) => l.startsWith(MARK));
  process.stderr.write(`  ${group}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  if (!line) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ');
    return [skipped(group, `${group} group`, `the group's process failed: ${why}`)];
  }
  return JSON.parse(line.slice(MARK.length)) as Figure[];
}

/** Cross-unit references (resolved by name) and the ratios to the real kernel's calls. */
function link(figs: Figure[]): void {
  const byName = new Map(figs.map((f) => [f.name, f]));
  const real = new Map<string, Figure>();
  for (const k of Object.keys(REAL) as RealKey[]) {
    const r = byName.get(REAL[k]);
    if (r?.nsPerOp !== undefined) real.set(k, r);
  }
  for (const f of figs) {
    if (f.ref && f.ratio === undefined && f.nsPerOp !== undefined) {
      const r = byName.get(f.ref);
      if (r?.nsPerOp !== undefined) f.ratio = f.nsPerOp / r.nsPerOp;
    }
    if (!f.real || f.nsPerOp === undefined) continue;
    const r = real.get(f.real);
    if (r === undefined && !f.realPaired) {
      if (f.realMax !== undefined) {
        f.status = 'skipped';
        f.note = [f.note, `no real ${f.real} figure on this machine: the target is not checked`].filter(Boolean).join('; ');
      }
      continue;
    }
    // a figure timed in alternation with the real call keeps its paired ratio
    if (!f.realPaired && r !== undefined) f.realRatio = f.nsPerOp / ((f.realCount ?? 1) * r.nsPerOp!);
    if (f.realMax !== undefined) {
      const ok = f.realRatio !== undefined && f.realRatio <= f.realMax;
      f.status = f.status === 'NOT MET' || !ok ? 'NOT MET' : 'met';
    }
  }
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--only');
  if (i >= 0) {
    await runOne(process.argv[i + 1]!);
    return;
  }
  if (!hasGc()) process.stderr.write('warning: global.gc is not exposed (run with --expose-gc); memory figures are less exact\n');
  const t0 = Date.now();
  const m = machine();
  process.stderr.write(`kvmdev bench${m.quick ? ' (quick)' : ''}: ${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node}\n`);
  // every figure process times its ns-scale figures in alternation with the real call
  const kvmref = kvmrefForPairing();
  if (kvmref !== null) process.env[KVMREF_ENV] = kvmref;
  else process.stderr.write('  note: no C compiler or /dev/kvm: figures are not paired with the real calls\n');
  const figs: Figure[] = [];
  const only = process.env.KVMDEV_BENCH_GROUPS?.split(',').filter(Boolean);
  const selected = Object.keys(UNITS).filter((u) => u === 'syscall' || !only || only.includes(u.split(':')[0]!) || only.includes(u));
  if (m.quick) {
    // the smoke run trades per-family isolation for fewer process start-ups: one process per group
    const byGroup = new Map<string, string[]>();
    for (const u of selected) byGroup.set(u.split(':')[0]!, [...(byGroup.get(u.split(':')[0]!) ?? []), u]);
    for (const us of byGroup.values()) figs.push(...spawnGroup(us.join(',')));
  } else {
    for (const u of selected) figs.push(...spawnGroup(u));
  }
  link(figs);
  m.totalSeconds = (Date.now() - t0) / 1000;
  const { md, json } = writeResults(figs, m);
  process.stdout.write(`${markdownTable(figs)}\n\nwrote ${md}\nwrote ${json}\n(${m.totalSeconds.toFixed(1)} s)\n`);
}

await main();
