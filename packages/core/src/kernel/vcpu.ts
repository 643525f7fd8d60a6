/**
 * The vCPU kernel object: its id, its interrupt output lines (with change events), per-plugin
 * slots, and its guest port.
 * @packageDocumentation
 */
import { GuestPort } from './guest-port.js';
import { LINE_NAMES, lineIndex, type LineName } from './lines.js';
import { SlotStore, type Slot } from './slots.js';
import type { Vm } from './vm.js';

/** Called when a line changes level. */
export type LineListener = (vcpu: Vcpu, line: number, level: 0 | 1) => void;

/** A virtual CPU. */
export class Vcpu {
  /** The vCPU id given to KVM_CREATE_VCPU. */
  readonly id: number;
  /** Position in the VM's vCPU array (kvm_get_vcpu index). */
  readonly index: number;
  /** The VM it belongs to. */
  readonly vm: Vm;
  /** Levels of the output lines, by line number. */
  readonly lines = new Uint8Array(LINE_NAMES.length);
  /** Per-plugin data. */
  readonly slots = new SlotStore();
  /** Which interrupt controller this vCPU is attached to (kernel `vcpu->arch.irq_type`), or null. */
  irqConnection: string | null = null;
  /** Set once KVM_RUN has passed the first-run checks. */
  hasRun = false;
  /** Number of KVM_RUN calls that succeeded. */
  runs = 0;
  private listeners: LineListener[] = [];
  private port: GuestPort | null = null;

  constructor(vm: Vm, id: number, index: number) {
    this.vm = vm;
    this.id = id;
    this.index = index;
  }

  /** Sets an output line; listeners run only when the level changes. */
  setLine(line: number, level: number): void {
    const l = level ? 1 : 0;
    if (this.lines[line] === l) return;
    this.lines[line] = l;
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]!(this, line, l);
  }

  /** Level (0/1) of a line by name or number. */
  line(line: LineName | number): 0 | 1 {
    const i = typeof line === 'number' ? line : lineIndex(line);
    return this.lines[i] === 1 ? 1 : 0;
  }

  /** Subscribes to line changes; returns the unsubscribe function. */
  onLine(listener: LineListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Typed plugin data. */
  slot<T>(key: Slot<T>): T | undefined {
    return this.slots.get(key);
  }

  /** The guest side of this vCPU (MMIO, hypercalls, system registers, lines). */
  get guest(): GuestPort {
    return (this.port ??= new GuestPort(this));
  }
}
