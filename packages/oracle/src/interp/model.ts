/**
 * The TypeScript interpreter: runs a scenario on the model through its syscall facade
 * (`host.open/ioctl/close/dup`, `host.mem`, `host.errno`), exactly as probe/kvms.c runs it on a
 * kernel. No Node built-ins.
 *
 * A `fork` block runs in a second process: a new Host from the target's factory that receives
 * every open fd at the same number (SCM_RIGHTS-style, so the files keep their creator) and a copy
 * of every buffer at the same address; when the block ends the child's fds are closed in fd order,
 * as at exit.
 * @packageDocumentation
 */
import type { Host } from '@kvmdev/core';
import type { BufferDecl, Expr, Path, Scenario, ShowItem, Stmt } from '../lang/ast.js';
import { RAW_FIELDS } from '../lang/expr.js';
import { type RunResult, type StepResult, hex, stepKey } from '../result.js';
import { CONSTANTS } from '../vocab/constants.js';
import { errnoName } from '../vocab/errno.js';
import { type IoctlEncoding, encodeRequest } from '../vocab/requests.js';
import { STRUCTS } from '../vocab/structs.js';

/** How to build the model side of a target. */
export interface ModelTarget {
  /** A fresh process with the target's plugins and host options (called once per scenario, and per `fork`). */
  createHost(): Host;
  /** The ioctl encoding the model speaks (default `'generic'`). */
  readonly encoding?: IoctlEncoding;
}

/** An address the model never maps (above its 1 GiB user memory). */
const UNMAPPED_ADDR = 0x7ff000000000n;
const PAGE = 4096;
const MAX_ITERATIONS = 1_000_000;
const ALL_ONES = (1n << 64n) - 1n;

class ScenarioRuntimeError extends Error {}

interface Placed {
  readonly decl: BufferDecl;
  readonly addr: number;
}

/** Runs `scenario` on a fresh host of `target`. Never throws for scenario problems: they end the run with `error`. */
export function runOnModel(scenario: Scenario, target: ModelTarget): RunResult {
  return new ModelRun(scenario, target).run();
}

