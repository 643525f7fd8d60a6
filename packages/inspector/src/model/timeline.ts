/**
 * The timeline: the trace of a session, filtered by interrupt and by vCPU. An event concerns an
 * interrupt when it names it (a host raise) or when its step changed one of that interrupt's
 * cells; it concerns a vCPU when it happened on it or its step changed that vCPU's cells or
 * interface. The link from a step to the cells it changed is the session's frame comparison,
 * so it needs nothing from the device beyond its view.
 * @packageDocumentation
 */
import type { EventKind, TraceEvent } from './runner.js';
import type { Session } from './session.js';

/** The groups the timeline shows, in order, with their words. */
export const EVENT_GROUPS: readonly { readonly kind: EventKind; readonly label: string }[] = [
  { kind: 'inject', label: 'inject' },
  { kind: 'deliver', label: 'deliver' },
  { kind: 'ack', label: 'acknowledge' },
  { kind: 'eoi', label: 'EOI' },
  { kind: 'ipi', label: 'IPI' },
  { kind: 'line-down', label: 'line down' },
  { kind: 'access', label: 'access' },
  { kind: 'expect', label: 'expect' },
  { kind: 'note', label: 'note' },
  { kind: 'run', label: 'run' },
  { kind: 'snapshot', label: 'snapshot' },
  { kind: 'error', label: 'error' },
];

/** A timeline filter (null fields match everything). */
export interface TimelineFilter {
  /** Device index and interrupt id. */
  readonly interrupt: { readonly device: number; readonly id: number } | null;
  /** vCPU id. */
  readonly vcpu: number | null;
  /** Kinds shown (null: all). */
  readonly kinds: ReadonlySet<EventKind> | null;
}

/** No filter. */
export const NO_FILTER: TimelineFilter = { interrupt: null, vcpu: null, kinds: null };

/** Whether step `k` changed a cell of interrupt `id` on device `device`. */
export function stepTouches(session: Session, k: number, device: number, id: number): boolean {
  const ch = session.changes[k]?.[device];
  if (!ch) return false;
  const L = session.devices[device]!.layout;
  return ch.cells.some((c) => L.rows[c.row]?.id === id);
}

/** Whether step `k` changed a cell or the interface of vCPU `vcpu` (on any device). */
export function stepTouchesVcpu(session: Session, k: number, vcpu: number): boolean {
  const ch = session.changes[k];
  if (!ch) return false;
  return ch.some((c, d) => {
    const col = session.devices[d]!.layout.colOf(vcpu);
    return col >= 0 && (c.cpus.some((x) => x.col === col) || c.cells.some((x) => x.col === col));
  });
}

/** The events that pass a filter, in order. */
export function filterEvents(session: Session, f: TimelineFilter): TraceEvent[] {
  const byStep = new Map<number, boolean>();
  const stepOk = (k: number, e: TraceEvent): boolean => {
    if (f.interrupt) {
      const i = f.interrupt;
      const named = e.ids.includes(i.id);
      if (!named) {
        let t = byStep.get(k);
        if (t === undefined) byStep.set(k, (t = stepTouches(session, k, i.device, i.id)));
        if (!t) return false;
      }
    }
    if (f.vcpu !== null && e.vcpu !== f.vcpu && !stepTouchesVcpu(session, k, f.vcpu)) return false;
    return true;
  };
  return session.events.filter((e) => (!f.kinds || f.kinds.has(e.kind)) && stepOk(e.step, e));
}
