/**
 * Runs scenario steps one at a time on a composed VM and records the trace: host injections,
 * guest accesses read in device terms by the devices' introspection views, acknowledges, EOIs,
 * IPIs, vCPU line changes (deliveries), expectations. The words of device events come from
 * the plugins (the same readings `kvmdev run` prints).
 * @packageDocumentation
 */
import {
  type ComposedVm,
  ENOENT,
  ENXIO,
  type GuestOutcome,
  type Host,
  KVM_EXIT_MMIO,
  KVM_EXIT_PAPR_HCALL,
  KvmError,
  LINE_NAMES,
  type MemStep,
  type Snapshot,
  isKvmError,
  restoreSnapshot,
  runMemStep,
  saveSnapshot,
} from '@kvmdev/core';
import type { AccessReading, DeviceView, RawAccess } from './introspect.js';
import { hex } from './numbers.js';
import type { Step } from './steps.js';

/** The kinds of trace events, as the timeline groups them. */
export type EventKind =
  | 'note'
  | 'inject'
  | 'deliver'
  | 'line-down'
  | 'ack'
  | 'eoi'
  | 'ipi'
  | 'access'
  | 'run'
  | 'expect'
  | 'error'
  | 'snapshot';

/** One trace event. */
export interface TraceEvent {
  /** The step (index in the flattened list) that caused it. */
  readonly step: number;
  /** The step's label (`scenario[21]`). */
  readonly at: string;
  readonly kind: EventKind;
  readonly text: string;
  readonly vcpu: number | null;
  /** Interrupt ids the event names itself (a host raise), besides the cells its step changed. */
  readonly ids: readonly number[];
  /** For `expect`: whether it held. */
  readonly ok?: boolean;
}

/** One device of the VM, with its view when its plugin provides one. */
export interface RunDevice {
  readonly name: string;
  readonly key: string;
  readonly handle: ComposedVm['devices'][number]['handle'];
  readonly view: DeviceView | null;
}

/** The last step's result, for `expect`. */
interface Result {
  value?: bigint | null;
  ret?: number;
  errno?: string;
}

/** Names for traces (from the devices' specs). */
export interface RunNames {
  sysreg(enc: number): string;
  hcall(nr: number): string;
  hcallRet(ret: number): string;
}

/** Why a run stopped. */
export interface Halt {
  readonly step: number;
  readonly message: string;
}

/** Runs steps on one VM. */
export class StepRunner {
  readonly events: TraceEvent[] = [];
  /** Set when a step failed unexpectedly or an expectation did not hold: no further step runs. */
  halted: Halt | null = null;
  private readonly lineBuf: { vcpu: number; line: string; level: number }[] = [];
  private readonly unsub: (() => void)[] = [];
  private readonly tokens = new Map<number, bigint[]>();
  private readonly saved = new Map<string, Snapshot>();
  private last: Result = {};

  constructor(
    private readonly host: Host,
    private readonly vm: ComposedVm,
    private readonly devices: readonly RunDevice[],
    private readonly steps: readonly Step[],
    private readonly names: RunNames,
  ) {
    for (const v of vm.vcpus)
      this.unsub.push(
        v.vcpu.onLine((cpu, line, level) =>
          this.lineBuf.push({ vcpu: cpu.id, line: LINE_NAMES[line] ?? String(line), level }),
        ),
      );
  }

  /** Stops listening to the vCPUs. */
  dispose(): void {
    for (const u of this.unsub) u();
  }

  /** Runs step `i` (the caller runs them in order); returns the events it added. */
  runStep(i: number): readonly TraceEvent[] {
    const s = this.steps[i]!;
    const from = this.events.length;
    if (this.halted) return [];
    try {
      this.exec(s);
    } catch (e) {
      if (!isKvmError(e)) throw e;
      this.last = { errno: e.code, value: null };
      this.emit(s, {
        kind: 'error',
        text: `${s.kind} failed: ${e.message}`,
        vcpu: typeof s.a.vcpu === 'number' ? s.a.vcpu : null,
      });
      const next = this.steps[i + 1];
      if (!(next?.kind === 'expect' && next.a.form === 'errno'))
        this.halted = { step: i, message: `${s.label}: ${e.message}` };
    }
    this.flushLines(s);
    return this.events.slice(from);
  }

