/**
 * Recordings: what a real kernel answered to one scenario, checked in next to the scenario so
 * the model can be compared with the kernel offline. A recording names the kernel it came from
 * and the SHA-256 of the scenario text it answered; a scenario edited since is "stale" until it is
 * recorded again.
 * @packageDocumentation
 */
import type { RunResult, StepResult } from './result.js';
import { sha256 } from './sha256.js';

/** The kernel a recording came from (uname). */
export interface KernelInfo {
  /** `uname -r`: the kernel release. */
  readonly release: string;
  /** `uname -m`: the machine (`aarch64`, `ppc64le`, `x86_64`). */
  readonly machine: string;
  /** `uname -v`: the kernel build version string. */
  readonly version: string;
}

/** One scenario's answers from one kernel target. */
export interface Recording {
  /** The recording file format version. */
  readonly format: 1;
  /** Target name (`host`, `arm64-gicv3`, `arm64-gicv2`, `ppc64-pseries`, ...). */
  readonly target: string;
  /** The scenario's path under the scenarios folder (`gicv3/dist-regs.kvms`). */
  readonly scenario: string;
  /** SHA-256 of the scenario text that was run. */
  readonly sha256: string;
  /** The kernel that answered. */
  readonly kernel: KernelInfo;
  /** How the kernel ran (QEMU machine and CPU, or `native`). */
  readonly machine: string;
  /** Day of the recording (YYYY-MM-DD). */
  readonly recorded: string;
  /** `<key> <answer>` per step, in execution order. */
  readonly steps: readonly string[];
  /** Set when the kernel run stopped early: the key of the step and the message; null when it ran to the end. */
  readonly error: { readonly key: string; readonly message: string } | null;
}

/** Builds a recording from a kernel run. */
export function makeRecording(
  target: string,
  scenario: string,
  source: string,
  kernel: KernelInfo,
  machine: string,
  run: RunResult,
  recorded: string,
): Recording {
  return {
    format: 1,
    target,
    scenario,
    sha256: sha256(source),
    kernel,
    machine,
    recorded,
    steps: run.steps.map((s) => `${s.key} ${s.text}`),
    error: run.error,
  };
}

/** The steps of a recording as results. */
export function recordedSteps(r: Recording): StepResult[] {
  return r.steps.map((line) => {
    const sp = line.indexOf(' ');
    return { key: line.slice(0, sp), text: line.slice(sp + 1) };
  });
}

/** True when `source` is the text the recording answered. */
export function recordingMatches(r: Recording, source: string): boolean {
  return r.sha256 === sha256(source);
}

/** A recording as stable, diff-friendly JSON (one step per line). */
export function formatRecording(r: Recording): string {
  const head = {
    format: r.format,
    target: r.target,
    scenario: r.scenario,
    sha256: r.sha256,
    kernel: r.kernel,
    machine: r.machine,
    recorded: r.recorded,
    error: r.error,
  };
  const h = JSON.stringify(head, null, 2);
  const steps = r.steps.map((s) => `    ${JSON.stringify(s)}`).join(',\n');
  return `${h.slice(0, -2)},\n  "steps": [\n${steps}\n  ]\n}\n`;
}

/** Parses and checks a recording's JSON. Throws an Error naming the problem. */
export function parseRecording(json: string): Recording {
  const v = JSON.parse(json) as Partial<Recording>;
  if (v.format !== 1) throw new Error('not a kvmdev oracle recording (format 1)');
  for (const k of ['target', 'scenario', 'sha256', 'machine', 'recorded'] as const)
    if (typeof v[k] !== 'string') throw new Error(`recording: '${k}' must be a string`);
  if (
    !Array.isArray(v.steps) ||
    v.steps.some((s) => typeof s !== 'string' || !/^L\d+(\.\d+)* /.test(s))
  )
    throw new Error('recording: steps must be "<key> <answer>" strings');
  if (typeof v.kernel !== 'object' || v.kernel === null)
    throw new Error('recording: kernel missing');
  return v as Recording;
}
