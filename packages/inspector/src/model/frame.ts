/**
 * A frame: one device's state at one moment, read through its introspection view. A live frame
 * reads on demand (only the blocks and vCPUs the page shows), so the first paint of a 512-vCPU
 * GICv3 costs what is on screen; {@link DeviceFrame.freeze} reads everything, after which the
 * frame no longer touches the device and can be kept as history. Frozen frames share the
 * blocks that did not change with the frame before them.
 * @packageDocumentation
 */
import type { CpuState, DeviceView, InterruptState, StateSection } from './introspect.js';
import type { Layout, Row } from './layout.js';

/** One interrupt state's identity for comparisons: every field a cell shows. */
export function stateKey(s: InterruptState | null): string {
  if (s === null) return '-';
  const b = (x: boolean | null) => (x === null ? '?' : x ? '1' : '0');
  const extra = s.extra
    ? Object.keys(s.extra)
        .sort()
        .map((k) => `${k}=${String(s.extra![k])}`)
        .join(',')
    : '';
  return `${b(s.enabled)}${b(s.pending)}${b(s.active)}|${s.priority ?? '?'}|${s.targets?.join(',') ?? '*'}|${s.target}|${s.group ?? '?'}|${s.config ?? '?'}|${s.configured ? 1 : 0}|${extra}`;
}

/** One vCPU interface's identity for comparisons. */
export function cpuKey(c: CpuState | null): string {
  if (c === null) return '-';
  return `${c.lines.map((l) => `${l.name}${l.level}`).join(',')}|${c.runningPriority ?? '?'}|${c.priorityMask ?? '?'}|${c.highestPending ?? '?'}|${c.fields.map((f) => f.text).join(',')}`;
}

/** A cell that differs between two frames (`col` null: a global interrupt's one state). */
export interface CellChange {
  readonly row: number;
  readonly col: number | null;
  readonly before: InterruptState | null;
  readonly after: InterruptState | null;
}

/** A vCPU interface that differs between two frames. */
export interface CpuChange {
  readonly col: number;
  readonly before: CpuState | null;
  readonly after: CpuState | null;
}

/** What differs between two frames of one device. */
export interface FrameChanges {
  readonly cells: readonly CellChange[];
  readonly cpus: readonly CpuChange[];
}

type Block = readonly (InterruptState | null)[];

/** One device's state at one moment. */
export class DeviceFrame {
  private readonly blocks: (Block | undefined)[];
  private readonly cpus: (CpuState | null | undefined)[];
  private sectionsCache: readonly StateSection[] | undefined;
  private summaryCache: string | undefined;
  private live: DeviceView | null;
  /** A read that failed (the frame shows the cell as unknown), for the page to say once. */
  readonly errors: string[] = [];

  constructor(
    readonly layout: Layout,
    view: DeviceView,
  ) {
    this.live = view;
    this.blocks = new Array(layout.blocks * (layout.vcpus.length + 1));
    this.cpus = new Array(layout.vcpus.length);
  }

  /** False once frozen: then the frame never reads the device again. */
  get isLive(): boolean {
    return this.live !== null;
  }

  /** The state of `row` as column `col` sees it: the vCPU's own copy (banked) or the one global state. */
  state(row: number, col: number): InterruptState | null {
    const r = this.layout.rows[row];
    if (!r) return null;
    const { block, first } = this.layout.blockOf(r);
    const b = this.block(r, block, first, col);
    return b[r.id - first] ?? null;
  }

  /** The global state of a global row (null for a banked row). */
  global(row: number): InterruptState | null {
    const r = this.layout.rows[row];
    return r && !r.banked ? this.state(row, 0) : null;
  }

  /** The interrupt interface of column `col`'s vCPU. */
  cpu(col: number): CpuState | null {
    let c = this.cpus[col];
    if (c === undefined) {
      c = null;
      const view = this.live;
      const id = this.layout.vcpus[col];
      if (view?.interrupts && id !== undefined) {
        try {
          c = view.interrupts.cpu(id);
        } catch (e) {
          this.errors.push(`vCPU ${id}: ${(e as Error).message}`);
        }
      }
      this.cpus[col] = c;
    }
    return c;
  }

  /** The device's state sections (distributor control, global registers). */
  sections(): readonly StateSection[] {
    if (this.sectionsCache === undefined) {
      try {
        this.sectionsCache = this.live ? this.live.state() : [];
      } catch (e) {
        this.errors.push((e as Error).message);
        this.sectionsCache = [];
      }
    }
    return this.sectionsCache;
  }

  /** One line about the device. */
  summary(): string {
    if (this.summaryCache === undefined) {
      try {
        this.summaryCache = this.live ? this.live.summary() : '';
      } catch (e) {
        this.summaryCache = (e as Error).message;
      }
    }
    return this.summaryCache;
  }

