/**
 * The keyboard map (shown on the page, and the single source the handlers read) and the grid's
 * focus movement.
 * @packageDocumentation
 */

/** One shortcut: the keys (as `KeyboardEvent.key` values) and what they do. */
export interface Shortcut {
  readonly keys: readonly string[];
  /** How the page shows the keys. */
  readonly label: string;
  readonly what: string;
  readonly action: Action;
}

/** What a shortcut does. */
export type Action =
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'page-up'
  | 'page-down'
  | 'row-start'
  | 'row-end'
  | 'top'
  | 'bottom'
  | 'step'
  | 'back'
  | 'start'
  | 'end'
  | 'filter-interrupt'
  | 'filter-vcpu'
  | 'clear-filter'
  | 'last-change'
  | 'next-change'
  | 'prev-change'
  | 'next-device'
  | 'prev-device'
  | 'find'
  | 'open'
  | 'help'
  | 'timeline'
  | 'grid';

/** Every shortcut of the page. */
export const SHORTCUTS: readonly Shortcut[] = [
  {
    keys: ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'],
    label: '← ↑ → ↓',
    what: 'move in the grid (interrupt × vCPU)',
    action: 'up',
  },
  {
    keys: ['PageUp', 'PageDown'],
    label: 'PgUp PgDn',
    what: 'a screen of interrupts up / down',
    action: 'page-up',
  },
  {
    keys: ['Home', 'End'],
    label: 'Home End',
    what: 'first / last vCPU (with Ctrl: first / last interrupt)',
    action: 'row-start',
  },
  { keys: ['n', '.'], label: 'n or .', what: 'run / show the next step', action: 'step' },
  { keys: ['b', ','], label: 'b or ,', what: 'show the step before', action: 'back' },
  { keys: ['0'], label: '0', what: 'back to the state before the first step', action: 'start' },
  { keys: ['$'], label: '$', what: 'run every remaining step', action: 'end' },
  {
    keys: ['c'],
    label: 'c',
    what: 'show the step that made the focused cell what it is now',
    action: 'last-change',
  },
  {
    keys: ['i'],
    label: 'i',
    what: 'filter the timeline by the focused interrupt',
    action: 'filter-interrupt',
  },
  {
    keys: ['v'],
    label: 'v',
    what: 'filter the timeline by the focused vCPU',
    action: 'filter-vcpu',
  },
  { keys: ['x'], label: 'x', what: 'clear the timeline filters', action: 'clear-filter' },
  { keys: [']'], label: ']', what: 'diff: next changed cell', action: 'next-change' },
  { keys: ['['], label: '[', what: 'diff: previous changed cell', action: 'prev-change' },
  { keys: ['d'], label: 'd / D', what: 'next / previous device', action: 'next-device' },
  {
    keys: ['/'],
    label: '/',
    what: 'find an interrupt by name (SPI 40, source 0x1000)',
    action: 'find',
  },
  {
    keys: ['t'],
    label: 't',
    what: 'focus the timeline (Enter on an event shows its step)',
    action: 'timeline',
  },
  { keys: ['g'], label: 'g', what: 'focus the grid', action: 'grid' },
  { keys: ['o'], label: 'o', what: 'open a file', action: 'open' },
  { keys: ['?'], label: '?', what: 'this list', action: 'help' },
];

/** The action of a key press outside text fields, or null. */
export function actionOf(key: string, ctrl: boolean, shift: boolean): Action | null {
  switch (key) {
    case 'ArrowUp':
      return 'up';
    case 'ArrowDown':
      return 'down';
    case 'ArrowLeft':
      return 'left';
    case 'ArrowRight':
      return 'right';
    case 'PageUp':
      return 'page-up';
    case 'PageDown':
      return 'page-down';
    case 'Home':
      return ctrl ? 'top' : 'row-start';
    case 'End':
      return ctrl ? 'bottom' : 'row-end';
    case 'D':
      return 'prev-device';
    case 'd':
      return shift ? 'prev-device' : 'next-device';
  }
  for (const s of SHORTCUTS)
    if (
      s.keys.includes(key) &&
      !s.keys.includes('ArrowUp') &&
      !s.keys.includes('PageUp') &&
      !s.keys.includes('Home')
    )
      return s.action;
  return null;
}

/** A focused cell. */
export interface Focus {
  readonly row: number;
  readonly col: number;
}

/** The focus after a movement in a grid of `rows` x `cols` (`page`: rows per screen). */
export function move(f: Focus, a: Action, rows: number, cols: number, page: number): Focus {
  const clamp = (r: number, c: number): Focus => ({
    row: Math.max(0, Math.min(rows - 1, r)),
    col: Math.max(0, Math.min(cols - 1, c)),
  });
  switch (a) {
    case 'up':
      return clamp(f.row - 1, f.col);
    case 'down':
      return clamp(f.row + 1, f.col);
    case 'left':
      return clamp(f.row, f.col - 1);
    case 'right':
      return clamp(f.row, f.col + 1);
    case 'page-up':
      return clamp(f.row - Math.max(1, page), f.col);
    case 'page-down':
      return clamp(f.row + Math.max(1, page), f.col);
    case 'row-start':
      return clamp(f.row, 0);
    case 'row-end':
      return clamp(f.row, cols - 1);
    case 'top':
      return clamp(0, f.col);
    case 'bottom':
      return clamp(rows - 1, f.col);
    default:
      return f;
  }
}
