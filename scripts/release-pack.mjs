#!/usr/bin/env node
// `pnpm release:pack [--out <dir>] [--snapshot [tag]] [--keep]`
//
// In a temporary copy of the working tree (the repository is never modified): installs it from the
// pnpm store, versions every package with Changesets (`--snapshot` for a prerelease), brings the
// version constants in source along (scripts/sync-versions.mjs), builds, and packs each public
// package with `npm pack` into <dir> (default ./release) as the tarball that would be published:
//   - the version and CHANGELOG.md `changeset version` gives it;
//   - `workspace:` ranges resolved to those versions;
//   - the source export condition, scripts and devDependencies dropped; the root LICENSE added.
// Writes <dir>/manifest.json ({ name, version, file }[]) for the outside check.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishedManifest, workspaceDirs } from './release-lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = { out: join(ROOT, 'release'), snapshot: null, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' || a === '-o') o.out = resolve(argv[++i] ?? fail('--out needs a directory'));
    else if (a === '--snapshot') o.snapshot = argv[i + 1] && !argv[i + 1].startsWith('-') ? argv[++i] : 'snapshot';
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: pnpm release:pack [--out <dir>] [--snapshot [tag]] [--keep]');
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  return o;
}

let cleanup = () => {};

function fail(msg) {
  console.error(`release:pack: ${msg}`);
  cleanup();
  process.exit(1);
}

function run(cmd, args, cwd, quiet = false) {
  try {
    return execFileSync(cmd, args, { cwd, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8' });
  } catch (e) {
    if (quiet) process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
    fail(`${cmd} ${args.join(' ')} (in ${cwd}) failed`);
  }
}

const opts = parseArgs(process.argv.slice(2));
const tmp = mkdtempSync(join(tmpdir(), 'kvmdev-release-'));
const work = join(tmp, 'workspace');
cleanup = () => {
  if (opts.keep) console.error(`release:pack: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
};
console.log(`release:pack: versioning and building in ${work} (the repository is not modified)`);

// 1. a copy of the working tree (tracked and untracked, not ignored files), installed from the store
const listed = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
for (const f of listed) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(work, f), { recursive: true });
run('pnpm', ['install', '--offline', '--frozen-lockfile', '--reporter=silent'], work, true);
// changesets reads the git history when there is one; a one-commit repository keeps it local
const git = ['-c', 'user.name=release', '-c', 'user.email=release@localhost'];
run('git', ['init', '-q', '-b', 'main'], work, true);
run('git', [...git, 'add', '-A'], work, true);
run('git', [...git, 'commit', '-q', '--no-verify', '-m', 'release'], work, true);

// 2. `changeset version` (or a snapshot prerelease), then the version constants in source follow
const pending = readdirSync(join(work, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
console.log(`release:pack: ${pending.length} changeset(s)${opts.snapshot ? `, snapshot tag "${opts.snapshot}"` : ''}`);
if (pending.length) run('pnpm', ['exec', 'changeset', ...(opts.snapshot ? ['version', '--snapshot', opts.snapshot] : ['version'])], work, true);
run('node', ['scripts/sync-versions.mjs'], work, true);

const dirs = workspaceDirs(work);
const versioned = new Map();
for (const d of dirs) {
  const pkg = JSON.parse(readFileSync(join(work, d, 'package.json'), 'utf8'));
  versioned.set(pkg.name, { dir: d, pkg });
}
const versions = new Map([...versioned].map(([n, v]) => [n, v.pkg.version]));
const publicNames = new Set([...versioned].filter(([, v]) => !v.pkg.private).map(([n]) => n));

// 3. build the public packages from the versioned copy
console.log('release:pack: building');
run('pnpm', ['exec', 'turbo', 'run', 'build', ...[...publicNames].flatMap((n) => ['--filter', n]), '--output-logs=errors-only'], work, true);

// 4. stage and pack each public package
mkdirSync(opts.out, { recursive: true });
const packed = [];
for (const name of publicNames) {
  const { dir, pkg } = versioned.get(name);
  const src = join(work, dir);
  const stage = join(tmp, 'stage', dir);
  mkdirSync(stage, { recursive: true });
  const manifest = publishedManifest(pkg, versions, publicNames);
  for (const f of pkg.files ?? []) {
    if (!existsSync(join(src, f))) fail(`${name}: "files" lists ${f}, which does not exist in ${dir} (did the build run?)`);
    cpSync(join(src, f), join(stage, f), { recursive: true });
  }
  for (const bin of Object.values(typeof manifest.bin === 'string' ? { b: manifest.bin } : (manifest.bin ?? {})))
    if (!existsSync(join(stage, bin))) fail(`${name}: bin ${bin} is missing from the package`);
  cpSync(join(ROOT, 'LICENSE'), join(stage, 'LICENSE'));
  // a package that needs the release's versions at run time (create-kvmdev-plugin) names a file for them
  const versionsFile = pkg.kvmdev?.versionsFile;
  if (versionsFile) {
    const v = Object.fromEntries([...publicNames].map((n) => [n, versions.get(n)]));
    writeFileSync(join(stage, versionsFile), `${JSON.stringify(v, null, 2)}\n`);
    manifest.files = [...(manifest.files ?? []), versionsFile];
  }
  if (existsSync(join(src, 'CHANGELOG.md'))) {
    cpSync(join(src, 'CHANGELOG.md'), join(stage, 'CHANGELOG.md'));
    if (manifest.files && !manifest.files.includes('CHANGELOG.md')) manifest.files = [...manifest.files, 'CHANGELOG.md'];
  }
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const out = run('npm', ['pack', '--json', '--pack-destination', opts.out], stage, true);
  const info = JSON.parse(out)[0];
  packed.push({ name, version: manifest.version, file: info.filename, size: info.size, files: info.entryCount });
}

writeFileSync(join(opts.out, 'manifest.json'), `${JSON.stringify(packed, null, 2)}\n`);
if (opts.keep) console.log(`release:pack: kept ${tmp}`);
else rmSync(tmp, { recursive: true, force: true });

const w = Math.max(...packed.map((p) => p.name.length));
for (const p of packed) console.log(`  ${p.name.padEnd(w)}  ${p.version.padEnd(10)}  ${p.file}  (${(p.size / 1024).toFixed(1)} KiB, ${p.files} files)`);
console.log(`release:pack: ${packed.length} tarballs in ${relative(process.cwd(), opts.out) || '.'}`);
