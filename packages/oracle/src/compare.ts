/**
 * The comparison: a model run against a kernel recording, step by step by key.
 * @packageDocumentation
 */
import { type Divergence, type DivergenceKind, explain } from './divergences.js';
import type { Recording } from './recording.js';
import { recordedSteps, recordingMatches } from './recording.js';
import { type RunResult, isCall } from './result.js';

/** How one step compared. `differ` is an unexplained difference: a bug nobody has listed. */
export type Verdict = 'agree' | 'differ' | DivergenceKind;

/** One step of a comparison. A side that never reached the step has `null`. */
export interface StepComparison {
  /** The step key (where the step is in the scenario). */
  readonly key: string;
  /** The kernel's answer (return value, errno, shown bytes), or null when the kernel run never got here. */
  readonly kernel: string | null;
  /** The model's answer, or null when the model run never got here. */
  readonly model: string | null;
  /** How the two answers compare. */
  readonly verdict: Verdict;
  /** The divergence entry's reason, for explained differences. */
  readonly reason?: string;
}

/** Counts per verdict; `calls` counts the kernel's call steps (open, ioctl, close, dup), `reads` its `show` steps. */
export interface Counts {
  /** Call steps the kernel ran (open, ioctl, close, dup). */
  calls: number;
  /** `show` steps the kernel ran (buffer reads). */
  reads: number;
  /** Steps where the model answered as the kernel did. */
  agree: number;
  /** Unexplained differences (bugs nobody has listed). */
  differ: number;
  /** Differences listed as known model bugs. */
  bug: number;
  /** Differences listed as deliberate (the model chooses to differ). */
  deliberate: number;
  /** Differences listed as pending (not modelled yet). */
  pending: number;
}

/** One scenario on one target. */
export interface ScenarioComparison {
  /** Target name (`host`, `arm64-gicv3`, `ppc64-pseries`, ...). */
  readonly target: string;
  /** The scenario's path under the scenarios folder. */
  readonly scenario: string;
  /** The kernel release the recording came from. */
  readonly kernel: string;
  /** Every step, in execution order. */
  readonly steps: readonly StepComparison[];
  /** The scenario's totals per verdict. */
  readonly counts: Counts;
  /** The scenario text is not the one recorded (edited since): re-record. */
  readonly stale: boolean;
  /** Scenario errors on either side (a stopped run), as messages. */
  readonly errors: readonly string[];
  /** The scenario's source lines (1-based: `lines[n - 1]`), to show a step's statement. */
  readonly lines: readonly string[];
}

/** Zeroed counts. */
export function emptyCounts(): Counts {
  return { calls: 0, reads: 0, agree: 0, differ: 0, bug: 0, deliberate: 0, pending: 0 };
}

/** Adds `b` into `a`. */
export function addCounts(a: Counts, b: Counts): Counts {
  for (const k of Object.keys(a) as (keyof Counts)[]) a[k] += b[k];
  return a;
}

/**
 * Compares a model run with a recording. `source` is the scenario text now (for the staleness
 * check); `divergences` explain differences.
 */
export function compareWithRecording(
  model: RunResult,
  recording: Recording,
  source: string,
  divergences: readonly Divergence[] = [],
): ScenarioComparison {
  const counts = emptyCounts();
  const steps: StepComparison[] = [];
  const modelByKey = new Map(model.steps.map((s) => [s.key, s.text]));
  const seen = new Set<string>();
  const add = (key: string, kernel: string | null, m: string | null): void => {
    const call = isCall(kernel ?? m ?? '=');
    if (kernel !== null) {
      if (call) counts.calls++;
      else counts.reads++;
    }
    if (kernel !== null && kernel === m) {
      counts.agree++;
      steps.push({ key, kernel, model: m, verdict: 'agree' });
      return;
    }
    const d = explain(divergences, recording.target, recording.scenario, key, kernel, m);
    const verdict: Verdict = d ? d.kind : 'differ';
    counts[verdict]++;
    steps.push(
      d ? { key, kernel, model: m, verdict, reason: d.reason } : { key, kernel, model: m, verdict },
    );
  };
  for (const k of recordedSteps(recording)) {
    seen.add(k.key);
    add(k.key, k.text, modelByKey.get(k.key) ?? null);
  }
  for (const s of model.steps) if (!seen.has(s.key)) add(s.key, null, s.text);
  const errors: string[] = [];
  if (recording.error)
    errors.push(`kernel run stopped at ${recording.error.key}: ${recording.error.message}`);
  if (model.error) errors.push(`model run stopped at ${model.error.key}: ${model.error.message}`);
  return {
    target: recording.target,
    scenario: recording.scenario,
    kernel: recording.kernel.release,
    steps,
    counts,
    stale: !recordingMatches(recording, source),
    errors,
    lines: source.split('\n'),
  };
}

/** The steps that are unexplained differences. */
export function unexplained(c: ScenarioComparison): StepComparison[] {
  return c.steps.filter((s) => s.verdict === 'differ');
}
