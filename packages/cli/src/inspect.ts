/**
 * `kvmdev inspect`: every device of a VM in its plugin's terms (summary, state sections,
 * per-interrupt rows, per-vCPU interface), as data and as text. No device is special here.
 * @packageDocumentation
 */
import type { CpuState, InterruptRange, InterruptState, StateSection } from '@kvmdev/core/plugin';
import { type VmDevice, allInterrupts } from './devices.js';
import { type Colours, table } from './format.js';
import { hex } from './names.js';

/** One device's inspection. */
export interface DeviceInspection {
  /** The device's name in the VM config (or its key). */
  readonly device: string;
  /** The registration key of the device type. */
  readonly key: string;
  /** The plugin that registers the type. */
  readonly plugin: string;
  /** The plugin's one-line summary (null when the plugin gives no introspection spec). */
  readonly summary: string | null;
  /** The device's state sections from its view (registers and fields, grouped). */
  readonly state: readonly StateSection[];
  /** The interrupt ranges the device serves (e.g. SGIs, PPIs, SPIs; MPIC sources). */
  readonly ranges: readonly InterruptRange[];
  /** The interrupts shown: those out of their reset state, or every one with `all`. */
  readonly rows: readonly InterruptState[];
  /** Per-vCPU interrupt state (CPU interface / presentation controller). */
  readonly cpus: readonly CpuState[];
}

/** Reads a device through its view (interrupt rows range by range). */
export function inspectDevice(d: VmDevice, all: boolean): DeviceInspection {
  const view = d.view;
  const iv = view?.interrupts;
  const rows = allInterrupts(d);
  return {
    device: d.name,
    key: d.key,
    plugin: d.plugin,
    summary: view ? view.summary() : null,
    state: view ? view.state() : [],
    ranges: iv ? iv.ranges() : [],
    rows: all ? rows : rows.filter((x) => x.configured),
    cpus: iv ? d.target.vcpus.map((v) => iv.cpu(v.id)) : [],
  };
}

const yn = (v: boolean | null): string => (v === null ? '?' : v ? 'yes' : '-');

/** The inspections as text: a block per device. */
export function formatInspection(result: readonly DeviceInspection[], all: boolean, c: Colours): string {
  const out: string[] = [];
  for (const d of result) {
    out.push(c.bold(`${d.device} (${d.key})`) + (d.summary ? c.dim(`: ${d.summary}`) : ''));
    if (d.summary === null) {
      out.push(c.dim(`  ${d.plugin} gives no introspection spec for ${d.key}: nothing to show in device terms`));
      continue;
    }
    for (const sec of d.state) out.push(`  ${sec.title}: ${sec.fields.map((f) => `${f.name} ${f.text}`).join(', ') || 'nothing'}`);
    if (d.ranges.length) {
      if (d.rows.length)
        out.push(
          table(
            ['vCPU', 'IRQ', 'enabled', 'pending', 'active', 'priority', 'target', 'group', 'config'],
            d.rows.map((x) => [
              x.vcpu === null ? '-' : String(x.vcpu),
              x.name,
              yn(x.enabled),
              yn(x.pending),
              yn(x.active),
              x.priority === null ? '?' : hex(x.priority, 2),
              x.target,
              x.group === null ? '-' : String(x.group),
              x.config ?? '-',
            ]),
            c,
          ),
        );
      else out.push(c.dim(all ? '  no interrupts' : '  every interrupt is in its reset state (--all shows them)'));
    }
    for (const x of d.cpus) out.push(`  ${x.text}`);
  }
  if (!result.length) out.push(c.dim('the VM has no device'));
  return out.join('\n');
}
