/**
 * Scenarios: a list of host and guest actions run against a composed VM, checked before
 * anything runs (every problem names `scenario[3].sysreg.reg` and the file), and a trace of
 * what the devices did, one event per line. Everything device-specific (interrupt names, the
 * guest's acknowledge / EOI / IPI, how an access reads, register and hypercall names) comes
 * from the devices' plugins through their introspection specs.
 * @packageDocumentation
 */
import { dirname, resolve } from 'node:path';
import {
  type ComposedVm,
  type DeviceHandle,
  type DeviceKey,
  ENXIO,
  type GuestOutcome,
  type Host,
  KVM_EXIT_MMIO,
  type MemStep,
  KVM_EXIT_PAPR_HCALL,
  KvmError,
  LINE_NAMES,
  MEM_STEP_FIELDS,
  SnapshotError,
  type VcpuHandle,
  isKvmError,
  readMemStep,
  restoreSnapshot,
  runMemStep,
} from '@kvmdev/core';
import type { AccessReading, RawAccess } from '@kvmdev/core/plugin';
import { type NameTables, type VmDevice, nameOf, nameTables, vmDevices } from './devices.js';
import { CliError, EXIT, inputError, show, snapshotError, snapshotMessage } from './errors.js';
import { readSnapshotFile, whyNoSnapshot, writeSnapshotFile } from './snapfile.js';
import { hex, parseInteger, parseSysregForm, sysregForm } from './names.js';
import { type FieldPath, type SourceFile, formatPath } from './source.js';

/** One trace event. `at` names the step (`scenario[3]`); `text` is the human line. */
export interface TraceEvent {
  /** The step that produced the event (`scenario[3]`). */
  readonly at: string;
  /** The event kind (a step's op, a line change, an error...). */
  readonly kind: string;
  /** The human-readable trace line. */
  readonly text: string;
  /** The vCPU the event concerns, when it concerns one. */
  readonly vcpu?: number;
  /** Kind-specific fields (attribute, value, errno...), as written to the JSON trace. */
  readonly [field: string]: unknown;
}

/**
 * A guest action's outcome that the kernel did not complete, for the trace: the text after the
 * arrow and the JSON fields (`outcome`, and for an exit `exit` with the kvm_run fields by their
 * uapi names).
 */
function guestOutcome(o: GuestOutcome): { text: string; fields: Record<string, unknown> } {
  if (o.kind === 'undef') return { text: `UNDEF injected (ESR ${hex(o.esr)})`, fields: { outcome: 'undef', esr: hex(o.esr) } };
  if (o.kind === 'bugged') return { text: 'a handler failed; the VM is bugged (EIO)', fields: { outcome: 'bugged' } };
  const run = o.run;
  if (run.exitReason === KVM_EXIT_MMIO) {
    const m = run.mmio;
    const data = m.isWrite ? ` data ${hex(Array.from(m.data.subarray(0, m.len)).reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n))}` : '';
    return {
      text: `KVM_EXIT_MMIO (phys_addr ${hex(m.physAddr)} len ${m.len} is_write ${m.isWrite}${data})`,
      fields: { outcome: 'exit', exit: { reason: 'KVM_EXIT_MMIO', exit_reason: KVM_EXIT_MMIO, phys_addr: hex(m.physAddr), len: m.len, is_write: m.isWrite, data: Array.from(m.data) } },
    };
  }
  const h = run.paprHcall;
  return {
    text: `KVM_EXIT_PAPR_HCALL (nr ${hex(h.nr)}; the VMM answers)`,
    fields: { outcome: 'exit', exit: { reason: 'KVM_EXIT_PAPR_HCALL', exit_reason: KVM_EXIT_PAPR_HCALL, nr: hex(h.nr), args: h.args.map((x) => hex(x)) } },
  };
}

/** A scenario to run: its steps and where they come from. */
export interface ScenarioSource {
  /** The file the steps were read from (for messages with line numbers). */
  readonly source: SourceFile;
  /** The steps, unparsed, in order. */
  readonly steps: readonly unknown[];
  /** Path of the list in the file (`['scenario']`, or `[]` for a file that is a bare list). */
  readonly path: FieldPath;
}

/** The step kinds and their fields (for `--help` and the README). */
export const STEP_FIELDS: Readonly<Record<string, string>> = {
  note: '{ text } or a string: a comment in the trace',
  irqLine: "{ irq, level }: raw KVM_IRQ_LINE (level: 0/1, a u32, or a name the VM's devices give, e.g. PowerPC's KVM_INTERRUPT_SET)",
  irq: "{ name, level, vcpu?, device? }: raise an interrupt by its device's name for it (SPI 40, PPI 27 with vcpu, source 3, source 0x1000), as its plugin does",
  spi: '{ intid, level }: the irq step for SPI <intid>',
  ppi: '{ vcpu, intid, level }: the irq step for PPI <intid> of a vCPU',
  gsi: '{ gsi, level }: a GSI through the routing table (kvm_set_irq; KVM_IRQ_LINE on an irqchip without one)',
  msi: '{ addressLo, addressHi?, data }: KVM_SIGNAL_MSI',
  mmio: '{ vcpu, op: read|write, addr, size: 1|2|4|8, value? }: a guest load or store',
  mem: `${MEM_STEP_FIELDS}: write values (little-endian, consecutive) into guest memory, or read one (check it with expect: { value })`,
  hcall: '{ vcpu, nr | name (a hypercall the VM\'s devices name, e.g. H_XIRR), args? }: a hypercall',
  sysreg: '{ vcpu, op: read|write, reg: a name the VM\'s devices give (ICC_PMR_EL1) | S3_0_C12_C12_0 | encoding, value? }: MRS / MSR',
  attr: '{ device?, op: set|get|has, group: number | name, attr: number | name, value? }: a device attribute ioctl',
  ack: "{ vcpu, device? }: the guest acknowledges, through the device's guest interface",
  eoi: '{ vcpu, id?, device? }: end of interrupt; id defaults to what the last ack on that vCPU took',
  ipi: '{ vcpu, targets: [ids], id?, priority?, device? }: the guest sends an IPI',
  run: '{ vcpu }: KVM_RUN (the first-run checks)',
  expect:
    '{ vcpu, line?, level } (a vCPU output line) | { value, mask? } | { ret } | { errno } (the previous step\'s result)',
  snapshot: '{ file }: save the VM (relative to the scenario file)',
  restore: '{ file }: restore the VM from a snapshot file',
  repeat: '{ times, steps: [...] }: run steps several times',
};

