/**
 * The syntax tree of a scenario (`.kvms` file). The language is described in
 * docs/kernel-oracle.md; the C interpreter in probe/kvms.c reads the same text.
 * @packageDocumentation
 */

/** Binary operators, C precedence. */
export type BinaryOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '&' | '^' | '|';

/** A place in a buffer: the whole buffer (`val`), a struct field (`a.attr`, `cap.args[1]`) or a word (`raw.u32[3]`). */
export interface Path {
  /** The name of the buffer the path reads or writes. */
  readonly buf: string;
  /** Struct field name, or `u8`/`u16`/`u32`/`u64` for a raw access; null for the whole buffer. */
  readonly field: string | null;
  /** The array index (`args[1]`, `u32[3]`), null when the path has none. */
  readonly index: Expr | null;
  /** The path as written (labels in `show`). */
  readonly text: string;
}

/** An expression: 64-bit unsigned arithmetic. */
export type Expr =
  | { readonly k: 'num'; readonly v: bigint }
  /** A bound symbol or loop variable (dynamic), or a uapi constant. */
  | { readonly k: 'name'; readonly name: string }
  /** A buffer's user address (`&buf`, or a bare buffer name). */
  | { readonly k: 'addr'; readonly buf: string }
  /** A value read from a buffer. */
  | { readonly k: 'read'; readonly path: Path }
  | { readonly k: 'unary'; readonly op: '-' | '~'; readonly e: Expr }
  | { readonly k: 'binary'; readonly op: BinaryOp; readonly a: Expr; readonly b: Expr }
  /** Address 0. */
  | { readonly k: 'null' }
  /** An address with nothing mapped behind it. */
  | { readonly k: 'unmapped' };

/** What kind of bytes a buffer holds. */
export type BufferKind =
  | { readonly k: 'struct'; readonly type: string }
  | { readonly k: 'raw' }
  | { readonly k: 'u32' }
  | { readonly k: 'u64' };

/** A buffer declaration (top level only; names are unique). */
export interface BufferDecl {
  /** The buffer's name (unique in the scenario). */
  readonly name: string;
  /** What the buffer holds (a known struct, or raw bytes). */
  readonly kind: BufferKind;
  /** Size in bytes. */
  readonly size: number;
  /** Mapped read-only after its initial values are written (mprotect PROT_READ on the kernel side). */
  readonly ro: boolean;
}

/** The kinds of statement. `line` is the 1-based source line; steps are keyed by it. */
export type Stmt =
  | {
      readonly s: 'open';
      readonly line: number;
      readonly bind: string | null;
      readonly path: string;
    }
  | {
      readonly s: 'ioctl';
      readonly line: number;
      readonly bind: string | null;
      readonly fd: Expr;
      readonly request: string | Expr;
      readonly arg: Expr;
    }
  | { readonly s: 'close'; readonly line: number; readonly bind: string | null; readonly fd: Expr }
  | { readonly s: 'dup'; readonly line: number; readonly bind: string | null; readonly fd: Expr }
  | { readonly s: 'show'; readonly line: number; readonly items: readonly ShowItem[] }
  | { readonly s: 'let'; readonly line: number; readonly name: string; readonly value: Expr }
  | {
      readonly s: 'buffer';
      readonly line: number;
      readonly decl: BufferDecl;
      readonly inits: readonly { readonly path: Path; readonly value: Expr }[];
    }
  | { readonly s: 'set'; readonly line: number; readonly path: Path; readonly value: Expr }
  | { readonly s: 'setstr'; readonly line: number; readonly path: Path; readonly text: string }
  | {
      readonly s: 'for';
      readonly line: number;
      readonly name: string;
      readonly from: Expr;
      readonly to: Expr;
      readonly step: Expr;
      readonly body: readonly Stmt[];
    }
  | { readonly s: 'fork'; readonly line: number; readonly body: readonly Stmt[] }
  | { readonly s: 'rlimit'; readonly line: number; readonly value: Expr };

/** One item of `show`: a whole buffer, or an expression. `label` is the token as written. */
export type ShowItem =
  | { readonly k: 'buffer'; readonly buf: string; readonly label: string }
  | { readonly k: 'expr'; readonly e: Expr; readonly label: string };

/** A parsed scenario. */
export interface Scenario {
  /** File name (or any label) used in reports. */
  readonly name: string;
  /** Targets named by the `target` line (empty: any). */
  readonly targets: readonly string[];
  /** Buffers by name, in declaration order. */
  readonly buffers: ReadonlyMap<string, BufferDecl>;
  /** The scenario's statements, in order. */
  readonly body: readonly Stmt[];
  /** The source text, exactly as parsed (its hash ties a recording to it). */
  readonly source: string;
}

/** A scenario that does not parse; `line` is 1-based. */
export class ScenarioSyntaxError extends Error {
  /** 1-based line of the scenario text where parsing failed. */
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ScenarioSyntaxError';
    this.line = line;
  }
}
