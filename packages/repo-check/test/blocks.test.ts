import { extractBlocks } from '../src/blocks.js';

test('ts blocks with their line, mode and indentation removed; other languages ignored', () => {
  const md = ['# x', '```ts', "import { a } from 'b';", '```', '```sh', 'ls', '```', '- item', '  ```ts no-run', '  const x = 1;', '  ```', '```ts fragment', '...', '```'].join('\n');
  expect(extractBlocks(md, 'docs/x.md')).toEqual([
    { file: 'docs/x.md', line: 2, mode: 'run', code: "import { a } from 'b';\n", id: 'docs__x.md-L2' },
    { file: 'docs/x.md', line: 9, mode: 'no-run', code: 'const x = 1;\n', id: 'docs__x.md-L9' },
    { file: 'docs/x.md', line: 12, mode: 'fragment', code: '...\n', id: 'docs__x.md-L12' },
  ]);
});

test('inline code that starts a line is not a fence; an unknown mode and an unclosed fence are errors', () => {
  expect(extractBlocks('```` ```ts fragment ```` skips both\n', 'a.md')).toEqual([]);
  expect(() => extractBlocks('```ts runme\nx\n```\n', 'a.md')).toThrow("a.md:1: unknown doc-block mode 'runme'");
  expect(() => extractBlocks('```ts\nx\n', 'a.md')).toThrow('a.md:1: unclosed code fence');
});

test('a block that stops type-checking is reported at its Markdown line', () => {
  const { compilerOptions, typecheckBlocks, writeBlocks } = require('../src/typecheck.js') as typeof import('../src/typecheck.js');
  const { join } = require('node:path') as typeof import('node:path');
  const md = ['intro', '```ts', "import { createHost } from '@kvmdev/core';", "createHost().createVm().createDevice('KVM_DEV_TYPE_NOPE');", '```'].join('\n');
  const blocks = extractBlocks(md, 'docs/broken.md');
  const paths = writeBlocks(blocks, join(__dirname, '..', '.blocks-selftest'));
  const d = typecheckBlocks(blocks, paths, compilerOptions(join(__dirname, '..', 'tsconfig.json')));
  expect(d.get(blocks[0]!.id)).toEqual([expect.stringMatching(/^docs\/broken\.md:4:\d+: TS2345: Argument of type '"KVM_DEV_TYPE_NOPE"'/)]);
}, 60_000);