  /** Records an event, then the line changes that happened before it (a delivery follows its cause). */
  private emit(
    s: Step,
    e: {
      kind: EventKind;
      text: string;
      vcpu?: number | null;
      ids?: readonly number[];
      ok?: boolean;
    },
  ): void {
    this.events.push({
      step: s.index,
      at: s.label,
      kind: e.kind,
      text: e.text,
      vcpu: e.vcpu ?? null,
      ids: e.ids ?? [],
      ...(e.ok === undefined ? {} : { ok: e.ok }),
    });
    this.flushLines(s);
  }

  private flushLines(s: Step): void {
    for (const l of this.lineBuf.splice(0))
      this.events.push({
        step: s.index,
        at: s.label,
        kind: l.level ? 'deliver' : 'line-down',
        text: `vCPU ${l.vcpu}: ${l.line} line ${l.level ? 'up' : 'down'}`,
        vcpu: l.vcpu,
        ids: [],
      });
  }

  private vcpu(id: number) {
    return this.vm.vcpus.find((v) => v.id === id)!;
  }

  /** The first device whose view offers guest operations. */
  private guestDevice(): RunDevice & {
    view: DeviceView & { guest: NonNullable<DeviceView['guest']> };
  } {
    const d = this.devices.find((x) => x.view?.guest);
    if (!d) throw new Error('no device offers guest operations');
    return d as RunDevice & { view: DeviceView & { guest: NonNullable<DeviceView['guest']> } };
  }

  /** The first device whose interrupts can be raised from the host. */
  private raiser() {
    for (const d of this.devices) {
      const iv = d.view?.interrupts;
      if (iv?.raise) return { d, iv, raise: iv.raise.bind(iv) };
    }
    return null;
  }

  /** Reads an access in device terms: the first device that claims it. */
  private describe(access: RawAccess): AccessReading | null {
    for (const d of this.devices) {
      const r = d.view?.describe(access);
      if (r) return r;
    }
    return null;
  }

  private reading(s: Step, r: AccessReading, vcpu: number | null): void {
    if (r.kind === 'ack' && r.token !== undefined && vcpu !== null) {
      const st = this.tokens.get(vcpu) ?? [];
      st.push(r.token);
      this.tokens.set(vcpu, st);
    }
    this.emit(s, { kind: r.kind, text: r.text, vcpu });
  }

