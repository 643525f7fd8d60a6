/**
 * Number parsing and printing as VM files and traces use them: decimal, `0x` hex and `0b`
 * binary (with `_`), 64-bit values as strings or bigints.
 * @packageDocumentation
 */

/** Parses an integer: a number, a bigint, or a decimal / `0x` hex / `0b` binary string. */
export function parseInteger(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : null;
  if (typeof v === 'string' && /^-?(0x[0-9a-f_]+|0b[01_]+|\d[\d_]*)$/i.test(v.trim())) {
    const t = v.trim().replace(/_/g, '');
    return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  }
  return null;
}

/** `0x1f`, zero-padded to `pad` digits. */
export function hex(v: number | bigint, pad = 0): string {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  return b < 0n
    ? `-0x${(-b).toString(16).padStart(pad, '0')}`
    : `0x${b.toString(16).padStart(pad, '0')}`;
}

/** A path into a parsed file, the way messages show it: `scenario[3].sysreg.reg`. */
export function formatPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '$';
}
