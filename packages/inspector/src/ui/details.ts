/**
 * The details panel: the focused cell in words (every field of its interrupt state), the steps
 * that changed it (one click shows the state after that step), the focused vCPU's interface,
 * and the device's own state sections. In diff mode, both sides of the cell and the
 * `kvmdev diff` lines that name it.
 * @packageDocumentation
 */
import type { DiffLine } from '../model/diff.js';
import type { DeviceFrame } from '../model/frame.js';
import type { CpuState, InterruptState } from '../model/introspect.js';
import type { Focus } from '../model/keys.js';
import type { Layout } from '../model/layout.js';
import type { TraceEvent } from '../model/runner.js';
import { h } from './dom.js';

const yn = (x: boolean | null) => (x === null ? '?' : x ? 'yes' : 'no');
const hx = (x: number | null) => (x === null ? '?' : `0x${x.toString(16)}`);

/** The fields of an interrupt state as rows: [name, value]. */
export function stateRows(s: InterruptState | null): [string, string][] {
  if (!s) return [['state', 'unknown (could not be read)']];
  const rows: [string, string][] = [
    ['enabled', yn(s.enabled)],
    ['pending', yn(s.pending)],
    ['active', yn(s.active)],
    ['priority', hx(s.priority)],
    ['group', s.group === null ? '?' : String(s.group)],
    ['trigger', s.config ?? '?'],
    ['target', s.target],
    ['configured', s.configured ? 'yes' : 'no (reset state)'],
  ];
  for (const [k, v] of Object.entries(s.extra ?? {}))
    rows.push([k, typeof v === 'number' ? hx(v) : String(v)]);
  return rows;
}

function table(
  caption: string,
  rows: [string, string][],
  marks?: ReadonlySet<string>,
): HTMLTableElement {
  return h(
    'table',
    { class: 'kv' },
    h('caption', {}, caption),
    h(
      'tbody',
      {},
      ...rows.map(([k, v]) =>
        h(
          'tr',
          { class: marks?.has(k) ? 'chg' : '' },
          h('th', { scope: 'row' }, k),
          h('td', {}, v),
        ),
      ),
    ),
  );
}

/** The vCPU interface as rows. */
export function cpuRows(c: CpuState | null, nameOf: (id: number) => string): [string, string][] {
  if (!c) return [['interface', 'unknown']];
  return [
    ...c.lines.map((l): [string, string] => [`${l.name} line`, String(l.level)]),
    ['running priority', c.runningPriority === null ? 'idle' : hx(c.runningPriority)],
    ['priority mask', hx(c.priorityMask)],
    ['highest pending', c.highestPending === null ? 'none' : nameOf(c.highestPending)],
    ...c.fields.map((f): [string, string] => [f.name, f.text]),
  ];
}

/** Everything the panel needs about the cell in a session. */
export interface CellContext {
  readonly layout: Layout;
  readonly frame: DeviceFrame;
  readonly focus: Focus;
  readonly nameOf: (id: number) => string;
  /** Steps that changed the cell, and the first event of each (for the link text). */
  readonly changedBy: readonly { step: number; event: TraceEvent | undefined }[];
  readonly cpuChangedBy: readonly { step: number; event: TraceEvent | undefined }[];
  /** The step shown (frame index). */
  readonly position: number;
  readonly onStep: (step: number) => void;
}

function stepLinks(
  title: string,
  list: CellContext['changedBy'],
  position: number,
  onStep: (s: number) => void,
  cls: string,
): HTMLElement {
  if (!list.length) return h('p', { class: 'muted' }, `${title}: no step so far`);
  return h(
    'div',
    { class: 'changed-by' },
    h('p', {}, `${title}:`),
    h(
      'ul',
      {},
      ...list.map(({ step, event }) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: `step-link ${cls}${step + 1 === position ? ' here' : ''}`,
              'data-step': step,
              onclick: () => onStep(step),
            },
            `#${step + 1}`,
          ),
          ' ',
          event ? event.text : '',
        ),
      ),
    ),
  );
}

