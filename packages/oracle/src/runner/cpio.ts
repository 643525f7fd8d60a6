/**
 * A minimal writer for the "newc" cpio format the kernel unpacks as an initramfs: directories,
 * regular files and device nodes, in order, deterministic (mtime 0, fixed inode numbers).
 * @packageDocumentation
 */

/** One initramfs entry. */
export type CpioEntry =
  | { readonly kind: 'dir'; readonly path: string }
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly data: Uint8Array;
      readonly mode?: number;
    }
  | {
      readonly kind: 'char';
      readonly path: string;
      readonly major: number;
      readonly minor: number;
    };

const enc = new TextEncoder();

function header(
  ino: number,
  mode: number,
  size: number,
  nameLen: number,
  rmaj: number,
  rmin: number,
): string {
  const f = (n: number) => n.toString(16).padStart(8, '0');
  return `070701${f(ino)}${f(mode)}${f(0)}${f(0)}${f(1)}${f(0)}${f(size)}${f(0)}${f(0)}${f(rmaj)}${f(rmin)}${f(nameLen)}${f(0)}`;
}

/** The archive bytes. */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let len = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    len += b.length;
  };
  const pad = (): void => {
    const n = (4 - (len % 4)) % 4;
    if (n) push(new Uint8Array(n));
  };
  let ino = 1;
  const add = (path: string, mode: number, data: Uint8Array, rmaj = 0, rmin = 0): void => {
    const name = enc.encode(`${path}\0`);
    push(enc.encode(header(ino++, mode, data.length, name.length, rmaj, rmin)));
    push(name);
    pad();
    push(data);
    pad();
  };
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    if (e.kind === 'dir') add(path, 0o040755, new Uint8Array(0));
    else if (e.kind === 'file') add(path, 0o100000 | (e.mode ?? 0o644), e.data);
    else add(path, 0o020600, new Uint8Array(0), e.major, e.minor);
  }
  add('TRAILER!!!', 0, new Uint8Array(0));
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
