/**
 * `kvmdev inspect --web`: serves the web inspector (`@kvmdev/inspector`) on 127.0.0.1 with the
 * files named on the command line, prints the page's address, and serves until the process is
 * interrupted. The page itself composes the VM, restores the snapshot and runs the scenario, with
 * the same plugins; nothing here reads the files beyond checking that they exist.
 * @packageDocumentation
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { inputError } from './errors.js';

/** Options of {@link inspectWeb}. */
export interface WebOptions {
  /** TCP port (default: any free one). */
  readonly port?: number;
  /** Where the address goes. */
  readonly out: { write(s: string): unknown };
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  readonly until?: Promise<unknown>;
  /** Another build of the page (default: the inspector package's own `dist/web`). */
  readonly root?: string;
}

/** Whether a file is a kvmdev snapshot (JSON with `"format": "kvmdev-snapshot"`), read cheaply. */
function isSnapshotFile(path: string): boolean {
  if (!/\.json$/i.test(path)) return false;
  const head = readFileSync(path, 'utf8').slice(0, 4096);
  return /"format"\s*:\s*"kvmdev-snapshot"/.test(head);
}

/** The port option as a number (`--port 8080`), or a usage error. */
export function parsePort(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n > 65535) throw inputError(`--port: expected a TCP port (0 to 65535), got ${JSON.stringify(v)}`);
  return n;
}

function signal(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Serves the inspector with `files` opened; returns the exit code when it stops. */
export async function inspectWeb(files: readonly string[], options: WebOptions): Promise<number> {
  if (!files.length) throw inputError("--web: name a snapshot or a VM file (or two snapshots to diff)\nRun 'kvmdev inspect --help'.");
  for (const f of files) if (!existsSync(f) || !statSync(f).isFile()) throw inputError(`${f}: cannot read: ENOENT`);
  let web: typeof import('@kvmdev/inspector/server');
  try {
    web = await import('@kvmdev/inspector/server');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
    throw inputError('--web needs the web inspector next to the CLI: npm install @kvmdev/inspector (an optional peer of @kvmdev/cli)');
  }
  const { serveInspector, servedNames, webRoot } = web;
  const root = options.root ?? webRoot();
  if (!root) throw inputError('--web: the inspector page is not built: run `pnpm --filter @kvmdev/inspector build` (or `pnpm build`)');
  const names = servedNames(files);
  const params: Record<string, string[]> = {};
  for (const [name, path] of Object.entries(names)) (params[isSnapshotFile(path) ? 'snapshot' : 'vm'] ??= []).push(`files/${name}`);
  const server = await serveInspector({ root, files: names, ...(options.port !== undefined ? { port: options.port } : {}) });
  options.out.write(`kvmdev inspector: ${server.pageUrl(params)}\n(serving ${Object.keys(names).join(', ')} on 127.0.0.1 only; Ctrl-C stops)\n`);
  try {
    await (options.until ?? signal());
  } finally {
    await server.close();
  }
  return 0;
}