  private exec(s: Step): void {
    const a = s.a;
    const vm = this.vm.vm;
    switch (s.kind) {
      case 'note':
        this.last = {};
        this.emit(s, { kind: 'note', text: `# ${a.text as string}` });
        return;
      case 'irqLine': {
        const r = vm.irqLine(a.irq as number, a.level as number);
        this.last = { value: BigInt(r) };
        this.emit(s, {
          kind: 'inject',
          text: `host KVM_IRQ_LINE irq ${hex(a.irq as number)} level ${hex(a.level as number)} -> status ${r}`,
        });
        return;
      }
      case 'spi':
      case 'ppi': {
        const x = this.raiser();
        if (!x)
          throw new KvmError(
            ENXIO,
            `${s.kind}: no device of this VM raises interrupts from the host`,
          );
        const id = a.intid as number;
        const vcpu = s.kind === 'ppi' ? (a.vcpu as number) : undefined;
        const r = x.raise(id, a.level as 0 | 1, vcpu);
        this.last = { value: BigInt(r.status) };
        const name = x.iv.name(id) ?? `interrupt ${id}`;
        this.emit(s, {
          kind: 'inject',
          text: `host ${a.level ? 'raises' : 'lowers'} ${name}${vcpu === undefined ? '' : ` of vCPU ${vcpu}`} (${r.via}) -> status ${r.status}`,
          vcpu: vcpu ?? null,
          ids: [id],
        });
        return;
      }
      case 'gsi': {
        const k = vm.vm;
        let r: number;
        if (this.vm.config.arch === 'arm64') {
          if (!k.irqchip) throw new KvmError(ENXIO, 'KVM_IRQ_LINE: no in-kernel irqchip');
          r = k.routing.fire(k.irqchip, a.gsi as number, a.level as number);
        } else r = vm.irqLine(a.gsi as number, a.level as number);
        this.last = { value: BigInt(r) };
        this.emit(s, {
          kind: 'inject',
          text: `host ${a.level ? 'raises' : 'lowers'} GSI ${a.gsi as number}${(a.level as number) > 1 ? ` (level ${hex(a.level as number)})` : ''} -> status ${r}`,
        });
        return;
      }
      case 'msi': {
        const r = vm.signalMsi({
          addressLo: a.addressLo as number,
          addressHi: a.addressHi as number,
          data: a.data as number,
        });
        this.last = { value: BigInt(r) };
        this.emit(s, {
          kind: 'inject',
          text: `host KVM_SIGNAL_MSI address ${hex((BigInt(a.addressHi as number) << 32n) | BigInt(a.addressLo as number))} data ${hex(a.data as number)} -> ${r > 0 ? 'delivered' : 'blocked'}`,
        });
        return;
      }
      case 'mmio': {
        const v = this.vcpu(a.vcpu as number);
        const addr = a.addr as bigint;
        const size = a.size as 1 | 2 | 4 | 8;
        if (a.op === 'read') {
          const x = v.guest.mmioRead(Number(addr), size);
          const value = x === null ? null : BigInt(x);
          this.last = { value };
          const d = this.describe({ kind: 'mmio', vcpu: v.id, op: 'read', addr, size, value });
          if (d) {
            this.reading(s, d, v.id);
            return;
          }
          this.emit(s, {
            kind: 'access',
            vcpu: v.id,
            text:
              value === null
                ? `MMIO exit: no in-kernel device handles a ${size}-byte read at ${hex(addr)}`
                : `vCPU ${v.id} reads ${hex(addr)} (${size} bytes) = ${hex(value)}`,
          });
          return;
        }
        const ok = v.guest.mmioWrite(Number(addr), size, a.value as bigint);
        this.last = { value: ok ? 1n : 0n };
        const d = ok
          ? this.describe({
              kind: 'mmio',
              vcpu: v.id,
              op: 'write',
              addr,
              size,
              value: a.value as bigint,
            })
          : null;
        if (d) {
          this.reading(s, d, v.id);
          return;
        }
        this.emit(s, {
          kind: 'access',
          vcpu: v.id,
          text: ok
            ? `vCPU ${v.id} writes ${hex(a.value as bigint)} to ${hex(addr)} (${size} bytes)`
            : `MMIO exit: no in-kernel device handles a ${size}-byte write at ${hex(addr)}`,
        });
        return;
      }
      case 'mem': {
        // core's step, as kvmdev run does it (the same trace line)
        const r = runMemStep(this.host, a.mem as MemStep);
        this.last = { value: r.value };
        this.emit(s, { kind: 'access', text: r.text });
        return;
      }
      case 'hcall': {
        const v = this.vcpu(a.vcpu as number);
        const nr = a.nr as number;
        const args = a.args as number[];
        const r = v.guest.hypercall(nr, args);
        if (r.kind !== 'done') {
          this.last = {};
          this.emit(s, { kind: 'access', vcpu: v.id, text: `vCPU ${v.id} ${this.names.hcall(nr)}(${args.map((x) => hex(x)).join(', ')}) -> ${outcomeText(r)}` });
          return;
        }
        const out = Array.from(r.out);
        this.last = { ret: r.ret, value: BigInt((out[0] ?? 0) >>> 0) };
        const d = this.describe({ kind: 'hcall', vcpu: v.id, nr, args, ret: r.ret, out });
        if (d) {
          this.reading(s, d, v.id);
          return;
        }
        this.emit(s, {
          kind: 'access',
          vcpu: v.id,
          text: `vCPU ${v.id} ${this.names.hcall(nr)}(${args.map((x) => hex(x)).join(', ')}) -> ${this.names.hcallRet(r.ret)}`,
        });
        return;
      }
      case 'sysreg': {
        const v = this.vcpu(a.vcpu as number);
        const enc = a.enc as number;
        const name = this.names.sysreg(enc);
        if (a.op === 'read') {
          const x = v.guest.sysregRead(enc);
          if (v.guest.last.kind !== 'done') {
            this.last = {};
            this.emit(s, { kind: 'access', vcpu: v.id, text: `vCPU ${v.id} reads ${name} -> ${outcomeText(v.guest.last)}` });
            return;
          }
          this.last = { value: x };
          const d = this.describe({
            kind: 'sysreg',
            vcpu: v.id,
            op: 'read',
            encoding: enc,
            value: x,
          });
          if (d) {
            this.reading(s, d, v.id);
            return;
          }
          this.emit(s, {
            kind: 'access',
            vcpu: v.id,
            text: `vCPU ${v.id} reads ${name} = ${hex(x)}`,
          });
          return;
        }
        const w = v.guest.sysregWrite(enc, a.value as bigint);
        this.last = {};
        if (w.kind !== 'done') {
          this.emit(s, { kind: 'access', vcpu: v.id, text: `vCPU ${v.id} writes ${name} = ${hex(a.value as bigint)} -> ${outcomeText(w)}` });
          return;
        }
        const d = this.describe({
          kind: 'sysreg',
          vcpu: v.id,
          op: 'write',
          encoding: enc,
          value: a.value as bigint,
        });
        if (d) {
          this.reading(s, d, v.id);
          return;
        }
        this.emit(s, {
          kind: 'access',
          vcpu: v.id,
          text: `vCPU ${v.id} writes ${name} = ${hex(a.value as bigint)}`,
        });
        return;
      }
      case 'attr':
        this.attr(s);
        return;
      case 'ack': {
        const v = a.vcpu as number;
        const { value, reading } = this.guestDevice().view.guest.ack(v);
        this.last = { value };
        this.reading(s, reading, v);
        return;
      }
      case 'eoi': {
        const v = a.vcpu as number;
        const st = this.tokens.get(v) ?? [];
        const token = a.id !== undefined ? (a.id as bigint) : st[st.length - 1];
        const r = this.guestDevice().view.guest.eoi(v, token);
        st.pop();
        this.last = {};
        this.reading(s, r, v);
        return;
      }
      case 'ipi': {
        const v = a.vcpu as number;
        const opts = {
          ...(a.id !== undefined ? { id: a.id as number } : {}),
          ...(a.priority !== undefined ? { priority: a.priority as number } : {}),
        };
        const rs = this.guestDevice().view.guest.ipi(v, a.targets as number[], opts);
        this.last = {};
        for (const r of rs) this.reading(s, r, v);
        return;
      }
      case 'run': {
        const v = this.vcpu(a.vcpu as number);
        v.run();
        this.last = {};
        this.emit(s, {
          kind: 'run',
          vcpu: v.id,
          text: `vCPU ${v.id} KVM_RUN: first-run checks passed`,
        });
        return;
      }
      case 'expect':
        this.expect(s);
        return;
      case 'snapshot': {
        const snap = saveSnapshot(this.host, vm.fd);
        this.saved.set(a.file as string, snap);
        this.last = {};
        this.emit(s, {
          kind: 'snapshot',
          text: `snapshot of ${snap.devices.length} device(s), ${snap.devices.reduce((n, d) => n + d.state.length, 0)} state entries kept as ${a.file as string} (in this page)`,
        });
        return;
      }
      case 'restore': {
        const snap = this.saved.get(a.file as string);
        if (!snap)
          throw new KvmError(
            ENOENT,
            `restore: ${a.file as string} was not saved earlier in this run (the page reads no files of its own)`,
          );
        restoreSnapshot(this.host, vm.fd, snap);
        this.last = {};
        this.emit(s, { kind: 'snapshot', text: `restored the VM from ${a.file as string}` });
        return;
      }
    }
  }