/** The panel for a session's focused cell. */
export function sessionDetails(x: CellContext): HTMLElement {
  const r = x.layout.rows[x.focus.row];
  const vcpu = x.layout.vcpus[x.focus.col];
  if (!r || vcpu === undefined)
    return h(
      'div',
      { class: 'details', id: 'details' },
      h('p', { class: 'muted' }, 'no interrupts on this device: its state is below'),
      deviceSections(x.frame, true),
    );
  const s = x.frame.state(x.focus.row, x.focus.col);
  const title = `${x.nameOf(r.id)}${r.banked ? ` · vCPU ${vcpu}'s copy` : ' (global)'}`;
  const cpu = x.frame.cpu(x.focus.col);
  return h(
    'div',
    { class: 'details', id: 'details' },
    h('h2', { id: 'cell-title' }, title),
    table('interrupt state', stateRows(s)),
    stepLinks('changed by step', x.changedBy, x.position, x.onStep, 'cell'),
    h('h2', {}, `vCPU ${vcpu}`),
    table('vCPU interface', cpuRows(cpu, x.nameOf)),
    stepLinks('interface changed by step', x.cpuChangedBy, x.position, x.onStep, 'cpu'),
    cpu ? h('p', { class: 'muted mono' }, cpu.text) : null,
    deviceSections(x.frame),
  );
}

/** The device's own state (its sections), collapsed. */
export function deviceSections(frame: DeviceFrame, open = false): HTMLElement {
  const secs = frame.sections();
  return h(
    'details',
    { class: 'device-state', open },
    h('summary', {}, `device: ${frame.summary() || frame.layout.key}`),
    ...secs.map((s) =>
      table(
        s.title,
        s.fields.map((f) => [f.name, f.text]),
      ),
    ),
    frame.errors.length
      ? h('p', { class: 'warn' }, `could not read: ${frame.errors.slice(0, 3).join('; ')}`)
      : null,
  );
}

/** The panel for the focused cell in diff mode. */
export function diffDetails(
  layout: Layout,
  a: DeviceFrame,
  b: DeviceFrame,
  focus: Focus,
  nameOf: (id: number) => string,
  lines: readonly DiffLine[],
): HTMLElement {
  const r = layout.rows[focus.row];
  const vcpu = layout.vcpus[focus.col];
  if (!r || vcpu === undefined)
    return h(
      'div',
      { class: 'details' },
      h('p', { class: 'muted' }, 'no interrupts on this device'),
    );
  const sa = a.state(focus.row, focus.col);
  const sb = b.state(focus.row, focus.col);
  const ra = stateRows(sa);
  const rb = stateRows(sb);
  const diff = new Set(
    ra.filter(([k, v], i) => rb[i]?.[0] === k && rb[i]?.[1] !== v).map(([k]) => k),
  );
  const both = h(
    'table',
    { class: 'kv ab' },
    h('caption', {}, 'interrupt state: A → B'),
    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'A'), h('th', {}, 'B'))),
    h(
      'tbody',
      {},
      ...ra.map(([k, v], i) =>
        h(
          'tr',
          { class: diff.has(k) ? 'chg' : '' },
          h('th', { scope: 'row' }, k),
          h('td', {}, v),
          h('td', {}, rb[i]?.[1] ?? ''),
        ),
      ),
    ),
  );
  const mine = lines.filter((l) => l.row === focus.row && (l.col === null || l.col === focus.col));
  const ca = cpuRows(a.cpu(focus.col), nameOf);
  const cb = cpuRows(b.cpu(focus.col), nameOf);
  const cd = new Set(
    ca.filter(([k, v], i) => cb[i]?.[0] === k && cb[i]?.[1] !== v).map(([k]) => k),
  );
  return h(
    'div',
    { class: 'details', id: 'details' },
    h(
      'h2',
      { id: 'cell-title' },
      `${nameOf(r.id)}${r.banked ? ` · vCPU ${vcpu}'s copy` : ' (global)'}`,
    ),
    both,
    mine.length
      ? h(
          'div',
          { class: 'diff-lines-here' },
          h('p', {}, 'kvmdev diff says:'),
          h('ul', {}, ...mine.map((l) => h('li', { class: 'mono' }, l.text))),
        )
      : h('p', { class: 'muted' }, 'no kvmdev diff line names this cell'),
    h('h2', {}, `vCPU ${vcpu}`),
    h(
      'table',
      { class: 'kv ab' },
      h('caption', {}, 'vCPU interface: A → B'),
      h(
        'tbody',
        {},
        ...ca.map(([k, v], i) =>
          h(
            'tr',
            { class: cd.has(k) ? 'chg' : '' },
            h('th', { scope: 'row' }, k),
            h('td', {}, v),
            h('td', {}, cb[i]?.[1] ?? ''),
          ),
        ),
      ),
    ),
  );
}