  private block(r: Row, block: number, first: number, col: number): Block {
    const slot = block * (this.layout.vcpus.length + 1) + (r.banked ? col + 1 : 0);
    let b = this.blocks[slot];
    if (b === undefined) {
      b = this.readBlock(r, first, col);
      this.blocks[slot] = b;
    }
    return b;
  }

  private readBlock(r: Row, first: number, col: number): Block {
    const range = this.layout.ranges[r.range]!;
    const count = Math.min(32, range.first + range.count - first);
    const out: (InterruptState | null)[] = new Array(count).fill(null);
    const iv = this.live?.interrupts;
    if (!iv) return out;
    const vcpu = r.banked ? this.layout.vcpus[col] : undefined;
    try {
      for (const s of iv.read(first, count, vcpu))
        if (s.id >= first && s.id < first + count) out[s.id - first] = s;
    } catch (e) {
      this.errors.push(
        `${iv.name(first) ?? first}${vcpu === undefined ? '' : ` (vCPU ${vcpu})`}: ${(e as Error).message}`,
      );
    }
    return out;
  }

  /**
   * Reads every block the frame does not have yet with as few view calls as the ranges allow:
   * a run of ranges with consecutive ids and the same banking is one call (per vCPU when
   * banked), split into blocks afterwards.
   */
  private fillAll(): void {
    const L = this.layout;
    const iv = this.live?.interrupts;
    if (!iv) return;
    const cols = L.vcpus.length;
    const ranges = L.ranges;
    let rowStart = 0;
    for (let i = 0; i < ranges.length; ) {
      let j = i + 1;
      let end = ranges[i]!.first + ranges[i]!.count;
      while (
        j < ranges.length &&
        ranges[j]!.banked === ranges[i]!.banked &&
        ranges[j]!.first === end
      )
        end += ranges[j++]!.count;
      const first = ranges[i]!.first;
      const banked = ranges[i]!.banked;
      let rows = 0;
      for (let k = i; k < j; k++) rows += ranges[k]!.count;
      for (let col = 0; col < (banked ? cols : 1); col++) {
        const vcpu = banked ? L.vcpus[col] : undefined;
        const byId = new Map<number, InterruptState>();
        try {
          for (const st of iv.read(first, end - first, vcpu)) byId.set(st.id, st);
        } catch {
          continue; // the blocks are read one by one below, and a failure is recorded there
        }
        for (let row = rowStart; row < rowStart + rows; ) {
          const r = L.rows[row]!;
          const b = L.blockOf(r);
          const slot = b.block * (cols + 1) + (banked ? col + 1 : 0);
          if (this.blocks[slot] === undefined) {
            const out: (InterruptState | null)[] = new Array(b.count).fill(null);
            for (let k = 0; k < b.count; k++) out[k] = byId.get(b.first + k) ?? null;
            this.blocks[slot] = out;
          }
          row += b.count - (r.id - b.first);
        }
      }
      rowStart += rows;
      i = j;
    }
  }

  /**
   * Reads everything the frame does not have yet, then stops reading the device. With `prev`
   * (an earlier frozen frame of the same layout), blocks whose cells are all unchanged are
   * shared with it, and the cells and vCPU interfaces that differ are returned.
   */
  freeze(prev?: DeviceFrame): FrameChanges {
    const L = this.layout;
    const cols = L.vcpus.length;
    const cells: CellChange[] = [];
    const cpus: CpuChange[] = [];
    // biome-ignore lint/complexity/useOptionalChain: the explicit test narrows prev for the code below
    const comparable = prev !== undefined && prev.layout.sameAs(L);
    this.fillAll();
    for (let row = 0; row < L.rows.length; ) {
      const r = L.rows[row]!;
      const { block, first, count } = L.blockOf(r);
      const start = row - (r.id - first);
      for (let col = 0; col < (r.banked ? cols : 1); col++) {
        const mine = this.block(r, block, first, col);
        if (!comparable) continue;
        const theirs = prev.block(r, block, first, col);
        let same = true;
        for (let k = 0; k < count; k++) {
          const a = theirs[k] ?? null;
          const b = mine[k] ?? null;
          if (a === b) continue;
          if (stateKey(a) !== stateKey(b)) {
            same = false;
            cells.push({ row: start + k, col: r.banked ? col : null, before: a, after: b });
          }
        }
        if (same) this.blocks[block * (cols + 1) + (r.banked ? col + 1 : 0)] = theirs;
      }
      row = start + count;
    }
    for (let col = 0; col < cols; col++) {
      const mine = this.cpu(col);
      if (comparable) {
        const theirs = prev.cpu(col);
        if (cpuKey(mine) !== cpuKey(theirs)) cpus.push({ col, before: theirs, after: mine });
      }
    }
    this.sections();
    this.summary();
    this.live = null;
    return { cells, cpus };
  }
}
