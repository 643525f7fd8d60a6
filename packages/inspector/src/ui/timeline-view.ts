/**
 * The timeline panel: the trace of the steps run so far, filtered by interrupt, vCPU and kind;
 * the events of the step shown are highlighted, and choosing an event shows the state after
 * its step. A listbox: arrow keys move, Enter shows.
 * @packageDocumentation
 */
import type { EventKind, TraceEvent } from '../model/runner.js';
import { EVENT_GROUPS, type TimelineFilter } from '../model/timeline.js';
import { fill, h } from './dom.js';

/** At most this many events are in the DOM at once (the newest first when there are more). */
const MAX_ROWS = 1500;

/** The timeline panel. */
export class TimelineView {
  readonly el: HTMLElement;
  readonly list: HTMLOListElement;
  private readonly status: HTMLSpanElement;
  readonly interruptInput: HTMLInputElement;
  readonly vcpuInput: HTMLInputElement;
  private readonly kinds = new Map<EventKind, HTMLInputElement>();
  private events: readonly TraceEvent[] = [];
  private selected = -1;
  /** Called with an event the user chose. */
  onChoose: ((e: TraceEvent) => void) | null = null;
  /** Called when a filter field changed (the page rebuilds the filter). */
  onFilter: (() => void) | null = null;

  constructor() {
    this.interruptInput = h('input', {
      type: 'text',
      id: 'f-irq',
      placeholder: 'e.g. SPI 40',
      size: 14,
      'aria-label': 'filter by interrupt',
      onchange: () => this.onFilter?.(),
    });
    this.vcpuInput = h('input', {
      type: 'text',
      id: 'f-vcpu',
      placeholder: 'id',
      size: 4,
      inputmode: 'numeric',
      'aria-label': 'filter by vCPU',
      onchange: () => this.onFilter?.(),
    });
    const chips = EVENT_GROUPS.map((g) => {
      const box = h('input', {
        type: 'checkbox',
        checked: true,
        'data-kind': g.kind,
        onchange: () => this.onFilter?.(),
      });
      this.kinds.set(g.kind, box);
      return h('label', { class: `chip k-${g.kind}` }, box, g.label);
    });
    this.status = h('span', { class: 'tl-status', role: 'status' });
    this.list = h('ol', {
      class: 'tl-list',
      id: 'timeline',
      role: 'listbox',
      tabindex: 0,
      'aria-label': 'timeline',
    });
    this.list.addEventListener('click', (e) => {
      const li = (e.target as HTMLElement).closest('li[data-i]') as HTMLElement | null;
      if (li) this.choose(Number(li.dataset.i));
    });
    this.list.addEventListener('keydown', (e) => this.key(e));
    this.el = h(
      'section',
      { class: 'timeline', 'aria-label': 'timeline of the trace' },
      h(
        'div',
        { class: 'tl-bar' },
        h('strong', {}, 'Timeline'),
        h('label', {}, 'interrupt ', this.interruptInput),
        h('label', {}, 'vCPU ', this.vcpuInput),
        h(
          'button',
          {
            type: 'button',
            id: 'f-clear',
            title: 'clear the filters (x)',
            onclick: () => this.clear(),
          },
          'clear',
        ),
        h('span', { class: 'chips' }, ...chips),
        this.status,
      ),
      this.list,
    );
  }

  /** The kinds ticked (null: all of them). */
  kindSet(): Set<EventKind> | null {
    const on = [...this.kinds].filter(([, b]) => b.checked).map(([k]) => k);
    return on.length === this.kinds.size ? null : new Set(on);
  }

  /** Clears every filter field. */
  clear(): void {
    this.interruptInput.value = '';
    this.vcpuInput.value = '';
    for (const b of this.kinds.values()) b.checked = true;
    this.onFilter?.();
  }

  /**
   * Shows events. `position` is the frame shown: the events of step `position - 1` are
   * highlighted, later ones (the user stepped back) dimmed. `total`: all events.
   */
  show(
    events: readonly TraceEvent[],
    position: number,
    total: number,
    f: TimelineFilter,
    note: string,
  ): void {
    const current = position - 1;
    this.events = events;
    const shown = events.length > MAX_ROWS ? events.slice(events.length - MAX_ROWS) : events;
    const offset = events.length - shown.length;
    const items = shown.map((e, j) => {
      const i = j + offset;
      const cls = `ev k-${e.kind}${e.step === current ? ' cur' : ''}${e.step > current ? ' later' : ''}${e.kind === 'expect' && e.ok === false ? ' bad' : ''}`;
      return h(
        'li',
        {
          class: cls,
          'data-i': i,
          'data-step': e.step,
          role: 'option',
          id: `ev-${i}`,
          'aria-selected': i === this.selected ? 'true' : 'false',
        },
        h('span', { class: 'at' }, `#${e.step + 1}`),
        h('span', { class: 'lbl' }, e.at),
        h('span', { class: 'kind' }, e.kind),
        h('span', { class: 'txt' }, e.text),
      );
    });
    fill(this.list, ...items);
    if (!events.length)
      this.list.append(h('li', { class: 'empty' }, total ? 'no event passes the filter' : note));
    const filtered = f.interrupt || f.vcpu !== null || f.kinds;
    this.status.textContent = `${events.length}${filtered ? ` of ${total}` : ''} events${offset ? ` (the last ${MAX_ROWS} shown)` : ''}`;
    const cur = this.list.querySelector('li.cur');
    if (cur) cur.scrollIntoView({ block: 'nearest' });
  }

  private choose(i: number): void {
    const e = this.events[i];
    if (!e) return;
    this.select(i);
    this.onChoose?.(e);
  }

  private select(i: number): void {
    this.list.querySelector('[aria-selected="true"]')?.setAttribute('aria-selected', 'false');
    this.selected = i;
    const li = this.list.querySelector(`#ev-${i}`);
    li?.setAttribute('aria-selected', 'true');
    li?.scrollIntoView({ block: 'nearest' });
    if (li) this.list.setAttribute('aria-activedescendant', `ev-${i}`);
  }

  private key(e: KeyboardEvent): void {
    if (!this.events.length) return;
    let i = this.selected < 0 ? this.events.length - 1 : this.selected;
    if (e.key === 'ArrowDown') i = Math.min(this.events.length - 1, i + 1);
    else if (e.key === 'ArrowUp') i = Math.max(0, i - 1);
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = this.events.length - 1;
    else if (e.key === 'Enter' || e.key === ' ') {
      this.choose(i);
      e.preventDefault();
      e.stopPropagation();
      return;
    } else return;
    this.select(i);
    e.preventDefault();
    e.stopPropagation();
  }
}
