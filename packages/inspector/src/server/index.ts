/**
 * `@kvmdev/inspector/server`: the small static server `kvmdev inspect --web` starts over the
 * built page. It listens on the loopback interface only, serves the page's files and the files
 * given on the command line (under `/files/`), answers GET and HEAD, and nothing else: no
 * directory listings, no path outside its roots, no network beyond localhost.
 * @packageDocumentation
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Content types of the files the page consists of. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The folder of the built page (`dist/web` of this package), or null when the page has not
 * been built (`pnpm --filter @kvmdev/inspector build`).
 */
export function webRoot(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')])
    if (existsSync(join(c, 'index.html'))) return c;
  return null;
}

/** Options of {@link serveInspector}. */
export interface ServeOptions {
  /** The built page's folder (default: {@link webRoot}). */
  readonly root?: string;
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Files to serve under `/files/<name>` (a snapshot, a VM file): name -> path on disk. */
  readonly files?: Readonly<Record<string, string>>;
}

/** A running server. */
export interface InspectorServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** The TCP port it listens on. */
  readonly port: number;
  /** The page's address with the files opened: `?snapshot=files/a.json` or `?vm=files/x.yaml`. */
  pageUrl(params?: Readonly<Record<string, string | readonly string[]>>): string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** The name a file is served under (`/files/<name>`): its base name, unique among `paths`. */
export function servedNames(paths: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of paths) {
    let n = basename(p);
    for (let i = 2; n in out; i++) n = `${i}-${basename(p)}`;
    out[n] = resolve(p);
  }
  return out;
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type = 'text/plain; charset=utf-8',
  head = false,
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(head ? undefined : body);
}

/** Resolves a URL path inside `root`, or null when it leaves it (`..`, an encoded `/..`, a NUL). */
export function inside(root: string, urlPath: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (p.includes('\0')) return null;
  const full = normalize(join(root, p));
  return full === root || full.startsWith(root.endsWith(sep) ? root : root + sep) ? full : null;
}

/** Starts the server on 127.0.0.1. */
export function serveInspector(options: ServeOptions = {}): Promise<InspectorServer> {
  const root = options.root ?? webRoot();
  if (!root)
    return Promise.reject(
      new Error(
        'the inspector page is not built: run `pnpm --filter @kvmdev/inspector build` (or `pnpm build`)',
      ),
    );
  const base = resolve(root);
  const files = options.files ?? {};
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    let file: string | null;
    if (path.startsWith('/files/')) {
      let name: string;
      try {
        name = decodeURIComponent(path.slice('/files/'.length));
      } catch {
        name = '';
      }
      file = Object.hasOwn(files, name) ? files[name]! : null;
    } else file = inside(base, path === '/' ? '/index.html' : path);
    if (!file || !existsSync(file) || !statSync(file).isFile())
      return send(res, 404, 'not found\n', undefined, head);
    send(
      res,
      200,
      readFileSync(file),
      TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      head,
    );
  };
  const server: Server = createServer(handle);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}/`;
      ok({
        url,
        port,
        pageUrl(params = {}) {
          const q = new URLSearchParams();
          for (const [k, v] of Object.entries(params))
            for (const x of typeof v === 'string' ? [v] : v) q.append(k, x);
          const s = q.toString();
          return s ? `${url}?${s}` : url;
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