class ModelRun {
  private host: Host;
  private readonly steps: StepResult[] = [];
  private symbols = new Map<string, bigint>();
  private readonly placed = new Map<string, Placed>();
  private readonly loops: bigint[] = [];
  private readonly encoding: IoctlEncoding;
  private line = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly target: ModelTarget,
  ) {
    this.host = target.createHost();
    this.encoding = target.encoding ?? 'generic';
  }

  run(): RunResult {
    try {
      this.block(this.scenario.body);
      return { steps: this.steps, error: null };
    } catch (e) {
      if (!(e instanceof ScenarioRuntimeError)) throw e;
      return {
        steps: this.steps,
        error: { key: stepKey(this.line, this.loops), message: e.message },
      };
    }
  }

  private fail(msg: string): never {
    throw new ScenarioRuntimeError(msg);
  }

  private record(text: string): void {
    this.steps.push({ key: stepKey(this.line, this.loops), text });
  }

  private block(body: readonly Stmt[]): void {
    for (const st of body) this.stmt(st);
  }

  private stmt(st: Stmt): void {
    this.line = st.line;
    const h = this.host;
    switch (st.s) {
      case 'open':
        this.call(st.bind, () => h.open(st.path));
        return;
      case 'ioctl': {
        const fd = this.fd(st.fd);
        const req =
          typeof st.request === 'string'
            ? encodeRequest(st.request, this.encoding)!
            : Number(this.eval(st.request) & 0xffffffffn);
        const v = this.eval(st.arg);
        const arg: number | bigint = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
        this.call(st.bind, () => h.ioctl(fd, req, arg));
        return;
      }
      case 'close': {
        const fd = this.fd(st.fd);
        this.call(st.bind, () => h.close(fd));
        return;
      }
      case 'dup': {
        const fd = this.fd(st.fd);
        this.call(st.bind, () => h.dup(fd));
        return;
      }
      case 'show':
        this.record(st.items.map((it) => this.show(it)).join(' '));
        return;
      case 'let':
        this.symbols.set(st.name, this.eval(st.value));
        return;
      case 'buffer': {
        const addr = this.allocate(st.decl);
        this.placed.set(st.decl.name, { decl: st.decl, addr });
        for (const init of st.inits) this.write(init.path, this.eval(init.value));
        if (st.decl.ro) h.mem.protect(addr, st.decl.size);
        return;
      }
      case 'set':
        this.write(st.path, this.eval(st.value));
        return;
      case 'setstr':
        this.writeString(st.path, st.text);
        return;
      case 'for':
        this.loop(st);
        return;
      case 'fork':
        this.fork(st.body);
        return;
      case 'rlimit':
        h.files.limit = Number(
          this.eval(st.value) > 0x7fffffffn ? 0x7fffffffn : this.eval(st.value),
        );
        return;
    }
  }

  private call(bind: string | null, fn: () => number): void {
    let r: number;
    try {
      r = fn();
    } catch (e) {
      this.record(`@throw ${(e as Error).message ?? String(e)}`);
      if (bind !== null) this.symbols.set(bind, ALL_ONES);
      return;
    }
    if (r < 0) {
      this.record(`!${errnoName(this.host.errno)}`);
      if (bind !== null) this.symbols.set(bind, ALL_ONES);
    } else {
      this.record(`=${r}`);
      if (bind !== null) this.symbols.set(bind, BigInt(r));
    }
  }

  private loop(st: Extract<Stmt, { s: 'for' }>): void {
    const from = this.eval(st.from);
    const to = this.eval(st.to);
    const step = BigInt.asIntN(64, this.eval(st.step));
    if (step === 0n) this.fail('loop step 0');
    const saved = this.symbols.get(st.name);
    this.loops.push(0n);
    let n = 0;
    // runs while i < end (step > 0) or i > end (step < 0), and stops rather than wrap around 0 or 2^64
    for (let i = from; step > 0n ? i < to : i > to; ) {
      if (++n > MAX_ITERATIONS) this.fail(`more than ${MAX_ITERATIONS} iterations`);
      this.loops[this.loops.length - 1] = i;
      this.symbols.set(st.name, i);
      this.block(st.body);
      this.line = st.line;
      const next = i + step;
      if (next < 0n || next > ALL_ONES) break;
      i = next;
    }
    this.loops.pop();
    if (saved === undefined) this.symbols.delete(st.name);
    else this.symbols.set(st.name, saved);
  }

  /** A second process: fds at the same numbers, buffers at the same addresses. */
  private fork(body: readonly Stmt[]): void {
    const parent = this.host;
    const child = this.target.createHost();
    child.files.limit = parent.files.limit;
    for (const p of this.placed.values()) {
      const a = this.allocateOn(child, p.decl.size);
      if (a !== p.addr)
        this.fail(
          `fork: the child's buffer '${p.decl.name}' landed at 0x${a.toString(16)}, not 0x${p.addr.toString(16)}`,
        );
      child.mem.write(a, parent.mem.read(p.addr, p.decl.size));
      if (p.decl.ro) child.mem.protect(a, p.decl.size);
    }
    const placeholders: number[] = [];
    for (const [fd, file] of parent.files.entries()) {
      if (child.files.get(fd) === file) continue;
      if (child.files.get(fd) !== null) child.close(fd);
      for (;;) {
        const got = child.receiveFd(parent, fd);
        if (got === fd) break;
        if (got < 0 || got > fd) this.fail(`fork: cannot place fd ${fd} in the child`);
        placeholders.push(got);
      }
    }
    for (const p of placeholders) child.close(p);
    const savedSymbols = new Map(this.symbols);
    this.host = child;
    try {
      this.block(body);
    } finally {
      for (const [fd] of child.files.entries()) child.close(fd);
      this.host = parent;
      this.symbols = savedSymbols;
    }
  }

  private fd(e: Expr): number {
    return Number(BigInt.asIntN(32, this.eval(e)));
  }

  private allocate(decl: BufferDecl): number {
    return this.allocateOn(this.host, decl.size);
  }

  /** Page-aligned, like the probe's mmap'd buffers. */
  private allocateOn(h: Host, size: number): number {
    const a = h.mem.alloc(size + PAGE - 1);
    return Math.ceil(a / PAGE) * PAGE;
  }

  // ------------------------------------------------------------------ values

  eval(e: Expr): bigint {
    switch (e.k) {
      case 'num':
        return e.v;
      case 'null':
        return 0n;
      case 'unmapped':
        return UNMAPPED_ADDR;
      case 'addr':
        return BigInt(this.buffer(e.buf).addr);
      case 'read':
        return this.read(e.path);
      case 'name': {
        const s = this.symbols.get(e.name);
        if (s !== undefined) return s;
        const c = CONSTANTS[e.name];
        if (c !== undefined) return c;
        return this.fail(`unknown name '${e.name}'`);
      }
      case 'unary': {
        const v = this.eval(e.e);
        return BigInt.asUintN(64, e.op === '-' ? -v : ~v);
      }
      case 'binary': {
        const a = this.eval(e.a);
        const b = this.eval(e.b);
        switch (e.op) {
          case '+':
            return BigInt.asUintN(64, a + b);
          case '-':
            return BigInt.asUintN(64, a - b);
          case '*':
            return BigInt.asUintN(64, a * b);
          case '/':
            if (b === 0n) this.fail('division by zero');
            return a / b;
          case '%':
            if (b === 0n) this.fail('division by zero');
            return a % b;
          case '<<':
            if (b > 63n) this.fail('shift by 64 or more');
            return BigInt.asUintN(64, a << b);
          case '>>':
            if (b > 63n) this.fail('shift by 64 or more');
            return a >> b;
          case '&':
            return a & b;
          case '|':
            return a | b;
          case '^':
            return a ^ b;
        }
      }
    }
  }

  private buffer(name: string): Placed {
    const p = this.placed.get(name);
    if (p === undefined) return this.fail(`buffer '${name}' is used before it is declared`);
    return p;
  }

  /** Address and width of a path (bounds-checked). */
  private locate(path: Path): { addr: number; size: 1 | 2 | 4 | 8 | 0; len: number } {
    const p = this.buffer(path.buf);
    const decl = p.decl;
    if (path.field === null) {
      const size = decl.kind.k === 'u32' ? 4 : 8;
      return { addr: p.addr, size, len: size };
    }
    const idx = path.index === null ? 0n : this.eval(path.index);
    const raw = RAW_FIELDS[path.field];
    let off: bigint;
    let size: 1 | 2 | 4 | 8;
    let len: number;
    if (raw !== undefined) {
      size = raw;
      off = idx * BigInt(raw);
      len = size;
      if (off + BigInt(size) > BigInt(decl.size))
        this.fail(`'${path.text}' is beyond the ${decl.size}-byte buffer`);
    } else {
      const fd = STRUCTS[(decl.kind as { type: string }).type]!.fields.find(
        (x) => x.name === path.field,
      )!;
      if (idx >= BigInt(fd.count))
        this.fail(`'${path.text}': index ${idx} is beyond ${fd.count} elements`);
      size = fd.size;
      off = BigInt(fd.offset) + idx * BigInt(fd.size);
      len = fd.size * (fd.count - Number(idx));
    }
    return { addr: p.addr + Number(off), size, len };
  }

  private read(path: Path): bigint {
    const { addr, size } = this.locate(path);
    const m = this.host.mem;
    switch (size) {
      case 1:
        return BigInt(m.getU8(addr));
      case 2:
        return BigInt(m.getU16(addr));
      case 4:
        return BigInt(m.getU32(addr));
      default:
        return m.getU64(addr);
    }
  }

  private write(path: Path, v: bigint): void {
    const { addr, size } = this.locate(path);
    const m = this.host.mem;
    switch (size) {
      case 1:
        m.setU8(addr, Number(v & 0xffn));
        return;
      case 2:
        m.setU16(addr, Number(v & 0xffffn));
        return;
      case 4:
        m.setU32(addr, Number(v & 0xffffffffn));
        return;
      default:
        m.setU64(addr, v);
        return;
    }
  }

  private writeString(path: Path, text: string): void {
    const { addr, size, len } = this.locate(path);
    if (size !== 1) this.fail(`setstr needs a byte array, '${path.text}' is ${size}-byte`);
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7e || c < 0x20) this.fail('setstr takes printable ASCII');
      bytes.push(c);
    }
    bytes.push(0);
    if (bytes.length > len) this.fail(`'${text}' does not fit in '${path.text}' (${len} bytes)`);
    this.host.mem.write(addr, Uint8Array.from(bytes));
  }

  private show(it: ShowItem): string {
    if (it.k === 'expr') return `${it.label}=${hex(this.eval(it.e))}`;
    const p = this.buffer(it.buf);
    const decl = p.decl;
    const m = this.host.mem;
    switch (decl.kind.k) {
      case 'u32':
        return `${it.label}=${hex(BigInt(m.getU32(p.addr)))}`;
      case 'u64':
        return `${it.label}=${hex(m.getU64(p.addr))}`;
      case 'raw': {
        let s = '';
        for (const b of m.read(p.addr, decl.size)) s += b.toString(16).padStart(2, '0');
        return `${it.label}=${s}`;
      }
      case 'struct': {
        const parts: string[] = [];
        for (const fd of STRUCTS[decl.kind.type]!.fields) {
          if (fd.name === 'pad' || (fd.size === 1 && fd.count > 1)) continue;
          for (let i = 0; i < fd.count; i++) {
            const label = fd.count > 1 ? `${it.label}.${fd.name}[${i}]` : `${it.label}.${fd.name}`;
            const a = p.addr + fd.offset + i * fd.size;
            const v =
              fd.size === 8
                ? m.getU64(a)
                : BigInt(fd.size === 4 ? m.getU32(a) : fd.size === 2 ? m.getU16(a) : m.getU8(a));
            parts.push(`${label}=${hex(v)}`);
          }
        }
        return parts.join(' ');
      }
    }
  }
}
