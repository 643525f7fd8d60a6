/**
 * Guest RAM of a composed VM: the `memory` slots of a VM config (guest address and size, page
 * aligned, not overlapping, within a total limit), each backed by an anonymous mapping of the
 * process's user memory and given to the VM with KVM_SET_USER_MEMORY_REGION as a VMM does; and
 * the `mem` scenario step (a write of consecutive little-endian items into guest memory, or a
 * read of one), checked and run the same way by the CLI and the web inspector. The step goes
 * through the VMM's own mapping of the slot, as a VMM writes its guest's RAM.
 * @packageDocumentation
 */
import type { ConfigIssue } from '../plugins/setup-spec.js';
import type { Host } from '../faces/host.js';
import type { VmHandle } from '../faces/typed.js';
import { KvmError, isKvmError, showValue } from '../uapi/errors.js';
import { KVM_PAGE_SIZE } from '../uapi/kvm.js';

/** One guest RAM slot of a VM config: `size` bytes at guest physical `gpa`. */
export interface MemoryConfig {
  /** Guest physical base, page aligned (a number, a bigint or a `0x...` / decimal string). */
  readonly gpa: number | bigint | string;
  /** Size in bytes, page aligned and nonzero (a number, a bigint or a `0x...` / decimal string). */
  readonly size: number | bigint | string;
}

/** A guest RAM slot as composed: its KVM_SET_USER_MEMORY_REGION slot, guest range and backing. */
export interface GuestRamSlot {
  /** The `slot` field it was created with (its index in the config's `memory`). */
  readonly slot: number;
  /** Guest physical base. */
  readonly gpa: number;
  /** Size in bytes. */
  readonly size: number;
  /** The user-memory address of its first byte (the VMM's mapping). */
  readonly userspaceAddr: number;
}

/** The most guest RAM a VM config may give its VM, in bytes (256 MiB: the model keeps it in one buffer). */
export const MAX_VM_MEMORY = 256 * 1024 * 1024;
/** The most guest RAM slots a VM config may list. */
export const MAX_VM_MEMORY_SLOTS = 32;

const MEMORY_KEYS = ['gpa', 'size'];
const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

