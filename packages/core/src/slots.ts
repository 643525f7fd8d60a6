/**
 * Typed per-object storage for plugins: a plugin defines a `Slot<T>` once and keeps its per-VM
 * or per-vCPU data under it (`vm.slot(key)`), without touching the core's fields.
 * @packageDocumentation
 */

/** A typed key for plugin data on a VM or vCPU. */
export interface Slot<T> {
  readonly name: string;
  /** Phantom field carrying the type. */
  readonly __type?: T;
}

/** Creates a slot key. Each call gives a distinct key. */
export function defineSlot<T>(name: string): Slot<T> {
  return Object.freeze({ name });
}

/** A bag of slot values. */
export class SlotStore {
  private readonly map = new Map<Slot<unknown>, unknown>();
  get<T>(slot: Slot<T>): T | undefined {
    return this.map.get(slot as Slot<unknown>) as T | undefined;
  }
  set<T>(slot: Slot<T>, value: T | undefined): void {
    if (value === undefined) this.map.delete(slot as Slot<unknown>);
    else this.map.set(slot as Slot<unknown>, value);
  }
  clear(): void {
    this.map.clear();
  }
}
