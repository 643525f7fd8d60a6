/**
 * Exit codes and the error type the CLI turns into a message and an exit code.
 * @packageDocumentation
 */

/** Exit codes scripts can rely on. */
export const EXIT = {
  /** Everything ran; every expectation held. */
  OK: 0,
  /** A scenario expectation failed; for `kvmdev diff`: the snapshots differ. */
  EXPECT: 1,
  /** Bad input: usage, a file that cannot be read or parsed, an invalid VM config or scenario, an unknown plugin; for `kvmdev diff`: any trouble. */
  INPUT: 2,
  /**
   * A snapshot was refused: malformed (not JSON, a missing or wrong field), not matching the VM,
   * without the VM config it is needed for, or a VM with a device that has no snapshot support.
   */
  SNAPSHOT: 3,
  /** A kernel call failed unexpectedly, in any step (the errno name is in the message). */
  KERNEL: 4,
  /** An internal error: a bug in kvmdev or a plugin (the message says what; please report it). */
  INTERNAL: 70,
} as const;

/** An error with the exit code the CLI should end with. */
export class CliError extends Error {
  /** The process exit code (one of {@link EXIT}). */
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad input (exit code 2). */
export function inputError(message: string): CliError {
  return new CliError(EXIT.INPUT, message);
}

/** A refused snapshot (exit code 3). */
export function snapshotError(message: string): CliError {
  return new CliError(EXIT.SNAPSHOT, message);
}

/** A SnapshotError's message without the errno prefix: `$.vm.vcpus: the snapshot has 2 vCPUs, this VM has 1`. */
export function snapshotMessage(e: Error): string {
  return e.message.replace(/^E[A-Z0-9]+: /, '');
}

/** A value for a message, as JSON (bigints as decimal, so any parsed value prints). */
export function show(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
}
