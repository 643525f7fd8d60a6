// Pure helpers of the release scripts (release-pack.mjs, outside-check.mjs); tested in
// packages/repo-checks.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace package folders (relative), from pnpm-workspace.yaml's `dir/*` globs. */
export function workspaceDirs(root) {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [...yaml.matchAll(/^\s*-\s*['"]?([\w.-]+)\/\*['"]?\s*$/gm)].map((m) => m[1]);
  const out = [];
  for (const g of globs) {
    if (!existsSync(join(root, g))) continue;
    for (const e of readdirSync(join(root, g), { withFileTypes: true }))
      if (e.isDirectory() && existsSync(join(root, g, e.name, 'package.json'))) out.push(`${g}/${e.name}`);
  }
  return out.sort();
}

const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];

/** `workspace:^` → `^1.2.3`, `workspace:~` → `~1.2.3`, `workspace:*` → `1.2.3`, `workspace:<range>` → `<range>`. */
export function resolveWorkspaceRange(spec, version) {
  const r = spec.slice('workspace:'.length);
  if (r === '*' || r === '') return version;
  if (r === '^' || r === '~') return `${r}${version}`;
  return r;
}

/** Drops the repository-only `@kvmdev/source` condition (it points at src/, which is not published). */
export function stripSourceCondition(exp) {
  if (Array.isArray(exp)) return exp.map(stripSourceCondition);
  if (exp && typeof exp === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(exp)) if (k !== '@kvmdev/source') out[k] = stripSourceCondition(v);
    return out;
  }
  return exp;
}

/**
 * The package.json that goes into the tarball: `workspace:` ranges resolved with `versions`
 * (a workspace dependency must be public), no scripts, no devDependencies, no source condition.
 */
export function publishedManifest(pkg, versions, publicNames) {
  const out = { ...pkg };
  delete out.scripts;
  delete out.devDependencies;
  delete out.kvmdev;
  if (out.exports) out.exports = stripSourceCondition(out.exports);
  for (const f of DEP_FIELDS) {
    if (!out[f]) continue;
    const deps = { ...out[f] };
    for (const [n, spec] of Object.entries(deps)) {
      if (typeof spec !== 'string' || !spec.startsWith('workspace:')) continue;
      if (!versions.has(n)) throw new Error(`${pkg.name}: ${f}.${n} is ${spec} but ${n} is not a workspace package`);
      if (!publicNames.has(n)) throw new Error(`${pkg.name}: ${f}.${n} is a private workspace package; it cannot be a published dependency`);
      deps[n] = resolveWorkspaceRange(spec, versions.get(n));
    }
    out[f] = deps;
  }
  return out;
}

/** The fields every published package.json must have (the check in packages/repo-checks). */
export const REQUIRED_METADATA = ['name', 'version', 'description', 'license', 'author', 'repository', 'homepage', 'bugs', 'keywords', 'engines', 'sideEffects', 'files', 'exports'];
