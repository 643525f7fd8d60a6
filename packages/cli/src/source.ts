/**
 * Reading YAML and JSON input files with positions: parse errors say `file:line:col`, and a
 * field path (`vm.devices[0].settings.dist`) can be turned back into the place it came from.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { type Document, LineCounter, isNode, parseDocument } from 'yaml';
import { inputError } from './errors.js';

/** A path into a parsed file: keys and list indexes. */
export type FieldPath = readonly (string | number)[];

/** Formats a path the way messages show it: `vm.devices[0].settings.dist`. */
export function formatPath(path: FieldPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '$';
}

/** Parses `devices[0].settings.dist` back into a path. */
export function parsePath(s: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of s.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** Converts parsed bigints that fit a double back to numbers (64-bit values stay bigints). */
function normalise(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalise(x);
    return o;
  }
  return v;
}

/** A parsed input file. */
export class SourceFile {
  /** The path as given (for messages). */
  readonly path: string;
  /** The parsed document (YAML or JSON) as plain values. */
  readonly data: unknown;
  private readonly doc: Document;
  private readonly lines: LineCounter;

  private constructor(path: string, doc: Document, lines: LineCounter, data: unknown) {
    this.path = path;
    this.doc = doc;
    this.lines = lines;
    this.data = data;
  }

  /** Reads and parses a YAML or JSON file; throws a CliError (exit 2) naming `file:line:col`. */
  static load(path: string): SourceFile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw inputError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return SourceFile.parse(path, text);
  }

  /** Parses text as YAML (JSON is a subset). */
  static parse(path: string, text: string): SourceFile {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
      const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw inputError(`${path}:${pos.line}:${pos.col}: syntax error: ${msg}`);
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      // an alias with no anchor, or too many aliases: not a document the CLI can use
      throw inputError(`${path}: syntax error: ${(e as Error).message.split('\n')[0]}`);
    }
    return new SourceFile(path, doc, lines, normalise(data));
  }

  /** `file:line:col` of the deepest existing node on the path (the file alone when unknown). */
  where(path: FieldPath): string {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const p = this.lines.linePos(node.range[0]);
        return `${this.path}:${p.line}:${p.col}`;
      }
    }
    return this.path;
  }

  /** A CliError (exit 2): `file:line:col: path: message`. */
  error(path: FieldPath, message: string): Error {
    return inputError(`${this.where(path)}: ${formatPath(path)}: ${message}`);
  }
}

/** A path relative to the working directory when that is shorter (for messages). */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && r.length < p.length ? r : p;
}
