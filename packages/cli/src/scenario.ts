/**
 * Scenarios: a list of host and guest actions run against a composed VM, checked before
 * anything runs (every problem names `scenario[3].sysreg.reg` and the file), and a trace of
 * what the devices did, one event per line.
 * @packageDocumentation
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type ComposedVm,
  type DeviceHandle,
  type DeviceKey,
  ENXIO,
  type Host,
  KvmError,
  LINE_NAMES,
  SnapshotError,
  type VcpuHandle,
  isKvmError,
  restoreSnapshot,
  saveSnapshot,
} from '@kvmdev/core';
import { CliError, EXIT, inputError, snapshotMessage } from './errors.js';
import { type Decoded, type Family, familiesOf } from './families.js';
import { HCALLS, HCALL_RETS, SYSREGS, hcallName, hcallRetName, hex, parseInteger, parseSysregForm, sysregName } from './names.js';
import { type FieldPath, type SourceFile, formatPath } from './source.js';

/** One trace event. `at` names the step (`scenario[3]`); `text` is the human line. */
export interface TraceEvent {
  readonly at: string;
  readonly kind: string;
  readonly text: string;
  readonly vcpu?: number;
  readonly [field: string]: unknown;
}

/** A scenario to run: its steps and where they come from. */
export interface ScenarioSource {
  readonly source: SourceFile;
  readonly steps: readonly unknown[];
  /** Path of the list in the file (`['scenario']`, or `[]` for a file that is a bare list). */
  readonly path: FieldPath;
}

