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
 *   pnpm oracle --strict           known bugs (divergences/bugs.json) fail the run too
 *                                  (also KVMDEV_ORACLE_STRICT=1)
 *
 * Exit status 1 when a difference is not explained by the divergence lists (or, with --check,
 * on drift, a vocabulary mismatch or a scenario the probe could not finish); a target that cannot
 * run here is reported and skipped, not failed. The last line sums it up for CI logs.
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
} from '@kvmdev/oracle';
import { recordTarget, targetUnavailable } from '@kvmdev/oracle/runner';
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
const strict = flag('--strict') || process.env.KVMDEV_ORACLE_STRICT === '1';
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
  const skipped: string[] = [];
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
        skipped.push(`${name} (${why})`);
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
    if (sum.counts.differ > 0 || sum.stale > 0 || sum.errors > 0 || (strict && sum.counts.bug > 0)) failed = true;
  }
  console.log(`\n${formatSummary(rows)}`);
  if (apart.length) console.log(`\nreported apart (optional targets):\n${formatSummary(apart)}`);
  const verdicts = flag('--list') || flag('--groups') ? (['differ', 'bug'] as const) : (['differ'] as const);
  const diffs = flag('--groups') ? formatDifferenceGroups(all, verdicts) : formatDifferences(all, verdicts);
  if (diffs)
    console.log(
      `\n${verdicts.length > 1 ? 'differences (known bugs included)' : 'new differences (not in divergences/*.json)'}:\n${diffs}`,
    );
  const stale = staleBugs(all, rows.concat(apart).map((r) => r.target));
  if (stale.length) console.log(`\nknown-bug entries that match no difference any more (fixed? run 'pnpm oracle --prune'):\n${stale.map((d) => `  ${d.target} ${d.scenario} ${d.steps.join(',')}: ${d.reason.slice(0, 100)}`).join('\n')}`);
  if (flag('--prune')) prune(stale);
  const total = rows.concat(apart).reduce(
    (t, r) => ({ calls: t.calls + r.counts.calls, fresh: t.fresh + r.counts.differ, bug: t.bug + r.counts.bug }),
    { calls: 0, fresh: 0, bug: 0 },
  );
  console.log(
    `oracle: ${rows.length + apart.length} target(s) compared, ${total.calls} kernel-checked calls, ${total.fresh} new difference(s), ${total.bug} known-bug step(s)${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}${failed ? ' - FAILED' : ''}`,
  );
  return failed ? 1 : 0;
}

/** Known-bug entries of the compared targets that explain no step any more. */
function staleBugs(all: readonly ScenarioComparison[], targets: readonly string[]): Divergence[] {
  const used = new Set<string>();
  for (const c of all) for (const s of c.steps) if (s.verdict === 'bug' && s.reason) used.add(s.reason);
  const glob = (p: string, t: string): boolean => p === '*' || p === t || (p.endsWith('*') && t.startsWith(p.slice(0, -1)));
  return loadDivergences().filter((d) => d.kind === 'bug' && !used.has(d.reason) && targets.some((t) => glob(d.target, t)));
}

/** Rewrites divergences/bugs.json without the entries that explain no step any more. */
function prune(stale: readonly Divergence[]): void {
  const drop = new Set(stale.map((d) => JSON.stringify([d.target, d.scenario, d.steps, d.reason])));
  const bugs = loadDivergences().filter((d) => d.kind === 'bug');
  const keep = bugs.filter((d) => !drop.has(JSON.stringify([d.target, d.scenario, d.steps, d.reason]))).map(({ kind: _k, ...rest }) => rest);
  writeFileSync(join(DIVERGENCES, 'bugs.json'), `${JSON.stringify(keep, null, 2)}\n`);
  console.log(`\nprune: kept ${keep.length} of ${bugs.length} known-bug entries`);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
