/**
 * What a set of opened files means: a VM file (run its scenario), a snapshot that carries its
 * VM config (inspect it), a snapshot with its VM file (restore it onto that VM), or two
 * snapshots (diff them). The same rules serve drag and drop, the file picker and the URL.
 * @packageDocumentation
 */
import {
  type KvmPlugin,
  SNAPSHOT_FORMAT,
  type VmConfig,
  configuredPlugin,
  readCarriedPlugins,
} from '@kvmdev/core';
import type { SessionSource } from './session.js';
import { InputError, type VmFile, bundledPlugin, looksLikeVmFile, vmFileOf } from './vmfile.js';

/** An opened file, parsed. */
export interface OpenedFile {
  readonly name: string;
  readonly data: unknown;
}

/** What the page should show. */
export type Plan =
  | { readonly kind: 'inspect'; readonly source: SessionSource }
  | { readonly kind: 'diff'; readonly a: SessionSource; readonly b: SessionSource };

/** Whether parsed data is a kvmdev snapshot. */
export function isSnapshot(data: unknown): boolean {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as Record<string, unknown>).format === SNAPSHOT_FORMAT
  );
}

/**
 * The VM config a snapshot carries, or null for a snapshot made before snapshots carried it.
 * (Read from `vm.config`; see the package README.)
 */
export function snapshotConfig(data: unknown): VmConfig | null {
  const vm = (data as { vm?: { config?: unknown } }).vm;
  const c = vm?.config;
  return typeof c === 'object' && c !== null && !Array.isArray(c) ? (c as VmConfig) : null;
}

/**
 * The plugins a snapshot that carries its VM config was saved with (`$.vm.plugins`, checked as
 * the CLI checks it: core's readCarriedPlugins and configuredPlugin), each built with its options,
 * plus the bundled plugin of any device the list lacks; null when the snapshot names none (the
 * bundled plugins then).
 */
export function snapshotPlugins(
  name: string,
  data: unknown,
  bundled: readonly KvmPlugin[],
): KvmPlugin[] | null {
  const vm = (data as { vm?: Record<string, unknown> }).vm ?? {};
  const r = readCarriedPlugins(vm.plugins);
  if (r.issue) throw new InputError(name, `not a valid snapshot: ${r.issue.path}: ${r.issue.message}`);
  if (!r.plugins) return null;
  const out = r.plugins.map((p, i) =>
    configuredPlugin(
      bundledPlugin(bundled, p.name, `${name}: $.vm.plugins[${i}]`),
      p.options,
      (m) => new InputError(name, `not a valid snapshot: $.vm.plugins[${i}].options: ${m}`),
    ),
  );
  const devices = (data as { devices?: unknown }).devices;
  if (Array.isArray(devices))
    devices.forEach((d: unknown, i) => {
      const plugin = (d as { plugin?: unknown } | null)?.plugin;
      if (typeof plugin === 'string' && !out.some((p) => p.name === plugin))
        out.push(bundledPlugin(bundled, plugin, `${name}: $.devices[${i}].plugin`));
    });
  return out;
}

/**
 * Decides what to show for the opened files. `bundled`: the plugins the page carries. A session
 * gets the plugins its VM file names (built with their options), else the bundled ones.
 */
export function plan(files: readonly OpenedFile[], bundled: readonly KvmPlugin[]): Plan {
  const vms: VmFile[] = [];
  const snaps: OpenedFile[] = [];
  for (const f of files) {
    if (isSnapshot(f.data)) snaps.push(f);
    else if (looksLikeVmFile(f.data)) vms.push(vmFileOf(f.name, f.data, bundled));
    else
      throw new InputError(
        f.name,
        'neither a kvmdev snapshot (format: kvmdev-snapshot) nor a VM file (vm:)',
      );
  }
  if (vms.length > 1) throw new InputError(vms[1]!.name, 'open one VM file at a time');
  if (snaps.length > 2)
    throw new InputError(snaps[2]!.name, 'open one snapshot to inspect, or two to diff');
  const vm = vms[0];
  const sourceOf = (s: OpenedFile): SessionSource => {
    const carried = snapshotConfig(s.data);
    const config = carried ?? vm?.config;
    // the plugins go with the config: the snapshot's own, or the VM file's
    const plugins = carried ? snapshotPlugins(s.name, s.data, bundled) : (vm?.plugins ?? null);
    if (!config)
      throw new InputError(
        s.name,
        'this snapshot does not carry its VM config: open it together with the VM file it was made from',
      );
    return {
      title: vm && !snapshotConfig(s.data) ? `${s.name} on ${vm.name}` : s.name,
      config,
      snapshot: s.data,
      description: vm?.description ?? null,
      ...(plugins ? { plugins } : {}),
    };
  };
  if (snaps.length === 2) return { kind: 'diff', a: sourceOf(snaps[0]!), b: sourceOf(snaps[1]!) };
  if (snaps.length === 1) return { kind: 'inspect', source: sourceOf(snaps[0]!) };
  if (!vm) throw new InputError('(nothing)', 'open a snapshot or a VM file');
  return {
    kind: 'inspect',
    source: {
      title: vm.name,
      config: vm.config,
      description: vm.description,
      ...(vm.plugins ? { plugins: vm.plugins } : {}),
      ...(vm.scenario ? { scenario: { file: vm.name, steps: vm.scenario } } : {}),
    },
  };
}