/** The step kinds and their fields (for `--help` and the README). */
export const STEP_FIELDS: Readonly<Record<string, string>> = {
  note: '{ text } or a string: a comment in the trace',
  irqLine: '{ irq, level }: raw KVM_IRQ_LINE (level: 0/1, or KVM_INTERRUPT_SET / _UNSET / _SET_LEVEL)',
  spi: '{ intid, level }: arm64 KVM_IRQ_LINE of an SPI (type 1 << 24 | intid)',
  ppi: '{ vcpu, intid, level }: arm64 KVM_IRQ_LINE of a PPI (type 2 << 24 | vcpu << 16 | intid)',
  gsi: '{ gsi, level }: a GSI through the routing table (kvm_set_irq; KVM_IRQ_LINE on PowerPC)',
  msi: '{ addressLo, addressHi?, data }: KVM_SIGNAL_MSI',
  mmio: '{ vcpu, op: read|write, addr, size: 1|2|4|8, value? }: a guest load or store',
  hcall: '{ vcpu, nr | name (H_XIRR, H_EOI, H_CPPR, H_IPI, H_IPOLL, H_XIRR_X), args? }: a PAPR hypercall',
  sysreg: '{ vcpu, op: read|write, reg: ICC_* name | S3_0_C12_C12_0 | encoding, value? }: MRS / MSR',
  attr: '{ device?, op: set|get|has, group: number | name, attr: number | name, value? }: a device attribute ioctl',
  ack: '{ vcpu }: acknowledge (GICv3 ICC_IAR1_EL1, GICv2 GICC_IAR, MPIC IACK, XICS H_XIRR)',
  eoi: '{ vcpu, id? }: end of interrupt (ICC_EOIR1_EL1, GICC_EOIR, MPIC EOI, H_EOI); id defaults to the last ack',
  ipi: '{ vcpu, targets: [ids], id?, priority? }: an IPI (ICC_SGI1R_EL1, GICD_SGIR, MPIC IPIDR, H_IPI)',
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
  readonly arch: string;
  readonly families: readonly Family[];
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
  if (!(kind in STEP_FIELDS)) fail([kind], `unknown step ${JSON.stringify(kind)}; steps are ${Object.keys(STEP_FIELDS).join(', ')}`);
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
    if (n === null || n < min || n > max) fail(f(name), `expected an integer from ${hex(min)} to ${hex(max)}, got ${JSON.stringify(typeof v === 'bigint' ? hex(v) : v)}`);
    return n!;
  };
  const num = (name: string, min: number, max: number, required = true) => {
    const v = integer(name, BigInt(min), BigInt(max), required);
    return v === undefined ? undefined : Number(v);
  };
  const vcpu = (name = 'vcpu'): number => {
    const v = req(name);
    if (typeof v !== 'number' || !ctx.vm.vcpus.some((x) => x.id === v)) fail(f(name), `no vCPU ${JSON.stringify(v)}; the VM has vCPUs ${ctx.vm.vcpus.map((x) => x.id).join(', ')}`);
    return v as number;
  };
  const level = (name = 'level', wide = false): number => {
    const v = req(name);
    if (v === true || v === 'high' || v === 'up') return 1;
    if (v === false || v === 'low' || v === 'down') return 0;
    if (wide && typeof v === 'string') {
      const m: Record<string, number> = { KVM_INTERRUPT_SET: 0xffffffff, KVM_INTERRUPT_UNSET: 0xfffffffe, KVM_INTERRUPT_SET_LEVEL: 0xfffffffd };
      if (v in m) return m[v]!;
    }
    const n = parseInteger(v);
    if (n === null || n < 0n || n > (wide ? 0xffffffffn : 1n)) fail(f(name), `expected 0 or 1${wide ? ' (or a u32 / KVM_INTERRUPT_SET, _UNSET, _SET_LEVEL)' : ''}, got ${JSON.stringify(v)}`);
    return Number(n);
  };
  const op = (choices: string[]): string => {
    const v = req('op');
    if (typeof v !== 'string' || !choices.includes(v)) fail(f('op'), `expected ${choices.join(' or ')}, got ${JSON.stringify(v)}`);
    return v as string;
  };
  const arch = (want: string) => {
    if (ctx.arch !== want) fail([kind], `${kind} is an ${want} step; this VM is ${ctx.arch}`);
  };
  const family = (): void => {
    if (!ctx.families.length) fail([kind], `${kind} needs an interrupt controller the CLI knows (GICv2, GICv3, MPIC, XICS); this VM has ${ctx.vm.devices.map((d) => d.key).join(', ') || 'no device'}`);
  };
  const step = (a: Args, steps?: Step[]): Step => ({ kind, path, label: formatPath(label), source, a, ...(steps ? { steps } : {}) });

  switch (kind) {
    case 'note':
      allowed('text');
      if (typeof b.text !== 'string') fail(f('text'), 'expected a string');
      return step({ text: b.text });
    case 'irqLine':
      allowed('irq', 'level');
      return step({ irq: num('irq', 0, 0xffffffff), level: level('level', true) });
    case 'spi': {
      allowed('intid', 'level');
      arch('arm64');
      return step({ intid: num('intid', 32, 1019), level: level() });
    }
    case 'ppi': {
      allowed('vcpu', 'intid', 'level');
      arch('arm64');
      return step({ vcpu: vcpu(), intid: num('intid', 16, 31), level: level() });
    }
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
    case 'hcall': {
      allowed('vcpu', 'nr', 'name', 'args');
      if ((b.nr === undefined) === (b.name === undefined)) fail([kind], 'give either nr or name');
      let nr: number;
      if (b.name !== undefined) {
        if (typeof b.name !== 'string' || !(b.name in HCALLS)) fail(f('name'), `unknown hypercall ${JSON.stringify(b.name)}; names are ${Object.keys(HCALLS).join(', ')}`);
        nr = HCALLS[b.name as string]!;
      } else nr = num('nr', 0, 0xffffffff)!;
      const args: number[] = [];
      if (b.args !== undefined) {
        if (!Array.isArray(b.args)) fail(f('args'), 'expected a list of integers');
        (b.args as unknown[]).forEach((x, i) => {
          const n = parseInteger(x);
          if (n === null || n < 0n || n > 0xffffffffn) fail([kind, 'args', i], `expected a u32, got ${JSON.stringify(x)}`);
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
      if (typeof r === 'string') enc = SYSREGS[r.toUpperCase()] ?? parseSysregForm(r) ?? (/^0x/i.test(r) ? Number(parseInteger(r) ?? -1) : null);
      else if (typeof r === 'number') enc = r;
      if (enc === null || !Number.isInteger(enc) || enc < 0 || enc > 0xffff)
        fail(f('reg'), `unknown register ${JSON.stringify(r)}; use a name (${Object.keys(SYSREGS).join(', ')}), S<op0>_<op1>_C<n>_C<m>_<op2> or a 16-bit encoding`);
      if (o === 'read' && b.value !== undefined) fail(f('value'), 'a read takes no value (check it with an expect step)');
      const value = o === 'write' ? integer('value', 0n, (1n << 64n) - 1n) : undefined;
      return step({ vcpu: vcpu(), op: o, enc, value });
    }
    case 'attr': {
      allowed('device', 'op', 'group', 'attr', 'value');
      const o = op(['set', 'get', 'has']);
      let dev: ComposedVm['devices'][number] | undefined;
      if (b.device === undefined) dev = ctx.vm.devices[0];
      else if (typeof b.device === 'number') dev = ctx.vm.devices[b.device];
      else dev = ctx.vm.devices.find((d) => d.name === b.device || d.key === b.device);
      if (!dev) fail(f('device'), `no device ${JSON.stringify(b.device ?? 0)}; the VM has ${ctx.vm.devices.map((d) => d.name).join(', ') || 'none'}`);
      const table = dev!.handle.info?.attrs ?? [];
      const g = req('group');
      const decl = typeof g === 'string' ? table.find((d) => d.name === g) : table.find((d) => BigInt(d.group) === parseInteger(g));
      let group: number;
      if (decl) group = decl.group;
      else {
        const n = parseInteger(g);
        if (n === null || n < 0n || n > 0xffffffffn) fail(f('group'), `unknown group ${JSON.stringify(g)}; ${dev!.key} has ${table.map((d) => `${d.name} (${d.group})`).join(', ') || 'no declared groups'}`);
        group = Number(n);
      }
      const at = req('attr');
      let attr: bigint | null = null;
      if (typeof at === 'string' && decl && typeof decl.attrs !== 'string') {
        const x = decl.attrs.find((y) => y.name === at);
        if (x) attr = BigInt(x.attr);
      }
      attr ??= parseInteger(at);
      if (attr === null || attr < 0n || attr > (1n << 64n) - 1n) fail(f('attr'), `expected an attribute id${decl && typeof decl.attrs !== 'string' ? ` or a name (${decl.attrs.map((y) => y.name).join(', ')})` : ''}, got ${JSON.stringify(at)}`);
      const size = dev!.handle.payloadSize(group, attr!);
      if (o !== 'set' && b.value !== undefined) fail(f('value'), `${o} takes no value`);
      const value = o === 'set' && size > 0 ? integer('value', 0n, size === 8 ? (1n << 64n) - 1n : (1n << BigInt(8 * size)) - 1n) : undefined;
      return step({ device: dev!.name, dev: dev!.handle, op: o, group, groupName: decl?.name ?? `group ${group}`, attr, size, value });
    }
    case 'ack':
      allowed('vcpu');
      family();
      return step({ vcpu: vcpu() });
    case 'eoi':
      allowed('vcpu', 'id');
      family();
      return step({ vcpu: vcpu(), id: integer('id', 0n, 0xffffffffn, false) });
    case 'ipi': {
      allowed('vcpu', 'targets', 'id', 'priority');
      family();
      const t = req('targets');
      if (!Array.isArray(t)) fail(f('targets'), 'expected a list of vCPU ids');
      const targets = (t as unknown[]).map((x, i) => {
        if (typeof x !== 'number' || !ctx.vm.vcpus.some((v) => v.id === x)) fail([kind, 'targets', i], `no vCPU ${JSON.stringify(x)}`);
        return x as number;
      });
      return step({ vcpu: vcpu(), targets, id: num('id', 0, 15, false) ?? 0, priority: num('priority', 0, 255, false) ?? 5 });
    }
    case 'run':
      allowed('vcpu');
      return step({ vcpu: vcpu() });
    case 'expect': {
      allowed('vcpu', 'line', 'level', 'value', 'mask', 'ret', 'errno');
      const forms = [b.level !== undefined, b.value !== undefined, b.ret !== undefined, b.errno !== undefined].filter(Boolean).length;
      if (forms !== 1) fail([kind], 'give one of: { vcpu, line?, level }, { value, mask? }, { ret }, { errno }');
      if (b.level !== undefined) {
        const line = b.line ?? ctx.families[0]?.line ?? (ctx.arch === 'arm64' ? 'irq' : 'external');
        if (typeof line !== 'string' || !(LINE_NAMES as readonly string[]).includes(line)) fail(f('line'), `expected ${LINE_NAMES.join(', ')}, got ${JSON.stringify(b.line)}`);
        return step({ form: 'line', vcpu: vcpu(), line, level: level() });
      }
      if (b.value !== undefined) return step({ form: 'value', value: integer('value', -(1n << 63n), (1n << 64n) - 1n), mask: integer('mask', 0n, (1n << 64n) - 1n, false) });
      if (b.ret !== undefined) {
        const r = typeof b.ret === 'string' && b.ret in HCALL_RETS ? BigInt(HCALL_RETS[b.ret]!) : parseInteger(b.ret);
        if (r === null) fail(f('ret'), `expected a return code (${Object.keys(HCALL_RETS).join(', ')} or a number)`);
        return step({ form: 'ret', ret: Number(r) });
      }
      if (typeof b.errno !== 'string' || !/^(E[A-Z0-9]+|none|ok)$/.test(b.errno)) fail(f('errno'), 'expected an errno name such as ENXIO, or none');
      return step({ form: 'errno', errno: b.errno === 'ok' ? 'none' : b.errno });
    }
    case 'snapshot':
    case 'restore': {
      allowed('file');
      if (typeof b.file !== 'string' || !b.file) fail(f('file'), 'expected a file name');
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
  readonly events: TraceEvent[] = [];
  readonly families: Family[];
  private readonly ctx: Ctx;
  private readonly lineBuf: { vcpu: number; line: string; level: number }[] = [];
  private readonly unsub: (() => void)[] = [];
  private last: Result = {};
  private done = 0;
  private total = 0;

  constructor(
    readonly host: Host,
    readonly vm: ComposedVm,
    private readonly options: RunnerOptions = {},
  ) {
    this.families = familiesOf(host, vm);
    this.ctx = { host, vm, arch: vm.config.arch, families: this.families };
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
      try {
        this.runStep(s);
      } catch (e) {
        if (!isKvmError(e)) throw e;
        if (e instanceof SnapshotError) throw new CliError(EXIT.SNAPSHOT, `${s.source.where(s.path)}: ${s.label}: restore refused: ${snapshotMessage(e)}`);
        const next = steps[i + 1];
        const text = `${s.kind} failed: ${e.message}`;
        this.last = { errno: e.code, value: null };
        this.emit({ at: s.label, kind: 'error', text, errno: e.code, ...(s.a.vcpu !== undefined ? { vcpu: s.a.vcpu as number } : {}) });
        if (!(next?.kind === 'expect' && next.a.form === 'errno'))
          throw new CliError(EXIT.KERNEL, `${s.source.where(s.path)}: ${s.label}: ${e.message}`);
      }
      this.done++;
      this.options.progress?.(this.done, this.total, false);
    }
  }

  private vcpu(id: number): VcpuHandle {
    return this.vm.vcpus.find((v) => v.id === id)!;
  }

  private fam(): Family {
    return this.families[0]!;
  }

  private decoded(at: string, v: number, d: Decoded, extra: Args = {}): void {
    this.emit({ at, kind: d.kind, vcpu: v, text: d.text, ...d.data, ...extra });
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
      case 'irqLine': {
        const r = vm.irqLine(a.irq as number, a.level as number);
        this.last = { value: BigInt(r) };
        this.emit({ at, kind: 'irq-line', irq: a.irq, level: a.level, status: r, text: `host KVM_IRQ_LINE irq ${hex(a.irq as number)} level ${hex(a.level as number)} -> status ${r}` });
        return;
      }
      case 'spi':
      case 'ppi': {
        const spi = s.kind === 'spi';
        const v = spi ? 0 : this.vm.vcpus.findIndex((x) => x.id === a.vcpu);
        const irq = ((((v >> 8) & 0xf) << 28) | ((spi ? 1 : 2) << 24) | ((v & 0xff) << 16) | (a.intid as number)) >>> 0;
        const r = vm.irqLine(irq, a.level as number);
        this.last = { value: BigInt(r) };
        this.emit({
          at,
          kind: s.kind,
          intid: a.intid,
          level: a.level,
          status: r,
          ...(spi ? {} : { vcpu: a.vcpu as number }),
          text: `host ${a.level ? 'raises' : 'lowers'} ${spi ? 'SPI' : 'PPI'} ${a.intid as number}${spi ? '' : ` of vCPU ${a.vcpu as number}`} (KVM_IRQ_LINE ${hex(irq, 8)}) -> status ${r}`,
        });
        return;
      }
      case 'gsi': {
        const k = vm.vm;
        let r: number;
        if (this.ctx.arch === 'arm64') {
          if (!k.irqchip) throw new KvmError(ENXIO, 'KVM_IRQ_LINE: no in-kernel irqchip');
          r = k.routing.fire(k.irqchip, a.gsi as number, a.level as number);
        } else r = vm.irqLine(a.gsi as number, a.level as number);
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
          const d = this.families.map((f) => f.decodeMmio?.(v, 'read', addr, size, value)).find((y) => y);
          const raw = value === null ? `MMIO exit: no in-kernel device handles a ${size}-byte read at ${hex(addr)}` : `vCPU ${v.id} reads ${hex(addr)} (${size} bytes) = ${hex(value)}`;
          if (d) this.decoded(at, v.id, d, { addr: hex(addr), value: hex(value!) });
          else this.emit({ at, kind: 'mmio', vcpu: v.id, op: 'read', addr: hex(addr), size, value: value === null ? null : hex(value), text: raw });
        } else {
          const ok = v.guest.mmioWrite(Number(addr), size, a.value as bigint);
          this.last = { value: ok ? 1n : 0n };
          const d = ok ? this.families.map((f) => f.decodeMmio?.(v, 'write', addr, size, a.value as bigint)).find((y) => y) : null;
          if (d) this.decoded(at, v.id, d, { addr: hex(addr), value: hex(a.value as bigint) });
          else
            this.emit({
              at,
              kind: 'mmio',
              vcpu: v.id,
              op: 'write',
              addr: hex(addr),
              size,
              value: hex(a.value as bigint),
              handled: ok,
              text: ok ? `vCPU ${v.id} writes ${hex(a.value as bigint)} to ${hex(addr)} (${size} bytes)` : `MMIO exit: no in-kernel device handles a ${size}-byte write at ${hex(addr)}`,
            });
        }
        return;
      }
      case 'hcall': {
        const v = this.vcpu(a.vcpu as number);
        const nr = a.nr as number;
        const args = a.args as number[];
        const r = v.guest.hypercall(nr, args);
        const out = [...r.out];
        this.last = { ret: r.ret, value: BigInt(out[0]! >>> 0) };
        const d = this.families.map((f) => f.decodeHcall?.(v, nr, args, r.ret, out)).find((y) => y);
        const base = `vCPU ${v.id} ${hcallName(nr)}(${args.map((x) => hex(x)).join(', ')}) -> ${hcallRetName(r.ret)}`;
        if (d) this.decoded(at, v.id, d, { hcall: hcallName(nr), ret: r.ret });
        else this.emit({ at, kind: 'hcall', vcpu: v.id, hcall: hcallName(nr), args, ret: r.ret, out: out.slice(0, 2), text: `${base}${nr === HCALLS.H_IPOLL ? `, XIRR ${hex(out[0]! >>> 0)}` : ''}` });
        return;
      }
      case 'sysreg': {
        const v = this.vcpu(a.vcpu as number);
        const enc = a.enc as number;
        const name = sysregName(enc);
        if (a.op === 'read') {
          const x = v.guest.sysregRead(enc);
          this.last = { value: x };
          const d = this.families.map((f) => f.decodeSysreg?.(v, 'read', enc, x)).find((y) => y);
          if (d) this.decoded(at, v.id, d, { reg: name, value: hex(x) });
          else this.emit({ at, kind: 'sysreg', vcpu: v.id, op: 'read', reg: name, value: hex(x), text: `vCPU ${v.id} reads ${name} = ${hex(x)}` });
        } else {
          v.guest.sysregWrite(enc, a.value as bigint);
          this.last = {};
          const d = this.families.map((f) => f.decodeSysreg?.(v, 'write', enc, a.value as bigint)).find((y) => y);
          if (d) this.decoded(at, v.id, d, { reg: name, value: hex(a.value as bigint) });
          else this.emit({ at, kind: 'sysreg', vcpu: v.id, op: 'write', reg: name, value: hex(a.value as bigint), text: `vCPU ${v.id} writes ${name} = ${hex(a.value as bigint)}` });
        }
        return;
      }
      case 'attr': {
        const dev = a.dev as DeviceHandle<DeviceKey>;
        const host = this.host;
        const buf = host.scratch();
        const size = a.size as number;
        const group = a.group as number;
        const attr = a.attr as bigint;
        host.mem.setU64(buf, 0n);
        if (a.op === 'set' && size > 0) {
          if (size === 8) host.mem.setU64(buf, a.value as bigint);
          else if (size === 4) host.mem.setU32(buf, Number(a.value as bigint));
          else if (size === 2) host.mem.setU16(buf, Number(a.value as bigint));
          else host.mem.setU8(buf, Number(a.value as bigint));
        }
        let errno = 'none';
        try {
          dev.attrRaw(a.op as 'set' | 'get' | 'has', group, attr, a.op === 'has' ? 0 : buf);
        } catch (e) {
          if (!isKvmError(e)) throw e;
          errno = e.code;
        }
        let value: bigint | null = null;
        if (a.op === 'get' && errno === 'none')
          value = size === 8 ? host.mem.getU64(buf) : size === 4 ? BigInt(host.mem.getU32(buf)) : size === 2 ? BigInt(host.mem.getU16(buf)) : size === 1 ? BigInt(host.mem.getU8(buf)) : 0n;
        this.last = { errno, value };
        const ioctl = a.op === 'set' ? 'KVM_SET_DEVICE_ATTR' : a.op === 'get' ? 'KVM_GET_DEVICE_ATTR' : 'KVM_HAS_DEVICE_ATTR';
        const what = `${a.device as string}: ${ioctl} ${a.groupName as string} attr ${hex(attr)}${a.op === 'set' && size > 0 ? ` = ${hex(a.value as bigint)}` : ''}`;
        const res = errno !== 'none' ? `-> ${errno}` : a.op === 'get' ? `= ${hex(value!)}` : a.op === 'has' ? '-> implemented' : '-> ok';
        this.emit({ at, kind: 'attr', device: a.device, op: a.op, group, attr: hex(attr), errno, ...(value !== null ? { value: hex(value) } : {}), ...(a.op === 'set' && size > 0 ? { set: hex(a.value as bigint) } : {}), text: `${what} ${res}` });
        return;
      }
      case 'ack': {
        const v = this.vcpu(a.vcpu as number);
        const { raw, decoded } = this.fam().ack(v);
        this.last = { value: raw };
        this.decoded(at, v.id, decoded, { raw: hex(raw) });
        return;
      }
      case 'eoi': {
        const v = this.vcpu(a.vcpu as number);
        const d = this.fam().eoi(v, a.id as bigint | undefined);
        this.last = {};
        this.decoded(at, v.id, d);
        return;
      }
      case 'ipi': {
        const v = this.vcpu(a.vcpu as number);
        const ds = this.fam().ipi(v, (a.targets as number[]).map((t) => this.vcpu(t)), a.id as number, a.priority as number);
        this.last = {};
        for (const d of ds) this.decoded(at, v.id, d);
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
        const snap = saveSnapshot(this.host, this.vm.vm.fd);
        writeFileSync(a.file as string, `${JSON.stringify(snap, null, 2)}\n`);
        this.last = {};
        this.emit({ at, kind: 'snapshot', file: a.file, text: `snapshot of ${snap.devices.length} device(s), ${snap.devices.reduce((n, d) => n + d.state.length, 0)} state entries saved to ${a.file as string}` });
        return;
      }
      case 'restore': {
        let data: unknown;
        try {
          data = JSON.parse(readFileSync(a.file as string, 'utf8'));
        } catch (e) {
          throw inputError(`${s.source.where(s.path)}: ${at}: cannot read snapshot ${a.file as string}: ${(e as Error).message}`);
        }
        restoreSnapshot(this.host, this.vm.vm.fd, data);
        this.last = {};
        this.emit({ at, kind: 'restore', file: a.file, text: `restored the VM from ${a.file as string}` });
        return;
      }
    }
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
      what = `return code is ${this.last.ret === undefined ? 'none' : hcallRetName(this.last.ret)}${ok ? '' : `, expected ${hcallRetName(a.ret as number)}`}`;
    } else {
      const got = this.last.errno ?? 'none';
      ok = got === a.errno;
      what = `errno is ${got}${ok ? '' : `, expected ${a.errno as string}`}`;
    }
    this.emit({ at, kind: 'expect', ok, text: `expect: ${what}${ok ? ' (ok)' : ' (FAILED)'}` });
    if (!ok) throw new CliError(EXIT.EXPECT, `${s.source.where(s.path)}: ${at}: expectation failed: ${what}`);
  }
}