type Args = Record<string, unknown>;
interface Step {
  readonly kind: string;
  readonly path: FieldPath;
  readonly label: string;
  readonly source: SourceFile;
  readonly a: Args;
  readonly steps?: readonly Step[];
}

interface Ctx {
  readonly host: Host;
  readonly vm: ComposedVm;
  readonly devices: readonly VmDevice[];
  readonly names: NameTables;
  /** The VM's vCPUs by id (a handle's `id` is an fd lookup). */
  readonly vcpus: ReadonlyMap<number, VcpuHandle>;
}

/** Checks and converts one scenario; every problem is a CliError (exit 2) naming the place. */
function parseSteps(ctx: Ctx, src: ScenarioSource): Step[] {
  const prefix = src.path.length ? src.path : ['scenario'];
  return parseList(ctx, src.source, src.steps, src.path, prefix);
}

function parseList(ctx: Ctx, source: SourceFile, list: readonly unknown[], path: FieldPath, label: FieldPath): Step[] {
  return list.map((raw, i) => parseStep(ctx, source, raw, [...path, i], [...label, i]));
}

function parseStep(ctx: Ctx, source: SourceFile, raw: unknown, path: FieldPath, label: FieldPath): Step {
  const fail = (sub: FieldPath, msg: string): never => {
    throw inputError(`${source.where([...path, ...sub])}: ${formatPath([...label, ...sub])}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail([], `expected a step such as { spi: { intid: 40, level: 1 } }; steps are ${Object.keys(STEP_FIELDS).join(', ')}`);
  const keys = Object.keys(raw as object);
  if (keys.length !== 1) fail([], `a step has exactly one key (the step kind), got ${keys.length ? keys.join(', ') : 'none'}`);
  const kind = keys[0]!;
  if (!(kind in STEP_FIELDS)) fail([kind], `unknown step ${show(kind)}; steps are ${Object.keys(STEP_FIELDS).join(', ')}`);
  let body = (raw as Args)[kind];
  if (kind === 'note' && typeof body === 'string') body = { text: body };
  if (body === null || body === undefined) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) fail([kind], `expected the fields ${STEP_FIELDS[kind]}`);
  const b = body as Args;
  const f = (name: string): FieldPath => [kind, name];
  const allowed = (...names: string[]) => {
    for (const k of Object.keys(b)) if (!names.includes(k)) fail(f(k), `unknown field; ${kind} takes ${names.join(', ')}`);
  };
  const req = (name: string) => {
    if (b[name] === undefined) fail(f(name), `required (${kind} ${STEP_FIELDS[kind]})`);
    return b[name];
  };
  const integer = (name: string, min: bigint, max: bigint, required = true): bigint | undefined => {
    const v = required ? req(name) : b[name];
    if (v === undefined) return undefined;
    const n = parseInteger(v);
    if (n === null || n < min || n > max) fail(f(name), `expected an integer from ${hex(min)} to ${hex(max)}, got ${show(typeof v === 'bigint' ? hex(v) : v)}`);
    return n!;
  };
  const num = (name: string, min: number, max: number, required = true) => {
    const v = integer(name, BigInt(min), BigInt(max), required);
    return v === undefined ? undefined : Number(v);
  };
  const vcpu = (name = 'vcpu', required = true): number | undefined => {
    const v = required ? req(name) : b[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !ctx.vcpus.has(v)) fail(f(name), `no vCPU ${show(v)}; the VM has vCPUs ${[...ctx.vcpus.keys()].join(', ')}`);
    return v as number;
  };
  /** A line level: 0 or 1 (raw KVM_IRQ_LINE and GSI levels: a u32 or a name a device gives). */
  const level = (name = 'level', wide = false): number => {
    const v = req(name);
    const named = wide && typeof v === 'string' ? ctx.names.irqLineLevels.get(v) : undefined;
    if (named !== undefined) return named;
    const n = parseInteger(v);
    const names = [...ctx.names.irqLineLevels.keys()];
    if (n === null || n < 0n || n > (wide ? 0xffffffffn : 1n)) fail(f(name), `expected 0 or 1${wide ? ` (or a u32${names.length ? ` or ${names.join(', ')}` : ''})` : ''}, got ${show(v)}`);
    return Number(n);
  };
  const op = (choices: string[]): string => {
    const v = req('op');
    if (typeof v !== 'string' || !choices.includes(v)) fail(f('op'), `expected ${choices.join(' or ')}, got ${show(v)}`);
    return v as string;
  };
  /** The device a step names (`device:` by name, key or index), or the first that `has` what the step needs. */
  const device = (has: (d: VmDevice) => boolean, what: string): VmDevice => {
    const all = ctx.devices;
    let d: VmDevice | undefined;
    if (b.device === undefined) d = all.find(has);
    else if (typeof b.device === 'number') d = all[b.device];
    else d = all.find((x) => x.name === b.device || x.key === b.device);
    if (b.device !== undefined && !d) fail(f('device'), `no device ${show(b.device)}; the VM has ${all.map((x) => x.name).join(', ') || 'none'}`);
    if (!d || !has(d))
      fail(b.device === undefined ? [kind] : f('device'), `${kind} needs a device whose plugin describes ${what}; ${all.length ? all.map((x) => `${x.name} (${x.key}) ${x.spec ? 'does not' : 'has no introspection spec'}`).join(', ') : 'this VM has no device'}`);
    return d!;
  };
  const guest = () => device((d) => !!d.view?.guest, 'the guest side of its interrupts (ack, EOI, IPI)');
  /** An interrupt by name, on the named device or the first whose view knows the name. */
  const interrupt = (name: string, where: FieldPath): { dev: VmDevice; id: number } => {
    const has = (d: VmDevice) => !!d.view?.interrupts?.raise && d.view.interrupts.lookup(name) !== null;
    if (b.device === undefined) {
      const dev = ctx.devices.find(has);
      if (!dev) fail(where, `no device of this VM has an interrupt ${show(name)} it can raise (${describeNames(ctx.devices)})`);
      return { dev: dev!, id: dev!.view!.interrupts!.lookup(name)! };
    }
    const dev = device(has, `an interrupt ${show(name)}`);
    return { dev, id: dev.view!.interrupts!.lookup(name)! };
  };
  const step = (a: Args, steps?: Step[]): Step => ({ kind, path, label: formatPath(label), source, a, ...(steps ? { steps } : {}) });

  switch (kind) {
    case 'note':
      allowed('text');
      if (typeof b.text !== 'string') fail(f('text'), 'expected a string');
      return step({ text: b.text });
    case 'irq': {
      allowed('name', 'level', 'vcpu', 'device');
      const n = req('name');
      if (typeof n !== 'string' && typeof n !== 'number') fail(f('name'), 'expected an interrupt name such as "SPI 40" or "source 3"');
      const { dev, id } = interrupt(String(n), f('name'));
      return step({ dev, id, name: dev.view!.interrupts!.name(id) ?? String(n), level: level(), vcpu: vcpu('vcpu', false) });
    }
    case 'spi':
    case 'ppi': {
      allowed(...(kind === 'spi' ? ['intid', 'level'] : ['vcpu', 'intid', 'level']));
      const intid = num('intid', 0, 0xffff)!;
      const { dev, id } = interrupt(`${kind.toUpperCase()} ${intid}`, f('intid'));
      return step({ dev, id, name: dev.view!.interrupts!.name(id) ?? `${kind.toUpperCase()} ${intid}`, level: level(), vcpu: kind === 'ppi' ? vcpu() : undefined });
    }
    case 'irqLine':
      allowed('irq', 'level');
      return step({ irq: num('irq', 0, 0xffffffff), level: level('level', true) });
    case 'gsi':
      allowed('gsi', 'level');
      return step({ gsi: num('gsi', 0, 0xffffffff), level: level('level', true) });
    case 'msi':
      allowed('addressLo', 'addressHi', 'data');
      return step({ addressLo: num('addressLo', 0, 0xffffffff), addressHi: num('addressHi', 0, 0xffffffff, false) ?? 0, data: num('data', 0, 0xffffffff) });
    case 'mmio': {
      allowed('vcpu', 'op', 'addr', 'size', 'value');
      const o = op(['read', 'write']);
      const size = num('size', 1, 8);
      if (![1, 2, 4, 8].includes(size!)) fail(f('size'), `expected 1, 2, 4 or 8, got ${size}`);
      const addr = integer('addr', 0n, (1n << 64n) - 1n)!;
      if (addr + BigInt(size!) > BigInt(Number.MAX_SAFE_INTEGER)) fail(f('addr'), `${hex(addr)} is beyond the modelled guest physical space`);
      if (o === 'read' && b.value !== undefined) fail(f('value'), 'a read takes no value (check it with an expect step)');
      const value = o === 'write' ? integer('value', 0n, (1n << BigInt(8 * size!)) - 1n) : undefined;
      return step({ vcpu: vcpu(), op: o, addr, size, value });
    }
    case 'mem': {
      // core's check, shared with the web inspector (the VM's memory: slots)
      const r = readMemStep(b, ctx.vm.memory);
      if (r.issue) fail([kind, ...r.issue.path], r.issue.message);
      return step({ mem: r.step });
    }
    case 'hcall': {
      allowed('vcpu', 'nr', 'name', 'args');
      if ((b.nr === undefined) === (b.name === undefined)) fail([kind], 'give either nr or name');
      let nr: number;
      if (b.name !== undefined) {
        const known = typeof b.name === 'string' ? ctx.names.hypercalls.get(b.name) : undefined;
        if (known === undefined) fail(f('name'), `unknown hypercall ${show(b.name)}; the VM's devices name ${[...ctx.names.hypercalls.keys()].join(', ') || 'none'}`);
        nr = known!;
      } else nr = num('nr', 0, 0xffffffff)!;
      const args: number[] = [];
      if (b.args !== undefined) {
        if (!Array.isArray(b.args)) fail(f('args'), 'expected a list of integers');
        (b.args as unknown[]).forEach((x, i) => {
          const n = parseInteger(x);
          if (n === null || n < 0n || n > 0xffffffffn) fail([kind, 'args', i], `expected a u32, got ${show(x)}`);
          args.push(Number(n));
        });
      }
      return step({ vcpu: vcpu(), nr, args });
    }
    case 'sysreg': {
      allowed('vcpu', 'op', 'reg', 'value');
      const o = op(['read', 'write']);
      const r = req('reg');
      let enc: number | null = null;
      if (typeof r === 'string') enc = ctx.names.sysregs.get(r.toUpperCase()) ?? parseSysregForm(r) ?? (/^0x/i.test(r) ? Number(parseInteger(r) ?? -1) : null);
      else if (typeof r === 'number') enc = r;
      if (enc === null || !Number.isInteger(enc) || enc < 0 || enc > 0xffff)
        fail(f('reg'), `unknown register ${show(r)}; use a name the VM's devices give (${[...ctx.names.sysregs.keys()].join(', ') || 'none'}), S<op0>_<op1>_C<n>_C<m>_<op2> or a 16-bit encoding`);
      if (o === 'read' && b.value !== undefined) fail(f('value'), 'a read takes no value (check it with an expect step)');
      const value = o === 'write' ? integer('value', 0n, (1n << 64n) - 1n) : undefined;
      return step({ vcpu: vcpu(), op: o, enc, value });
    }
    case 'attr': {
      allowed('device', 'op', 'group', 'attr', 'value');
      const o = op(['set', 'get', 'has']);
      const dev = b.device === undefined ? ctx.devices[0] : device(() => true, 'attributes');
      if (!dev) fail([kind], 'this VM has no device');
      const table = dev!.handle.info?.attrs ?? [];
      const g = req('group');
      const decl = typeof g === 'string' ? table.find((d) => d.name === g) : table.find((d) => BigInt(d.group) === parseInteger(g));
      let group: number;
      if (decl) group = decl.group;
      else {
        const n = parseInteger(g);
        if (n === null || n < 0n || n > 0xffffffffn) fail(f('group'), `unknown group ${show(g)}; ${dev!.key} has ${table.map((d) => `${d.name} (${d.group})`).join(', ') || 'no declared groups'}`);
        group = Number(n);
      }
      const at = req('attr');
      let attr: bigint | null = null;
      let attrName: string | null = null;
      if (decl && typeof decl.attrs !== 'string') {
        const x = typeof at === 'string' ? decl.attrs.find((y) => y.name === at) : decl.attrs.find((y) => BigInt(y.attr) === parseInteger(at));
        if (x) {
          attr = BigInt(x.attr);
          attrName = x.name;
        }
      }
      attr ??= parseInteger(at);
      if (attr === null || attr < 0n || attr > (1n << 64n) - 1n) fail(f('attr'), `expected an attribute id${decl && typeof decl.attrs !== 'string' ? ` or a name (${decl.attrs.map((y) => y.name).join(', ')})` : ''}, got ${show(at)}`);
      const size = dev!.handle.payloadSize(group, attr!);
      if (o !== 'set' && b.value !== undefined) fail(f('value'), `${o} takes no value`);
      const value = o === 'set' && size > 0 ? integer('value', 0n, size === 8 ? (1n << 64n) - 1n : (1n << BigInt(8 * size)) - 1n) : undefined;
      return step({ dev, op: o, group, groupName: decl?.name ?? `group ${group}`, attr, attrName: attrName ?? `attr ${hex(attr!)}`, size, value });
    }
    case 'ack':
      allowed('vcpu', 'device');
      return step({ dev: guest(), vcpu: vcpu() });
    case 'eoi':
      allowed('vcpu', 'id', 'device');
      return step({ dev: guest(), vcpu: vcpu(), id: integer('id', 0n, 0xffffffffn, false) });
    case 'ipi': {
      allowed('vcpu', 'targets', 'id', 'priority', 'device');
      const dev = guest();
      const t = req('targets');
      if (!Array.isArray(t)) fail(f('targets'), 'expected a list of vCPU ids');
      const targets = (t as unknown[]).map((x, i) => {
        if (typeof x !== 'number' || !ctx.vcpus.has(x)) fail([kind, 'targets', i], `no vCPU ${show(x)}`);
        return x as number;
      });
      return step({ dev, vcpu: vcpu(), targets, id: num('id', 0, 15, false), priority: num('priority', 0, 255, false) });
    }
    case 'run':
      allowed('vcpu');
      return step({ vcpu: vcpu() });
    case 'expect': {
      allowed('vcpu', 'line', 'level', 'value', 'mask', 'ret', 'errno');
      const forms = [b.level !== undefined, b.value !== undefined, b.ret !== undefined, b.errno !== undefined].filter(Boolean).length;
      if (forms !== 1) fail([kind], 'give one of: { vcpu, line?, level }, { value, mask? }, { ret }, { errno }');
      if (b.level !== undefined) {
        const line = b.line ?? ctx.devices.find((d) => d.view?.interrupts)?.view?.interrupts?.line;
        if (line === undefined) fail(f('line'), `required: no device of this VM says which vCPU line it drives; lines are ${LINE_NAMES.join(', ')}`);
        if (typeof line !== 'string' || !(LINE_NAMES as readonly string[]).includes(line)) fail(f('line'), `expected ${LINE_NAMES.join(', ')}, got ${show(b.line)}`);
        return step({ form: 'line', vcpu: vcpu(), line, level: level() });
      }
      if (b.value !== undefined) return step({ form: 'value', value: integer('value', -(1n << 63n), (1n << 64n) - 1n), mask: integer('mask', 0n, (1n << 64n) - 1n, false) });
      if (b.ret !== undefined) {
        const named = typeof b.ret === 'string' ? ctx.names.hypercallReturns.get(b.ret) : undefined;
        const r = named !== undefined ? BigInt(named) : parseInteger(b.ret);
        if (r === null) fail(f('ret'), `expected a return code (${[...ctx.names.hypercallReturns.keys()].join(', ') || 'a number'})`);
        return step({ form: 'ret', ret: Number(r) });
      }
      if (typeof b.errno !== 'string' || !/^(E[A-Z0-9]+|none|ok)$/.test(b.errno)) fail(f('errno'), 'expected an errno name such as ENXIO, or none');
      return step({ form: 'errno', errno: b.errno === 'ok' ? 'none' : b.errno });
    }
    case 'snapshot':
    case 'restore': {
      allowed('file');
      if (typeof b.file !== 'string' || !b.file) fail(f('file'), 'expected a file name');
      const why = kind === 'snapshot' ? whyNoSnapshot(ctx.host, ctx.vm) : null;
      if (why) throw snapshotError(`${source.where(path)}: ${formatPath(label)}: ${why}`);
      return step({ file: resolve(dirname(resolve(source.path)), b.file as string) });
    }
    case 'repeat': {
      allowed('times', 'steps');
      const times = num('times', 0, 1_000_000)!;
      if (!Array.isArray(b.steps)) fail(f('steps'), 'expected a list of steps');
      return step({ times }, parseList(ctx, source, b.steps as unknown[], [...path, kind, 'steps'], [...label, kind, 'steps']));
    }
  }
  return fail([kind], 'unknown step');
}

