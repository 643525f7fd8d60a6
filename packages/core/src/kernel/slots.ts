/**
 * Typed per-object storage for plugins: a plugin defines a `Slot<T>` once and keeps its per-VM
 * or per-vCPU data under it (`vm.slot(key)`), without touching the core's fields.
 * @packageDocumentation
 */

/** A typed key for plugin data on a VM or vCPU. */
export interface Slot<T> {
  /** A name for debugging. */
  readonly name: string;
  /** The property key the value is stored under (unique per slot). */
  readonly key: symbol;
  /** Phantom field carrying the type. */
  readonly __type?: T;
}

/** Creates a slot key. Each call gives a distinct key. */
export function defineSlot<T>(name: string): Slot<T> {
  return Object.freeze({ name, key: Symbol(name) });
}

/**
 * A bag of slot values. Values live under each slot's symbol on a plain object, so a lookup at a
 * given call site is a monomorphic property load (no hashing), which matters on the hot paths
 * that find a device's per-VM or per-vCPU state.
 */
export class SlotStore {
  private bag: Record<symbol, unknown> = {};
  /** The value under `slot`, or undefined. */
  get<T>(slot: Slot<T>): T | undefined {
    return this.bag[slot.key] as T | undefined;
  }
  /** Stores (or clears, with undefined) the value under `slot`. */
  set<T>(slot: Slot<T>, value: T | undefined): void {
    // never `delete`: that would turn the bag into a dictionary-mode object
    this.bag[slot.key] = value;
  }
  /** Drops every value. */
  clear(): void {
    this.bag = {};
  }
}
