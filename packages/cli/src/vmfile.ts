/**
 * VM files: which plugins to load, the VM (a full `VmConfig` or a preset), and an optional
 * scenario. Every problem is reported with the file, line, column and field path.
 * @packageDocumentation
 */
import { dirname, resolve } from 'node:path';
import { type Host, type KvmPlugin, PLUGINS_NOT_A_LIST, type VmConfig, configuredPlugin, presets, readMemoryConfig, readPluginEntry, validateVmConfig } from '@kvmdev/core';
import type { ConfigIssue } from '@kvmdev/core/plugin';
import { inputError, show } from './errors.js';
import { firstPartyPlugins, hostWith, loadPluginPackage } from './plugins.js';
import { type FieldPath, SourceFile, formatPath, parsePath } from './source.js';

const FULL_KEYS = ['name', 'arch', 'vcpus', 'vmType', 'devices', 'order'];
const DEVICE_KEYS = ['type', 'name', 'settings'];

/** Options each preset takes (and what they accept). */
const PRESET_OPTIONS: Record<string, Record<string, (v: unknown) => string | null>> = {
  qemuE500: { vcpus: int, model: (v) => (v === '20' || v === '42' || v === 20 || v === 42 ? null : "expected '20' or '42'") },
  qemuPseries: { vcpus: int, sources: int },
  firecrackerArm64: { vcpus: int, gic: gic },
  qemuVirtArm64: { vcpus: int, gic: gic },
  firecrackerArm64Pci: { vcpus: int },
  cloudHypervisorArm64: { vcpus: int },
  qemuVirtArm64Its: { vcpus: int },
};
function int(v: unknown): string | null {
  return typeof v === 'number' && Number.isInteger(v) ? null : `expected an integer, got ${show(v)}`;
}
function gic(v: unknown): string | null {
  return v === 'v2' || v === 'v3' ? null : `expected v2 or v3, got ${show(v)}`;
}

/** A loaded VM file. */
export interface VmFile {
  /** The file's path as given (for messages). */
  readonly path: string;
  /** The parsed file. */
  readonly source: SourceFile;
  /** Absolute directory of the file (plugins and scenario files resolve from it). */
  readonly dir: string;
  /** The plugins the file loads (its `plugins:` list). */
  readonly plugins: readonly KvmPlugin[];
  /** The host created with those plugins. */
  readonly host: Host;
  /** The VM config of the file (vCPUs and devices), validated. */
  readonly config: VmConfig;
  /** The `scenario:` list of the file, if any. */
  readonly scenario?: { readonly source: SourceFile; readonly steps: readonly unknown[]; readonly path: FieldPath };
}

/** Loads the plugins a VM file names (`plugins:`), or the first-party ones when it names none. */
export async function loadPlugins(source: SourceFile, dir: string): Promise<KvmPlugin[]> {
  const d = source.data as Record<string, unknown>;
  if (d.plugins === undefined) return [...firstPartyPlugins().values()];
  if (!Array.isArray(d.plugins)) throw source.error(['plugins'], PLUGINS_NOT_A_LIST);
  const out: KvmPlugin[] = [];
  for (let i = 0; i < d.plugins.length; i++) {
    // a package name, or { name, options } for a plugin built with options (a host profile): core's checks
    const { entry, issue } = readPluginEntry(d.plugins[i] as unknown);
    if (issue) throw source.error(['plugins', i, ...issue.path], issue.message);
    const plugin = await loadPluginPackage(entry.name, dir, `${source.where(['plugins', i])}: plugins[${i}]`);
    const where = `${source.where(['plugins', i, 'options'])}: plugins[${i}].options`;
    out.push(configuredPlugin(plugin, entry.options, (m) => inputError(`${where}: ${m}`)));
  }
  return out;
}

/** Expands `vm:` into a VmConfig (a preset call or the config as written). */
export function vmConfigOf(source: SourceFile, vm: unknown): VmConfig {
  if (typeof vm !== 'object' || vm === null || Array.isArray(vm)) throw source.error(['vm'], 'expected a VM config (arch, vcpus, devices) or { preset: name, ... }');
  const v = vm as Record<string, unknown>;
  if (v.preset === undefined) {
    // core's validation names what is missing or wrong; unknown keys are the file's to report
    for (const k of Object.keys(v))
      if (!FULL_KEYS.includes(k))
        throw source.error(['vm', k], k === 'memory' ? "guest memory is the VM file's own memory: section, next to vm:" : `unknown key; a VM config has ${FULL_KEYS.join(', ')} (or preset: with its options)`);
    if (Array.isArray(v.devices))
      v.devices.forEach((d: unknown, i: number) => {
        if (typeof d === 'object' && d !== null && !Array.isArray(d))
          for (const k of Object.keys(d)) if (!DEVICE_KEYS.includes(k)) throw source.error(['vm', 'devices', i, k], `unknown key; a device has ${DEVICE_KEYS.join(', ')}`);
      });
    return v as unknown as VmConfig;
  }
  const name = v.preset;
  const opts = typeof name === 'string' ? PRESET_OPTIONS[name] : undefined;
  if (typeof name !== 'string' || !opts || !(name in presets))
    throw source.error(['vm', 'preset'], `unknown preset ${show(name)}; presets are ${Object.keys(presets).join(', ')}`);
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'preset') continue;
    const check = opts[k];
    if (!check) throw source.error(['vm', k], `${name} takes ${Object.keys(opts).join(', ')}`);
    const bad = check(x);
    if (bad) throw source.error(['vm', k], bad);
    o[k] = k === 'model' ? String(x) : x;
  }
  return (presets as Record<string, (o: Record<string, unknown>) => VmConfig>)[name]!(o);
}

