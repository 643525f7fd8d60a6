/**
 * A session: one VM in the page, composed from a VM file or from a snapshot, its devices'
 * views, the frames (state after each step), which step changed which cell, and the trace.
 * Stepping back shows an earlier frame; stepping past the last run step runs the next one.
 * @packageDocumentation
 */
import {
  type ComposedVm,
  type Host,
  type KvmPlugin,
  type VmConfig,
  composeVm,
  createHost,
  isKvmError,
  restoreSnapshot,
  validateVmConfig,
} from '@kvmdev/core';
import { DeviceFrame, type FrameChanges } from './frame.js';
import { type DeviceNames, type DeviceView, specOf } from './introspect.js';
import { Layout } from './layout.js';
import { hex } from './numbers.js';
import { type RunDevice, StepRunner, type TraceEvent } from './runner.js';
import { type Step, type StepContext, parseScenario } from './steps.js';
import { InputError } from './vmfile.js';

/** One device of the session. */
export interface SessionDevice extends RunDevice {
  readonly plugin: string;
  readonly layout: Layout;
}

/** What changed at one step, per device (same order as {@link Session.devices}). */
export type StepChanges = readonly FrameChanges[];

/** Where a session's VM comes from. */
export interface SessionSource {
  /** Shown as the page's title: the file name. */
  readonly title: string;
  readonly config: VmConfig;
  /** A snapshot to restore after composing. */
  readonly snapshot?: unknown;
  /** Scenario steps to run (unchecked) and the file they come from. */
  readonly scenario?: { readonly file: string; readonly steps: readonly unknown[] };
  readonly description?: string | null;
  /** The plugins a VM file names, built with their options; the session's default plugins when absent. */
  readonly plugins?: readonly KvmPlugin[];
}

/** Cell identity inside one device: `row * (vcpus + 1) + (col + 1)`, col -1 for a global row. */
export function cellId(layout: Layout, row: number, col: number | null): number {
  return row * (layout.vcpus.length + 1) + (col === null ? 0 : col + 1);
}

/** The page's state of one VM. */
export class Session {
  readonly host: Host;
  readonly vm: ComposedVm;
  readonly devices: readonly SessionDevice[];
  readonly steps: readonly Step[];
  /** frames[k]: every device after k steps (frames[0]: after composing and restoring). */
  readonly frames: DeviceFrame[][] = [];
  /** changes[k - 1]: what step k - 1 changed (one entry per device). */
  readonly changes: StepChanges[] = [];
  /** Steps that changed a cell, per device: cellId -> step indexes, ascending. */
  private readonly cellSteps: Map<number, number[]>[];
  /** Steps that changed a vCPU interface, per device: column -> step indexes. */
  private readonly cpuSteps: Map<number, number[]>[];
  private readonly runner: StepRunner | null;
  /** The frame the page shows (0 .. executed). */
  position = 0;

  constructor(
    readonly source: SessionSource,
    plugins: readonly KvmPlugin[],
  ) {
    this.host = createHost({ plugins: [...(source.plugins ?? plugins)] });
    const issues = validateVmConfig(this.host, source.config);
    if (issues.length)
      throw new InputError(
        source.title,
        `invalid VM config: ${issues.map((i) => `vm.${i.path}: ${i.message}`).join('; ')}`,
      );
    this.vm = composeVm(this.host, source.config);
    if (source.snapshot !== undefined) restoreSnapshot(this.host, this.vm.vm.fd, source.snapshot);
    const vcpuIds = this.vm.vcpus.map((v) => v.id);
    this.devices = this.vm.devices.map((d) => {
      const spec = specOf(this.host, d.key);
      const view = spec
        ? spec.open({ vm: this.vm.vm, device: d.handle, vcpus: this.vm.vcpus })
        : null;
      const iv = view?.interrupts;
      const layout = iv
        ? Layout.of(d.name, d.key, iv, vcpuIds)
        : new Layout(d.name, d.key, [], vcpuIds, 'irq');
      return {
        name: d.name,
        key: d.key,
        handle: d.handle,
        plugin: d.handle.info?.plugin ?? '?',
        view,
        layout,
      };
    });
    this.cellSteps = this.devices.map(() => new Map());
    this.cpuSteps = this.devices.map(() => new Map());
    this.frames.push(this.liveFrames());
    const names = mergedNames(this.host, this.devices);
    if (source.scenario) {
      const ctx: StepContext = {
        arch: source.config.arch,
        vcpus: vcpuIds,
        devices: this.vm.devices.map((d) => ({
          name: d.name,
          key: d.key,
          groups: () => d.handle.info?.attrs ?? [],
          payloadSize: (g, a) => d.handle.payloadSize(g, a),
        })),
        sysregs: names.sysregs,
        hypercalls: names.hypercalls,
        hypercallReturns: names.hypercallReturns,
        irqLineLevels: names.irqLineLevels,
        line:
          this.devices.find((d) => d.view?.interrupts)?.layout.line ??
          (source.config.arch === 'arm64' ? 'irq' : 'external'),
        hasGuestOps: this.devices.some((d) => d.view?.guest),
        memory: this.vm.memory,
      };
      this.steps = parseScenario(source.scenario.file, source.scenario.steps, ctx);
      const nameOf = (m: ReadonlyMap<string, number>, v: number): string | null => {
        for (const [k, x] of m) if (x === v) return k;
        return null;
      };
      this.runner = new StepRunner(this.host, this.vm, this.devices, this.steps, {
        sysreg: (e) =>
          nameOf(names.sysregs, e) ??
          `S${(e >> 14) & 3}_${(e >> 11) & 7}_C${(e >> 7) & 15}_C${(e >> 3) & 15}_${e & 7}`,
        hcall: (n) => nameOf(names.hypercalls, n) ?? `hcall ${hex(n)}`,
        hcallRet: (r) => nameOf(names.hypercallReturns, r) ?? String(r),
      });
    } else {
      this.steps = [];
      this.runner = null;
    }
  }

