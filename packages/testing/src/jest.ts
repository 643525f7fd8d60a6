/**
 * The jest face of the kit: one `describe` block per device, one `test` per rule.
 * @packageDocumentation
 */
import { type DeviceConformanceSpec, RULES, RULE_IDS, type RuleId, runConformance } from './conformance.js';

/** The two jest functions the kit needs (`describe`, `test` from `@jest/globals` or the globals). */
export interface JestApi {
  describe(name: string, fn: () => void): void;
  test(name: string, fn: () => void, timeout?: number): void;
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
 * Registers `describe('<device> conformance')` with one test per rule of {@link RULES}. Each
 * test runs {@link runConformance} for its rule and fails with the violations, every message
 * naming its rule id. Call it at the top level of a test file (or inside a describe).
 *
 * `api` defaults to jest's global `describe`/`test` (the same functions `@jest/globals` exports);
 * pass `{ describe, test }` from `@jest/globals` when globals are not injected.
 */
export function describeDeviceConformance(spec: DeviceConformanceSpec, api: JestApi = jestGlobals()): void {
  const ids = RULE_IDS.filter((id) => (spec.rules ?? RULE_IDS).includes(id) && !spec.skip?.includes(id) && id !== 'no-throw');
  const name = spec.name ?? spec.deviceKey ?? spec.plugin.devices?.[0]?.key ?? spec.plugin.name;
  api.describe(`${name} conformance (@kvmdev/testing)`, () => {
    for (const id of ids) {
      api.test(`${id}: ${RULES[id]}`, () => {
        const rules: RuleId[] = spec.skip?.includes('no-throw') ? [id] : [id, 'no-throw'];
        const r = runConformance(spec, { rules });
        if (!r.ok) throw new Error(`${name} breaks the kvmdev device contract:\n${r.violations.map((v) => `  ${v.message}`).join('\n')}`);
      }, id === 'fuzz' ? 60_000 : undefined);
    }
  });
}