/** `gic: SGI, PPI, SPI; xics: IPI, source` for messages. */
function describeNames(devices: readonly VmDevice[]): string {
  const parts = devices.filter((d) => d.view?.interrupts).map((d) => `${d.name} has ${[...new Set(d.view!.interrupts!.ranges().map((r) => r.kind))].join(', ')}`);
  return parts.length ? parts.join('; ') : 'none of its devices describes interrupts';
}

function countSteps(steps: readonly Step[]): number {
  let n = 0;
  for (const s of steps) n += s.kind === 'repeat' ? (s.a.times as number) * countSteps(s.steps!) : 1;
  return n;
}

/** The last step's result, for `expect`. */
interface Result {
  value?: bigint | null;
  ret?: number;
  errno?: string;
}

/** Options of a {@link Runner}. */
export interface RunnerOptions {
  /** Called for every event as it happens (the CLI prints them). */
  onEvent?(e: TraceEvent): void;
  /** Progress on long runs (the CLI passes a TTY writer). */
  progress?(done: number, total: number, final: boolean): void;
}

/**
 * Runs scenarios on a composed VM and records the trace. Line changes of every vCPU are
 * reported after the step that caused them.
 */
export class Runner {
  /** Every trace event so far, in order. */
  readonly events: TraceEvent[] = [];
  /** The VM's devices and their plugins' views. */
  readonly devices: readonly VmDevice[];
  private readonly ctx: Ctx;
  private readonly lineBuf: { vcpu: number; line: string; level: number }[] = [];
  private readonly unsub: (() => void)[] = [];
  /** What each vCPU has acknowledged and not yet ended, per device: the tokens its EOIs need. */
  private readonly acked = new Map<string, bigint[]>();
  private last: Result = {};
  /** The last attr step's call, for its error message. */
  private lastCall = '';
  private done = 0;
  private total = 0;

