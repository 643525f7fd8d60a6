/**
 * Which plugins a host gets: the first-party ones (each carries its own setup specs and
 * architecture profile) and third-party packages named in a VM file, loaded by package name.
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type KvmPlugin, createHost, type Host } from '@kvmdev/core';
import * as armVgicModule from '@kvmdev/arm-vgic';
import { mpic } from '@kvmdev/mpic';
import { xics } from '@kvmdev/xics';
import { inputError } from './errors.js';

/** True for an object shaped like a KvmPlugin. */
export function isPlugin(v: unknown): v is KvmPlugin {
  const p = v as Record<string, unknown>;
  return typeof v === 'object' && v !== null && typeof p.name === 'string' && typeof p.version === 'string' && typeof p.core === 'string';
}

/** The first-party plugins this CLI ships with, by package name. */
export function firstPartyPlugins(): Map<string, KvmPlugin> {
  const m = new Map<string, KvmPlugin>();
  const vgic = Object.values(armVgicModule as Record<string, unknown>).find((v) => isPlugin(v) && v.name === '@kvmdev/arm-vgic');
  for (const p of [vgic, mpic, xics]) if (isPlugin(p)) m.set(p.name, p);
  return m;
}

/** The names of the first-party packages (whether or not their plugin is ready). */
export const FIRST_PARTY_NAMES = ['@kvmdev/arm-vgic', '@kvmdev/mpic', '@kvmdev/xics'] as const;

function exportTarget(pkgDir: string): string | null {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const pick = (e: unknown): string | null => {
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object' && !Array.isArray(e)) {
      const o = e as Record<string, unknown>;
      if ('.' in o) return pick(o['.']);
      for (const k of ['import', 'node', 'default', 'require']) if (k in o) {
        const r = pick(o[k]);
        if (r) return r;
      }
    }
    return null;
  };
  const t = pick(pkg.exports) ?? (typeof pkg.module === 'string' ? pkg.module : null) ?? (typeof pkg.main === 'string' ? pkg.main : 'index.js');
  return t ? join(pkgDir, t) : null;
}

/** Resolves a package name from a directory (walking up node_modules), as a file path. */
export function resolvePackage(name: string, fromDir: string): string | null {
  try {
    return createRequire(join(fromDir, 'noop.js')).resolve(name);
  } catch {
    // ESM-only exports (no "require"/"default"): find the package directory ourselves
  }
  for (let d = fromDir; ; d = dirname(d)) {
    const pkgDir = join(d, 'node_modules', name);
    if (existsSync(join(pkgDir, 'package.json'))) return exportTarget(pkgDir);
    if (dirname(d) === d) return null;
  }
}

/** Where the CLI itself lives (for resolving plugins next to it). */
function cliDir(): string {
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return process.cwd();
  }
}

/**
 * Loads a plugin package by name: from `fromDir` first, then from the CLI's own location.
 * Returns the plugin object (the module's default export, or the export whose `name` is the
 * package name, or the only plugin-shaped export). Throws a CliError (exit 2) naming `where`.
 */
export async function loadPluginPackage(name: string, fromDir: string, where: string): Promise<KvmPlugin> {
  const first = firstPartyPlugins().get(name);
  if (first) return first;
  if ((FIRST_PARTY_NAMES as readonly string[]).includes(name))
    throw inputError(`${where}: plugin ${name} is installed but exports no plugin object yet`);
  const file = resolvePackage(name, fromDir) ?? resolvePackage(name, cliDir());
  if (!file) throw inputError(`${where}: unknown plugin ${name}: no such package from ${fromDir} or from the kvmdev CLI (npm install it next to the VM file)`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw inputError(`${where}: plugin ${name} (${file}) failed to load: ${(e as Error).message}`);
  }
  const cands = [mod.default, ...Object.values(mod)].filter(isPlugin);
  const p = cands.find((c) => c.name === name) ?? (cands.length ? cands[0] : undefined);
  if (!p) throw inputError(`${where}: package ${name} exports no kvmdev plugin (an object with name, version and core)`);
  return p;
}

/** The plugin built for a file's `{ name, options }` entry: `@kvmdev/core`'s, shared with the web inspector. */
export { configuredPlugin } from '@kvmdev/core';

/** A host with the given plugins registered; a registration error is bad input (exit 2). */
export function hostWith(plugins: readonly KvmPlugin[], where: string): Host {
  const host = createHost();
  for (const p of plugins) {
    try {
      host.use(p);
    } catch (e) {
      throw inputError(`${where}: ${(e as Error).message}`);
    }
  }
  return host;
}
