/**
 * Running the tools the oracle needs (apt-get, dpkg-deb, compilers, QEMU).
 * @packageDocumentation
 */
import { spawn, spawnSync } from 'node:child_process';

/** The result of a finished command. */
export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (synchronously); never throws for a failing command. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; input?: string; timeoutMs?: number } = {},
): Ran {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 256 << 20,
  });
  return {
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error ? String(r.error) : ''),
  };
}

/** Runs a command, throwing an Error with its output when it fails. */
export function runOk(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; input?: string; timeoutMs?: number } = {},
): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-4000)}${r.stdout.slice(-2000)}`,
    );
  return r.stdout;
}

/** True when `cmd` is on PATH. */
export function have(cmd: string): boolean {
  return run('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Runs a command asynchronously with a timeout; resolves with its status (null when killed). */
export function runAsync(
  cmd: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ status: number | null; timedOut: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, timedOut, stderr });
    });
  });
}