  constructor(
    /** The host the VM runs on. */
    readonly host: Host,
    /** The VM the scenarios run on, with its vCPUs and devices. */
    readonly vm: ComposedVm,
    private readonly options: RunnerOptions = {},
  ) {
    this.devices = vmDevices(host, vm);
    this.ctx = { host, vm, devices: this.devices, names: nameTables(this.devices), vcpus: new Map(vm.vcpus.map((v) => [v.id, v])) };
    for (const v of vm.vcpus)
      this.unsub.push(v.vcpu.onLine((cpu, line, level) => this.lineBuf.push({ vcpu: cpu.id, line: LINE_NAMES[line] ?? String(line), level })));
  }

  /** Stops listening to the vCPUs. */
  dispose(): void {
    for (const u of this.unsub) u();
  }

  /** Records an event (and the line changes that happened before it, after it). */
  emit(e: TraceEvent): void {
    this.push(e);
    this.flushLines(e.at);
  }

  /** Reports line changes that happened outside a step (e.g. during a restore). */
  flushLines(at: string): void {
    const b = this.lineBuf.splice(0);
    for (const l of b)
      this.push({ at, kind: 'line', vcpu: l.vcpu, line: l.line, level: l.level, text: `vCPU ${l.vcpu}: ${l.line} line ${l.level ? 'up' : 'down'}` });
  }

