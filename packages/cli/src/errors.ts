/**
 * Exit codes and the error type the CLI turns into a message and an exit code.
 * @packageDocumentation
 */

/** Exit codes scripts can rely on. */
export const EXIT = {
  /** Everything ran; every expectation held. */
  OK: 0,
  /** A scenario expectation failed. */
  EXPECT: 1,
  /** Bad input: usage, a file that cannot be read or parsed, an invalid VM config or scenario, an unknown plugin. */
  INPUT: 2,
  /** A snapshot does not match the VM (or is malformed): the restore was refused. */
  SNAPSHOT: 3,
  /** A kernel call failed unexpectedly (the errno name is in the message). */
  KERNEL: 4,
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

/** A SnapshotError's message without the errno prefix: `$.vm.vcpus: the snapshot has 2 vCPUs, this VM has 1`. */
export function snapshotMessage(e: Error): string {
  return e.message.replace(/^E[A-Z0-9]+: /, '');
}
