/**
 * The page: loading (drop, picker, `?snapshot=` / `?vm=`), the device tabs, the stepper, the
 * grid (or two in diff mode), the details panel, the timeline, the keyboard map. All device
 * knowledge comes from the sessions' views; this file only arranges what they say.
 * @packageDocumentation
 */
import { type SnapshotDiff, diffSessions } from '../model/diff.js';
import type { DeviceFrame } from '../model/frame.js';
import { type Action, type Focus, SHORTCUTS, actionOf, move } from '../model/keys.js';
import { type OpenedFile, type Plan, plan } from '../model/load.js';
import type { TraceEvent } from '../model/runner.js';
import { Session, cellId, explain } from '../model/session.js';
import { NO_FILTER, type TimelineFilter, filterEvents } from '../model/timeline.js';
import { InputError, parseText } from '../model/vmfile.js';
import { diffDetails, sessionDetails } from './details.js';
import { fill, h } from './dom.js';
import { Grid, type GridSource } from './grid.js';
import { PLUGINS, PLUGIN_NAMES } from './plugins.js';
import { TimelineView } from './timeline-view.js';

type View =
  | { kind: 'empty' }
  | { kind: 'session'; s: Session }
  | { kind: 'diff'; d: SnapshotDiff; names: [string, string] };

/** Marks the first paint of a grid with data (the benchmark reads it). */
let firstPaintMarked = false;
function markFirstPaint(): void {
  if (firstPaintMarked) return;
  firstPaintMarked = true;
  requestAnimationFrame(() =>
    setTimeout(() => {
      performance.mark('kvmdev:grid-painted');
      document.body.dataset.painted = '1';
    }, 0),
  );
}

/** A grid source over one frame of a session's device. */
function frameSource(frame: DeviceFrame, marks: ReadonlySet<number>): GridSource {
  const L = frame.layout;
  const iv = (id: number) => id;
  return {
    rows: L.rows.length,
    cols: L.vcpus.length,
    rowName: (r) => frame.state(r, 0)?.name ?? `#${iv(L.rows[r]!.id)}`,
    rowGlobal: (r) => frame.global(r),
    colId: (c) => L.vcpus[c]!,
    cpu: (c) => frame.cpu(c),
    cell: (r, c) => {
      const row = L.rows[r]!;
      if (row.banked) return { state: frame.state(r, c), kind: 'own' };
      const g = frame.state(r, c);
      if (!g) return { state: null, kind: 'own' };
      if (g.targets === null) return { state: g, kind: 'any' };
      return { state: g, kind: g.targets.includes(L.vcpus[c]!) ? 'target' : 'off' };
    },
    marked: (r, c) => {
      const row = L.rows[r]!;
      return marks.has(cellId(L, r, row.banked && c >= 0 ? c : null));
    },
  };
}

/** The page. */
export class App {
  private view: View = { kind: 'empty' };
  private device = 0;
  private filter: TimelineFilter = NO_FILTER;
  private readonly grids: [Grid, Grid];
  private readonly timeline = new TimelineView();
  private readonly root: HTMLElement;
  private readonly titleEl = h('span', { id: 'title', class: 'title' });
  private readonly errorEl = h('div', { id: 'error', role: 'alert', class: 'error', hidden: true });
  private readonly tabs = h('nav', { id: 'devices', role: 'tablist', 'aria-label': 'devices' });
  private readonly stepper = h('div', { id: 'stepper', class: 'stepper' });
  private readonly gridsEl = h('div', { id: 'grids', class: 'grids' });
  private readonly side = h('aside', { id: 'side', class: 'side', 'aria-label': 'details' });
  private readonly welcome: HTMLElement;
  private readonly picker = h('input', {
    type: 'file',
    multiple: true,
    accept: '.json,.yaml,.yml',
    id: 'picker',
    class: 'visually-hidden',
    'aria-label': 'open files',
  });
  private readonly help: HTMLDialogElement;
  private readonly find = h('input', {
    type: 'search',
    id: 'find',
    placeholder: 'find: SPI 40',
    size: 14,
    'aria-label': 'find an interrupt by name',
  });
  private diffIndex = -1;

