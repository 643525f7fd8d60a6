/**
 * `pnpm oracle`: re-records every kernel target this machine can run, compares the model with
 * each, and prints per target: kernel version, scenarios, calls, agree, differ, deliberate.
 *
 *   pnpm oracle                    re-record every available target, write recordings, compare
 *   pnpm oracle --target host      only that target (repeatable)
 *   pnpm oracle --check            CI: record live but write nothing; fail on a new difference,
 *                                  on a recording that no longer matches the kernel, or on a
 *                                  vocabulary value the target's headers disagree with
 *   pnpm oracle --offline          compare the checked-in recordings with the model (no kernel)
 *   pnpm oracle --list             also print every differing step (known bugs included)
 *   pnpm oracle --groups           print the differences grouped by statement and answers
 *   pnpm oracle --prune            drop known-bug entries that no longer match any difference
 *
 * Exit status 1 when a difference is not explained by the divergence lists (or, with --check,
 * on drift); a target that cannot run here is reported and skipped, not failed.
 * @packageDocumentation
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Divergence,
  type Recording,
  type ScenarioComparison,
  type TargetSummary,
  compareWithRecording,
  formatDifferenceGroups,
  formatDifferences,
  formatSummary,
  recordedSteps,
  runOnModel,
  summarize,
} from '../src/index.js';
import { recordTarget, targetUnavailable } from '../src/runner/index.js';
import {
  DIVERGENCES,
  type SuiteScenario,
  loadDivergences,
  loadRecordings,
  loadScenarios,
  runsOn,
  writeRecordings,
} from '../suite/files.js';
import { MODELS, TARGET_ORDER } from '../suite/models.js';

const argv = process.argv.slice(2);
const flag = (f: string): boolean => argv.includes(f);
const targetsWanted = argv.flatMap((a, i) =>
  a === '--target' && argv[i + 1] ? [argv[i + 1]!] : [],
);
const check = flag('--check');
const offline = flag('--offline');
const log = (m: string): void => console.log(`  · ${m}`);

function compareAll(
  target: string,
  recs: readonly Recording[],
  scenarios: readonly SuiteScenario[],
  divs: readonly Divergence[],
): ScenarioComparison[] {
  const model = MODELS[target]!;
  return recs.flatMap((r) => {
    const s = scenarios.find((x) => x.path === r.scenario);
    if (s === undefined) return [];
    return [compareWithRecording(runOnModel(s.parsed, model), r, s.source, divs)];
  });
}

/** Steps where a fresh kernel run disagrees with the checked-in recording. */
function drift(live: readonly Recording[], old: readonly Recording[]): string[] {
  const out: string[] = [];
  for (const r of live) {
    const o = old.find((x) => x.scenario === r.scenario);
    if (o === undefined) {
      out.push(`${r.scenario}: no checked-in recording`);
      continue;
    }
    if (o.sha256 !== r.sha256) {
      out.push(`${r.scenario}: the checked-in recording is for another version of the scenario`);
      continue;
    }
    const before = new Map(recordedSteps(o).map((s) => [s.key, s.text]));
    for (const s of recordedSteps(r))
      if (before.get(s.key) !== s.text)
        out.push(
          `${r.scenario} ${s.key}: recorded ${before.get(s.key) ?? '(no step)'}, kernel now ${s.text}`,
        );
  }
  return out;
}

async function main(): Promise<number> {
  const scenarios = loadScenarios();
  const divs = loadDivergences();
  const rows: TargetSummary[] = [];
  const apart: TargetSummary[] = [];
  const all: ScenarioComparison[] = [];
  let failed = false;
  for (const { name, apart: isApart } of TARGET_ORDER) {
    if (targetsWanted.length && !targetsWanted.includes(name)) continue;
    const mine = scenarios.filter((s) => runsOn(s, name));
    if (mine.length === 0) continue;
    console.log(`\n${name}: ${mine.length} scenario(s)`);
    let recs: Recording[];
    if (offline) {
      recs = loadRecordings(name);
      if (recs.length === 0) {
        console.log('  no recordings');
        continue;
      }
    } else {
      const why = targetUnavailable(name);
      if (why) {
        console.log(`  SKIPPED: cannot run ${name} here: ${why}`);
        continue;
      }
      const run = await recordTarget(
        name,
        mine.map((s) => ({ path: s.path, source: s.source })),
        log,
      );
      console.log(`  kernel ${run.kernel.release} (${run.machine}), ${run.seconds.toFixed(1)} s`);
      for (const p of run.problems) console.log(`  PROBLEM: ${p}`);
      for (const m of run.mismatches)
        console.log(
          `  VOCABULARY: ${m.name} is ${m.headers} in the target's headers, ${m.language} in the language`,
        );
      for (const o of run.output.other.filter((l) => /WARNING|BUG|Oops|Call trace/i.test(l)))
        console.log(`  KERNEL: ${o}`);
      if (run.mismatches.length || run.problems.length) failed = true;
      recs = [...run.recordings];
      if (check) {
        const d = drift(recs, loadRecordings(name));
        for (const x of d.slice(0, 50)) console.log(`  DRIFT: ${x}`);
        if (d.length) {
          console.log(
            `  ${d.length} step(s) differ from the checked-in recordings: run 'pnpm oracle --target ${name}' and commit`,
          );
          failed = true;
        }
      } else writeRecordings(name, recs, run.vocab);
    }
    const comps = compareAll(name, recs, scenarios, divs);
    all.push(...comps);
    const sum = summarize(name, comps);
    (isApart ? apart : rows).push(sum);
    if (sum.counts.differ > 0 || sum.stale > 0) failed = true;
  }
  console.log(`\n${formatSummary(rows)}`);
  if (apart.length) console.log(`\nreported apart (optional targets):\n${formatSummary(apart)}`);
  const verdicts = flag('--list') || flag('--groups') ? (['differ', 'bug'] as const) : (['differ'] as const);
  const diffs = flag('--groups') ? formatDifferenceGroups(all, verdicts) : formatDifferences(all, verdicts);
  if (diffs)
    console.log(
      `\n${verdicts.length > 1 ? 'differences (known bugs included)' : 'new differences (not in divergences/*.json)'}:\n${diffs}`,
    );
  if (flag('--prune')) prune(all);
  return failed ? 1 : 0;
}

function prune(all: readonly ScenarioComparison[]): void {
  const bugs = loadDivergences().filter((d) => d.kind === 'bug');
  const used = new Set<string>();
  for (const c of all)
    for (const s of c.steps)
      if (s.verdict === 'bug' && s.reason) used.add(`${c.target}|${c.scenario}|${s.reason}`);
  const keep = bugs.filter((d) =>
    all.some(
      (c) =>
        (d.target === '*' || d.target === c.target) &&
        used.has(`${c.target}|${c.scenario}|${d.reason}`),
    ),
  );
  const strip = keep.map(({ kind: _k, ...rest }) => rest);
  writeFileSync(join(DIVERGENCES, 'bugs.json'), `${JSON.stringify(strip, null, 2)}\n`);
  console.log(`\nprune: kept ${keep.length} of ${bugs.length} known-bug entries`);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