  private push(e: TraceEvent): void {
    this.events.push(e);
    this.options.onEvent?.(e);
  }

  /** Checks a scenario (exit 2 on any problem) without running it. */
  check(src: ScenarioSource): void {
    parseSteps(this.ctx, src);
  }

  /** Checks, then runs a scenario. Throws CliError: 1 for a failed expectation, 4 for an unexpected kernel error. */
  run(src: ScenarioSource): void {
    const steps = parseSteps(this.ctx, src);
    this.total = countSteps(steps);
    this.done = 0;
    try {
      this.runList(steps);
    } finally {
      this.options.progress?.(this.done, this.total, true);
    }
  }

  private runList(steps: readonly Step[]): void {
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      if (s.kind === 'repeat') {
        for (let k = 0; k < (s.a.times as number); k++) this.runList(s.steps!);
        continue;
      }
      // a failed kernel call, in any step: exit code 4 unless the next step expects its errno
      let failed: string | null = null;
      try {
        this.runStep(s);
        // an attr step records its errno in its own event (with what it means for the device)
        if (s.kind === 'attr' && this.last.errno !== undefined && this.last.errno !== 'none') failed = `${this.last.errno}: ${this.lastCall}`;
      } catch (e) {
        if (!isKvmError(e)) throw e;
        if (e instanceof SnapshotError) throw new CliError(EXIT.SNAPSHOT, `${s.source.where(s.path)}: ${s.label}: restore refused: ${snapshotMessage(e)}`);
        const text = `${s.kind} failed: ${e.message}`;
        this.last = { errno: e.code, value: null };
        this.emit({ at: s.label, kind: 'error', text, errno: e.code, ...(s.a.vcpu !== undefined ? { vcpu: s.a.vcpu as number } : {}) });
        failed = e.message;
      }
      const next = steps[i + 1];
      if (failed !== null && !(next?.kind === 'expect' && next.a.form === 'errno'))
        throw new CliError(EXIT.KERNEL, `${s.source.where(s.path)}: ${s.label}: ${failed}`);
      this.done++;
      this.options.progress?.(this.done, this.total, false);
    }
  }

  private vcpu(id: number): VcpuHandle {
    return this.ctx.vcpus.get(id)!;
  }

  /** Keeps the EOI tokens in step with what the guest did: an ack that took an interrupt pushes, an EOI pops. */
  private track(dev: VmDevice, vcpu: number, r: AccessReading): void {
    const k = `${dev.name}:${vcpu}`;
    if (r.kind === 'ack' && r.token !== undefined) {
      const s = this.acked.get(k) ?? [];
      s.push(r.token);
      this.acked.set(k, s);
    } else if (r.kind === 'eoi') this.acked.get(k)?.pop();
  }

  /** The first device reading of a raw access (and its device), or null. */
  private describe(access: RawAccess): { dev: VmDevice; r: AccessReading } | null {
    for (const dev of this.devices) {
      const r = dev.view?.describe(access) ?? null;
      if (r) return { dev, r };
    }
    return null;
  }

  /** Emits a decoded access, keeping the EOI tokens in step; false when nothing decoded it. */
  private decoded(at: string, access: RawAccess & { vcpu: number }, extra: Args): boolean {
    const d = this.describe(access);
    if (!d) return false;
    this.track(d.dev, access.vcpu, d.r);
    this.emit({ at, kind: d.r.kind === 'access' ? access.kind : d.r.kind, vcpu: access.vcpu, device: d.dev.name, text: d.r.text, ...d.r.data, ...extra });
    return true;
  }

  private sysregName(enc: number): string {
    return nameOf(this.ctx.names.sysregs, enc) ?? sysregForm(enc);
  }
  private hcallName(nr: number): string {
    return nameOf(this.ctx.names.hypercalls, nr) ?? `hcall ${hex(nr)}`;
  }
  private hcallRetName(r: number): string {
    return nameOf(this.ctx.names.hypercallReturns, r) ?? String(r);
  }

  private runStep(s: Step): void {
    const a = s.a;
    const at = s.label;
    const vm = this.vm.vm;
    switch (s.kind) {
      case 'note':
        this.emit({ at, kind: 'note', text: `# ${a.text as string}` });
        this.last = {};
        return;
      case 'irq':
      case 'spi':
      case 'ppi': {
        const dev = a.dev as VmDevice;
        const level = a.level as 0 | 1;
        const r = dev.view!.interrupts!.raise!(a.id as number, level, a.vcpu as number | undefined);
        this.last = { value: BigInt(r.status) };
        this.emit({
          at,
          kind: s.kind,
          device: dev.name,
          irq: a.name,
          ...(s.kind === 'irq' ? {} : { intid: a.id }),
          level,
          status: r.status,
          ...(a.vcpu !== undefined ? { vcpu: a.vcpu as number } : {}),
          text: `host ${level ? 'raises' : 'lowers'} ${a.name as string}${a.vcpu !== undefined ? ` of vCPU ${a.vcpu as number}` : ''} (${r.via}) -> status ${r.status}`,
        });
        return;
      }
      case 'irqLine': {
        const r = vm.irqLine(a.irq as number, a.level as number);
        this.last = { value: BigInt(r) };
        this.emit({ at, kind: 'irq-line', irq: a.irq, level: a.level, status: r, text: `host KVM_IRQ_LINE irq ${hex(a.irq as number)} level ${hex(a.level as number)} -> status ${r}` });
        return;
      }
      case 'gsi': {
        const k = vm.vm;
        let r: number;
        // kvm_set_irq through the routing table; an irqchip without one takes KVM_IRQ_LINE
        if (!k.irqchip) throw new KvmError(ENXIO, 'no in-kernel irqchip');
        if (k.irqchip.routing === false) r = vm.irqLine(a.gsi as number, a.level as number);
        else r = k.routing.fire(k.irqchip, a.gsi as number, a.level as number);
        this.last = { value: BigInt(r) };
        this.emit({ at, kind: 'gsi', gsi: a.gsi, level: a.level, status: r, text: `host ${a.level ? 'raises' : 'lowers'} GSI ${a.gsi as number}${(a.level as number) > 1 ? ` (level ${hex(a.level as number)})` : ''} -> status ${r}` });
        return;
      }
      case 'msi': {
        const r = vm.signalMsi({ addressLo: a.addressLo as number, addressHi: a.addressHi as number, data: a.data as number });
        this.last = { value: BigInt(r) };
        this.emit({ at, kind: 'msi', addressLo: a.addressLo, addressHi: a.addressHi, data: a.data, status: r, text: `host KVM_SIGNAL_MSI address ${hex(((BigInt(a.addressHi as number) << 32n) | BigInt(a.addressLo as number)))} data ${hex(a.data as number)} -> ${r > 0 ? 'delivered' : 'blocked'}` });
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
          if (value !== null && this.decoded(at, { kind: 'mmio', vcpu: v.id, op: 'read', addr, size, value }, { addr: hex(addr), value: hex(value) })) return;
          const out = guestOutcome(v.guest.last);
          const raw = value === null ? `vCPU ${v.id} reads ${hex(addr)} (${size} bytes) -> ${out.text}` : `vCPU ${v.id} reads ${hex(addr)} (${size} bytes) = ${hex(value)}`;
          this.emit({ at, kind: 'mmio', vcpu: v.id, op: 'read', addr: hex(addr), size, value: value === null ? null : hex(value), ...out.fields, text: raw });
        } else {
          const ok = v.guest.mmioWrite(Number(addr), size, a.value as bigint);
          this.last = { value: ok ? 1n : 0n };
          if (ok && this.decoded(at, { kind: 'mmio', vcpu: v.id, op: 'write', addr, size, value: a.value as bigint }, { addr: hex(addr), value: hex(a.value as bigint) })) return;
          this.emit({
            at,
            kind: 'mmio',
            vcpu: v.id,
            op: 'write',
            addr: hex(addr),
            size,
            value: hex(a.value as bigint),
            handled: ok,
            ...(ok ? {} : guestOutcome(v.guest.last).fields),
            text: `vCPU ${v.id} writes ${hex(a.value as bigint)} to ${hex(addr)} (${size} bytes)${ok ? '' : ` -> ${guestOutcome(v.guest.last).text}`}`,
          });
        }
        return;
      }
      case 'mem': {
        const r = runMemStep(this.host, a.mem as MemStep);
        this.last = { value: r.value };
        this.emit({ at, kind: 'mem', ...r.fields, text: r.text });
        return;
      }
      case 'hcall': {
        const v = this.vcpu(a.vcpu as number);
        const nr = a.nr as number;
        const args = a.args as number[];
        const r = v.guest.hypercall(nr, args);
        const out = [...r.out];
        const name = this.hcallName(nr);
        if (r.kind !== 'done') {
          const o = guestOutcome(r);
          this.last = {};
          this.emit({ at, kind: 'hcall', vcpu: v.id, hcall: name, args, ...o.fields, text: `vCPU ${v.id} ${name}(${args.map((x) => hex(x)).join(', ')}) -> ${o.text}` });
          return;
        }
        this.last = { ret: r.ret, value: BigInt(out[0]! >>> 0) };
        if (this.decoded(at, { kind: 'hcall', vcpu: v.id, nr, args, ret: r.ret, out }, { hcall: name, ret: r.ret })) return;
        this.emit({ at, kind: 'hcall', vcpu: v.id, hcall: name, args, ret: r.ret, out: out.slice(0, 2), text: `vCPU ${v.id} ${name}(${args.map((x) => hex(x)).join(', ')}) -> ${this.hcallRetName(r.ret)}` });
        return;
      }
      case 'sysreg': {
        const v = this.vcpu(a.vcpu as number);
        const enc = a.enc as number;
        const name = this.sysregName(enc);
        if (a.op === 'read') {
          const x = v.guest.sysregRead(enc);
          if (v.guest.last.kind !== 'done') {
            const o = guestOutcome(v.guest.last);
            this.last = {};
            this.emit({ at, kind: 'sysreg', vcpu: v.id, op: 'read', reg: name, ...o.fields, text: `vCPU ${v.id} reads ${name} -> ${o.text}` });
            return;
          }
          this.last = { value: x };
          if (this.decoded(at, { kind: 'sysreg', vcpu: v.id, op: 'read', encoding: enc, value: x }, { reg: name, value: hex(x) })) return;
          this.emit({ at, kind: 'sysreg', vcpu: v.id, op: 'read', reg: name, value: hex(x), text: `vCPU ${v.id} reads ${name} = ${hex(x)}` });
        } else {
          const w = v.guest.sysregWrite(enc, a.value as bigint);
          this.last = {};
          if (w.kind !== 'done') {
            const o = guestOutcome(w);
            this.emit({ at, kind: 'sysreg', vcpu: v.id, op: 'write', reg: name, value: hex(a.value as bigint), ...o.fields, text: `vCPU ${v.id} writes ${name} = ${hex(a.value as bigint)} -> ${o.text}` });
            return;
          }
          if (this.decoded(at, { kind: 'sysreg', vcpu: v.id, op: 'write', encoding: enc, value: a.value as bigint }, { reg: name, value: hex(a.value as bigint) })) return;
          this.emit({ at, kind: 'sysreg', vcpu: v.id, op: 'write', reg: name, value: hex(a.value as bigint), text: `vCPU ${v.id} writes ${name} = ${hex(a.value as bigint)}` });
        }
        return;
      }
      case 'attr':
        this.attr(s);
        return;
      case 'ack': {
        const dev = a.dev as VmDevice;
        const v = a.vcpu as number;
        const { value, reading } = dev.view!.guest!.ack(v);
        this.last = { value };
        this.track(dev, v, reading);
        this.emit({ at, kind: reading.kind, vcpu: v, device: dev.name, text: reading.text, ...reading.data, raw: hex(value) });
        return;
      }
      case 'eoi': {
        const dev = a.dev as VmDevice;
        const v = a.vcpu as number;
        const stack = this.acked.get(`${dev.name}:${v}`);
        const token = a.id !== undefined ? (a.id as bigint) : stack?.[stack.length - 1];
        const reading = dev.view!.guest!.eoi(v, token);
        this.last = {};
        stack?.pop();
        this.emit({ at, kind: reading.kind, vcpu: v, device: dev.name, text: reading.text, ...reading.data });
        return;
      }
      case 'ipi': {
        const dev = a.dev as VmDevice;
        const v = a.vcpu as number;
        const ds = dev.view!.guest!.ipi(v, a.targets as number[], {
          ...(a.id !== undefined ? { id: a.id as number } : {}),
          ...(a.priority !== undefined ? { priority: a.priority as number } : {}),
        });
        this.last = {};
        for (const d of ds) this.emit({ at, kind: d.kind, vcpu: v, device: dev.name, text: d.text, ...d.data });
        return;
      }
      case 'run': {
        const v = this.vcpu(a.vcpu as number);
        v.run();
        this.last = {};
        this.emit({ at, kind: 'run', vcpu: v.id, text: `vCPU ${v.id} KVM_RUN: first-run checks passed` });
        return;
      }
      case 'expect':
        this.expect(s);
        return;
      case 'snapshot': {
        const snap = writeSnapshotFile(a.file as string, this.host, this.vm);
        this.last = {};
        this.emit({ at, kind: 'snapshot', file: a.file, text: `snapshot of ${snap.devices.length} device(s), ${snap.devices.reduce((n, d) => n + d.state.length, 0)} state entries saved to ${a.file as string}` });
        return;
      }
      case 'restore': {
        let data: unknown;
        try {
          data = readSnapshotFile(a.file as string);
        } catch (e) {
          if (e instanceof CliError) throw new CliError(e.exitCode, `${s.source.where(s.path)}: ${at}: ${e.message}`);
          throw e;
        }
        restoreSnapshot(this.host, this.vm.vm.fd, data);
        this.last = {};
        this.emit({ at, kind: 'restore', file: a.file, text: `restored the VM from ${a.file as string}` });
        return;
      }
    }
  }

  /** A device attribute call: the payload written and read as the ioctl does, the result in device terms. */
  private attr(s: Step): void {
    const a = s.a;
    const at = s.label;
    const dev = a.dev as VmDevice;
    const handle: DeviceHandle<DeviceKey> = dev.handle;
    const host = this.host;
    const buf = host.scratch();
    const size = a.size as number;
    const group = a.group as number;
    const attr = a.attr as bigint;
    const op = a.op as 'set' | 'get' | 'has';
    host.mem.setU64(buf, 0n);
    if (op === 'set' && size > 0) {
      if (size === 8) host.mem.setU64(buf, a.value as bigint);
      else if (size === 4) host.mem.setU32(buf, Number(a.value as bigint));
      else if (size === 2) host.mem.setU16(buf, Number(a.value as bigint));
      else host.mem.setU8(buf, Number(a.value as bigint));
    }
    let errno = 'none';
    try {
      handle.attrRaw(op, group, attr, op === 'has' ? 0 : buf);
    } catch (e) {
      if (!isKvmError(e)) throw e;
      errno = e.code;
    }
    let value: bigint | null = null;
    if (op === 'get' && errno === 'none')
      value = size === 8 ? host.mem.getU64(buf) : size === 4 ? BigInt(host.mem.getU32(buf)) : size === 2 ? BigInt(host.mem.getU16(buf)) : size === 1 ? BigInt(host.mem.getU8(buf)) : 0n;
    this.last = { errno, value };
    const setValue = op === 'set' && size > 0 ? (a.value as bigint) : null;
    const reading = dev.view?.describe({ kind: 'attr', op, group, attr, value: op === 'get' ? value : setValue, errno: errno === 'none' ? null : errno }) ?? null;
    const ioctl = op === 'set' ? 'KVM_SET_DEVICE_ATTR' : op === 'get' ? 'KVM_GET_DEVICE_ATTR' : 'KVM_HAS_DEVICE_ATTR';
    const what = `${dev.name}: ${ioctl} ${a.groupName as string} ${a.attrName as string}${setValue !== null ? ` = ${hex(setValue)}` : ''}`;
    this.lastCall = `${ioctl} ${a.groupName as string} ${a.attrName as string} on ${dev.name}${reading ? ` (${reading.text})` : ''}`;
    const res = errno !== 'none' ? `-> ${errno}` : op === 'get' ? `= ${hex(value!)}` : op === 'has' ? '-> implemented' : '-> ok';
    this.emit({
      at,
      kind: 'attr',
      device: dev.name,
      op,
      group,
      attr: hex(attr),
      errno,
      ...(value !== null ? { value: hex(value) } : {}),
      ...(setValue !== null ? { set: hex(setValue) } : {}),
      ...(reading ? { meaning: reading.text } : {}),
      text: `${what} ${res}${reading ? ` (${reading.text})` : ''}`,
    });
  }

  private expect(s: Step): void {
    const a = s.a;
    const at = s.label;
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
      what = `return code is ${this.last.ret === undefined ? 'none' : this.hcallRetName(this.last.ret)}${ok ? '' : `, expected ${this.hcallRetName(a.ret as number)}`}`;
    } else {
      const got = this.last.errno ?? 'none';
      ok = got === a.errno;
      what = `errno is ${got}${ok ? '' : `, expected ${a.errno as string}`}`;
    }
    this.emit({ at, kind: 'expect', ok, text: `expect: ${what}${ok ? ' (ok)' : ' (FAILED)'}` });
    if (!ok) throw new CliError(EXIT.EXPECT, `${s.source.where(s.path)}: ${at}: expectation failed: ${what}`);
  }
}
