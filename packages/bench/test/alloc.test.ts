/**
 * No hot path allocates: the allocation of each hot path per call, counted deterministically
 * (not timed) by `alloc-probe.ts` in a Node process of its own with a fixed 64 MiB young
 * generation, so no scavenge runs inside a measured run and the growth of `heapUsed` over
 * 200,000 calls is exactly what they allocated (the harness's own cost is ~256 bytes per run,
 * 0.0013 B/call). Speed goals live in `pnpm bench`, never here.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The paths allowed to allocate: none. The last three went in issue 18's second round: the XICS
 * typed u64 GET returned a new bigint per call (24 B; the handle now returns the bigint it
 * returned last while the value is unchanged), and the XICS round trips counted 16-32 B per call
 * that were the measuring code's own (the rig's acknowledge returned the XIRR, a u32 of at least
 * 2^31 that a function return boxes as a heap number; it returns the XISR now). Any path that
 * starts allocating fails this test (the XICS typed setAttr did, 40 B/call, before setU64 stopped
 * making an intermediate bigint).
 */
const KNOWN: Record<string, number> = {};

let results: Record<string, number> = {};

beforeAll(() => {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', '--import', 'tsx', '--conditions=@kvmdev/source', join(here, 'alloc-probe.ts')],
    { cwd: join(here, '..'), encoding: 'utf8', timeout: 240_000 },
  );
  results = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}, 250_000);

test('every family and face is measured', () => {
  expect(Object.keys(results).length).toBe(30);
});

test('no hot path allocates (bytes per call over 200,000 calls)', () => {
  const bad: Record<string, number> = {};
  for (const [name, b] of Object.entries(results)) {
    const allowed = KNOWN[name] ?? 0;
    if (b > allowed + 0.5) bad[name] = b;
  }
  expect(bad).toEqual({});
});
