/**
 * The state matrix: interrupts down, vCPUs across, virtualised in both directions (only the
 * cells on screen exist in the DOM, rebuilt on scroll), with three header rows per vCPU (its
 * id, its output lines, its running priority) and a sticky left part per interrupt (its name,
 * its global state, its target). One focusable element (role grid) with the focused cell as
 * its active descendant; the page's key handler moves the focus.
 * @packageDocumentation
 */
import type { CpuState, InterruptState } from '../model/introspect.js';
import type { Focus } from '../model/keys.js';
import { h } from './dom.js';

/** How a cell relates to its column's vCPU. */
export type CellKind = 'own' | 'target' | 'any' | 'off';

/** What the grid shows; the page adapts a frame (or a diff side) to it. */
export interface GridSource {
  readonly rows: number;
  readonly cols: number;
  /** Interrupt name of a row. */
  rowName(row: number): string;
  /** The global state of a global row (null for a banked row). */
  rowGlobal(row: number): InterruptState | null;
  /** The vCPU id of a column. */
  colId(col: number): number;
  cpu(col: number): CpuState | null;
  cell(
    row: number,
    col: number,
  ): { readonly state: InterruptState | null; readonly kind: CellKind };
  /** Marked cells (changed by the step shown, or between the two sides of a diff); col -1: the global state. */
  marked(row: number, col: number): boolean;
}

/** Sizes in CSS pixels. */
export const CELL_W = 30;
export const CELL_H = 20;
const HEAD_ROW = 17;
export const HEAD_H = HEAD_ROW * 3;
const NAME_W = 110;
const GLOBAL_W = CELL_W;
const TARGET_W = 78;
export const ROWHEAD_W = NAME_W + GLOBAL_W + TARGET_W;

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;',
  );
const pr = (p: number | null) => (p === null ? '' : p.toString(16));

/** The words of a state, for tooltips and the details panel. */
export function stateWords(s: InterruptState): string {
  const w: string[] = [];
  const yn = (x: boolean | null, name: string) =>
    x === null ? `${name} ?` : x ? name : `not ${name}`;
  w.push(yn(s.enabled, 'enabled'), yn(s.pending, 'pending'), yn(s.active, 'active'));
  if (s.priority !== null) w.push(`priority 0x${s.priority.toString(16)}`);
  if (s.group !== null) w.push(`group ${s.group}`);
  if (s.config !== null) w.push(s.config);
  w.push(`target ${s.target}`);
  return w.join(', ');
}

function cellClass(s: InterruptState | null, kind: CellKind): string {
  if (kind === 'off') return 'c off';
  if (s === null) return 'c unk';
  let c = 'c';
  if (s.enabled) c += ' e';
  else if (s.enabled === false) c += ' d';
  if (s.pending) c += ' p';
  if (s.active) c += ' a';
  if (s.group === 0) c += ' g0';
  if (kind === 'any') c += ' any';
  if (!s.configured) c += ' rst';
  return c;
}

/** The virtualised grid. */
export class Grid {
  readonly el: HTMLDivElement;
  private readonly viewport: HTMLDivElement;
  private readonly layer: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private src: GridSource | null = null;
  focus: Focus = { row: 0, col: 0 };
  private raf = 0;
  /** Called when a cell is clicked (after the focus moved to it). */
  onPick: ((f: Focus) => void) | null = null;
  /** Called after each paint (the page measures its first one). */
  onPaint: (() => void) | null = null;

  constructor(
    readonly name: string,
    private readonly idPrefix: string,
  ) {
    this.layer = h('div', { class: 'grid-layer' });
    this.spacer = h('div', { class: 'grid-spacer' });
    this.viewport = h('div', { class: 'grid-viewport' }, this.layer, this.spacer);
    this.el = h(
      'div',
      { class: 'grid', tabindex: 0, role: 'grid', 'aria-label': name, 'aria-readonly': 'true' },
      this.viewport,
    );
    this.viewport.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    this.layer.addEventListener('mousedown', (e) => {
      const t = (e.target as HTMLElement).closest('[data-r]') as HTMLElement | null;
      if (!t) return;
      const f = { row: Number(t.dataset.r), col: Math.max(0, Number(t.dataset.c)) };
      this.setFocus(f);
      this.el.focus({ preventScroll: true });
      this.onPick?.(f);
      e.preventDefault();
    });
  }

  /** Shows a source (keeps the focus where it fits). */
  show(src: GridSource): void {
    this.src = src;
    this.el.setAttribute('aria-rowcount', String(src.rows + 3));
    this.el.setAttribute('aria-colcount', String(src.cols + 3));
    this.spacer.style.width = `${ROWHEAD_W + src.cols * CELL_W}px`;
    this.spacer.style.height = `${HEAD_H + src.rows * CELL_H}px`;
    this.focus = {
      row: Math.min(this.focus.row, Math.max(0, src.rows - 1)),
      col: Math.min(this.focus.col, Math.max(0, src.cols - 1)),
    };
    this.paint();
  }

