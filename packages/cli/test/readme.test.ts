/**
 * Issue 16: the README's examples run as written from the repository root. Every `$ kvmdev ...`
 * line of its console blocks runs (in a scratch folder that sees the repository's `examples/`
 * where the root has it, so the files it writes land there), and every output line the README
 * shows for it, other than `...`, is in what it prints.
 */
import { symlinkSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PKG, kvmdev, tmp } from './helpers.js';

jest.setTimeout(180_000);

const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
interface Example {
  readonly command: string[];
  readonly shown: string[];
}
const examples: Example[] = [];
for (const block of readme.matchAll(/^```console\n([\s\S]*?)^```$/gm)) {
  let cur: { command: string[]; shown: string[] } | null = null;
  for (const line of block[1]!.split('\n')) {
    if (line.startsWith('$ ')) {
      if (cur) examples.push(cur);
      const [bin, ...args] = line.slice(2).trim().split(/\s+/);
      if (bin !== 'kvmdev') throw new Error(`README example does not run kvmdev: ${line}`);
      cur = { command: args, shown: [] };
    } else if (cur && line.trim() && line.trim() !== '...') cur.shown.push(line);
  }
  if (cur) examples.push(cur);
}

describe('the README examples, from the repository root', () => {
  const dir = tmp();
  symlinkSync(resolve(PKG, '../../examples'), join(dir, 'examples'));
  it('has examples', () => {
    expect(examples.length).toBeGreaterThan(4);
  });
  it.each(examples.map((e) => [e.command.join(' '), e]))('kvmdev %s', (_name, e) => {
    const r = kvmdev(e.command, { cwd: dir });
    expect([r.stderr, r.code <= 1]).toEqual(['', true]);
    const out = r.stdout.split('\n').map((l) => l.trimEnd());
    for (const line of e.shown) expect(out).toContain(line.trimEnd());
  });
  // the README's complete VM files (a yaml block with vm: and no elided part) run as written
  const vmBlocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).filter((t) => /^vm:/m.test(t) && !t.includes('...'));
  it('has complete VM files', () => {
    expect(vmBlocks.length).toBeGreaterThan(0);
  });
  it.each(vmBlocks.map((t, i) => [i, t]))('VM file block %d runs', (i, t) => {
    const f = join(dir, `block-${i}.yaml`);
    writeFileSync(f, t as string);
    const r = kvmdev(['run', f], { cwd: dir });
    expect([r.stderr, r.code]).toEqual(['', 0]);
  });
  it('names the root script that runs the CLI from the repository (pnpm kvmdev)', () => {
    const root = JSON.parse(readFileSync(resolve(PKG, '../../package.json'), 'utf8'));
    expect(root.scripts.kvmdev).toMatch(/packages\/cli\/src\/cli\.ts$/);
    expect(readme).toContain('`pnpm kvmdev <command> ...`');
  });
});
