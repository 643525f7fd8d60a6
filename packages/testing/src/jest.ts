/**
 * The jest face of the kit: one `describe` block per device, one `test` per rule; a rule that
 * does not run is registered as a skipped test whose name gives the reason.
 * @packageDocumentation
 */
import { type DeviceConformanceSpec, RULES, RULE_IDS, type RuleId, runConformance, skippedRules } from './conformance.js';

/** A jest-style `test` function; `skip` registers a skipped test (jest's `test.skip`). */
export interface JestTest {
  /** Registers the test `name` running `fn` (jest's `test(name, fn, timeout)`). */
  (name: string, fn: () => void, timeout?: number): void;
  /** Registers a skipped test (jest's `test.skip`); when absent, skipped rules are not registered as tests. */
  skip?: (name: string, fn: () => void) => void;
}

/** The jest functions the kit needs (`describe`, `test` from `@jest/globals` or the globals). */
export interface JestApi {
  /** jest's `describe`: groups the tests `fn` registers under `name`. */
  describe(name: string, fn: () => void): void;
  /** jest's `test` (with `test.skip`). */
  test: JestTest;
}

function jestGlobals(): JestApi {
  const g = globalThis as Partial<JestApi>;
  if (typeof g.describe !== 'function' || typeof g.test !== 'function')
    throw new Error(
      "@kvmdev/testing: describeDeviceConformance needs jest's describe/test. With injectGlobals: false, pass them: describeDeviceConformance(spec, { describe, test }) with `import { describe, test } from '@jest/globals'`.",
    );
  return { describe: g.describe, test: g.test };
}

/**
 * Registers `describe('<device> conformance (@kvmdev/testing)')` with one test per rule of
 * {@link RULES}, in order. Each test runs {@link runConformance} for its rule and fails with the
 * violations, every message naming its rule id. A rule the spec skips, or that does not apply to
 * the device (no set-once sample for `set-once`, ...), is a skipped test named
 * `<rule>: <title> [skipped: <reason>]`. The `no-throw` test fails when plugin code threw in any
 * rule's test (each rule's own test fails too); run alone, it runs every rule.
 *
 * `api` defaults to jest's global `describe`/`test` (the same functions `@jest/globals` exports);
 * pass `{ describe, test }` from `@jest/globals` when globals are not injected.
 */
export function describeDeviceConformance(spec: DeviceConformanceSpec, api: JestApi = jestGlobals()): void {
  const wanted = spec.rules ?? RULE_IDS;
  const skipped = new Map(skippedRules(spec).map((s) => [s.rule, s.reason]));
  const name = spec.name ?? spec.deviceKey ?? spec.plugin.devices?.[0]?.key ?? spec.plugin.name;
  const throws: string[] = [];
  let ran = 0;
  const checkNoThrow = !skipped.has('no-throw') && wanted.includes('no-throw');
  api.describe(`${name} conformance (@kvmdev/testing)`, () => {
    for (const id of RULE_IDS) {
      if (!wanted.includes(id)) continue;
      const title = `${id}: ${RULES[id]}`;
      const reason = skipped.get(id);
      if (reason !== undefined) {
        const skippedTitle = `${title} [skipped: ${reason}]`;
        if (api.test.skip) api.test.skip(skippedTitle, () => {});
        else api.test(skippedTitle, () => {});
        continue;
      }
      if (id === 'no-throw') {
        api.test(title, () => {
          if (ran === 0) {
            // run on its own (jest -t no-throw): check every rule
            const r = runConformance(spec, { rules: RULE_IDS.filter((x) => wanted.includes(x)) });
            throws.push(...r.violations.filter((v) => v.rule === 'no-throw').map((v) => v.message));
          }
          if (throws.length) throw new Error(`${name}: plugin code threw:\n${throws.map((m) => `  ${m}`).join('\n')}`);
        });
        continue;
      }
      api.test(
        title,
        () => {
          ran++;
          const rules: RuleId[] = checkNoThrow ? [id, 'no-throw'] : [id];
          const r = runConformance(spec, { rules });
          throws.push(...r.violations.filter((v) => v.rule === 'no-throw').map((v) => v.message));
          if (!r.ok) throw new Error(`${name} breaks the kvmdev device contract:\n${r.violations.map((v) => `  ${v.message}`).join('\n')}`);
        },
        id === 'fuzz' ? 60_000 : undefined,
      );
    }
  });
}
