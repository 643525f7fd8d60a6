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
import { attrFigures } from './attr.js';
import { churnFigures } from './churn.js';
import { type Figure, hasGc, sinkValue, skipped, stopGcObserver } from './harness.js';
import { machine, markdownTable, writeResults } from './report.js';
import { roundtripFigures } from './roundtrip.js';
import { scaleFigures } from './scale.js';
import { stateFigures } from './state.js';
import { syscallFigures } from './syscall.js';

const MARK = '@@kvmdev-bench-figures@@';

const GROUPS: Record<string, (ctx: { ioctl: Figure | undefined }) => Promise<Figure[]> | Figure[]> = {
  syscall: () => syscallFigures(),
  attr: (c) => attrFigures(c.ioctl),
  roundtrip: () => roundtripFigures(),
  scale: () => scaleFigures(),
  state: () => stateFigures(),
  churn: () => churnFigures(),
};

async function runOne(group: string, ioctlJson: string | undefined): Promise<void> {
  const fn = GROUPS[group];
  if (!fn) throw new Error(`unknown group ${group}`);
  const ioctl = ioctlJson ? (JSON.parse(ioctlJson) as Figure) : undefined;
  let figs: Figure[];
  try {
    figs = await fn({ ioctl });
  } catch (e) {
    figs = [skipped(group, `${group} group`, `failed: ${(e as Error).stack?.split('\n').slice(0, 3).join(' ') ?? String(e)}`)];
  }
  stopGcObserver();
  process.stdout.write(`${MARK}${JSON.stringify(figs)}\n`);
  process.stderr.write(`(sink ${sinkValue()})\n`);
}

function spawnGroup(group: string, ioctl: Figure | undefined): Figure[] {
  const args = [...process.execArgv, process.argv[1]!, '--only', group];
  const env = { ...process.env, KVMDEV_BENCH_IOCTL: ioctl ? JSON.stringify(ioctl) : '' };
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const line = r.stdout.split('\n').find((l) => l.startsWith(MARK));
  process.stderr.write(`  ${group}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  if (!line) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ');
    return [skipped(group, `${group} group`, `the group's process failed: ${why}`)];
  }
  return JSON.parse(line.slice(MARK.length)) as Figure[];
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--only');
  if (i >= 0) {
    await runOne(process.argv[i + 1]!, process.env.KVMDEV_BENCH_IOCTL || undefined);
    return;
  }
  if (!hasGc()) process.stderr.write('warning: global.gc is not exposed (run with --expose-gc); memory figures are less exact\n');
  const t0 = Date.now();
  const m = machine();
  process.stderr.write(`kvmdev bench${m.quick ? ' (quick)' : ''}: ${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node}\n`);
  const figs: Figure[] = [];
  const sys = spawnGroup('syscall', undefined);
  figs.push(...sys);
  const ioctl = sys.find((f) => f.nsPerOp !== undefined);
  const only = process.env.KVMDEV_BENCH_GROUPS?.split(',').filter(Boolean);
  for (const g of Object.keys(GROUPS)) {
    if (g === 'syscall' || (only && !only.includes(g))) continue;
    figs.push(...spawnGroup(g, ioctl));
  }
  m.totalSeconds = (Date.now() - t0) / 1000;
  const { md, json } = writeResults(figs, m);
  process.stdout.write(`${markdownTable(figs)}\n\nwrote ${md}\nwrote ${json}\n(${m.totalSeconds.toFixed(1)} s)\n`);
}

await main();