  private liveFrames(): DeviceFrame[] {
    return this.devices.map((d) => new DeviceFrame(d.layout, d.view ?? emptyView));
  }

  /** How many steps have run. */
  get executed(): number {
    return this.frames.length - 1;
  }

  /** The trace so far. */
  get events(): readonly TraceEvent[] {
    return this.runner?.events ?? [];
  }

  /** Why the run stopped early, if it did. */
  get halted(): { step: number; message: string } | null {
    return this.runner?.halted ?? null;
  }

  /** Whether another step can run. */
  get canRun(): boolean {
    return !!this.runner && !this.runner.halted && this.executed < this.steps.length;
  }

  /** The frames the page shows now. */
  current(): readonly DeviceFrame[] {
    return this.frames[this.position]!;
  }

  /** Runs the next step (the current frames are read in full first, to compare). */
  runNext(): boolean {
    if (!this.canRun || !this.runner) return false;
    const before = this.frames[this.frames.length - 1]!;
    for (const f of before) if (f.isLive) f.freeze();
    const k = this.executed;
    this.runner.runStep(k);
    const after = this.liveFrames();
    const ch = after.map((f, i) => f.freeze(before[i]));
    ch.forEach((c, i) => {
      const L = this.devices[i]!.layout;
      for (const cell of c.cells) push(this.cellSteps[i]!, cellId(L, cell.row, cell.col), k);
      for (const cpu of c.cpus) push(this.cpuSteps[i]!, cpu.col, k);
    });
    this.frames.push(after);
    this.changes.push(ch);
    this.position = this.executed;
    return true;
  }

  /** Shows frame `k` (after k steps), running steps as needed. */
  goTo(k: number): void {
    const want = Math.max(0, Math.min(k, this.steps.length));
    while (this.executed < want && this.runNext()) {}
    this.position = Math.min(want, this.executed);
  }

  /** The steps that changed a cell (`col` null: a global row's state), ascending. */
  stepsOfCell(device: number, row: number, col: number | null): readonly number[] {
    const L = this.devices[device]!.layout;
    const r = L.rows[row];
    return this.cellSteps[device]!.get(cellId(L, row, r?.banked ? col : null)) ?? [];
  }

  /** The steps that changed a vCPU's interface. */
  stepsOfCpu(device: number, col: number): readonly number[] {
    return this.cpuSteps[device]!.get(col) ?? [];
  }

  /** The last step at or before frame `k` that changed the cell, or null. */
  lastChange(device: number, row: number, col: number | null, k = this.position): number | null {
    const list = this.stepsOfCell(device, row, col);
    let best: number | null = null;
    for (const s of list) if (s < k) best = s;
    return best;
  }

  /** Closes the VM. */
  close(): void {
    this.vm.close();
  }
}

function push(m: Map<number, number[]>, k: number, step: number): void {
  const l = m.get(k);
  if (l) l.push(step);
  else m.set(k, [step]);
}

const emptyView: DeviceView = { summary: () => '', state: () => [], describe: () => null };

function mergedNames(host: Host, devices: readonly SessionDevice[]) {
  const sysregs = new Map<string, number>();
  const hypercalls = new Map<string, number>();
  const hypercallReturns = new Map<string, number>();
  const irqLineLevels = new Map<string, number>();
  const add = (m: Map<string, number>, o: Readonly<Record<string, number>> | undefined) => {
    for (const [k, v] of Object.entries(o ?? {})) if (!m.has(k)) m.set(k, v);
  };
  for (const d of devices) {
    const n: DeviceNames | undefined = specOf(host, d.key)?.names;
    add(sysregs, n?.sysregs);
    add(hypercalls, n?.hypercalls);
    add(hypercallReturns, n?.hypercallReturns);
    add(irqLineLevels, n?.irqLineLevels);
  }
  return { sysregs, hypercalls, hypercallReturns, irqLineLevels };
}

/** A kernel error while building or restoring, as a message for the page. */
export function explain(e: unknown): string {
  if (e instanceof InputError) return e.message;
  if (isKvmError(e))
    return `${e.name === 'SnapshotError' ? 'snapshot refused' : 'a kernel call failed'}: ${e.message}`;
  return (e as Error)?.message ?? String(e);
}
