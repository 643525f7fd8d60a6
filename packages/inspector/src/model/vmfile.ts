/**
 * VM files (the `kvmdev run` format: `plugins:`, `vm:` as a preset or a full VmConfig,
 * `scenario:`) and their text (YAML or JSON), read in the browser.
 * @packageDocumentation
 */
import {
  type KvmPlugin,
  PLUGINS_NOT_A_LIST,
  type VmConfig,
  configuredPlugin,
  presets,
  readMemoryConfig,
  readPluginEntry,
} from '@kvmdev/core';
import { formatPath } from './numbers.js';

/** The top-level keys of a VM file. */
const FILE_KEYS = ['plugins', 'vm', 'memory', 'scenario', 'description'];

/** Bad input: a file the page cannot use. `where` names the file and field. */
export class InputError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'InputError';
  }
}

/** A VM file as the page uses it. */
export interface VmFile {
  readonly name: string;
  readonly description: string | null;
  /** The VM config, with the file's `memory:` slots as `memory`. */
  readonly config: VmConfig;
  /**
   * The plugins the file names (`plugins:`), each built for its `options:` if it has them; null
   * when the file names none (the page's bundled plugins then).
   */
  readonly plugins: readonly KvmPlugin[] | null;
  /** The `scenario:` steps (unchecked; the scenario parser checks them), or null. */
  readonly scenario: readonly unknown[] | null;
}

/** Converts parsed bigints that fit a double back to numbers (64-bit values stay bigints). */
function normalise(v: unknown): unknown {
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalise(x);
    return o;
  }
  return v;
}

/**
 * Parses a file's text: JSON when it looks like JSON, else YAML (loaded on first use, so a
 * page that only opens snapshots never downloads the YAML parser).
 */
export async function parseText(name: string, text: string): Promise<unknown> {
  const t = text.trimStart();
  if (/\.json$/i.test(name) || t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      if (/\.json$/i.test(name))
        throw new InputError(name, `syntax error: ${(e as Error).message}`);
    }
  }
  const { LineCounter, parseDocument } = await import('yaml');
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    intAsBigInt: true,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
    throw new InputError(
      pos ? `${name}:${pos.line}:${pos.col}` : name,
      `syntax error: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  return normalise(doc.toJS({ maxAliasCount: 1000 }));
}

/** Whether parsed data is a VM file (it has `vm:`), as opposed to a snapshot. */
export function looksLikeVmFile(data: unknown): boolean {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && 'vm' in data;
}

/**
 * Reads a parsed VM file. `bundled` are the plugins the page carries; a file that names another
 * is refused (the page cannot load packages by name). A `plugins:` entry is checked as the CLI
 * checks it (`@kvmdev/core`'s readPluginEntry and configuredPlugin): a package name, or
 * `{ name, options }` built for those options through the plugin's `configure`.
 */
export function vmFileOf(name: string, data: unknown, bundled: readonly KvmPlugin[]): VmFile {
  const at = (...p: (string | number)[]) => `${name}: ${formatPath(p)}`;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new InputError(name, 'a VM file is a mapping with vm: (and plugins:, scenario:)');
  const d = data as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (!FILE_KEYS.includes(k))
      throw new InputError(at(k), `unknown key; a VM file has ${FILE_KEYS.join(', ')}`);
  let plugins: KvmPlugin[] | null = null;
  if (d.plugins !== undefined) {
    if (!Array.isArray(d.plugins)) throw new InputError(at('plugins'), PLUGINS_NOT_A_LIST);
    plugins = d.plugins.map((p: unknown, i) => {
      const { entry, issue } = readPluginEntry(p);
      if (issue) throw new InputError(at('plugins', i, ...issue.path), issue.message);
      const plugin = bundledPlugin(bundled, entry.name, at('plugins', i));
      return configuredPlugin(
        plugin,
        entry.options,
        (m) => new InputError(at('plugins', i, 'options'), m),
      );
    });
  }
  if (d.vm === undefined) throw new InputError(name, 'missing vm:');
  // guest RAM: core's checks (the CLI's, and composeVm's), reported at the file's field
  const memory = readMemoryConfig(d.memory);
  const issue = memory.issues[0];
  if (issue) throw new InputError(`${name}: ${issue.path}`, issue.message);
  if (d.scenario !== undefined && !Array.isArray(d.scenario))
    throw new InputError(at('scenario'), 'expected a list of steps');
  return {
    name,
    description: typeof d.description === 'string' ? d.description : null,
    config:
      d.memory === undefined
        ? configOf(name, d.vm)
        : {
            ...configOf(name, d.vm),
            // as hex strings, as kvmdev writes them into a snapshot's $.vm.config
            memory: memory.slots.map((m) => ({
              gpa: `0x${m.gpa.toString(16)}`,
              size: `0x${m.size.toString(16)}`,
            })),
          },
    plugins,
    scenario: (d.scenario as unknown[] | undefined) ?? null,
  };
}

/** The bundled plugin named `name`, or an InputError at `where` (the page cannot load packages by name). */
export function bundledPlugin(bundled: readonly KvmPlugin[], name: string, where: string): KvmPlugin {
  const plugin = bundled.find((b) => b.name === name);
  if (!plugin)
    throw new InputError(
      where,
      `${JSON.stringify(name)} is not part of this page (it carries ${bundled.map((b) => b.name).join(', ')}); use kvmdev inspect in a terminal for other plugins`,
    );
  return plugin;
}

/** Expands `vm:` (a preset call or the config as written). */
export function configOf(name: string, vm: unknown): VmConfig {
  if (typeof vm !== 'object' || vm === null || Array.isArray(vm))
    throw new InputError(
      `${name}: vm`,
      'expected a VM config (arch, vcpus, devices) or { preset: name, ... }',
    );
  const v = vm as Record<string, unknown>;
  if (v.preset === undefined) return v as unknown as VmConfig;
  const p = v.preset;
  if (typeof p !== 'string' || !(p in presets))
    throw new InputError(
      `${name}: vm.preset`,
      `unknown preset ${JSON.stringify(p)}; presets are ${Object.keys(presets).join(', ')}`,
    );
  const opts: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    if (k !== 'preset') opts[k] = k === 'model' ? String(x) : x;
  return (presets as unknown as Record<string, (o: Record<string, unknown>) => VmConfig>)[p]!(opts);
}
