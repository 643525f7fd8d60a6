/**
 * Bundles src/main.ts for the browser with esbuild (minified, tree-shaken) and reports the size of
 * the bundle and of each part in it, minified and gzipped. Each part's size is measured, not
 * estimated: the app is bundled three times (everything; @kvmdev/arm-vgic external; both
 * packages external) and each part is the difference. Only the picked plugin may appear: core
 * imports no plugin, and every package is `sideEffects: false`.
 *   pnpm --filter @kvmdev/example-custom-vm-build bundle
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';

const check = process.argv.includes('--check');
mkdirSync('dist', { recursive: true });

async function bundle(external: string[]): Promise<{ min: number; gz: number; inputs: string[] }> {
  const r = await build({
    entryPoints: ['src/main.ts'],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@kvmdev/source'],
    external,
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  const out = r.outputFiles[0]!;
  if (external.length === 0) writeFileSync('dist/vm.js', out.contents);
  return { min: out.contents.length, gz: gzipSync(out.contents, { level: 9 }).length, inputs: Object.keys(r.metafile.inputs) };
}

const all = await bundle([]);
const noPlugin = await bundle(['@kvmdev/arm-vgic']);
const appOnly = await bundle(['@kvmdev/arm-vgic', '@kvmdev/core']);
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const rows: [string, number, number][] = [
  ['@kvmdev/core', noPlugin.min - appOnly.min, noPlugin.gz - appOnly.gz],
  ['@kvmdev/arm-vgic', all.min - noPlugin.min, all.gz - noPlugin.gz],
  ['app (src/main.ts)', appOnly.min, appOnly.gz],
];
const lines = [
  '| part | minified | gzipped |',
  '| --- | ---: | ---: |',
  ...rows.map(([p, m, g]) => `| ${p} | ${kib(m)} | ${kib(g)} |`),
  `| **bundle (dist/vm.js)** | **${kib(all.min)}** | **${kib(all.gz)}** |`,
];
writeFileSync('dist/sizes.md', `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
const pkgs = new Set(all.inputs.map((f) => /packages\/([^/]+)\//.exec(f)?.[1]).filter((x): x is string => !!x));
for (const forbidden of ['mpic', 'xics', 'cli', 'testing']) {
  if (pkgs.has(forbidden)) throw new Error(`@kvmdev/${forbidden} must not be in the bundle`);
}
if (check) {
  if (!pkgs.has('core') || !pkgs.has('arm-vgic')) throw new Error(`bundle parts: ${[...pkgs].join(', ')}`);
  console.log('custom-vm-build bundle: 1 passed, 0 failed');
}
