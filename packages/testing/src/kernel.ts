/**
 * Comparing a plugin with the real Linux kernel (`@kvmdev/oracle`): run a scenario (`.kvms`) on a
 * host made of your plugins and compare every step with a recording of what a real kernel
 * answered. Record with `@kvmdev/oracle/runner` (`recordTarget`), or `pnpm oracle` in the kvmdev
 * repository; the comparison itself is offline and fast, so it belongs in your jest suite.
 * @packageDocumentation
 */
import { type HostOptions, type KvmPlugin, createHost } from '@kvmdev/core';
import {
  type Divergence,
  type DivergenceKind,
  type IoctlEncoding,
  type Recording,
  type ScenarioComparison,
  compareWithRecording,
  formatDifferences,
  parseDivergences,
  parseRecording,
  parseScenario,
  runOnModel,
  unexplained,
} from '@kvmdev/oracle';

/** What to compare. */
export interface KernelComparison {
  /** The plugins of the host the scenario runs on (a fresh host per run, and per `fork`). */
  readonly plugins: readonly KvmPlugin[];
  /** Other host options (limits, memory). */
  readonly host?: Omit<HostOptions, 'plugins'>;
  /** The scenario text. */
  readonly scenario: string;
  /** The scenario's name in reports (default: the recording's). */
  readonly scenarioName?: string;
  /** The kernel's answers: a recording object or its JSON text. */
  readonly recording: Recording | string;
  /** Explained differences: a list, or JSON text of entries of one kind (`{ kind, json }`). */
  readonly divergences?: readonly Divergence[] | { readonly kind: DivergenceKind; readonly json: string };
  /** The ioctl encoding the model speaks (default `'generic'`). */
  readonly encoding?: IoctlEncoding;
}

/** Runs the scenario on the plugins and compares it with the recording, step by step. */
export function compareWithKernel(c: KernelComparison): ScenarioComparison {
  const recording = typeof c.recording === 'string' ? parseRecording(c.recording) : c.recording;
  const divergences = c.divergences === undefined ? [] : 'json' in c.divergences ? parseDivergences(c.divergences.json, c.divergences.kind) : c.divergences;
  const scenario = parseScenario(c.scenario, c.scenarioName ?? recording.scenario);
  const plugins = c.plugins;
  const host = c.host ?? {};
  const run = runOnModel(scenario, { createHost: () => createHost({ ...host, plugins }), ...(c.encoding ? { encoding: c.encoding } : {}) });
  return compareWithRecording(run, recording, c.scenario, divergences);
}

/**
 * {@link compareWithKernel}, throwing an Error that lists every unexplained difference (with the
 * scenario line and both answers), a stale recording, or a stopped run. Returns the comparison.
 */
export function expectAgreesWithKernel(c: KernelComparison): ScenarioComparison {
  const r = compareWithKernel(c);
  const problems: string[] = [];
  if (r.stale) problems.push(`the scenario changed since ${r.target} recorded it: record it again`);
  problems.push(...r.errors);
  const bad = unexplained(r);
  if (bad.length) problems.push(`${bad.length} step(s) differ from ${r.target} (${r.kernel}):\n${formatDifferences([r], ['differ'])}`);
  if (problems.length) throw new Error(`${r.scenario}: ${problems.join('\n')}`);
  return r;
}