  /** Repaints on the next frame. */
  schedule(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.paint();
    });
  }

  /** Rows that fit on screen. */
  pageRows(): number {
    return Math.max(1, Math.floor((this.viewport.clientHeight - HEAD_H) / CELL_H) - 1);
  }

  /** Moves the focus and scrolls it into view. */
  setFocus(f: Focus): void {
    this.focus = f;
    const v = this.viewport;
    const y = f.row * CELL_H;
    const x = f.col * CELL_W;
    const vh = v.clientHeight - HEAD_H;
    const vw = v.clientWidth - ROWHEAD_W;
    if (y < v.scrollTop) v.scrollTop = y;
    else if (y + CELL_H > v.scrollTop + vh) v.scrollTop = y + CELL_H - vh;
    if (x < v.scrollLeft) v.scrollLeft = x;
    else if (x + CELL_W > v.scrollLeft + vw) v.scrollLeft = x + CELL_W - vw;
    this.paint();
  }

  /** Scroll position, to keep two grids in step (diff mode). */
  get scroll(): { top: number; left: number } {
    return { top: this.viewport.scrollTop, left: this.viewport.scrollLeft };
  }
  set scroll(s: { top: number; left: number }) {
    this.viewport.scrollTop = s.top;
    this.viewport.scrollLeft = s.left;
  }
  /** Called on every scroll (diff mode follows it). */
  onScroll(fn: () => void): void {
    this.viewport.addEventListener('scroll', fn);
  }

  /** The DOM id of a cell (the focused one is the grid's active descendant). */
  cellDomId(row: number, col: number): string {
    return `${this.idPrefix}-r${row}-c${col}`;
  }

  /** Builds the visible cells (one string of HTML, set at once). */
  paint(): void {
    const src = this.src;
    if (!src) return;
    const v = this.viewport;
    const vw = v.clientWidth;
    const vh = v.clientHeight;
    this.layer.style.width = `${vw}px`;
    this.layer.style.height = `${vh}px`;
    this.spacer.style.marginTop = `${-vh}px`;
    const st = v.scrollTop;
    const sl = v.scrollLeft;
    const r0 = Math.floor(st / CELL_H);
    const r1 = Math.min(src.rows, r0 + Math.ceil((vh - HEAD_H) / CELL_H) + 1);
    const c0 = Math.floor(sl / CELL_W);
    const c1 = Math.min(src.cols, c0 + Math.ceil((vw - ROWHEAD_W) / CELL_W) + 1);
    const f = this.focus;
    const out: string[] = [];
    const pre = this.idPrefix;
    // cells
    for (let r = r0; r < r1; r++) {
      const y = HEAD_H + r * CELL_H - st;
      for (let c = c0; c < c1; c++) {
        const x = ROWHEAD_W + c * CELL_W - sl;
        const { state, kind } = src.cell(r, c);
        let cls = cellClass(state, kind);
        if (kind !== 'off' && src.marked(r, c)) cls += ' chg';
        const focused = r === f.row && c === f.col;
        if (focused) cls += ' focus';
        const tip =
          kind === 'off' || !state
            ? ''
            : ` title="${esc(`${state.name} · vCPU ${src.colId(c)}: ${stateWords(state)}`)}"`;
        out.push(
          `<div id="${pre}-r${r}-c${c}" role="gridcell" aria-rowindex="${r + 4}" aria-colindex="${c + 4}"${focused ? ' aria-selected="true"' : ''} class="${cls}" data-r="${r}" data-c="${c}" style="transform:translate(${x}px,${y}px)"${tip}>${kind === 'off' ? '' : state ? pr(state.priority) : '?'}</div>`,
        );
      }
    }
    // row heads: name, global state, target
    for (let r = r0; r < r1; r++) {
      const y = HEAD_H + r * CELL_H - st;
      const g = src.rowGlobal(r);
      const fr = r === f.row ? ' frow' : '';
      out.push(
        `<div class="rh name${fr}" data-r="${r}" data-c="-1" style="transform:translate(0,${y}px)">${esc(src.rowName(r))}</div>`,
      );
      if (g) {
        const cls = `${cellClass(g, 'own')}${src.marked(r, -1) ? ' chg' : ''} glob`;
        out.push(
          `<div class="${cls}" data-r="${r}" data-c="-1" title="${esc(`${g.name}: ${stateWords(g)}`)}" style="transform:translate(${NAME_W}px,${y}px)">${pr(g.priority)}</div>`,
        );
        out.push(
          `<div class="rh tgt${fr}" data-r="${r}" data-c="-1" style="transform:translate(${NAME_W + GLOBAL_W}px,${y}px)">${esc(g.target)}</div>`,
        );
      } else
        out.push(
          `<div class="rh tgt banked${fr}" data-r="${r}" data-c="-1" style="transform:translate(${NAME_W}px,${y}px)">per vCPU</div>`,
        );
    }
    // column heads: vCPU id, lines, running priority
    for (let c = c0; c < c1; c++) {
      const x = ROWHEAD_W + c * CELL_W - sl;
      const cpu = src.cpu(c);
      const fc = c === f.col ? ' fcol' : '';
      const lines = cpu
        ? cpu.lines
            .map(
              (l) =>
                `<span class="ln${l.level ? ' up' : ''}" title="${esc(l.name)} line ${l.level}">${l.level ? '●' : '○'}</span>`,
            )
            .join('')
        : '?';
      const rp =
        cpu === null ? '?' : cpu.runningPriority === null ? '–' : cpu.runningPriority.toString(16);
      out.push(
        `<div class="ch id${fc}" data-col="${c}" style="transform:translate(${x}px,0)">${src.colId(c)}</div>`,
      );
      out.push(
        `<div class="ch lines${fc}" style="transform:translate(${x}px,${HEAD_ROW}px)">${lines}</div>`,
      );
      out.push(
        `<div class="ch rpr${fc}" title="${esc(cpu?.text ?? '')}" style="transform:translate(${x}px,${2 * HEAD_ROW}px)">${rp}</div>`,
      );
    }
    out.push(`<div class="corner"><div>vCPU</div><div>lines</div><div>running prio</div></div>`);
    this.layer.innerHTML = out.join('');
    this.el.setAttribute('aria-activedescendant', `${pre}-r${f.row}-c${f.col}`);
    this.onPaint?.();
  }
}
