/**
 * Every TypeScript block of every README and doc: type-checked against the workspace packages,
 * and run unless it says `no-run` (a `fragment` is neither; each shows as a skipped test).
 * A block runs as a module under jest: `expect` works, and `describe`/`test` run their callback
 * at once, so a block that calls `describeDeviceConformance` runs the whole kit.
 */
import { join, resolve } from 'node:path';
import { type DocBlock, repositoryBlocks } from '../src/blocks.js';
import { compilerOptions, typecheckBlocks, writeBlocks } from '../src/typecheck.js';

const ROOT = resolve(__dirname, '../../..');
const DIR = join(__dirname, '..', '.blocks');
const blocks = repositoryBlocks(ROOT);
const paths = writeBlocks(blocks, DIR);
const checked = blocks.filter((b) => b.mode !== 'fragment');
let diagnostics: Map<string, string[]> | undefined;
const diagnosticsOf = (b: DocBlock) => {
  diagnostics ??= typecheckBlocks(checked, paths, compilerOptions(join(__dirname, '..', 'tsconfig.json')));
  return diagnostics.get(b.id) ?? [];
};

test('the repository has doc blocks to check', () => {
  expect(checked.length).toBeGreaterThan(15);
});

describe.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s', (_name, b) => {
  if (b.mode === 'fragment') {
    test.skip('type-checks [skipped: marked fragment]', () => {});
    return;
  }
  test('type-checks', () => {
    const d = diagnosticsOf(b);
    if (d.length) throw new Error(`the block does not type-check:\n${d.join('\n')}`);
  }, 60_000);
  if (b.mode === 'no-run') {
    test.skip('runs [skipped: marked no-run]', () => {});
    return;
  }
  test('runs', () => {
    const g = globalThis as Record<string, unknown>;
    const saved = { describe: g.describe, test: g.test, it: g.it };
    const now = (_name: string, fn: () => void) => fn();
    g.describe = now;
    g.test = g.it = Object.assign(now, { skip: () => {} });
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      jest.isolateModules(() => {
        require(paths.get(b.id)!);
      });
    } finally {
      Object.assign(g, saved);
      log.mockRestore();
    }
  });
});