  private attr(s: Step): void {
    const a = s.a;
    const d = this.devices[a.device as number]!;
    const host = this.host;
    const buf = host.scratch();
    const size = a.size as number;
    const group = a.group as number;
    const attr = a.attr as bigint;
    const op = a.op as 'set' | 'get' | 'has';
    host.mem.setU64(buf, 0n);
    if (op === 'set' && size > 0) {
      const v = a.value as bigint;
      if (size === 8) host.mem.setU64(buf, v);
      else if (size === 4) host.mem.setU32(buf, Number(v));
      else if (size === 2) host.mem.setU16(buf, Number(v));
      else host.mem.setU8(buf, Number(v));
    }
    let errno = 'none';
    try {
      d.handle.attrRaw(op, group, attr, op === 'has' ? 0 : buf);
    } catch (e) {
      if (!isKvmError(e)) throw e;
      errno = e.code;
    }
    let value: bigint | null = null;
    if (op === 'get' && errno === 'none')
      value =
        size === 8
          ? host.mem.getU64(buf)
          : size === 4
            ? BigInt(host.mem.getU32(buf))
            : size === 2
              ? BigInt(host.mem.getU16(buf))
              : size === 1
                ? BigInt(host.mem.getU8(buf))
                : 0n;
    this.last = { errno, value };
    const reading = d.view?.describe({
      kind: 'attr',
      op,
      group,
      attr,
      value: op === 'set' && size > 0 ? (a.value as bigint) : value,
      errno: errno === 'none' ? null : errno,
    });
    const ioctl =
      op === 'set'
        ? 'KVM_SET_DEVICE_ATTR'
        : op === 'get'
          ? 'KVM_GET_DEVICE_ATTR'
          : 'KVM_HAS_DEVICE_ATTR';
    const what = `${d.name}: ${ioctl} ${a.groupName as string} attr ${hex(attr)}${op === 'set' && size > 0 ? ` = ${hex(a.value as bigint)}` : ''}`;
    const res =
      errno !== 'none'
        ? `-> ${errno}`
        : op === 'get'
          ? `= ${hex(value!)}`
          : op === 'has'
            ? '-> implemented'
            : '-> ok';
    this.emit(s, { kind: 'access', text: reading ? reading.text : `${what} ${res}` });
  }

