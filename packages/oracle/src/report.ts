/**
 * Summaries of comparisons: one row per target (kernel, scenarios, calls, agree, differ,
 * deliberate, pending) and the list of differences, as plain text.
 * @packageDocumentation
 */
import { keyLine } from './result.js';
import {
  type Counts,
  type ScenarioComparison,
  type Verdict,
  addCounts,
  emptyCounts,
} from './compare.js';

/** One target's totals. `counts.differ` holds only the unexplained differences; `counts.bug` the known ones. */
export interface TargetSummary {
  /** Target name. */
  readonly target: string;
  /** The kernel release of the target's recordings. */
  readonly kernel: string;
  /** Number of scenarios compared on the target. */
  readonly scenarios: number;
  /** Totals per verdict over the target's scenarios. */
  readonly counts: Counts;
  /** Scenarios whose recording is stale (the text changed since). */
  readonly stale: number;
  /** Scenario runs that stopped early (either side). */
  readonly errors: number;
}

/** Totals of one target's comparisons. */
export function summarize(
  target: string,
  comparisons: readonly ScenarioComparison[],
): TargetSummary {
  const counts = emptyCounts();
  for (const c of comparisons) addCounts(counts, c.counts);
  const kernels = [...new Set(comparisons.map((c) => c.kernel))];
  return {
    target,
    kernel: kernels.join(', ') || '-',
    scenarios: comparisons.length,
    counts,
    stale: comparisons.filter((c) => c.stale).length,
    errors: comparisons.filter((c) => c.errors.length > 0).length,
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The summary table. `differ` counts every step the model answers differently and no deliberate
 * or pending entry explains (known bugs included; the new ones in parentheses).
 */
export function formatSummary(rows: readonly TargetSummary[]): string {
  const head = [
    'target',
    'kernel',
    'scenarios',
    'calls',
    'reads',
    'agree',
    'differ',
    'deliberate',
    'pending',
  ];
  const body = rows.map((r) => {
    const c = r.counts;
    const differ = c.bug + c.differ;
    return [
      r.target,
      r.kernel,
      String(r.scenarios),
      String(c.calls),
      String(c.reads),
      String(c.agree),
      c.differ ? `${differ} (${c.differ} new)` : String(differ),
      String(c.deliberate),
      String(c.pending),
    ];
  });
  return table([head, ...body]);
}

/** The differing steps of some comparisons, grouped by scenario: `key  kernel: X  model: Y  [reason]`. */
export function formatDifferences(
  comparisons: readonly ScenarioComparison[],
  verdicts: readonly Verdict[] = ['differ', 'bug'],
): string {
  const out: string[] = [];
  for (const c of comparisons) {
    const steps = c.steps.filter((s) => verdicts.includes(s.verdict));
    if (steps.length === 0 && c.errors.length === 0 && !c.stale) continue;
    out.push(
      `${c.target} ${c.scenario}${c.stale ? '  (STALE: the scenario changed since it was recorded)' : ''}`,
    );
    for (const e of c.errors) out.push(`  ! ${e}`);
    for (const s of steps) {
      const stmt = (c.lines[keyLine(s.key) - 1] ?? '').replace(/#.*/, '').trim();
      out.push(`  ${s.key.padEnd(10)} ${stmt}`);
      out.push(
        `  ${''.padEnd(10)}   kernel: ${s.kernel ?? '(no step)'}  model: ${s.model ?? '(no step)'}${s.verdict === 'differ' ? '  [NEW]' : s.reason ? `  [${s.verdict}: ${s.reason}]` : ''}`,
      );
    }
  }
  return out.join('\n');
}

/**
 * The differing steps grouped by statement and answer pair, one line per group with its count
 * and first keys: `L53 ioctl gic KVM_GET_DEVICE_ATTR a | kernel !EINVAL | model =0 [8] L53.1.8.3 ...`.
 * `show` steps group by statement only and list each value pair.
 */
export function formatDifferenceGroups(comparisons: readonly ScenarioComparison[], verdicts: readonly Verdict[] = ['differ', 'bug']): string {
  const out: string[] = [];
  for (const c of comparisons) {
    const groups = new Map<string, string[]>();
    for (const s of c.steps) {
      if (!verdicts.includes(s.verdict)) continue;
      const line = keyLine(s.key);
      const stmt = (c.lines[line - 1] ?? '').replace(/#.*/, '').trim();
      const isShow = /^show\b/.test(stmt);
      const g = isShow ? `L${line} ${stmt}` : `L${line} ${stmt} | kernel ${s.kernel ?? '(no step)'} | model ${s.model ?? '(no step)'}`;
      const item = isShow ? `${s.key}: kernel ${s.kernel ?? '-'} model ${s.model ?? '-'}` : s.key;
      const list = groups.get(g) ?? [];
      list.push(item);
      groups.set(g, list);
    }
    if (groups.size === 0) continue;
    out.push(`${c.target} ${c.scenario}`);
    for (const [g, items] of groups) out.push(`  ${g}  [${items.length}] ${items.slice(0, 4).join('  ')}${items.length > 4 ? '  ...' : ''}`);
  }
  return out.join('\n');
}
