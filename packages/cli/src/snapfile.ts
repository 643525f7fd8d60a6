/**
 * Snapshot files as the CLI writes and reads them: `@kvmdev/core`'s snapshot (`saveSnapshot`)
 * plus what the VM was composed from, under `$.vm`: the VM config (`$.vm.config`) and the
 * plugins' names and versions (`$.vm.plugins`). A snapshot file alone is then enough to
 * restore, inspect and diff (the web inspector reads the same fields). Snapshots saved before
 * they carried these are still read; a command that needs the config says so (exit code 3).
 * @packageDocumentation
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type ComposedVm,
  type Host,
  type KvmPlugin,
  type Snapshot,
  SnapshotError,
  type VmConfig,
  parseSnapshot,
  readCarriedPlugins,
  saveSnapshot,
  validateVmConfig,
} from '@kvmdev/core';
import { inputError, snapshotError, snapshotMessage } from './errors.js';
import { configuredPlugin, firstPartyPlugins, hostWith, loadPluginPackage } from './plugins.js';

/** A plugin a snapshot's VM was composed with (`$.vm.plugins[i]`). */
export interface SnapshotPlugin {
  /** The plugin's package name. */
  readonly name: string;
  /** The plugin's version when the snapshot was saved. */
  readonly version: string;
  /** The options the plugin was built with (its host profile...), absent for a default instance. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A snapshot file as the CLI writes it: core's snapshot, its `vm` carrying the config and the plugins. */
export interface VmSnapshot extends Snapshot {
  /** The VM: its type and vCPU ids (core's), its config and its plugins (the CLI's; absent in older snapshots). */
  vm: Snapshot['vm'] & { config?: VmConfig; plugins?: SnapshotPlugin[] };
}

/** A VM to compose: where it comes from (for messages), the host with its plugins, the config. */
export interface VmSource {
  /** The file it comes from: a VM file, or a snapshot carrying its config. */
  readonly path: string;
  /** The plugins loaded for it. */
  readonly plugins: readonly KvmPlugin[];
  /** A host with those plugins. */
  readonly host: Host;
  /** The validated VM config. */
  readonly config: VmConfig;
}

/** JSON text with bigints as hex strings (VM configs from YAML may hold 64-bit values). */
function json(v: unknown): string {
  return `${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x), 2)}\n`;
}

/** The devices of a VM whose plugin gives no snapshot support: `vm.devices[i]` index, name and key. */
export function devicesWithoutSnapshot(host: Host, vm: ComposedVm): { index: number; name: string; key: string; plugin: string }[] {
  const out: { index: number; name: string; key: string; plugin: string }[] = [];
  vm.devices.forEach((d, index) => {
    const info = host.registry.typeInfo(d.key);
    if (!info?.snapshot) out.push({ index, name: d.name, key: d.key, plugin: info?.plugin ?? 'no plugin' });
  });
  return out;
}

/** Why a VM cannot be saved (a device without snapshot support), or null when it can. */
export function whyNoSnapshot(host: Host, vm: ComposedVm): string | null {
  const bad = devicesWithoutSnapshot(host, vm);
  if (!bad.length) return null;
  const list = bad.map((d) => `vm.devices[${d.index}] ${d.name === d.key ? d.key : `${d.name} (${d.key})`}`).join(', ');
  return `this VM cannot be saved: ${bad.length > 1 ? 'its devices' : 'its device'} ${list} ${bad.length > 1 ? 'have' : 'has'} no snapshot support (${[...new Set(bad.map((d) => d.plugin))].join(', ')} ${bad.length > 1 ? 'give' : 'gives'} none)`;
}

/** Saves the VM (core's `saveSnapshot`) with its config and the host's plugins under `$.vm`. */
export function takeSnapshot(host: Host, vm: ComposedVm): VmSnapshot {
  const snap = saveSnapshot(host, vm.vm.fd);
  const plugins = host.registry.listPlugins().map((p) => ({ name: p.name, version: p.version, ...(p.options ? { options: p.options } : {}) }));
  return { ...snap, vm: { ...snap.vm, config: JSON.parse(json(vm.config)) as VmConfig, plugins } };
}

/** Saves the VM to a file (see {@link takeSnapshot}); returns the snapshot. */
export function writeSnapshotFile(path: string, host: Host, vm: ComposedVm): VmSnapshot {
  const snap = takeSnapshot(host, vm);
  writeFileSync(path, json(snap));
  return snap;
}

/**
 * Reads a snapshot file as JSON: a file that cannot be read is bad input (exit code 2), one that
 * is not JSON (truncated, say) a refused snapshot (exit code 3) with `file:line:col`.
 */
export function readSnapshotFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw inputError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.replace(/, ".*" is not valid JSON$/s, '');
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : /end of JSON input/.test(msg) ? text.length : jsonErrorAt(text);
    let where = path;
    if (pos !== null) {
      const before = text.slice(0, pos);
      where = `${path}:${before.split('\n').length}:${pos - before.lastIndexOf('\n')}`;
    }
    const what = msg.replace(/ in JSON at position \d+.*$/, '').replace(/^(Unexpected end of JSON input).*$/, '$1 (a truncated file?)');
    throw snapshotError(`${where}: not a snapshot: syntax error: ${what}`);
  }
}

