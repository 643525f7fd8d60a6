/**
 * Terminal output: colour only on a TTY (and never with NO_COLOR), tables, JSON with bigints
 * as hex strings, and the progress line.
 * @packageDocumentation
 */
import pc from 'picocolors';
import type { TraceEvent } from './scenario.js';

/** Whether to colour a stream: a TTY, NO_COLOR unset, TERM not dumb; FORCE_COLOR forces it. */
export function useColour(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY && process.env.TERM !== 'dumb';
}

/** The colour functions (identity when colour is off). */
export type Colours = ReturnType<typeof pc.createColors>;
/** The colour functions, on or off (picocolors' `createColors`). */
export function colours(on: boolean): Colours {
  return pc.createColors(on);
}

/** JSON with bigints as hex strings. */
export function toJson(v: unknown, indent = 2): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x), indent);
}

/** One trace event as a line. */
export function formatEvent(e: TraceEvent, c: Colours): string {
  const at = c.dim(`${e.at.padEnd(14)}`);
  switch (e.kind) {
    case 'line':
      return `${at}   ${c.cyan(`-> ${e.text}`)}`;
    case 'ack':
      return `${at} ${c.green(e.text)}`;
    case 'eoi':
      return `${at} ${c.blue(e.text)}`;
    case 'ipi':
      return `${at} ${c.magenta(e.text)}`;
    case 'note':
      return `${at} ${c.bold(e.text)}`;
    case 'expect':
      return `${at} ${e.ok ? c.green(e.text) : c.red(c.bold(e.text))}`;
    case 'error':
      return `${at} ${c.red(e.text)}`;
    case 'attr':
      return `${at} ${e.errno !== 'none' ? c.yellow(e.text) : e.text}`;
    default:
      return `${at} ${e.text}`;
  }
}

/** A plain text table. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], c: Colours): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((x, i) => (x ?? '').padEnd(w[i]!)).join('  ').trimEnd();
  return [c.bold(line(head)), ...rows.map(line)].join('\n');
}

/** A progress writer for stderr (a step counter), active only on a TTY after 200 steps or 1 s. */
export function progressWriter(stream: NodeJS.WriteStream): (done: number, total: number, final: boolean) => void {
  if (!stream.isTTY) return () => {};
  const start = Date.now();
  let shown = false;
  let lastDraw = 0;
  return (done, total, final) => {
    if (final) {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
      return;
    }
    const now = Date.now();
    if (!(total > 200 || now - start > 1000)) return;
    if (now - lastDraw < 100 && done !== total) return;
    lastDraw = now;
    shown = true;
    stream.write(`\r\x1b[Kstep ${done}/${total}`);
  };
}
