/**
 * Result lines: what each step answered, in the form both interpreters print. A call answers
 * `=<return value>` or `!<errno name>`; a `show` answers `label=0x<hex> ...`. Steps are keyed by
 * their source line and the values of the loops around them (`L12`, `L30.256.3`), so the two
 * sides cannot number them differently.
 * @packageDocumentation
 */

/** One executed step. */
export interface StepResult {
  /** `L<line>` then `.<loop value>` for each enclosing loop, outermost first. */
  readonly key: string;
  /** What the step answered (`=3`, `!EINVAL`, `val=0x1234`). */
  readonly text: string;
}

/** A run of one scenario on one side (model or kernel). */
export interface RunResult {
  /** The step results, in execution order. */
  readonly steps: readonly StepResult[];
  /** Set when the run stopped early (a scenario error): the step key and the message. */
  readonly error: { readonly key: string; readonly message: string } | null;
}

/** True for a call's answer (`=N` or `!ERRNO`), false for a `show`. */
export function isCall(text: string): boolean {
  return text.startsWith('=') || text.startsWith('!');
}

/** `0x` lowercase hex of an unsigned value. */
export function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** The key of a step at `line` inside loops with the given current values. */
export function stepKey(line: number, loops: readonly bigint[]): string {
  let k = `L${line}`;
  for (const v of loops) k += `.${v.toString()}`;
  return k;
}

/** The source line of a step key. */
export function keyLine(key: string): number {
  return Number(/^L(\d+)/.exec(key)?.[1] ?? Number.NaN);
}
