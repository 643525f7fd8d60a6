/**
 * Scenario steps (the `kvmdev run` step language), checked before anything runs and flattened
 * (a `repeat` becomes its steps, once per time) so the page can run them one at a time.
 * Device names for system registers and hypercalls come from the devices' introspection specs.
 * @packageDocumentation
 */
import { type GuestRamSlot, LINE_NAMES, readMemStep } from '@kvmdev/core';
import { formatPath, hex, parseInteger } from './numbers.js';
import { InputError } from './vmfile.js';

/** The step kinds. */
export const STEP_KINDS = [
  'note',
  'irqLine',
  'spi',
  'ppi',
  'gsi',
  'msi',
  'mmio',
  'mem',
  'hcall',
  'sysreg',
  'attr',
  'ack',
  'eoi',
  'ipi',
  'run',
  'expect',
  'snapshot',
  'restore',
  'repeat',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** More steps than this (after expanding `repeat`) is refused: the page keeps every frame. */
export const MAX_STEPS = 20_000;

/** One runnable step. */
export interface Step {
  /** Position in the flattened list. */
  readonly index: number;
  /** Where it comes from: `scenario[12]`, `scenario[6].repeat.steps[2]`. */
  readonly label: string;
  /** `2/3` for the second pass of a repeat. */
  readonly pass: string | null;
  readonly kind: Exclude<StepKind, 'repeat'>;
  readonly a: Readonly<Record<string, unknown>>;
}

/** What the parser needs to know about the VM. */
export interface StepContext {
  readonly arch: string;
  readonly vcpus: readonly number[];
  /** Device names and keys, in VM order. */
  readonly devices: readonly {
    readonly name: string;
    readonly key: string;
    groups(): readonly {
      group: number;
      name: string;
      attrs: readonly { attr: number | bigint; name: string }[] | string;
    }[];
    payloadSize(group: number, attr: bigint): number;
  }[];
  readonly sysregs: ReadonlyMap<string, number>;
  readonly hypercalls: ReadonlyMap<string, number>;
  readonly hypercallReturns: ReadonlyMap<string, number>;
  /** KVM_IRQ_LINE level values by name, beyond 0 and 1 (from the devices' specs). */
  readonly irqLineLevels: ReadonlyMap<string, number>;
  /** The vCPU line of the first interrupt controller (the default of `expect: { vcpu, level }`). */
  readonly line: string;
  /** Whether some device offers guest acknowledge / EOI / IPI. */
  readonly hasGuestOps: boolean;
  /** The VM's guest RAM slots (its VM file's `memory:`), which `mem` steps must fall in. */
  readonly memory: readonly GuestRamSlot[];
}

type Args = Record<string, unknown>;

/** Parses `S3_0_C12_C12_0` into an encoding, or null. */
export function parseSysregForm(s: string): number | null {
  const m = /^S([0-3])_([0-7])_C(\d+)_C(\d+)_([0-7])$/i.exec(s);
  if (!m) return null;
  const crn = Number(m[3]);
  const crm = Number(m[4]);
  if (crn > 15 || crm > 15) return null;
  return (Number(m[1]) << 14) | (Number(m[2]) << 11) | (crn << 7) | (crm << 3) | Number(m[5]);
}

/** Checks and flattens a scenario. Every problem is an InputError naming `file: scenario[3].field`. */
export function parseScenario(file: string, list: readonly unknown[], ctx: StepContext): Step[] {
  const out: Step[] = [];
  parseList(file, ctx, list, ['scenario'], out, null);
  return out;
}

function parseList(
  file: string,
  ctx: StepContext,
  list: readonly unknown[],
  path: (string | number)[],
  out: Step[],
  pass: string | null,
): void {
  list.forEach((raw, i) => parseStep(file, ctx, raw, [...path, i], out, pass));
}

function parseStep(
  file: string,
  ctx: StepContext,
  raw: unknown,
  path: (string | number)[],
  out: Step[],
  pass: string | null,
): void {
  const fail = (sub: (string | number)[], msg: string): never => {
    throw new InputError(`${file}: ${formatPath([...path, ...sub])}`, msg);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(
      [],
      `expected a step such as { spi: { intid: 40, level: 1 } }; steps are ${STEP_KINDS.join(', ')}`,
    );
  const keys = Object.keys(raw as object);
  if (keys.length !== 1)
    fail(
      [],
      `a step has exactly one key (the step kind), got ${keys.length ? keys.join(', ') : 'none'}`,
    );
  const kind = keys[0]! as StepKind;
  if (!(STEP_KINDS as readonly string[]).includes(kind))
    fail([kind], `unknown step ${JSON.stringify(kind)}; steps are ${STEP_KINDS.join(', ')}`);
  let body = (raw as Args)[kind];
  if (kind === 'note' && typeof body === 'string') body = { text: body };
  if (body === null || body === undefined) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) fail([kind], 'expected a mapping of fields');
  const b = body as Args;
  const f = (name: string | number) => [kind, name];
  const allowed = (...names: string[]) => {
    for (const k of Object.keys(b))
      if (!names.includes(k)) fail(f(k), `unknown field; ${kind} takes ${names.join(', ')}`);
  };
  const req = (name: string) => {
    if (b[name] === undefined) fail(f(name), 'required');
    return b[name];
  };
  const integer = (name: string, min: bigint, max: bigint, required = true): bigint | undefined => {
    const v = required ? req(name) : b[name];
    if (v === undefined) return undefined;
    const n = parseInteger(v);
    if (n === null || n < min || n > max)
      fail(
        f(name),
        `expected an integer from ${hex(min)} to ${hex(max)}, got ${JSON.stringify(typeof v === 'bigint' ? hex(v) : v)}`,
      );
    return n!;
  };
  const num = (name: string, min: number, max: number, required = true) => {
    const v = integer(name, BigInt(min), BigInt(max), required);
    return v === undefined ? undefined : Number(v);
  };
  const vcpu = (name = 'vcpu'): number => {
    const v = req(name);
    if (typeof v !== 'number' || !ctx.vcpus.includes(v))
      fail(f(name), `no vCPU ${JSON.stringify(v)}; the VM has vCPUs ${ctx.vcpus.join(', ')}`);
    return v as number;
  };
  /** A line level: 0 or 1 (raw KVM_IRQ_LINE and GSI levels: a u32 or a name a device gives); the CLI's rule. */
  const level = (wide = false): number => {
    const v = req('level');
    const named = wide && typeof v === 'string' ? ctx.irqLineLevels.get(v) : undefined;
    if (named !== undefined) return named;
    const n = parseInteger(v);
    const names = [...ctx.irqLineLevels.keys()];
    if (n === null || n < 0n || n > (wide ? 0xffffffffn : 1n))
      fail(
        f('level'),
        `expected 0 or 1${wide ? ` (or a u32${names.length ? ` or ${names.join(', ')}` : ''})` : ''}, got ${JSON.stringify(v)}`,
      );
    return Number(n);
  };
  const op = (choices: string[]): string => {
    const v = req('op');
    if (typeof v !== 'string' || !choices.includes(v))
      fail(f('op'), `expected ${choices.join(' or ')}, got ${JSON.stringify(v)}`);
    return v as string;
  };
  const guest = () => {
    if (!ctx.hasGuestOps)
      fail(
        [kind],
        `${kind} needs a device whose plugin describes its guest acknowledge / EOI / IPI; this VM has ${ctx.devices.map((d) => d.key).join(', ') || 'no device'}`,
      );
  };
  const push = (a: Args) => {
    if (out.length >= MAX_STEPS)
      fail(
        [],
        `more than ${MAX_STEPS} steps after expanding repeat: too many for the page (run it with kvmdev run)`,
      );
    out.push({ index: out.length, label: formatPath(path), pass, kind: kind as Step['kind'], a });
  };

  switch (kind) {
    case 'note':
      allowed('text');
      if (typeof b.text !== 'string') fail(f('text'), 'expected a string');
      push({ text: b.text });
      return;
    case 'irqLine':
      allowed('irq', 'level');
      push({ irq: num('irq', 0, 0xffffffff), level: level(true) });
      return;
    case 'spi':
      allowed('intid', 'level');
      push({ intid: num('intid', 0, 0xffffffff), level: level() });
      return;
    case 'ppi':
      allowed('vcpu', 'intid', 'level');
      push({ vcpu: vcpu(), intid: num('intid', 0, 0xffffffff), level: level() });
      return;
    case 'gsi':
      allowed('gsi', 'level');
      push({ gsi: num('gsi', 0, 0xffffffff), level: level(true) });
      return;
    case 'msi':
      allowed('addressLo', 'addressHi', 'data');
      push({
        addressLo: num('addressLo', 0, 0xffffffff),
        addressHi: num('addressHi', 0, 0xffffffff, false) ?? 0,
        data: num('data', 0, 0xffffffff),
      });
      return;
    case 'mmio': {
      allowed('vcpu', 'op', 'addr', 'size', 'value');
      const o = op(['read', 'write']);
      const size = num('size', 1, 8)!;
      if (![1, 2, 4, 8].includes(size)) fail(f('size'), `expected 1, 2, 4 or 8, got ${size}`);
      const addr = integer('addr', 0n, (1n << 64n) - 1n)!;
      if (addr + BigInt(size) > BigInt(Number.MAX_SAFE_INTEGER))
        fail(f('addr'), `${hex(addr)} is beyond the modelled guest physical space`);
      if (o === 'read' && b.value !== undefined)
        fail(f('value'), 'a read takes no value (check it with an expect step)');
      const value = o === 'write' ? integer('value', 0n, (1n << BigInt(8 * size)) - 1n) : undefined;
      push({ vcpu: vcpu(), op: o, addr, size, value });
      return;
    }
    case 'mem': {
      // core's check, the CLI's too
      const r = readMemStep(b, ctx.memory);
      if (r.issue) fail([kind, ...r.issue.path], r.issue.message);
      push({ mem: r.step });
      return;
    }
    case 'hcall': {
      allowed('vcpu', 'nr', 'name', 'args');
      if ((b.nr === undefined) === (b.name === undefined)) fail([kind], 'give either nr or name');
      let nr: number;
      if (b.name !== undefined) {
        const x = typeof b.name === 'string' ? ctx.hypercalls.get(b.name) : undefined;
        if (x === undefined)
          fail(
            f('name'),
            `unknown hypercall ${JSON.stringify(b.name)}; names are ${[...ctx.hypercalls.keys()].join(', ') || 'none (no device of this VM names hypercalls)'}`,
          );
        nr = x!;
      } else nr = num('nr', 0, 0xffffffff)!;
      const args: number[] = [];
      if (b.args !== undefined) {
        if (!Array.isArray(b.args)) fail(f('args'), 'expected a list of integers');
        (b.args as unknown[]).forEach((x, i) => {
          const n = parseInteger(x);
          if (n === null || n < 0n || n > 0xffffffffn)
            fail([kind, 'args', i], `expected a u32, got ${JSON.stringify(x)}`);
          args.push(Number(n));
        });
      }
      push({ vcpu: vcpu(), nr, args });
      return;
    }
    case 'sysreg': {
      allowed('vcpu', 'op', 'reg', 'value');
      const o = op(['read', 'write']);
      const r = req('reg');
      let enc: number | null = null;
      if (typeof r === 'string')
        enc =
          ctx.sysregs.get(r.toUpperCase()) ??
          parseSysregForm(r) ??
          (/^0x/i.test(r) ? Number(parseInteger(r) ?? -1) : null);
      else if (typeof r === 'number') enc = r;
      if (enc === null || !Number.isInteger(enc) || enc < 0 || enc > 0xffff)
        fail(
          f('reg'),
          `unknown register ${JSON.stringify(r)}; use a name (${[...ctx.sysregs.keys()].join(', ') || 'none named by this VM'}), S<op0>_<op1>_C<n>_C<m>_<op2> or a 16-bit encoding`,
        );
      if (o === 'read' && b.value !== undefined)
        fail(f('value'), 'a read takes no value (check it with an expect step)');
      const value = o === 'write' ? integer('value', 0n, (1n << 64n) - 1n) : undefined;
      push({ vcpu: vcpu(), op: o, enc, value });
      return;
    }
    case 'attr': {
      allowed('device', 'op', 'group', 'attr', 'value');
      const o = op(['set', 'get', 'has']);
      let dev: number;
      if (b.device === undefined) dev = 0;
      else if (typeof b.device === 'number') dev = b.device;
      else dev = ctx.devices.findIndex((d) => d.name === b.device || d.key === b.device);
      const d = ctx.devices[dev];
      if (!d) {
        fail(
          f('device'),
          `no device ${JSON.stringify(b.device ?? 0)}; the VM has ${ctx.devices.map((x) => x.name).join(', ') || 'none'}`,
        );
        return;
      }
      const table = d.groups();
      const g = req('group');
      const decl =
        typeof g === 'string'
          ? table.find((x) => x.name === g)
          : table.find((x) => BigInt(x.group) === parseInteger(g));
      let group: number;
      if (decl) group = decl.group;
      else {
        const n = parseInteger(g);
        if (n === null || n < 0n || n > 0xffffffffn)
          fail(
            f('group'),
            `unknown group ${JSON.stringify(g)}; ${d.key} has ${table.map((x) => `${x.name} (${x.group})`).join(', ') || 'no declared groups'}`,
          );
        group = Number(n);
      }
      const at = req('attr');
      let attr: bigint | null = null;
      if (typeof at === 'string' && decl && typeof decl.attrs !== 'string') {
        const x = decl.attrs.find((y) => y.name === at);
        if (x) attr = BigInt(x.attr);
      }
      attr ??= parseInteger(at);
      if (attr === null || attr < 0n || attr > (1n << 64n) - 1n)
        fail(f('attr'), `expected an attribute id or name, got ${JSON.stringify(at)}`);
      const size = d.payloadSize(group, attr!);
      if (o !== 'set' && b.value !== undefined) fail(f('value'), `${o} takes no value`);
      const value =
        o === 'set' && size > 0
          ? integer('value', 0n, size === 8 ? (1n << 64n) - 1n : (1n << BigInt(8 * size)) - 1n)
          : undefined;
      push({
        device: dev,
        op: o,
        group,
        groupName: decl?.name ?? `group ${group}`,
        attr,
        size,
        value,
      });
      return;
    }
    case 'ack':
      allowed('vcpu');
      guest();
      push({ vcpu: vcpu() });
      return;
    case 'eoi':
      allowed('vcpu', 'id');
      guest();
      push({ vcpu: vcpu(), id: integer('id', 0n, 0xffffffffn, false) });
      return;
    case 'ipi': {
      allowed('vcpu', 'targets', 'id', 'priority');
      guest();
      const t = req('targets');
      if (!Array.isArray(t)) fail(f('targets'), 'expected a list of vCPU ids');
      const targets = (t as unknown[]).map((x, i) => {
        if (typeof x !== 'number' || !ctx.vcpus.includes(x))
          fail([kind, 'targets', i], `no vCPU ${JSON.stringify(x)}`);
        return x as number;
      });
      push({
        vcpu: vcpu(),
        targets,
        id: num('id', 0, 255, false),
        priority: num('priority', 0, 255, false),
      });
      return;
    }
    case 'run':
      allowed('vcpu');
      push({ vcpu: vcpu() });
      return;
    case 'expect': {
      allowed('vcpu', 'line', 'level', 'value', 'mask', 'ret', 'errno');
      const forms = [
        b.level !== undefined,
        b.value !== undefined,
        b.ret !== undefined,
        b.errno !== undefined,
      ].filter(Boolean).length;
      if (forms !== 1)
        fail([kind], 'give one of: { vcpu, line?, level }, { value, mask? }, { ret }, { errno }');
      if (b.level !== undefined) {
        const line = b.line ?? ctx.line;
        if (typeof line !== 'string' || !(LINE_NAMES as readonly string[]).includes(line))
          fail(f('line'), `expected ${LINE_NAMES.join(', ')}, got ${JSON.stringify(b.line)}`);
        push({ form: 'line', vcpu: vcpu(), line, level: level() });
        return;
      }
      if (b.value !== undefined) {
        push({
          form: 'value',
          value: integer('value', -(1n << 63n), (1n << 64n) - 1n),
          mask: integer('mask', 0n, (1n << 64n) - 1n, false),
        });
        return;
      }
      if (b.ret !== undefined) {
        const named = typeof b.ret === 'string' ? ctx.hypercallReturns.get(b.ret) : undefined;
        const r = named !== undefined ? BigInt(named) : parseInteger(b.ret);
        if (r === null)
          fail(
            f('ret'),
            `expected a return code (${[...ctx.hypercallReturns.keys()].join(', ') || 'a number'})`,
          );
        push({ form: 'ret', ret: Number(r) });
        return;
      }
      if (typeof b.errno !== 'string' || !/^(E[A-Z0-9]+|none|ok)$/.test(b.errno))
        fail(f('errno'), 'expected an errno name such as ENXIO, or none');
      push({ form: 'errno', errno: b.errno === 'ok' ? 'none' : b.errno });
      return;
    }
    case 'snapshot':
    case 'restore':
      allowed('file');
      if (typeof b.file !== 'string' || !b.file) fail(f('file'), 'expected a file name');
      push({ file: b.file });
      return;
    case 'repeat': {
      allowed('times', 'steps');
      const times = num('times', 0, 1_000_000)!;
      if (!Array.isArray(b.steps)) fail(f('steps'), 'expected a list of steps');
      if (times === 0)
        parseList(file, ctx, b.steps as unknown[], [...path, kind, 'steps'], [], pass);
      for (let k = 0; k < times; k++)
        parseList(
          file,
          ctx,
          b.steps as unknown[],
          [...path, kind, 'steps'],
          out,
          times > 1 ? `${k + 1}/${times}` : pass,
        );
      return;
    }
  }
}