const FILE_KEYS = ['plugins', 'vm', 'memory', 'scenario', 'description'];

/**
 * The file's `memory:` section (guest RAM slots `{ gpa, size }`), checked by core's
 * readMemoryConfig (the rules `composeVm` applies) and reported at the file's field; undefined
 * when the file has none.
 */
function memoryOf(source: SourceFile, memory: unknown): VmConfig['memory'] {
  if (memory === undefined) return undefined;
  const { slots, issues } = readMemoryConfig(memory);
  if (issues.length) {
    const lines = issues.map((is) => {
      const p = parsePath(is.path);
      return `${source.where(p)}: ${formatPath(p)}: ${is.message}`;
    });
    throw invalid(lines);
  }
  // as hex strings, as the config a snapshot carries ($.vm.config) writes addresses
  return slots.map((m) => ({ gpa: `0x${m.gpa.toString(16)}`, size: `0x${m.size.toString(16)}` }));
}

/** Loads a VM file: parse, load plugins, build the config and validate it (exit 2 on any problem). */
export async function loadVmFile(path: string): Promise<VmFile> {
  const source = SourceFile.load(path);
  const dir = dirname(resolve(path));
  const d = source.data as Record<string, unknown>;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw source.error([], 'a VM file is a mapping with vm: (and plugins:, scenario:)');
  for (const k of Object.keys(d)) if (!FILE_KEYS.includes(k)) throw source.error([k], `unknown key; a VM file has ${FILE_KEYS.join(', ')}`);
  if (d.vm === undefined) throw source.error([], 'missing vm:');
  const plugins = await loadPlugins(source, dir);
  const host = hostWith(plugins, path);
  const memory = memoryOf(source, d.memory);
  const vmConfig = vmConfigOf(source, d.vm);
  const config: VmConfig = memory ? { ...vmConfig, memory } : vmConfig;
  const issues = vmIssues(host, config);
  if (issues.length) {
    const v = d.vm as Record<string, unknown>;
    const preset = v.preset !== undefined ? String(v.preset) : undefined;
    const lines = issues.map((is) => {
      if (preset === undefined) {
        const p: FieldPath = ['vm', ...parsePath(is.path)];
        return `${source.where(p)}: vm.${is.path}: ${is.message}`;
      }
      // a preset's config has fields the file does not: name the option that leads to the issue
      const opt = is.path === 'vcpus' ? 'vcpus' : blame(host, preset, v, is.path);
      const p: FieldPath = opt ? ['vm', opt] : ['vm', 'preset'];
      return `${source.where(p)}: ${formatPath(p)}: ${is.message}${opt === 'vcpus' && is.path === 'vcpus' ? '' : ` (${is.path} of preset ${preset})`}`;
    });
    throw invalid(lines);
  }
  let scenario: VmFile['scenario'];
  if (d.scenario !== undefined) {
    if (!Array.isArray(d.scenario)) throw source.error(['scenario'], 'expected a list of steps');
    scenario = { source, steps: d.scenario, path: ['scenario'] };
  }
  return { path, source, dir, plugins, host, config, ...(scenario ? { scenario } : {}) };
}

/**
 * The issues of a config, without the consequences of a bad vCPU count: device settings are
 * checked against the vCPU count too (a GICv3 redistributor region holds so many), so with an
 * invalid count only the count itself is reported.
 */
function vmIssues(host: Host, config: VmConfig): ConfigIssue[] {
  const issues = validateVmConfig(host, config);
  if (!issues.some((i) => i.path === 'vcpus')) return issues;
  const withOne = new Set(validateVmConfig(host, { ...config, vcpus: 1 }).map((i) => i.path));
  return issues.filter((i) => i.path === 'vcpus' || withOne.has(i.path));
}

/** The preset option without which the issue at `path` goes away (its default kept), or null. */
function blame(host: Host, preset: string, v: Record<string, unknown>, path: string): string | null {
  const make = (presets as Record<string, (o: Record<string, unknown>) => VmConfig>)[preset]!;
  for (const k of Object.keys(v)) {
    if (k === 'preset') continue;
    const o: Record<string, unknown> = {};
    for (const [x, y] of Object.entries(v)) if (x !== 'preset' && x !== k) o[x] = x === 'model' ? String(y) : y;
    if (!vmIssues(host, make(o)).some((i) => i.path === path)) return k;
  }
  return null;
}

function invalid(lines: string[]): Error {
  return inputError(lines.length === 1 ? lines[0]! : `invalid VM config:\n  ${lines.join('\n  ')}`);
}

/** Loads a scenario file: a list of steps, or a mapping with `scenario:`. */
export function loadScenarioFile(path: string): { source: SourceFile; steps: readonly unknown[]; path: FieldPath } {
  const source = SourceFile.load(path);
  const d = source.data;
  if (Array.isArray(d)) return { source, steps: d, path: [] };
  if (typeof d === 'object' && d !== null && Array.isArray((d as Record<string, unknown>).scenario))
    return { source, steps: (d as Record<string, unknown>).scenario as unknown[], path: ['scenario'] };
  throw source.error([], 'a scenario file is a list of steps or a mapping with scenario:');
}
