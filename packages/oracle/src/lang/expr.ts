/**
 * Expressions of the scenario language: one whitespace-free token (`0x100+i*4`,
 * `(1<<32)|KVM_VGIC_V3_ADDR_TYPE_DIST`, `&val`, `cd.fd`, `cap.args[1]`), C operators and
 * precedence, 64-bit unsigned arithmetic.
 * @packageDocumentation
 */
import type { BinaryOp, BufferDecl, Expr, Path } from './ast.js';
import { STRUCTS } from '../vocab/structs.js';

/** Raw access widths usable on any buffer (`raw.u32[3]`). */
export const RAW_FIELDS: Readonly<Record<string, 1 | 2 | 4 | 8>> = {
  u8: 1,
  u16: 2,
  u32: 4,
  u64: 8,
};

const PREC: Readonly<Record<BinaryOp, number>> = {
  '*': 10,
  '/': 10,
  '%': 10,
  '+': 9,
  '-': 9,
  '<<': 8,
  '>>': 8,
  '&': 7,
  '^': 6,
  '|': 5,
};

/** Parses one expression token; `buffers` are the declared buffers (static). Throws an Error with a message. */
export function parseExpr(text: string, buffers: ReadonlyMap<string, BufferDecl>): Expr {
  const p = new ExprParser(text, buffers);
  const e = p.expr(0);
  if (p.pos !== text.length)
    throw new Error(`unexpected '${text.slice(p.pos)}' in expression '${text}'`);
  return e;
}

/** Parses a path token (`val`, `a.attr`, `cap.args[1]`, `raw.u32[i]`) for `set` and `show`. */
export function parsePath(text: string, buffers: ReadonlyMap<string, BufferDecl>): Path {
  const p = new ExprParser(text, buffers);
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text);
  if (!m) throw new Error(`not a buffer path: '${text}'`);
  p.pos = m[0].length;
  const path = p.path(m[0], 0);
  if (p.pos !== text.length) throw new Error(`unexpected '${text.slice(p.pos)}' in path '${text}'`);
  return path;
}

class ExprParser {
  pos = 0;
  constructor(
    private readonly s: string,
    private readonly buffers: ReadonlyMap<string, BufferDecl>,
  ) {}

  expr(minPrec: number): Expr {
    let a = this.unary();
    for (;;) {
      const op = this.peekOp();
      if (op === null || PREC[op] < minPrec) return a;
      this.pos += op.length;
      const b = this.expr(PREC[op] + 1);
      a = { k: 'binary', op, a, b };
    }
  }

  private peekOp(): BinaryOp | null {
    const two = this.s.slice(this.pos, this.pos + 2);
    if (two === '<<' || two === '>>') return two;
    const c = this.s[this.pos];
    if (
      c === '*' ||
      c === '/' ||
      c === '%' ||
      c === '+' ||
      c === '-' ||
      c === '&' ||
      c === '^' ||
      c === '|'
    )
      return c;
    return null;
  }

  private unary(): Expr {
    const c = this.s[this.pos];
    if (c === '-' || c === '~') {
      this.pos++;
      return { k: 'unary', op: c, e: this.unary() };
    }
    if (c === '&') {
      this.pos++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.pos));
      if (!m || !this.buffers.has(m[0])) throw new Error(`'&' needs a buffer name in '${this.s}'`);
      this.pos += m[0].length;
      return { k: 'addr', buf: m[0] };
    }
    return this.atom();
  }

  private atom(): Expr {
    const rest = this.s.slice(this.pos);
    if (rest.startsWith('(')) {
      this.pos++;
      const e = this.expr(0);
      if (this.s[this.pos] !== ')') throw new Error(`missing ')' in '${this.s}'`);
      this.pos++;
      return e;
    }
    const num = /^(0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_]*)/.exec(rest);
    if (num) {
      this.pos += num[0].length;
      return { k: 'num', v: BigInt.asUintN(64, BigInt(num[0].replace(/_/g, ''))) };
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (!id) throw new Error(`expected a value at '${rest}' in '${this.s}'`);
    const name = id[0];
    this.pos += name.length;
    if (this.buffers.has(name)) {
      if (this.s[this.pos] === '.')
        return { k: 'read', path: this.path(name, this.pos - name.length) };
      return { k: 'addr', buf: name };
    }
    if (this.s[this.pos] === '.' || this.s[this.pos] === '[')
      throw new Error(`'${name}' is not a buffer in '${this.s}'`);
    if (name === 'NULL') return { k: 'null' };
    if (name === 'UNMAPPED') return { k: 'unmapped' };
    return { k: 'name', name };
  }

  /** After a buffer name: `.field(.sub)*` then an optional `[index]`. */
  path(buf: string, start: number): Path {
    const decl = this.buffers.get(buf);
    if (decl === undefined) throw new Error(`'${buf}' is not a declared buffer`);
    let field: string | null = null;
    let index: Expr | null = null;
    if (this.s[this.pos] === '.') {
      const m = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*/.exec(this.s.slice(this.pos + 1));
      if (!m) throw new Error(`expected a field name after '${buf}.'`);
      field = m[0];
      this.pos += 1 + m[0].length;
    }
    if (this.s[this.pos] === '[') {
      this.pos++;
      index = this.expr(0);
      if (this.s[this.pos] !== ']') throw new Error(`missing ']' in '${this.s}'`);
      this.pos++;
    }
    const text = this.s.slice(start, this.pos);
    checkPath(decl, field, index, text);
    return { buf, field, index, text };
  }
}

function checkPath(decl: BufferDecl, field: string | null, index: Expr | null, text: string): void {
  if (field === null) {
    if (index !== null) throw new Error(`'${text}': index a field ('${decl.name}.u32[i]')`);
    if (decl.kind.k !== 'u32' && decl.kind.k !== 'u64')
      throw new Error(`'${text}': a whole-buffer value needs a u32 or u64 buffer`);
    return;
  }
  if (RAW_FIELDS[field] !== undefined) {
    if (index === null)
      throw new Error(`'${text}': raw access needs an index ('${decl.name}.${field}[0]')`);
    return;
  }
  if (decl.kind.k !== 'struct') throw new Error(`'${text}': '${decl.name}' is not a struct`);
  const layout = STRUCTS[decl.kind.type]!;
  const fd = layout.fields.find((x) => x.name === field);
  if (fd === undefined) throw new Error(`'${text}': ${decl.kind.type} has no field '${field}'`);
  if (fd.count > 1 && index === null)
    throw new Error(`'${text}': '${field}' is an array; index it`);
  if (fd.count === 1 && index !== null) throw new Error(`'${text}': '${field}' is not an array`);
}