  private expect(s: Step): void {
    const a = s.a;
    let ok: boolean;
    let what: string;
    if (a.form === 'line') {
      const got = this.vcpu(a.vcpu as number).line(a.line as 'irq');
      ok = got === a.level;
      what = `vCPU ${a.vcpu as number} ${a.line as string} line is ${got}${ok ? '' : `, expected ${a.level as number}`}`;
    } else if (a.form === 'value') {
      const got = this.last.value;
      const mask = (a.mask as bigint | undefined) ?? -1n;
      const want = BigInt.asUintN(64, a.value as bigint);
      ok = got !== undefined && got !== null && (got & mask) === (want & mask);
      what = `value is ${got === undefined || got === null ? 'none' : hex(got)}${ok ? '' : `, expected ${hex(want)}${a.mask !== undefined ? ` (mask ${hex(mask)})` : ''}`}`;
    } else if (a.form === 'ret') {
      ok = this.last.ret === a.ret;
      what = `return code is ${this.last.ret === undefined ? 'none' : this.names.hcallRet(this.last.ret)}${ok ? '' : `, expected ${this.names.hcallRet(a.ret as number)}`}`;
    } else {
      const got = this.last.errno ?? 'none';
      ok = got === a.errno;
      what = `errno is ${got}${ok ? '' : `, expected ${a.errno as string}`}`;
    }
    this.emit(s, {
      kind: 'expect',
      ok,
      text: `expect: ${what}${ok ? ' (ok)' : ' (FAILED)'}`,
      vcpu: a.form === 'line' ? (a.vcpu as number) : null,
    });
    if (!ok) this.halted = { step: s.index, message: `${s.label}: expectation failed: ${what}` };
  }
}

/** A guest outcome the kernel did not complete, as trace text (the kvm_run exit, or the UNDEF). */
function outcomeText(o: GuestOutcome): string {
  if (o.kind === 'undef') return `UNDEF injected (ESR ${hex(o.esr)})`;
  if (o.kind === 'bugged') return 'a handler failed; the VM is bugged (EIO)';
  if (o.run.exitReason === KVM_EXIT_MMIO) return `KVM_EXIT_MMIO (phys_addr ${hex(o.run.mmio.physAddr)} len ${o.run.mmio.len})`;
  if (o.run.exitReason === KVM_EXIT_PAPR_HCALL) return `KVM_EXIT_PAPR_HCALL (nr ${hex(o.run.paprHcall.nr)}; the VMM answers)`;
  return `exit ${o.run.exitReason}`;
}
