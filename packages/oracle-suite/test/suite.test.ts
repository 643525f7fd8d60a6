/**
 * The recorded truth: every scenario runs on the model and is compared, step by step, with what
 * the real kernel answered (recordings/<target>/...). Fails on a difference no divergence entry
 * explains, on a scenario edited since its recording (stale), on a scenario with no recording for
 * a target that has recordings, and on a vocabulary value the target's headers disagree with.
 */
import {
  CONSTANTS,
  compareWithRecording,
  encodeRequest,
  formatDifferences,
  runOnModel,
  unexplained,
} from '@kvmdev/oracle';
import { encodingOf } from '@kvmdev/oracle/runner';
import {
  loadDivergences,
  loadRecordings,
  loadScenarios,
  loadVocab,
  runsOn,
} from '../suite/files.js';
import { MODELS, TARGET_ORDER } from '../suite/models.js';

const scenarios = loadScenarios();
const divergences = loadDivergences();

describe.each(TARGET_ORDER.map((t) => t.name))('target %s', (target) => {
  const recordings = loadRecordings(target);
  const mine = scenarios.filter((s) => runsOn(s, target));

  if (recordings.length === 0) {
    it('has no recordings yet', () => {
      expect(loadVocab(target)).toBeNull();
    });
    return;
  }

  it('has a recording for every scenario that runs on it, and a scenario for every recording', () => {
    const recorded = new Set(recordings.map((r) => r.scenario));
    expect(mine.filter((s) => !recorded.has(s.path)).map((s) => s.path)).toEqual([]);
    expect([...recorded].filter((p) => !mine.some((s) => s.path === p))).toEqual([]);
  });

  it.each(recordings.map((r) => [r.scenario, r] as const))(
    '%s agrees with the kernel',
    (_name, rec) => {
      const s = scenarios.find((x) => x.path === rec.scenario)!;
      const c = compareWithRecording(
        runOnModel(s.parsed, MODELS[target]!),
        rec,
        s.source,
        divergences,
      );
      if (c.stale)
        throw new Error(
          `${rec.scenario} changed since it was recorded: run 'pnpm oracle --target ${target}'`,
        );
      expect(c.errors).toEqual([]);
      const bad = unexplained(c);
      if (bad.length)
        throw new Error(
          `${bad.length} new difference(s) with the kernel (fix the model, or explain them in divergences/*.json):\n${formatDifferences([c], ['differ'])}`,
        );
      expect(c.counts.calls).toBeGreaterThan(0);
    },
  );

  it("uses the vocabulary the target's headers define", () => {
    const v = loadVocab(target);
    expect(v).not.toBeNull();
    const bad: string[] = [];
    for (const [name, value] of Object.entries(v!.constants))
      if (CONSTANTS[name] !== BigInt(value))
        bad.push(`${name}: headers ${value}, language ${CONSTANTS[name]}`);
    for (const [name, value] of Object.entries(v!.requests)) {
      const mine = encodeRequest(name, encodingOf(target));
      if (mine === undefined || BigInt(mine) !== BigInt(value))
        bad.push(`${name}: headers ${value}, language ${mine}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('divergence lists', () => {
  it('name scenarios that exist', () => {
    const missing = divergences.filter(
      (d) => !d.scenario.includes('*') && !scenarios.some((s) => s.path === d.scenario),
    );
    expect(missing).toEqual([]);
  });
});
