/**
 * The entries of a file's `plugins:` list (a VM file's, the CLI's and the web inspector's): a
 * package name, or `{ name, options }` for a plugin built for those options through its
 * `configure` (a host profile). One set of checks and messages, so a file is refused with the
 * same words by every tool; where a message points (a line and column, a field path) is the
 * caller's.
 * @packageDocumentation
 */
import type { KvmPlugin } from '../plugins/plugin.js';

/** One `plugins:` entry, checked: the package name and, for the `{ name, options }` form, its options. */
export interface PluginEntry {
  /** The package name (`'@kvmdev/xics'`). */
  readonly name: string;
  /** The entry's `options:` as written (present exactly for the `{ name, options }` form); the plugin checks it ({@link configuredPlugin}). */
  readonly options?: unknown;
}

/** What is wrong with a `plugins:` entry. */
export interface PluginEntryIssue {
  /** The field inside the entry: `[]` the entry itself, `['name']`, or an unknown key (`['version']`). */
  readonly path: readonly string[];
  /** What is wrong (`expected a package name`). */
  readonly message: string;
}

/** The result of {@link readPluginEntry}: the entry, or the first issue. */
export type PluginEntryResult = { readonly entry: PluginEntry; readonly issue?: undefined } | { readonly entry?: undefined; readonly issue: PluginEntryIssue };

/** The message for a `plugins:` that is not a list. */
export const PLUGINS_NOT_A_LIST = 'expected a list of package names';

/**
 * Checks one `plugins:` entry: a non-empty package name, or a mapping with exactly `name` (a
 * package name) and `options` (`missing options: (or write the package name alone)` without
 * it). The options themselves are the plugin's to check: pass them to {@link configuredPlugin}.
 */
export function readPluginEntry(value: unknown): PluginEntryResult {
  const obj = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  if (obj) {
    for (const k of Object.keys(obj)) if (k !== 'name' && k !== 'options') return { issue: { path: [k], message: 'unknown key; a plugin entry has name and options' } };
    if (obj.options === undefined) return { issue: { path: [], message: 'missing options: (or write the package name alone)' } };
  }
  const name = obj ? obj.name : value;
  if (typeof name !== 'string' || !name) return { issue: { path: obj ? ['name'] : [], message: 'expected a package name' } };
  return { entry: obj ? { name, options: obj.options } : { name } };
}

/**
 * The plugin built for `options` (a file's `{ name, options }` entry) through its `configure`;
 * `plugin` itself when `options` is undefined. Options that are not a mapping, a plugin without
 * `configure`, or options it refuses are thrown as `fail(message)`: the caller names the field
 * and the kind of error (a VM file's or a snapshot's).
 */
export function configuredPlugin(plugin: KvmPlugin, options: unknown, fail: (message: string) => Error): KvmPlugin {
  if (options === undefined) return plugin;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw fail('expected a mapping of option names to values');
  if (!plugin.configure) throw fail(`plugin ${plugin.name} takes no options`);
  try {
    return plugin.configure(options as Record<string, unknown>);
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/**
 * One entry of a snapshot file's `$.vm.plugins`: a plugin the saved VM was composed with, as the
 * kvmdev CLI records it next to the VM config, so the snapshot alone restores on the same
 * modelled host.
 */
export interface CarriedPlugin {
  /** The plugin's package name. */
  readonly name: string;
  /** The plugin's version when the snapshot was saved. */
  readonly version: string;
  /** The options the plugin was built with (its host profile), absent for a default instance. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A problem with a snapshot's `$.vm.plugins`: the field (`$.vm.plugins[1].version`) and what is wrong. */
export interface CarriedPluginsIssue {
  /** The field, from the snapshot's root (`$.vm.plugins[0].options`). */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

/** The result of {@link readCarriedPlugins}: the list (null when the snapshot has none), or the first issue. */
export type CarriedPluginsResult =
  | { readonly plugins: readonly CarriedPlugin[] | null; readonly issue?: undefined }
  | { readonly plugins?: undefined; readonly issue: CarriedPluginsIssue };

/**
 * Checks a snapshot's `$.vm.plugins` (pass the value; undefined for a snapshot made before
 * snapshots carried it): a list of `{ name, version, options? }`. The options are only checked to
 * be a mapping; the plugin checks them when it is built ({@link configuredPlugin}).
 */
export function readCarriedPlugins(value: unknown): CarriedPluginsResult {
  if (value === undefined) return { plugins: null };
  const at = '$.vm.plugins';
  if (!Array.isArray(value)) return { issue: { path: at, message: 'expected a list of { name, version }' } };
  for (const [i, x] of (value as unknown[]).entries()) {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return { issue: { path: `${at}[${i}]`, message: 'expected { name, version }' } };
    const o = x as Record<string, unknown>;
    if (typeof o.name !== 'string' || !o.name) return { issue: { path: `${at}[${i}].name`, message: 'expected a package name' } };
    if (typeof o.version !== 'string') return { issue: { path: `${at}[${i}].version`, message: 'expected a version string' } };
    if (o.options !== undefined && (typeof o.options !== 'object' || o.options === null || Array.isArray(o.options)))
      return { issue: { path: `${at}[${i}].options`, message: 'expected a mapping of option names to values' } };
  }
  return { plugins: value as CarriedPlugin[] };
}
