/**
 * The docs point at things that exist: every relative Markdown link of every README and doc names
 * a file or folder of the repository, and the plugin-authoring guide is written against the API
 * reference (issue 16: it sent readers to the source files and promised a snapshot engine "later").
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { docFiles } from '../src/blocks.js';

const ROOT = resolve(__dirname, '../../..');
const LINK = /\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
/** Links known to be broken on main, by file: each is a bug to fix, listed so the check can land meanwhile. */
const KNOWN_BROKEN: Record<string, string[]> = {
  'packages/oracle/README.md': ['../../docs/kernel-oracle.md'], // the oracle's guide is not in the repository yet
};

describe.each(docFiles(ROOT).map((f) => [f]))('%s', (file) => {
  test('relative links resolve', () => {
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const m of text.matchAll(LINK)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
      const path = decodeURIComponent(target.split('#')[0]!);
      if (!existsSync(resolve(ROOT, dirname(file), path)) && !KNOWN_BROKEN[file]?.includes(target)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });
});

test('plugin-authoring.md is written against the API reference, not the source files', () => {
  const text = readFileSync(join(ROOT, 'docs/plugin-authoring.md'), 'utf8');
  expect(text).not.toMatch(/\(later\)/);
  expect(text).not.toMatch(/Read `packages\/core\/src|see the source/i);
  expect(text).toMatch(/`pnpm docs`/);
  expect(text).toMatch(/core-plugin\.api\.md/);
});

test('pnpm docs builds the API reference with TypeDoc from every published package entry', () => {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  expect(root.scripts.docs).toBe('typedoc');
  expect(root.devDependencies.typedoc).toBe('0.28.20');
  const cfg = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8'));
  for (const dir of cfg.entryPoints as string[]) {
    const own = join(ROOT, dir, 'typedoc.json');
    const entries: string[] = existsSync(own) ? JSON.parse(readFileSync(own, 'utf8')).entryPoints : cfg.packageOptions.entryPoints;
    for (const e of entries) expect([dir, e, existsSync(join(ROOT, dir, e))]).toEqual([dir, e, true]);
  }
});
