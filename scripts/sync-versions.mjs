#!/usr/bin/env node
// `node scripts/sync-versions.mjs [--check]`
//
// Some packages report their version at run time (CORE_VERSION, the CLI's VERSION, a plugin's
// `version` field, which `host.use` and `kvmdev types` show). `changeset version` only rewrites
// package.json, so this brings every such constant in a package's src/ to its package.json version:
//   - `<NAME>VERSION = '<semver>'` (e.g. `export const CORE_VERSION = '0.1.0'`);
//   - `name: '<package name>', version: '<semver>'` (a definePlugin object of that package).
// and a plugin's `core` range (`name: '<package name>', version: ..., core: '<range>'`) to the
// package's peer range on @kvmdev/core (the host refuses a plugin whose range misses the core).
// `--check` changes nothing and exits 1 when one differs. release:pack runs it after versioning.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveWorkspaceRange, workspaceDirs } from './release-lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const SEMVER = String.raw`\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?`;

function sources(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const stale = [];
let synced = 0;
const coreVersion = JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')).version;
for (const d of workspaceDirs(ROOT)) {
  const pkg = JSON.parse(readFileSync(join(ROOT, d, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  let files;
  try {
    files = sources(join(ROOT, d, 'src'));
  } catch {
    continue;
  }
  const peer = pkg.peerDependencies?.['@kvmdev/core'];
  const coreRange = peer ? (peer.startsWith('workspace:') ? resolveWorkspaceRange(peer, coreVersion) : peer) : null;
  const patterns = [
    [new RegExp(String.raw`(\b[A-Z][A-Z0-9_]*VERSION\s*=\s*')(${SEMVER})(')`, 'g'), pkg.version],
    [new RegExp(String.raw`(name:\s*'${escapeRegExp(pkg.name)}',\s*version:\s*')(${SEMVER})(')`, 'g'), pkg.version],
    ...(coreRange ? [[new RegExp(String.raw`(name:\s*'${escapeRegExp(pkg.name)}',\s*version:\s*[^,]+,\s*core:\s*')([^']*)(')`, 'g'), coreRange]] : []),
  ];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    let next = text;
    for (const [re, want] of patterns)
      next = next.replace(re, (_m, a, v, b) => {
        if (v !== want) stale.push(`${relative(ROOT, f)}: '${v}', package.json of ${pkg.name} says '${want}'`);
        return `${a}${want}${b}`;
      });
    if (next !== text && !check) {
      writeFileSync(f, next);
      synced++;
    }
  }
}
if (check) {
  if (stale.length) {
    console.error(`sync-versions: ${stale.length} version constant(s) out of step (run node scripts/sync-versions.mjs):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log('sync-versions: every version constant matches its package.json');
} else console.log(`sync-versions: ${stale.length} constant(s) updated in ${synced} file(s)`);
