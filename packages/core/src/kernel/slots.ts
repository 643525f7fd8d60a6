/**
 * Typed per-object storage for plugins: a plugin defines a `Slot<T>` once and keeps its per-VM
 * or per-vCPU data under it (`vm.slot(key)`), without touching the core's fields.
 * @packageDocumentation
 */

/** A typed key for plugin data on a VM or vCPU. */
export interface Slot<T> {
  /** A name for debugging. */
  readonly name: string;
  /** A unique key per slot (for debugging and identity). */
  readonly key: symbol;
  /**
   * The slot's index in a {@link SlotStore} (unique per slot, dense from 0): a lookup is an array
   * element load, the same load for every slot, so a shared call site stays monomorphic.
   */
  readonly index: number;
  /** Phantom field carrying the type. */
  readonly __type?: T;
}

/** The next slot index: slot keys are process-wide identities, like the symbols they carry. */
let nextIndex = 0;

/** Creates a slot key. Each call gives a distinct key. */
export function defineSlot<T>(name: string): Slot<T> {
  return Object.freeze({ name, key: Symbol(name), index: nextIndex++ });
}

/**
 * A bag of slot values. Values live in an array at each slot's index, so every lookup, whichever
 * the slot, is the same element load (no hashing, and no megamorphic keyed property load at the
 * shared `get` site; a symbol-keyed bag made that site megamorphic once a few plugins' slots
 * went through it), which matters on the hot paths that find a device's per-VM or per-vCPU state.
 */
export class SlotStore {
  private values: unknown[] = [];
  /** The value under `slot`, or undefined. */
  get<T>(slot: Slot<T>): T | undefined {
    const v = this.values;
    const i = slot.index;
    return (i < v.length ? v[i] : undefined) as T | undefined;
  }
  /** Stores (or clears, with undefined) the value under `slot`. */
  set<T>(slot: Slot<T>, value: T | undefined): void {
    const v = this.values;
    const i = slot.index;
    // filled with undefined up to the index, so the array stays packed (no holes)
    while (v.length <= i) v.push(undefined);
    v[i] = value;
  }
  /** Drops every value. */
  clear(): void {
    this.values = [];
  }
}