  constructor(root: HTMLElement) {
    this.root = root;
    this.grids = [new Grid('state matrix', 'g0'), new Grid('state matrix B', 'g1')];
    for (const g of this.grids) {
      g.onPick = () => this.afterFocus();
      g.onPaint = () => {
        if (this.view.kind !== 'empty') markFirstPaint();
      };
    }
    this.grids[0].onScroll(() => {
      if (this.view.kind === 'diff') this.grids[1].scroll = this.grids[0].scroll;
    });
    this.grids[1].onScroll(() => {
      if (this.view.kind === 'diff') this.grids[0].scroll = this.grids[1].scroll;
    });
    this.timeline.onChoose = (e) => this.showStep(e.step);
    this.timeline.onFilter = () => this.readFilter();
    this.picker.addEventListener('change', () => {
      if (this.picker.files?.length) void this.openFiles([...this.picker.files]);
      this.picker.value = '';
    });
    this.find.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.findInterrupt(this.find.value);
      if (e.key === 'Escape') this.focusGrid();
    });
    this.help = h(
      'dialog',
      { id: 'help', 'aria-label': 'keyboard shortcuts' },
      h('h2', {}, 'Keyboard'),
      h(
        'table',
        { class: 'keys' },
        h(
          'tbody',
          {},
          ...SHORTCUTS.map((s) =>
            h('tr', {}, h('th', {}, h('kbd', {}, s.label)), h('td', {}, s.what)),
          ),
        ),
      ),
      h('form', { method: 'dialog' }, h('button', { type: 'submit' }, 'Close (Esc)')),
    );
    this.welcome = h(
      'section',
      { id: 'welcome', class: 'welcome' },
      h('h2', {}, 'Open a snapshot or a VM file'),
      h(
        'p',
        {},
        'Drop files here, use ',
        h('button', { type: 'button', onclick: () => this.picker.click() }, 'Open… (o)'),
        ', or pass ',
        h('code', {}, '?snapshot=file.json'),
        ' / ',
        h('code', {}, '?vm=file.yaml'),
        ' in the address.',
      ),
      h(
        'ul',
        {},
        h('li', {}, 'a snapshot that carries its VM config (kvmdev snapshot): its state'),
        h('li', {}, 'a VM file (kvmdev run format): its scenario, step by step'),
        h(
          'li',
          {},
          'a snapshot and the VM file it was made from: the snapshot restored onto that VM',
        ),
        h('li', {}, 'two snapshots: diff mode, the changed cells marked'),
      ),
      h(
        'p',
        { class: 'muted' },
        `Devices are read through their plugins' introspection specs (${PLUGIN_NAMES.join(', ')}). Nothing leaves this page.`,
      ),
    );
    const legend = h(
      'div',
      { class: 'legend', 'aria-label': 'legend' },
      h('span', { class: 'c e sw' }, 'a0'),
      ' enabled ',
      h('span', { class: 'c d sw' }, 'a0'),
      ' disabled ',
      h('span', { class: 'c e p sw' }, ''),
      ' pending ',
      h('span', { class: 'c e a sw' }, ''),
      ' active ',
      h('span', { class: 'c e p a sw' }, ''),
      ' pending+active ',
      h('span', { class: 'c e g0 sw' }, ''),
      ' group 0 ',
      h('span', { class: 'c e any sw' }, ''),
      ' any vCPU ',
      h('span', { class: 'c e chg sw' }, ''),
      ' changed ',
      h('span', { class: 'muted' }, '· text: priority (hex) · ● line up · running prio – idle'),
    );
    fill(
      root,
      h(
        'header',
        { class: 'top' },
        h('h1', {}, 'kvmdev inspector'),
        this.titleEl,
        h('span', { class: 'spacer' }),
        this.find,
        h(
          'button',
          { type: 'button', id: 'open', onclick: () => this.picker.click() },
          'Open… (o)',
        ),
        this.picker,
        h(
          'button',
          { type: 'button', id: 'keys', onclick: () => this.help.showModal() },
          'Keys (?)',
        ),
      ),
      this.errorEl,
      this.welcome,
      this.tabs,
      this.stepper,
      h(
        'main',
        { class: 'main' },
        h('div', { class: 'grid-col' }, this.gridsEl, legend),
        this.side,
      ),
      this.timeline.el,
      this.help,
    );
    document.addEventListener('keydown', (e) => this.onKey(e));
    root.addEventListener('dragover', (e) => {
      e.preventDefault();
      root.classList.add('dragging');
    });
    root.addEventListener('dragleave', (e) => {
      if (e.target === root) root.classList.remove('dragging');
    });
    root.addEventListener('drop', (e) => {
      e.preventDefault();
      root.classList.remove('dragging');
      const files = e.dataTransfer?.files;
      if (files?.length) void this.openFiles([...files]);
    });
    this.render();
  }

  // ------------------------------------------------------------------ loading

  /** Opens files (picker or drop). */
  async openFiles(files: readonly File[]): Promise<void> {
    try {
      const opened = await Promise.all(
        files.map(async (f) => ({ name: f.name, data: await parseText(f.name, await f.text()) })),
      );
      this.load(
        opened,
        files.map((f) => f.name),
      );
    } catch (e) {
      this.fail(e);
    }
  }

  /** Opens the files the URL names (`?snapshot=` once or twice, `?vm=`), then applies `step`, `device`, `focus`, `vcpu`. */
  async openUrl(params: URLSearchParams): Promise<void> {
    const urls = [...params.getAll('vm'), ...params.getAll('snapshot')];
    if (!urls.length) return;
    performance.mark('kvmdev:fetch-start');
    try {
      const opened: OpenedFile[] = await Promise.all(
        urls.map(async (u) => {
          const r = await fetch(u);
          if (!r.ok) throw new InputError(u, `cannot fetch: HTTP ${r.status}`);
          return { name: u.split('/').pop() || u, data: await parseText(u, await r.text()) };
        }),
      );
      performance.mark('kvmdev:parsed');
      this.load(
        opened,
        urls.map((u) => u.split('/').pop() || u),
      );
    } catch (e) {
      this.fail(e);
      return;
    }
    const dev = Number(params.get('device') ?? '0');
    if (dev > 0) this.selectDevice(dev);
    const step = params.get('step');
    if (step !== null && this.view.kind === 'session') this.showFrame(Number(step));
    const focus = params.get('focus');
    if (focus) this.findInterrupt(focus, false);
    const vcpu = params.get('vcpu');
    if (vcpu !== null) this.focusVcpu(Number(vcpu));
  }

  private load(opened: readonly OpenedFile[], names: readonly string[]): void {
    const p: Plan = plan(opened, PLUGINS);
    this.close();
    if (p.kind === 'inspect') {
      const s = new Session(p.source, PLUGINS);
      performance.mark('kvmdev:composed');
      this.view = { kind: 'session', s };
    } else {
      const a = new Session(p.a, PLUGINS);
      const b = new Session(p.b, PLUGINS);
      this.view = {
        kind: 'diff',
        d: diffSessions(a, b, p.a.snapshot, p.b.snapshot),
        names: [p.a.title, p.b.title],
      };
      this.diffIndex = -1;
    }
    this.device = 0;
    this.filter = NO_FILTER;
    this.grids[0].focus = { row: 0, col: 0 };
    this.errorEl.hidden = true;
    document.title = `kvmdev inspector: ${names.join(', ')}`;
    this.render();
    this.focusGrid();
  }

  private close(): void {
    if (this.view.kind === 'session') this.view.s.close();
    if (this.view.kind === 'diff') {
      this.view.d.a.close();
      this.view.d.b.close();
    }
    this.view = { kind: 'empty' };
  }

  private fail(e: unknown): void {
    console.error(e);
    this.errorEl.textContent = explain(e);
    this.errorEl.hidden = false;
  }

  // ------------------------------------------------------------------ state helpers

  private session(): Session | null {
    return this.view.kind === 'session'
      ? this.view.s
      : this.view.kind === 'diff'
        ? this.view.d.a
        : null;
  }

  private nameOf(id: number): string {
    const s = this.session();
    return s?.devices[this.device]?.view?.interrupts?.name(id) ?? `#${id}`;
  }

  private firstEventOf(s: Session, step: number): TraceEvent | undefined {
    return (
      s.events.find((e) => e.step === step && e.kind !== 'deliver' && e.kind !== 'line-down') ??
      s.events.find((e) => e.step === step)
    );
  }

  // ------------------------------------------------------------------ rendering

  /** Redraws everything from the state. */
  render(): void {
    const v = this.view;
    this.welcome.hidden = v.kind !== 'empty';
    this.root.classList.toggle('empty', v.kind === 'empty');
    this.root.classList.toggle('diff', v.kind === 'diff');
    this.renderTabs();
    this.renderStepper();
    this.renderGrids();
    this.renderSide();
    this.renderTimeline();
  }

  private renderTabs(): void {
    const s = this.session();
    if (!s) {
      fill(this.tabs);
      return;
    }
    const title =
      this.view.kind === 'diff'
        ? `diff: A ${this.view.names[0]} → B ${this.view.names[1]}`
        : s.source.title;
    this.titleEl.textContent = `${title} · ${s.source.config.arch}, ${s.vm.vcpus.length} vCPUs`;
    fill(
      this.tabs,
      ...s.devices.map((d, i) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: 'tab',
            'aria-selected': i === this.device ? 'true' : 'false',
            'data-device': i,
            onclick: () => this.selectDevice(i),
          },
          `${d.name}`,
          h('span', { class: 'muted' }, ` ${d.key}`),
        ),
      ),
    );
  }

  private renderStepper(): void {
    const v = this.view;
    if (v.kind !== 'session' || !v.s.steps.length) {
      fill(
        this.stepper,
        v.kind === 'session' && v.s.source.description
          ? h('span', { class: 'muted' }, v.s.source.description)
          : null,
      );
      this.stepper.hidden = v.kind === 'empty';
      return;
    }
    const s = v.s;
    this.stepper.hidden = false;
    const k = s.position;
    const last = k > 0 ? s.steps[k - 1] : null;
    const ev = last ? this.firstEventOf(s, last.index) : undefined;
    const btn = (id: string, label: string, title: string, fn: () => void, disabled: boolean) =>
      h('button', { type: 'button', id, title, onclick: fn, disabled }, label);
    fill(
      this.stepper,
      btn('step-start', '« start', 'back to the start (0)', () => this.showFrame(0), k === 0),
      btn('step-back', '◀ back', 'the step before (b)', () => this.showFrame(k - 1), k === 0),
      btn(
        'step-next',
        'step ▶',
        'run / show the next step (n)',
        () => this.showFrame(k + 1),
        k >= s.steps.length || (k === s.executed && !s.canRun),
      ),
      btn(
        'step-end',
        'run all »',
        'run every step ($)',
        () => this.showFrame(s.steps.length),
        k >= s.steps.length || (k === s.executed && !s.canRun),
      ),
      h(
        'span',
        { id: 'position', class: 'position', 'aria-live': 'polite' },
        k === 0
          ? `before step 1 of ${s.steps.length}`
          : `after step ${k} of ${s.steps.length}: ${last!.label}${last!.pass ? ` (pass ${last!.pass})` : ''} · ${ev?.text ?? last!.kind}`,
      ),
      s.halted ? h('span', { class: 'warn', id: 'halted' }, ` stopped: ${s.halted.message}`) : null,
      s.source.description ? h('span', { class: 'muted desc' }, s.source.description) : null,
    );
  }

  private renderGrids(): void {
    const v = this.view;
    if (v.kind === 'empty') {
      fill(this.gridsEl);
      return;
    }
    if (v.kind === 'session') {
      const s = v.s;
      const frame = s.current()[this.device]!;
      const ch = s.position > 0 ? s.changes[s.position - 1]?.[this.device] : undefined;
      const marks = new Set<number>(
        (ch?.cells ?? []).map((c) => cellId(frame.layout, c.row, c.col)),
      );
      if (this.gridsEl.firstChild !== this.grids[0].el || this.gridsEl.childNodes.length !== 1)
        fill(this.gridsEl, this.grids[0].el);
      this.grids[0].show(frameSource(frame, marks));
      return;
    }
    const d = v.d;
    const fa = d.a.current()[this.device]!;
    const fb = d.b.current()[this.device]!;
    const ch = d.changes[this.device];
    const marks = new Set<number>((ch?.cells ?? []).map((c) => cellId(fa.layout, c.row, c.col)));
    if (this.gridsEl.childNodes.length !== 2) {
      fill(
        this.gridsEl,
        h('div', { class: 'side-a' }, h('h2', {}, `A: ${v.names[0]}`), this.grids[0].el),
        h('div', { class: 'side-b' }, h('h2', {}, `B: ${v.names[1]}`), this.grids[1].el),
      );
    }
    this.grids[0].show(frameSource(fa, marks));
    this.grids[1].focus = this.grids[0].focus;
    this.grids[1].show(frameSource(d.comparable ? fb : fb, marks));
  }

  private renderSide(): void {
    const v = this.view;
    const f = this.grids[0].focus;
    if (v.kind === 'empty') {
      fill(this.side);
      return;
    }
    if (v.kind === 'session') {
      const s = v.s;
      const frame = s.current()[this.device]!;
      const r = frame.layout.rows[f.row];
      const col = r?.banked ? f.col : null;
      const changedBy = r
        ? s
            .stepsOfCell(this.device, f.row, col)
            .map((step) => ({ step, event: this.firstEventOf(s, step) }))
        : [];
      const cpuChangedBy = s
        .stepsOfCpu(this.device, f.col)
        .map((step) => ({ step, event: this.firstEventOf(s, step) }));
      fill(
        this.side,
        sessionDetails({
          layout: frame.layout,
          frame,
          focus: f,
          nameOf: (id) => this.nameOf(id),
          changedBy,
          cpuChangedBy,
          position: s.position,
          onStep: (st) => this.showStep(st),
        }),
      );
      return;
    }
    const d = v.d;
    const fa = d.a.current()[this.device]!;
    const fb = d.b.current()[this.device]!;
    const lines = d.lines;
    const list = h(
      'ol',
      { class: 'diff-lines', id: 'diff-lines', 'aria-label': 'kvmdev diff' },
      ...lines.map((l, i) =>
        h(
          'li',
          {
            class: `${l.row === null ? 'nowhere' : 'somewhere'}${i === this.diffIndex ? ' cur' : ''}`,
          },
          l.row === null
            ? h('span', { class: 'mono' }, l.text)
            : h(
                'button',
                {
                  type: 'button',
                  class: 'diff-line mono',
                  'data-i': i,
                  onclick: () => this.goToDiffLine(i),
                },
                l.text,
              ),
        ),
      ),
    );
    const changed = d.changes[this.device]?.cells.length ?? 0;
    fill(
      this.side,
      h('h2', {}, `kvmdev diff: ${lines.length} line${lines.length === 1 ? '' : 's'}`),
      h(
        'p',
        { class: 'muted', id: 'diff-summary' },
        d.comparable
          ? `${changed === 1 ? '1 cell differs' : `${changed} cells differ`} on this device ([ and ] step through them)`
          : 'the two VMs differ in shape: only the lines are compared',
      ),
      lines.length ? list : h('p', {}, 'no differences'),
      d.comparable ? diffDetails(fa.layout, fa, fb, f, (id) => this.nameOf(id), lines) : null,
    );
  }

  private renderTimeline(): void {
    const v = this.view;
    // a snapshot alone has no trace: the timeline is for sessions with a scenario
    this.timeline.el.hidden = v.kind !== 'session' || !v.s.steps.length;
    if (v.kind !== 'session' || !v.s.steps.length) return;
    const s = v.s;
    const note = s.steps.length
      ? 'no step has run yet: press n or step ▶'
      : 'this session has no scenario (open a VM file to run one)';
    this.timeline.show(
      filterEvents(s, this.filter),
      s.position,
      s.events.length,
      this.filter,
      note,
    );
  }

  // ------------------------------------------------------------------ actions

  private afterFocus(): void {
    if (this.view.kind === 'diff') {
      this.grids[1].focus = this.grids[0].focus;
      this.grids[1].paint();
    }
    this.renderSide();
  }

  private setFocus(f: Focus): void {
    this.grids[0].setFocus(f);
    if (this.view.kind === 'diff') this.grids[1].setFocus(f);
    this.renderSide();
  }

  private focusGrid(): void {
    this.grids[0].el.focus({ preventScroll: true });
  }

  private selectDevice(i: number): void {
    const s = this.session();
    if (!s || i < 0 || i >= s.devices.length) return;
    this.device = i;
    this.grids[0].focus = { row: 0, col: 0 };
    this.render();
  }

  /** Shows frame k (after k steps), running steps as needed. */
  private showFrame(k: number): void {
    if (this.view.kind !== 'session') return;
    try {
      this.view.s.goTo(k);
    } catch (e) {
      this.fail(e);
    }
    this.render();
  }

  /** Shows the state after step `step`, and focuses the first cell it changed on this device. */
  private showStep(step: number): void {
    if (this.view.kind !== 'session') return;
    this.showFrame(step + 1);
    const ch = this.view.s.changes[step]?.[this.device];
    const c = ch?.cells[0];
    if (c) this.setFocus({ row: c.row, col: c.col ?? this.grids[0].focus.col });
  }

  private readFilter(): void {
    const s = this.session();
    if (!s) return;
    const txt = this.timeline.interruptInput.value.trim();
    let interrupt: TimelineFilter['interrupt'] = null;
    if (txt) {
      const iv = s.devices[this.device]?.view?.interrupts;
      const id = iv?.lookup(txt) ?? (/^\d+$/.test(txt) ? Number(txt) : null);
      if (id === null) {
        this.fail(
          new InputError(
            'interrupt filter',
            `${JSON.stringify(txt)} names no interrupt of ${s.devices[this.device]?.name ?? 'this device'}`,
          ),
        );
        return;
      }
      interrupt = { device: this.device, id };
    }
    const vt = this.timeline.vcpuInput.value.trim();
    const vcpu = vt === '' ? null : Number(vt);
    this.errorEl.hidden = true;
    this.filter = {
      interrupt,
      vcpu: vcpu !== null && Number.isInteger(vcpu) ? vcpu : null,
      kinds: this.timeline.kindSet(),
    };
    this.renderTimeline();
  }

  private filterByFocus(which: 'interrupt' | 'vcpu'): void {
    const s = this.session();
    if (!s) return;
    const L = s.devices[this.device]!.layout;
    const f = this.grids[0].focus;
    if (which === 'interrupt') {
      const r = L.rows[f.row];
      if (r) this.timeline.interruptInput.value = this.nameOf(r.id);
    } else {
      const v = L.vcpus[f.col];
      if (v !== undefined) this.timeline.vcpuInput.value = String(v);
    }
    this.readFilter();
  }

  private findInterrupt(name: string, focus = true): void {
    const s = this.session();
    if (!s) return;
    for (let d = 0; d < s.devices.length; d++) {
      const dev = s.devices[(this.device + d) % s.devices.length]!;
      const id = dev.view?.interrupts?.lookup(name.trim()) ?? null;
      const row = id === null ? -1 : dev.layout.rowOf(id);
      if (row < 0) continue;
      const di = (this.device + d) % s.devices.length;
      if (di !== this.device) this.selectDevice(di);
      this.setFocus({ row, col: this.grids[0].focus.col });
      this.errorEl.hidden = true;
      if (focus) this.focusGrid();
      return;
    }
    this.fail(new InputError('find', `no interrupt named ${JSON.stringify(name)}`));
  }

  private focusVcpu(id: number): void {
    const s = this.session();
    const col = s?.devices[this.device]?.layout.colOf(id) ?? -1;
    if (col >= 0) this.setFocus({ row: this.grids[0].focus.row, col });
  }

  private goToDiffLine(i: number): void {
    if (this.view.kind !== 'diff') return;
    const l = this.view.d.lines[i];
    if (!l || l.row === null || l.device === null) return;
    if (l.device !== this.device) this.selectDevice(l.device);
    this.diffIndex = i;
    this.setFocus({ row: l.row, col: l.col ?? this.firstTargetCol(l.row) });
    this.focusGrid();
  }

  /** The column a global row's changes are best seen in: its first target, else the focus. */
  private firstTargetCol(row: number): number {
    const s = this.session();
    const frame = s?.current()[this.device];
    const g = frame?.global(row);
    const col = g?.targets?.length ? frame!.layout.colOf(g.targets[0]!) : -1;
    return col >= 0 ? col : this.grids[0].focus.col;
  }

  private stepChange(dir: 1 | -1): void {
    if (this.view.kind !== 'diff') return;
    const cells = this.view.d.changes[this.device]?.cells ?? [];
    if (!cells.length) return;
    const L = this.view.d.a.devices[this.device]!.layout;
    const f = this.grids[0].focus;
    const key = (row: number, col: number) => row * (L.vcpus.length + 1) + col;
    const here = key(f.row, f.col);
    const list = cells
      .map((c) => ({ row: c.row, col: c.col ?? this.firstTargetCol(c.row) }))
      .sort((x, y) => key(x.row, x.col) - key(y.row, y.col));
    const next =
      dir > 0
        ? (list.find((c) => key(c.row, c.col) > here) ?? list[0]!)
        : ([...list].reverse().find((c) => key(c.row, c.col) < here) ?? list[list.length - 1]!);
    this.setFocus(next);
  }

  private onKey(e: KeyboardEvent): void {
    const t = e.target as HTMLElement;
    if (this.help.open) return;
    if (
      t instanceof HTMLInputElement ||
      t instanceof HTMLTextAreaElement ||
      t instanceof HTMLSelectElement
    ) {
      if (e.key === 'Escape') this.focusGrid();
      return;
    }
    if (e.altKey || e.metaKey) return;
    const a: Action | null = actionOf(e.key, e.ctrlKey, e.shiftKey);
    if (!a) return;
    if (e.ctrlKey && a !== 'top' && a !== 'bottom') return;
    const inGrid = t === this.grids[0].el || t === this.grids[1].el;
    const nav: Action[] = [
      'up',
      'down',
      'left',
      'right',
      'page-up',
      'page-down',
      'row-start',
      'row-end',
      'top',
      'bottom',
    ];
    if (nav.includes(a)) {
      if (!inGrid) return;
      const s = this.session();
      const L = s?.devices[this.device]?.layout;
      if (!L) return;
      this.setFocus(
        move(this.grids[0].focus, a, L.rows.length, L.vcpus.length, this.grids[0].pageRows()),
      );
      e.preventDefault();
      return;
    }
    if (t instanceof HTMLButtonElement && (e.key === 'Enter' || e.key === ' ')) return;
    e.preventDefault();
    this.act(a);
  }

  private act(a: Action): void {
    const s = this.view.kind === 'session' ? this.view.s : null;
    switch (a) {
      case 'step':
        if (s) this.showFrame(s.position + 1);
        return;
      case 'back':
        if (s) this.showFrame(s.position - 1);
        return;
      case 'start':
        this.showFrame(0);
        return;
      case 'end':
        if (s) this.showFrame(s.steps.length);
        return;
      case 'last-change': {
        if (!s) return;
        const f = this.grids[0].focus;
        const r = s.devices[this.device]?.layout.rows[f.row];
        const st = s.lastChange(this.device, f.row, r?.banked ? f.col : null, s.position);
        if (st !== null) this.showStep(st);
        return;
      }
      case 'filter-interrupt':
        this.filterByFocus('interrupt');
        return;
      case 'filter-vcpu':
        this.filterByFocus('vcpu');
        return;
      case 'clear-filter':
        this.timeline.clear();
        return;
      case 'next-change':
        this.stepChange(1);
        return;
      case 'prev-change':
        this.stepChange(-1);
        return;
      case 'next-device':
        this.selectDevice((this.device + 1) % Math.max(1, this.session()?.devices.length ?? 1));
        return;
      case 'prev-device': {
        const n = Math.max(1, this.session()?.devices.length ?? 1);
        this.selectDevice((this.device + n - 1) % n);
        return;
      }
      case 'find':
        this.find.focus();
        this.find.select();
        return;
      case 'open':
        this.picker.click();
        return;
      case 'help':
        this.help.showModal();
        return;
      case 'timeline':
        this.timeline.list.focus();
        return;
      case 'grid':
        this.focusGrid();
        return;
      default:
        return;
    }
  }
}