/** Reads an integer field: a safe non-negative integer, a bigint, or a `0x...` / decimal string; null when invalid. */
function readInt(v: unknown): number | null {
  let b: bigint | null = null;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') b = Number.isSafeInteger(v) ? BigInt(v) : null;
  else if (typeof v === 'string' && /^(0x[0-9a-f_]+|\d+)$/i.test(v.trim())) b = BigInt(v.trim().replace(/_/g, ''));
  if (b === null || b < 0n || b > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(b);
}

/**
 * The guest RAM slots of a config's `memory` (undefined: none), each checked: a `{ gpa, size }`
 * mapping, both integers (numbers or hex strings), page aligned, `size` nonzero, no slot
 * overlapping another, at most {@link MAX_VM_MEMORY_SLOTS} slots and {@link MAX_VM_MEMORY} bytes
 * in all. Returns the slots (as numbers) or every issue, each naming its field
 * (`memory[1].gpa`). Nothing is created.
 */
export function readMemoryConfig(memory: unknown): { slots: readonly { gpa: number; size: number }[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const slots: { gpa: number; size: number; i: number }[] = [];
  if (memory === undefined) return { slots, issues };
  if (!Array.isArray(memory)) return { slots: [], issues: [{ path: 'memory', message: 'expected a list of memory slots { gpa, size }' }] };
  if (memory.length > MAX_VM_MEMORY_SLOTS) issues.push({ path: 'memory', message: `${memory.length} memory slots; at most ${MAX_VM_MEMORY_SLOTS}` });
  memory.forEach((m: unknown, i: number) => {
    const p = `memory[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return void issues.push({ path: p, message: `expected a memory slot { gpa, size }, got ${showValue(m)}` });
    const o = m as Record<string, unknown>;
    let bad = false;
    for (const k of Object.keys(o))
      if (!MEMORY_KEYS.includes(k)) {
        issues.push({ path: `${p}.${k}`, message: `unknown key; a memory slot has ${MEMORY_KEYS.join(', ')}` });
        bad = true;
      }
    const field = (k: 'gpa' | 'size'): number | null => {
      const v = o[k];
      if (v === undefined) {
        issues.push({ path: `${p}.${k}`, message: `required (a memory slot is { gpa, size })` });
        return null;
      }
      const n = readInt(v);
      if (n === null) {
        issues.push({ path: `${p}.${k}`, message: `expected an integer (a number or a 0x... string), got ${showValue(v)}` });
        return null;
      }
      if (n % KVM_PAGE_SIZE !== 0) {
        issues.push({ path: `${p}.${k}`, message: `${hex(n)} is not a multiple of the page size (${hex(KVM_PAGE_SIZE)})` });
        return null;
      }
      return n;
    };
    const gpa = field('gpa');
    const size = field('size');
    if (size === 0) return void issues.push({ path: `${p}.size`, message: 'expected a nonzero size' });
    if (gpa === null || size === null || bad) return;
    if (gpa + size > Number.MAX_SAFE_INTEGER) return void issues.push({ path: `${p}.size`, message: `${hex(gpa)} + ${hex(size)} is beyond the modelled guest physical space` });
    const other = slots.find((s) => gpa < s.gpa + s.size && s.gpa < gpa + size);
    if (other)
      return void issues.push({
        path: p,
        message: `${hex(gpa)}..${hex(gpa + size - 1)} overlaps memory[${other.i}] (${hex(other.gpa)}..${hex(other.gpa + other.size - 1)})`,
      });
    slots.push({ gpa, size, i });
  });
  const total = slots.reduce((t, s) => t + s.size, 0);
  if (total > MAX_VM_MEMORY) issues.push({ path: 'memory', message: `${hex(total)} bytes of guest memory in all; at most ${hex(MAX_VM_MEMORY)} (${MAX_VM_MEMORY >> 20} MiB)` });
  if (issues.length) return { slots: [], issues };
  return { slots: slots.map(({ gpa, size }) => ({ gpa, size })), issues };
}

/**
 * Gives a VM its guest RAM: for each slot, an anonymous mapping of `size` bytes of the host's
 * user memory (mmap) and KVM_SET_USER_MEMORY_REGION with slot id = its index, flags 0. Throws
 * the KvmError of the first call that fails (ENOMEM, EINVAL, EEXIST, arm64's EFAULT beyond the
 * IPA space). The slots must have been checked by {@link readMemoryConfig}.
 */
export function addGuestRam(host: Host, vm: VmHandle, slots: readonly { gpa: number; size: number }[]): GuestRamSlot[] {
  const out: GuestRamSlot[] = [];
  slots.forEach((s, i) => {
    const userspaceAddr = host.mem.mmap(s.size);
    try {
      vm.setUserMemoryRegion({ slot: i, guestPhysAddr: s.gpa, memorySize: s.size, userspaceAddr });
    } catch (e) {
      // name the slot (arm64's EFAULT: beyond the VM's IPA space)
      if (isKvmError(e)) throw new KvmError(e.errno, `KVM_SET_USER_MEMORY_REGION of memory[${i}] (${hex(s.gpa)}..${hex(s.gpa + s.size - 1)})`);
      throw e;
    }
    out.push({ slot: i, gpa: s.gpa, size: s.size, userspaceAddr });
  });
  return out;
}

// ------------------------------------------------------------------ the `mem` scenario step

/** The fields of the `mem` step, for messages and help. */
export const MEM_STEP_FIELDS = '{ op: read|write, gpa, size: 1|2|4|8, values? }';

/** A checked `mem` step: write `values` (each `size` bytes, little-endian, consecutive) at `gpa`, or read one item. */
export interface MemStep {
  /** `read` (one item, the value an `expect: { value }` checks) or `write`. */
  readonly op: 'read' | 'write';
  /** Guest physical address of the first byte. */
  readonly gpa: number;
  /** Bytes per item: 1, 2, 4 or 8. */
  readonly size: 1 | 2 | 4 | 8;
  /** The items a write stores, in address order (empty for a read). */
  readonly values: readonly bigint[];
  /** The guest RAM slot the access falls in. */
  readonly slot: GuestRamSlot;
}

/** A problem with a `mem` step's fields: the path under the step's body (`['values', 2]`) and what is wrong. */
export interface MemStepIssue {
  /** The field under `mem:` (`['gpa']`, `['values', 2]`; empty for the body itself). */
  readonly path: readonly (string | number)[];
  /** What is wrong with it. */
  readonly message: string;
}

/** Reads an integer written in a step (a number, a bigint, or a `0x...` / decimal / negative string). */
function readStepInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : null;
  if (typeof v === 'string' && /^-?(0x[0-9a-f_]+|\d+)$/i.test(v.trim())) {
    const t = v.trim().replace(/_/g, '');
    return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  }
  return null;
}

const showInt = (v: unknown): string => (typeof v === 'bigint' ? hex(v) : showValue(v));

/**
 * Checks a `mem` step's body against the VM's guest RAM: `op` read or write, `gpa`, `size` 1, 2,
 * 4 or 8, and for a write `values`, a nonempty list of items that fit `size` bytes; the whole
 * access must lie in one slot. Returns the step or the first issue (its field and message).
 */
export function readMemStep(body: unknown, ram: readonly GuestRamSlot[]): { step: MemStep; issue?: undefined } | { step?: undefined; issue: MemStepIssue } {
  const fail = (path: (string | number)[], message: string) => ({ issue: { path, message } });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail([], `expected the fields ${MEM_STEP_FIELDS}`);
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!['op', 'gpa', 'size', 'values'].includes(k)) return fail([k], 'unknown field; mem takes op, gpa, size, values');
  if (b.op !== 'read' && b.op !== 'write') return fail(['op'], `${b.op === undefined ? 'required: ' : ''}expected read or write${b.op === undefined ? '' : `, got ${showValue(b.op)}`}`);
  if (b.gpa === undefined) return fail(['gpa'], `required (mem ${MEM_STEP_FIELDS})`);
  const gpa = readStepInt(b.gpa);
  if (gpa === null || gpa < 0n || gpa > BigInt(Number.MAX_SAFE_INTEGER)) return fail(['gpa'], `expected a guest physical address, got ${showInt(b.gpa)}`);
  if (b.size === undefined) return fail(['size'], `required (mem ${MEM_STEP_FIELDS})`);
  if (b.size !== 1 && b.size !== 2 && b.size !== 4 && b.size !== 8) return fail(['size'], `expected 1, 2, 4 or 8, got ${showInt(b.size)}`);
  const size = b.size;
  const values: bigint[] = [];
  if (b.op === 'read') {
    if (b.values !== undefined) return fail(['values'], 'a read takes no values (it reads one item: check it with an expect step)');
  } else {
    if (!Array.isArray(b.values) || b.values.length === 0) return fail(['values'], `${b.values === undefined ? 'required: ' : ''}expected a nonempty list of integers of ${size} bytes`);
    const max = (1n << BigInt(8 * size)) - 1n;
    for (let i = 0; i < b.values.length; i++) {
      const x = readStepInt(b.values[i]);
      if (x === null || x < 0n || x > max) return fail(['values', i], `expected an integer from 0x0 to ${hex(max)}, got ${showInt(b.values[i])}`);
      values.push(x);
    }
  }
  const len = size * Math.max(values.length, 1);
  const at = Number(gpa);
  const slot = ram.find((s) => at >= s.gpa && at + len <= s.gpa + s.size);
  if (!slot) {
    const where = ram.length ? `the VM's memory is ${ram.map((s) => `${hex(s.gpa)}..${hex(s.gpa + s.size - 1)}`).join(', ')}` : 'the VM has no memory (give the VM file a memory: section)';
    return fail(['gpa'], `${hex(at)}..${hex(at + len - 1)} is not inside one memory slot; ${where}`);
  }
  return { step: { op: b.op, gpa: at, size, values, slot } };
}

/** What a `mem` step did: its trace line, the value read (null for a write) and the trace's JSON fields. */
export interface MemStepResult {
  /** The human trace line (`guest memory: writes 4 u64 at 0x40000000 (0x40000000..0x4000001f)`). */
  readonly text: string;
  /** The item read, or null for a write. */
  readonly value: bigint | null;
  /** Fields for a JSON trace event: op, gpa, size, count, value(s) as hex strings. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * Runs a checked `mem` step through the VMM's mapping of the slot (little-endian items at
 * consecutive addresses), as a VMM writes and reads its guest's RAM; the in-kernel devices see
 * the bytes on their next guest memory access.
 */
export function runMemStep(host: Host, step: MemStep): MemStepResult {
  const base = step.slot.userspaceAddr + (step.gpa - step.slot.gpa);
  const unit = `u${8 * step.size}`;
  const mem = host.mem;
  const get = (a: number): bigint => (step.size === 8 ? mem.getU64(a) : BigInt(step.size === 4 ? mem.getU32(a) : step.size === 2 ? mem.getU16(a) : mem.getU8(a)));
  if (step.op === 'read') {
    const v = get(base);
    return { text: `guest memory: reads ${unit} at ${hex(step.gpa)} = ${hex(v)}`, value: v, fields: { op: 'read', gpa: hex(step.gpa), size: step.size, value: hex(v) } };
  }
  step.values.forEach((v, i) => {
    const a = base + i * step.size;
    if (step.size === 8) mem.setU64(a, v);
    else if (step.size === 4) mem.setU32(a, Number(v));
    else if (step.size === 2) mem.setU16(a, Number(v));
    else mem.setU8(a, Number(v));
  });
  const n = step.values.length;
  const end = step.gpa + n * step.size - 1;
  return {
    text: `guest memory: writes ${n === 1 ? `${unit} ${hex(step.values[0]!)}` : `${n} ${unit}`} at ${hex(step.gpa)}${n === 1 ? '' : ` (${hex(step.gpa)}..${hex(end)})`}`,
    value: null,
    fields: { op: 'write', gpa: hex(step.gpa), size: step.size, values: step.values.map((v) => hex(v)) },
  };
}