/**
 * Where JSON text stops being JSON (a character offset), or null if it is JSON: V8's messages
 * give no position for some errors (`Unexpected token '}'`), and a message should say where.
 */
export function jsonErrorAt(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (w: string) => {
    if (text.startsWith(w, i)) i += w.length;
    else fail();
  };
  const str = () => {
    i++;
    for (;;) {
      const ch = text.charCodeAt(i);
      if (i >= text.length || ch < 0x20) fail();
      if (ch === 0x22) return void i++;
      if (ch === 0x5c) {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++;
        else fail();
      } else i++;
    }
  };
  /** An object (`close` '}') or array (']') from its opening bracket: members separated by commas; an object's members are `"key": value`. */
  const members = (close: '}' | ']'): void => {
    i++;
    ws();
    if (text[i] === close) return void i++;
    for (;;) {
      if (close === '}') {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
      }
      value();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === close) return void i++;
      else fail();
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') members('}');
    else if (c === '[') members(']');
    else if (c === '"') str();
    else if (c === 't') lit('true');
    else if (c === 'f') lit('false');
    else if (c === 'n') lit('null');
    else number();
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    return i < text.length ? i : null;
  } catch (at) {
    // a number is where it failed; anything else (nesting too deep to walk) leaves it unknown
    return typeof at === 'number' ? at : null;
  }
}

/** The plugins a snapshot names (`$.vm.plugins`), checked; null when it names none (an older snapshot). */
function carriedPlugins(path: string, vm: Record<string, unknown>): readonly SnapshotPlugin[] | null {
  const r = readCarriedPlugins(vm.plugins); // core's checks, shared with the web inspector
  if (r.issue) throw snapshotError(`${path}: not a valid snapshot: ${r.issue.path}: ${r.issue.message}`);
  return r.plugins;
}

/**
 * Checks a snapshot's shape (core's `parseSnapshot`, and the CLI's `$.vm.config` and
 * `$.vm.plugins` when present); a problem is a refused snapshot (exit code 3) naming the field.
 */
export function parseSnapshotFile(path: string, data: unknown): VmSnapshot {
  let snap: Snapshot;
  try {
    snap = parseSnapshot(data);
  } catch (e) {
    if (e instanceof SnapshotError) throw snapshotError(`${path}: not a valid snapshot: ${snapshotMessage(e)}`);
    throw e;
  }
  const vm = snap.vm as Record<string, unknown>;
  const c = vm.config;
  if (c !== undefined && (typeof c !== 'object' || c === null || Array.isArray(c)))
    throw snapshotError(`${path}: not a valid snapshot: $.vm.config: expected a VM config (arch, vcpus, devices)`);
  carriedPlugins(path, vm);
  return snap as VmSnapshot;
}

/** The plugins to load for a snapshot: `$.vm.plugins`, else the first-party ones and those its devices name. */
async function snapshotPlugins(path: string, snap: VmSnapshot): Promise<KvmPlugin[]> {
  const dir = dirname(resolve(path));
  const named = carriedPlugins(path, snap.vm as Record<string, unknown>);
  const out: KvmPlugin[] = [];
  if (named)
    for (const [i, p] of named.entries()) {
      const plugin = await loadPluginPackage(p.name, dir, `${path}: $.vm.plugins[${i}]`);
      out.push(configuredPlugin(plugin, p.options, (m) => snapshotError(`${path}: not a valid snapshot: $.vm.plugins[${i}].options: ${m}`)));
    }
  else out.push(...firstPartyPlugins().values());
  // and the plugin of each device, if the list lacks it
  for (const [i, d] of snap.devices.entries())
    if (!out.some((p) => p.name === d.plugin)) out.push(await loadPluginPackage(d.plugin, dir, `${path}: $.devices[${i}].plugin`));
  return out;
}

/** A host with the plugins a snapshot needs (for `kvmdev diff` of snapshots alone). */
export async function snapshotHost(path: string, snap: VmSnapshot): Promise<{ host: Host; plugins: KvmPlugin[] }> {
  const plugins = await snapshotPlugins(path, snap);
  return { host: hostWith(plugins, path), plugins };
}

/**
 * The VM a snapshot was saved from, from the config it carries: its plugins loaded by name, the
 * config validated. A snapshot without `$.vm.config` is refused (exit code 3) with what to do.
 */
export async function snapshotVm(path: string, snap: VmSnapshot, command: string): Promise<VmSource> {
  const config = snap.vm.config;
  if (config === undefined)
    throw snapshotError(
      `${path}: $.vm.config: missing: this snapshot does not carry its VM config (saved by an older kvmdev); name the VM file it was made from too: kvmdev ${command} <vm-file> ${path}`,
    );
  const { host, plugins } = await snapshotHost(path, snap);
  const issues = validateVmConfig(host, config);
  if (issues.length) throw snapshotError(`${path}: not a valid snapshot: $.vm.config.${issues[0]!.path}: ${issues[0]!.message}`);
  return { path, plugins, host, config };
}

/** Whether parsed data looks like a kvmdev snapshot (`"format": "kvmdev-snapshot"`). */
export function looksLikeSnapshot(data: unknown): boolean {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && (data as Record<string, unknown>).format === 'kvmdev-snapshot';
}
