/**
 * Diff mode: two snapshots, each restored onto its own VM, compared cell by cell through the
 * devices' views, with the lines `kvmdev diff` prints (core's `diffSnapshots`, in the words of
 * each plugin's snapshot spec) linked to the cells they name.
 * @packageDocumentation
 */
import { diffSnapshots } from '@kvmdev/core';
import type { FrameChanges } from './frame.js';
import type { Session } from './session.js';

/** One line of `kvmdev diff`, and the cell it names when a device can look its name up. */
export interface DiffLine {
  readonly text: string;
  readonly device: number | null;
  readonly row: number | null;
  /** The column of a banked interrupt's vCPU (`vCPU 1 SGI 3: ...`), else null. */
  readonly col: number | null;
}

/** Two sessions compared. */
export interface SnapshotDiff {
  readonly a: Session;
  readonly b: Session;
  readonly lines: readonly DiffLine[];
  /** Per device: the cells and vCPU interfaces that differ (empty when the layouts differ). */
  readonly changes: readonly FrameChanges[];
  /** Whether the two VMs have the same devices and shapes, so cells line up. */
  readonly comparable: boolean;
}

/**
 * Where a diff line points: the text before its first `:`, with an optional `vCPU n ` in
 * front, looked up as an interrupt name by each device's view (`SPI 40`, `source 0x1000`).
 * Lines about other state (`CPU 0 CTPR`, `GICD_CTLR`) point nowhere.
 */
export function locate(session: Session, text: string): Omit<DiffLine, 'text'> {
  const m = /^(?:vCPU (\d+) )?([^:]+):/.exec(text);
  if (m) {
    const name = m[2]!.trim();
    for (let d = 0; d < session.devices.length; d++) {
      const dev = session.devices[d]!;
      const id = dev.view?.interrupts?.lookup(name) ?? null;
      if (id === null) continue;
      const row = dev.layout.rowOf(id);
      if (row < 0) continue;
      const col = m[1] !== undefined ? dev.layout.colOf(Number(m[1])) : -1;
      return { device: d, row, col: col >= 0 ? col : null };
    }
  }
  return { device: null, row: null, col: null };
}

/** Compares two sessions restored from snapshots `sa` and `sb` (the parsed JSON). */
export function diffSessions(a: Session, b: Session, sa: unknown, sb: unknown): SnapshotDiff {
  const lines = diffSnapshots(a.host, sa, sb).map((text) => ({ text, ...locate(a, text) }));
  const comparable =
    a.devices.length === b.devices.length &&
    a.devices.every((d, i) => d.key === b.devices[i]!.key && d.layout.sameAs(b.devices[i]!.layout));
  const fa = a.current();
  const fb = b.current();
  const changes = comparable
    ? fb.map((f, i) => {
        fa[i]!.freeze();
        return f.freeze(fa[i]);
      })
    : [];
  return { a, b, lines, changes, comparable };
}
