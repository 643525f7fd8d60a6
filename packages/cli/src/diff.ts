/**
 * `kvmdev diff` as data: what changed between two snapshots, one change per entry, each with
 * the lines `@kvmdev/core`'s `diffSnapshots` prints for it (its words, its order; a test checks
 * that the lines are exactly core's). `--json` prints a {@link SnapshotDiff}.
 * @packageDocumentation
 */
import type { Host, Snapshot, SnapshotDevice, SnapshotEntry } from '@kvmdev/core';
import type { StateEntry } from '@kvmdev/core/plugin';
import type { VmSnapshot } from './snapfile.js';

/** Where a device change is: the device's index in the snapshots, its registry key and its name. */
export interface DiffDevice {
  /** Index of the device in the snapshots' `devices` (creation order). */
  readonly index: number;
  /** The device's registry key (`KVM_DEV_TYPE_ARM_VGIC_V3`). */
  readonly device: string;
  /** The device's name in the VM config (`gic`), when a snapshot carries its config. */
  readonly name?: string;
}

/** One change between two snapshots. `text` is what `kvmdev diff` prints for it, in device terms. */
export type DiffChange =
  /** The vCPU ids differ. */
  | { readonly kind: 'vcpus'; readonly before: readonly number[]; readonly after: readonly number[]; readonly text: readonly string[] }
  /** The device at `index` is another one, or exists in one snapshot only (`null`). */
  | { readonly kind: 'device'; readonly index: number; readonly before: string | null; readonly after: string | null; readonly text: readonly string[] }
  /** A device parameter (set at creation, such as the number of sources) differs. */
  | (DiffDevice & { readonly kind: 'param'; readonly param: string; readonly before: unknown; readonly after: unknown; readonly text: readonly string[] })
  /**
   * A saved state entry changed, or is in one snapshot only (`before` or `after` is null). `key`
   * is the entry's key in the snapshot; `group`, `attr` (hex) and `vcpu` the attribute it was
   * saved through; values are hex strings as in the snapshot.
   */
  | (DiffDevice & {
      readonly kind: 'state';
      readonly change: 'changed' | 'added' | 'removed';
      readonly key: string;
      readonly group: number;
      readonly attr: string;
      readonly vcpu?: number;
      readonly before: string | null;
      readonly after: string | null;
      readonly text: readonly string[];
    });

/** The result of `kvmdev diff --json`. */
export interface SnapshotDiff {
  /** The first snapshot file, as named on the command line. */
  readonly a: string;
  /** The second snapshot file. */
  readonly b: string;
  /** True when nothing differs (exit code 0; 1 otherwise). */
  readonly same: boolean;
  /** Every change, in the order `diffSnapshots` reports them. */
  readonly changes: readonly DiffChange[];
}

function stateEntry(e: SnapshotEntry): StateEntry {
  const s: StateEntry = { key: e.key, group: e.group, attr: BigInt(e.attr), size: e.size, value: BigInt(e.value) };
  return e.vcpu === undefined ? s : { ...s, vcpu: e.vcpu };
}

function nameOf(s: VmSnapshot, i: number): string | undefined {
  const d = s.vm.config?.devices?.[i];
  return d ? (d.name ?? d.type) : undefined;
}

/**
 * The changes between two parsed snapshots (see `parseSnapshot`), each with the lines core's
 * `diffSnapshots` gives for it; `host` has the plugins whose specs describe the entries.
 */
export function diffChanges(host: Host, sa: Snapshot, sb: Snapshot): DiffChange[] {
  const out: DiffChange[] = [];
  if (sa.vm.vcpus.join(',') !== sb.vm.vcpus.join(','))
    out.push({ kind: 'vcpus', before: sa.vm.vcpus, after: sb.vm.vcpus, text: [`vCPUs: [${sa.vm.vcpus}] -> [${sb.vm.vcpus}]`] });
  const n = Math.max(sa.devices.length, sb.devices.length);
  for (let i = 0; i < n; i++) {
    const da: SnapshotDevice | undefined = sa.devices[i];
    const db: SnapshotDevice | undefined = sb.devices[i];
    if (!da || !db || da.key !== db.key) {
      out.push({ kind: 'device', index: i, before: da?.key ?? null, after: db?.key ?? null, text: [`device ${i}: ${da?.key ?? 'none'} -> ${db?.key ?? 'none'}`] });
      continue;
    }
    const name = nameOf(sa as VmSnapshot, i) ?? nameOf(sb as VmSnapshot, i);
    const where: DiffDevice = { index: i, device: da.key, ...(name !== undefined ? { name } : {}) };
    for (const k of new Set([...Object.keys(da.params), ...Object.keys(db.params)]))
      if (da.params[k] !== db.params[k])
        out.push({ kind: 'param', ...where, param: k, before: da.params[k] ?? null, after: db.params[k] ?? null, text: [`${da.key} ${k}: ${String(da.params[k])} -> ${String(db.params[k])}`] });
    const spec = host.registry.typeInfo(da.key)?.snapshot;
    const mb = new Map(db.state.map((e) => [e.key, e]));
    const at = (e: SnapshotEntry) => ({ key: e.key, group: e.group, attr: e.attr, ...(e.vcpu !== undefined ? { vcpu: e.vcpu } : {}) });
    for (const ea of da.state) {
      const eb = mb.get(ea.key);
      mb.delete(ea.key);
      if (!eb) {
        out.push({ kind: 'state', ...where, change: 'removed', ...at(ea), before: ea.value, after: null, text: [`${da.key} ${ea.key}: removed`] });
        continue;
      }
      if (ea.value === eb.value) continue;
      const lines = spec ? spec.describe(stateEntry(ea), BigInt(ea.value), BigInt(eb.value)) : [];
      out.push({ kind: 'state', ...where, change: 'changed', ...at(ea), before: ea.value, after: eb.value, text: lines.length ? lines : [`${da.key} ${ea.key}: ${ea.value} -> ${eb.value}`] });
    }
    for (const eb of mb.values()) out.push({ kind: 'state', ...where, change: 'added', ...at(eb), before: null, after: eb.value, text: [`${db.key} ${eb.key}: added (${eb.value})`] });
  }
  return out;
}
