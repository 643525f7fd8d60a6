import { type RuleId, formatReport, runConformance } from '../src/index.js';
import { type Fault, makeFake } from './fixtures/fake-device.js';

describe('the kit passes a correct plugin', () => {
  for (const lifetime of ['destroy', 'release'] as const) {
    test(`correct ${lifetime}-style fake`, () => {
      const r = runConformance(makeFake({ lifetime }).spec);
      expect(formatReport(r)).toBe(`${r.device}: conforms (${r.checked.length} rules)`);
      expect(r.checked.length).toBeGreaterThanOrEqual(14);
    });
  }
});

const FAULTS: [Fault, RuleId][] = [
  ['has-yes-get-enxio', 'has-get-set'],
  ['has-no-set-ok', 'has-get-set'],
  ['set-mutates-then-einval', 'set-rejected-no-change'],
  ['set-ignores-efault', 'efault'],
  ['has-reads-addr', 'has-ignores-addr'],
  ['unknown-group-einval', 'enxio-unknown'],
  ['release-on-first-close', 'lifetime'],
  ['destroy-also-release', 'lifetime'],
  ['test-probe-allocates', 'create-test'],
  ['create-side-effect', 'create-error'],
  ['throws-on-random', 'fuzz'],
  ['vm-ref-leak', 'vm-refs'],
  ['vm-put-in-release', 'vm-refs'],
  ['table-claims-read', 'eperm-accessor'],
];

describe('the kit catches a broken plugin', () => {
  test.each(FAULTS)('%s is reported under [%s]', (fault, rule) => {
    const r = runConformance(makeFake({ fault }).spec);
    expect(r.ok).toBe(false);
    const hit = r.violations.filter((v) => v.rule === rule);
    if (hit.length === 0) throw new Error(`expected a [${rule}] violation, got:\n${formatReport(r)}`);
    for (const v of r.violations) expect(v.message.startsWith(`[${v.rule}] `)).toBe(true);
  });
});
