/**
 * The shape of one device's state matrix: a row per interrupt id (in the device's display
 * order), a column per vCPU. Banked interrupts (SGIs, PPIs, an XICS server's IPI) have a state
 * per column; global ones have one state, shown in the columns of the vCPUs they target.
 * @packageDocumentation
 */
import type { LineName } from '@kvmdev/core';
import type { InterruptRange, InterruptView } from './introspect.js';

/** Interrupt ids are read in aligned blocks of this many (a register word's worth of bits). */
export const BLOCK = 32;

/** One row of the matrix. */
export interface Row {
  readonly id: number;
  /** Index into {@link Layout.ranges}. */
  readonly range: number;
  readonly banked: boolean;
  /** The range's kind (`'SPI'`, `'source'`). */
  readonly kind: string;
}

/** The rows and columns of one device. */
export class Layout {
  readonly rows: readonly Row[];
  /** Block number of each range's first block, in one numbering for the whole device. */
  private readonly blockBase: readonly number[];
  /** How many blocks the whole device has. */
  readonly blocks: number;
  private readonly byId = new Map<number, number>();

  constructor(
    readonly device: string,
    readonly key: string,
    readonly ranges: readonly InterruptRange[],
    /** vCPU ids in column order. */
    readonly vcpus: readonly number[],
    /** The vCPU line the controller drives. */
    readonly line: LineName,
  ) {
    const rows: Row[] = [];
    const base: number[] = [];
    let blocks = 0;
    ranges.forEach((r, i) => {
      base.push(blocks);
      blocks += Math.ceil(r.count / BLOCK);
      for (let k = 0; k < r.count; k++) {
        const id = r.first + k;
        if (!this.byId.has(id)) this.byId.set(id, rows.length);
        rows.push({ id, range: i, banked: r.banked, kind: r.kind });
      }
    });
    this.rows = rows;
    this.blockBase = base;
    this.blocks = blocks;
  }

  /** The layout of a device's interrupt view (its ranges as they are now). */
  static of(device: string, key: string, view: InterruptView, vcpus: readonly number[]): Layout {
    return new Layout(device, key, view.ranges(), vcpus, view.line);
  }

  /** The row of an interrupt id, or -1. */
  rowOf(id: number): number {
    return this.byId.get(id) ?? -1;
  }

  /** The column of a vCPU id, or -1. */
  colOf(vcpu: number): number {
    return this.vcpus.indexOf(vcpu);
  }

  /** The device-wide block number of a row, and the first id of that block. */
  blockOf(row: Row): { block: number; first: number; count: number } {
    const r = this.ranges[row.range]!;
    const b = Math.floor((row.id - r.first) / BLOCK);
    const first = r.first + b * BLOCK;
    return {
      block: this.blockBase[row.range]! + b,
      first,
      count: Math.min(BLOCK, r.first + r.count - first),
    };
  }

  /** Same layout (same ranges and vCPUs)? Frames of equal layouts can be compared cell by cell. */
  sameAs(o: Layout): boolean {
    if (o.vcpus.length !== this.vcpus.length || o.ranges.length !== this.ranges.length)
      return false;
    if (o.vcpus.some((v, i) => v !== this.vcpus[i])) return false;
    return o.ranges.every((r, i) => {
      const m = this.ranges[i]!;
      return (
        r.first === m.first && r.count === m.count && r.banked === m.banked && r.kind === m.kind
      );
    });
  }
}
