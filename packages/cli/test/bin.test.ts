/**
 * Issue 16: "no kvmdev on PATH". The package's `bin` names the built CLI, which tsup writes with
 * a shebang from src/cli.ts (the entry that runs `main`); the outside check
 * (`node scripts/outside-check.mjs`) runs `npx kvmdev` from the release tarballs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKG } from './helpers.js';

test('bin kvmdev -> dist/cli.js, built from src/cli.ts with #!/usr/bin/env node, shipped in files', () => {
  const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ kvmdev: './dist/cli.js' });
  expect(pkg.files).toContain('dist');
  const tsup = readFileSync(join(PKG, 'tsup.config.ts'), 'utf8');
  expect(tsup).toMatch(/entry: \['src\/cli\.ts'\],\s*format: \['esm'\][\s\S]*?banner: \{ js: '#!\/usr\/bin\/env node' \}/);
  expect(readFileSync(join(PKG, 'src/cli.ts'), 'utf8')).toMatch(/main\(process\.argv\.slice\(2\)\)/);
  const outside = readFileSync(join(PKG, '../../scripts/outside-check.mjs'), 'utf8');
  expect(outside).toContain("'npx', ['--no-install', 'kvmdev', 'run'");
});
