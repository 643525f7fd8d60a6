/**
 * The suite's files on disk: scenarios (scenarios/<family>/*.kvms), recordings
 * (recordings/<target>/<family>/<name>.json and recordings/<target>/_vocab.json) and the three
 * divergence lists (divergences/deliberate.json, pending.json, bugs.json).
 * @packageDocumentation
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Divergence,
  type Recording,
  type Scenario,
  formatRecording,
  parseDivergences,
  parseRecording,
  parseScenario,
} from '@kvmdev/oracle';
import type { VocabRecord } from '@kvmdev/oracle/runner';

/** The package folder. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCENARIOS = join(ROOT, 'scenarios');
export const RECORDINGS = join(ROOT, 'recordings');
export const DIVERGENCES = join(ROOT, 'divergences');

function walk(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p, ext));
    else if (e.endsWith(ext)) out.push(p);
  }
  return out;
}

/** A scenario file, parsed. */
export interface SuiteScenario {
  /** Path under scenarios/ (`gicv3/dist-regs.kvms`). */
  readonly path: string;
  readonly source: string;
  readonly parsed: Scenario;
}

/** Every scenario of the suite. */
export function loadScenarios(): SuiteScenario[] {
  return walk(SCENARIOS, '.kvms').map((file) => {
    const path = relative(SCENARIOS, file);
    const source = readFileSync(file, 'utf8');
    return { path, source, parsed: parseScenario(source, path) };
  });
}

/** True when scenario `s` runs on target `t` (its `target` line, `*` globs allowed). */
export function runsOn(s: SuiteScenario, t: string): boolean {
  return s.parsed.targets.some(
    (p) => p === t || p === '*' || (p.endsWith('*') && t.startsWith(p.slice(0, -1))),
  );
}

/** Every checked-in recording of a target (or all targets). */
export function loadRecordings(target?: string): Recording[] {
  const dirs = target
    ? [join(RECORDINGS, target)]
    : existsSync(RECORDINGS)
      ? readdirSync(RECORDINGS).map((d) => join(RECORDINGS, d))
      : [];
  return dirs.flatMap((d) =>
    walk(d, '.json')
      .filter((f) => !f.endsWith('_vocab.json'))
      .map((f) => parseRecording(readFileSync(f, 'utf8'))),
  );
}

/** The recording file of a scenario on a target. */
export function recordingPath(target: string, scenario: string): string {
  return join(RECORDINGS, target, scenario.replace(/\.kvms$/, '.json'));
}

/** Writes a target's recordings (replacing the old ones) and its vocabulary record. */
export function writeRecordings(
  target: string,
  recs: readonly Recording[],
  vocab: VocabRecord,
): void {
  rmSync(join(RECORDINGS, target), { recursive: true, force: true });
  for (const r of recs) {
    const p = recordingPath(target, r.scenario);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, formatRecording(r));
  }
  mkdirSync(join(RECORDINGS, target), { recursive: true });
  writeFileSync(join(RECORDINGS, target, '_vocab.json'), `${JSON.stringify(vocab, null, 2)}\n`);
}

/** A target's checked-in vocabulary record, or null. */
export function loadVocab(target: string): VocabRecord | null {
  const p = join(RECORDINGS, target, '_vocab.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as VocabRecord) : null;
}

/** The three divergence lists, concatenated (deliberate first, then pending, then known bugs). */
export function loadDivergences(): Divergence[] {
  const kinds = ['deliberate', 'pending', 'bug'] as const;
  const files = { deliberate: 'deliberate.json', pending: 'pending.json', bug: 'bugs.json' };
  return kinds.flatMap((k) => {
    const p = join(DIVERGENCES, files[k]);
    return existsSync(p) ? parseDivergences(readFileSync(p, 'utf8'), k) : [];
  });
}
