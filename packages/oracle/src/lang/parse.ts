/**
 * The scenario parser: line-based, whitespace-separated tokens, `#` comments, blocks closed by
 * `end`. No Node built-ins (it runs in a browser too).
 * @packageDocumentation
 */
import type { BufferDecl, BufferKind, Expr, Path, Scenario, ShowItem, Stmt } from './ast.js';
import { ScenarioSyntaxError } from './ast.js';
import { parseExpr, parsePath } from './expr.js';
import { CONSTANTS } from '../vocab/constants.js';
import { REQUESTS } from '../vocab/requests.js';
import { STRUCTS } from '../vocab/structs.js';

/** The largest buffer `show` prints whole (the probe's line buffer holds it with room to spare). */
export const MAX_SHOW_BYTES = 512;

const SYMBOL = /^[a-z_][A-Za-z0-9_]*$/;
const LET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set([
  'open',
  'ioctl',
  'close',
  'dup',
  'show',
  'let',
  'struct',
  'buf',
  'u32',
  'u64',
  'set',
  'setstr',
  'for',
  'fork',
  'end',
  'rlimit',
  'target',
  'ro',
]);

interface Line {
  readonly no: number;
  readonly toks: readonly string[];
}

/** Parses a scenario. Throws {@link ScenarioSyntaxError} with the line of the first problem. */
export function parseScenario(source: string, name = 'scenario.kvms'): Scenario {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const text = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (text !== '') lines.push({ no: i + 1, toks: text.split(/\s+/) });
  });
  const buffers = new Map<string, BufferDecl>();
  /** Names used as symbols (bound, let, loop variables): a buffer may not take one later. */
  const symbols = new Set<string>();
  const targets: string[] = [];
  let pos = 0;

  const fail = (line: number, msg: string): never => {
    throw new ScenarioSyntaxError(name, line, msg);
  };
  const expr = (line: number, tok: string | undefined, what: string): Expr => {
    if (tok === undefined) return fail(line, `missing ${what}`);
    try {
      return parseExpr(tok, buffers);
    } catch (e) {
      return fail(line, (e as Error).message);
    }
  };
  const path = (line: number, tok: string | undefined): Path => {
    if (tok === undefined) return fail(line, 'missing buffer path');
    try {
      return parsePath(tok, buffers);
    } catch (e) {
      return fail(line, (e as Error).message);
    }
  };
  const writable = (line: number, p: Path): Path => {
    if (buffers.get(p.buf)!.ro)
      fail(line, `'${p.buf}' is read-only: give its values where it is declared`);
    return p;
  };
  const constNumber = (line: number, tok: string | undefined, what: string): number => {
    const e = expr(line, tok, what);
    if (e.k !== 'num' || e.v > 0x4000000n) return fail(line, `${what} must be a number up to 64 MiB`);
    return Number(e.v);
  };

  const block = (depth: number, opener: number): Stmt[] => {
    const out: Stmt[] = [];
    while (pos < lines.length) {
      const { no, toks } = lines[pos]!;
      pos++;
      let bind: string | null = null;
      let t = toks;
      if (t.length >= 3 && t[1] === '=') {
        bind = t[0]!;
        if (!SYMBOL.test(bind) || KEYWORDS.has(bind))
          fail(no, `'${bind}' cannot be a symbol (lowercase first letter, not a keyword)`);
        if (buffers.has(bind)) fail(no, `'${bind}' is a buffer`);
        symbols.add(bind);
        t = t.slice(2);
        if (!['open', 'ioctl', 'close', 'dup'].includes(t[0]!))
          fail(no, `only open, ioctl, close and dup return a value to bind`);
      }
      const kw = t[0]!;
      const arity = (min: number, max: number): void => {
        if (t.length - 1 < min || t.length - 1 > max)
          fail(no, `${kw} takes ${min === max ? min : `${min} to ${max}`} operand(s)`);
      };
      switch (kw) {
        case 'end':
          if (depth === 0) fail(no, "'end' without 'for' or 'fork'");
          return out;
        case 'target':
          if (depth > 0 || out.length > 0 || targets.length > 0)
            fail(no, "'target' must be the first statement");
          if (t.length < 2) fail(no, 'target names at least one target');
          targets.push(...t.slice(1));
          break;
        case 'open':
          arity(1, 1);
          out.push({ s: 'open', line: no, bind, path: t[1]! });
          break;
        case 'ioctl': {
          arity(2, 3);
          const r = t[2]!;
          const request: string | Expr = REQUESTS[r] !== undefined ? r : expr(no, r, 'request');
          out.push({
            s: 'ioctl',
            line: no,
            bind,
            fd: expr(no, t[1], 'fd'),
            request,
            arg: t[3] === undefined ? { k: 'num', v: 0n } : expr(no, t[3], 'argument'),
          });
          break;
        }
        case 'close':
        case 'dup':
          arity(1, 1);
          out.push({ s: kw, line: no, bind, fd: expr(no, t[1], 'fd') });
          break;
        case 'show': {
          if (t.length < 2) fail(no, 'show needs at least one value');
          const items: ShowItem[] = t
            .slice(1)
            .map((tok) =>
              buffers.has(tok)
                ? { k: 'buffer', buf: tok, label: tok }
                : { k: 'expr', e: expr(no, tok, 'value'), label: tok },
            );
          out.push({ s: 'show', line: no, items });
          break;
        }
        case 'let': {
          arity(2, 2);
          const n = t[1]!;
          if (!LET_NAME.test(n) || KEYWORDS.has(n) || n === 'NULL' || n === 'UNMAPPED')
            fail(no, `'${n}' cannot be a name`);
          if (CONSTANTS[n] !== undefined || REQUESTS[n] !== undefined)
            fail(no, `'${n}' is a uapi name; pick another`);
          if (buffers.has(n)) fail(no, `'${n}' is a buffer`);
          symbols.add(n);
          out.push({ s: 'let', line: no, name: n, value: expr(no, t[2], 'value') });
          break;
        }
        case 'struct':
        case 'buf':
        case 'u32':
        case 'u64': {
          if (depth > 0) fail(no, 'buffers are declared at the top level (not inside for or fork)');
          const bname = t[1];
          if (bname === undefined || !SYMBOL.test(bname) || KEYWORDS.has(bname))
            fail(no, `bad buffer name '${bname ?? ''}'`);
          if (buffers.has(bname!)) fail(no, `buffer '${bname}' is declared twice`);
          if (symbols.has(bname!)) fail(no, `'${bname}' is already a symbol`);
          let rest = t.slice(2);
          const ro = rest[rest.length - 1] === 'ro';
          if (ro) rest = rest.slice(0, -1);
          let kind: BufferKind;
          let size: number;
          const initToks: string[] = [];
          if (kw === 'struct') {
            const type = rest[0];
            if (type === undefined || STRUCTS[type] === undefined)
              fail(no, `unknown struct '${type ?? ''}'`);
            kind = { k: 'struct', type: type! };
            size = STRUCTS[type!]!.size;
            initToks.push(...rest.slice(1));
          } else if (kw === 'buf') {
            if (rest.length !== 1) fail(no, 'buf NAME SIZE [ro]');
            kind = { k: 'raw' };
            size = constNumber(no, rest[0], 'buffer size');
            if (size < 1) fail(no, 'buffer size must be at least 1');
          } else {
            if (rest.length > 1) fail(no, `${kw} NAME [VALUE] [ro]`);
            kind = { k: kw };
            size = kw === 'u32' ? 4 : 8;
          }
          const decl: BufferDecl = { name: bname!, kind, size, ro };
          buffers.set(bname!, decl);
          const inits: { path: Path; value: Expr }[] = [];
          if (kw === 'u32' || kw === 'u64') {
            if (rest[0] !== undefined)
              inits.push({
                path: { buf: bname!, field: null, index: null, text: bname! },
                value: expr(no, rest[0], 'value'),
              });
          }
          for (const it of initToks) {
            const eq = it.indexOf('=');
            if (eq <= 0) fail(no, `field values are written name=value, got '${it}'`);
            inits.push({
              path: path(no, `${bname}.${it.slice(0, eq)}`),
              value: expr(no, it.slice(eq + 1), 'field value'),
            });
          }
          out.push({ s: 'buffer', line: no, decl, inits });
          break;
        }
        case 'set':
          arity(2, 2);
          out.push({
            s: 'set',
            line: no,
            path: writable(no, path(no, t[1])),
            value: expr(no, t[2], 'value'),
          });
          break;
        case 'setstr': {
          arity(2, 2);
          const p = writable(no, path(no, t[1]!.includes('[') ? t[1] : `${t[1]}[0]`));
          out.push({ s: 'setstr', line: no, path: p, text: t[2]! });
          break;
        }
        case 'for': {
          arity(3, 4);
          const v = t[1]!;
          if (!SYMBOL.test(v) || KEYWORDS.has(v) || buffers.has(v))
            fail(no, `bad loop variable '${v}'`);
          symbols.add(v);
          const from = expr(no, t[2], 'start');
          const to = expr(no, t[3], 'end');
          const step: Expr = t[4] === undefined ? { k: 'num', v: 1n } : expr(no, t[4], 'step');
          if (step.k === 'num' && step.v === 0n) fail(no, 'step 0');
          out.push({ s: 'for', line: no, name: v, from, to, step, body: block(depth + 1, no) });
          break;
        }
        case 'fork':
          arity(0, 0);
          if (depth > 0) fail(no, 'fork blocks are top level');
          out.push({ s: 'fork', line: no, body: block(depth + 1, no) });
          break;
        case 'rlimit':
          arity(2, 2);
          if (t[1] !== 'nofile') fail(no, "only 'rlimit nofile N'");
          out.push({ s: 'rlimit', line: no, value: expr(no, t[2], 'limit') });
          break;
        default:
          fail(no, `unknown statement '${kw}'`);
      }
    }
    if (depth > 0) fail(opener, "block is not closed with 'end'");
    return out;
  };

  const body = block(0, 0);
  return { name, targets, buffers, body, source };
}
