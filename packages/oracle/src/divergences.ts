/**
 * Explained differences. Every step where the model and the kernel answer differently is either
 * a bug or explained by one entry of these lists:
 *
 * - `deliberate`: the model departs from the kernel on purpose (each entry says why);
 * - `pending`: the model lacks the feature yet (the ITS while it is being built); these turn into
 *   agreements when it lands;
 * - `bug`: a known model bug, with the issue that tracks it; kept so that a test run stays green
 *   while it is fixed, and reported as "differ" all the same.
 *
 * An entry names a target (or `*`), a scenario (or a `*` glob), the steps (keys, or `L12.*` for a
 * loop line, or `*`), and optionally the two answers; when answers are given, a step only matches
 * while both sides still answer exactly that, so a changed answer shows up as a new difference.
 * @packageDocumentation
 */

/** Why a difference is not a new bug. */
export type DivergenceKind = 'deliberate' | 'pending' | 'bug';

/** One explained difference (or a family of them). */
export interface Divergence {
  /** `deliberate` (the model chooses to differ), `pending` (not modelled yet) or `bug` (a known model bug). */
  readonly kind: DivergenceKind;
  /** Target name, `*` globs allowed (`arm64-*`). */
  readonly target: string;
  /** Scenario path under the scenarios folder, `*` globs allowed (`its/*`). */
  readonly scenario: string;
  /** Step keys; `L12.*` matches every iteration of line 12; `*` every step. */
  readonly steps: readonly string[];
  /** The kernel's answer, when the entry is about one answer. */
  readonly kernel?: string;
  /** The model's answer, when the entry is about one answer. */
  readonly model?: string;
  /** Why (and for a bug, the issue). */
  readonly reason: string;
}

function glob(pattern: string, s: string): boolean {
  if (pattern === '*' || pattern === s) return true;
  if (!pattern.includes('*')) return false;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(s);
}

function stepMatches(pattern: string, key: string): boolean {
  if (pattern === '*' || pattern === key) return true;
  if (pattern.endsWith('.*'))
    return key.startsWith(pattern.slice(0, -1)) || key === pattern.slice(0, -2);
  return false;
}

/** The first entry that explains this difference, or null. */
export function explain(
  list: readonly Divergence[],
  target: string,
  scenario: string,
  key: string,
  kernel: string | null,
  model: string | null,
): Divergence | null {
  for (const d of list) {
    if (!glob(d.target, target)) continue;
    if (!glob(d.scenario, scenario)) continue;
    if (!d.steps.some((p) => stepMatches(p, key))) continue;
    if (d.kernel !== undefined && d.kernel !== (kernel ?? '(none)')) continue;
    if (d.model !== undefined && d.model !== (model ?? '(none)')) continue;
    return d;
  }
  return null;
}

/** Checks a divergence list's JSON; throws an Error naming the bad entry. */
export function parseDivergences(json: string, kind: DivergenceKind): Divergence[] {
  const v = JSON.parse(json) as unknown;
  if (!Array.isArray(v)) throw new Error(`${kind} divergences: expected an array`);
  return v.map((e: Partial<Divergence>, i) => {
    const where = `${kind} divergence #${i}`;
    if (typeof e.target !== 'string' || typeof e.scenario !== 'string')
      throw new Error(`${where}: target and scenario are required`);
    if (!Array.isArray(e.steps) || e.steps.length === 0)
      throw new Error(`${where}: steps must list at least one key`);
    if (typeof e.reason !== 'string' || e.reason.trim().length < 10)
      throw new Error(`${where}: say why (reason)`);
    if (e.scenario.includes('*') && e.steps.includes('*'))
      throw new Error(`${where}: a scenario glob with every step ('*') would explain differences nobody has looked at; name the steps, or the scenario`);
    return { ...e, kind } as Divergence;
  });
}
