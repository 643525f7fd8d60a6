/**
 * Number formats the scenario format accepts and prints: the arm64 system-register encoding
 * (`S3_0_C12_C12_0`), integers (decimal, `0x` hex, 64-bit as strings) and hex output. Register,
 * hypercall and interrupt names come from the plugins (see `devices.ts`), not from here.
 * @packageDocumentation
 */

/** The `S<op0>_<op1>_C<n>_C<m>_<op2>` form of a 16-bit system-register encoding. */
export function sysregForm(enc: number): string {
  return `S${(enc >> 14) & 3}_${(enc >> 11) & 7}_C${(enc >> 7) & 15}_C${(enc >> 3) & 15}_${enc & 7}`;
}

/** Parses `S3_0_C12_C12_0` into an encoding, or null. */
export function parseSysregForm(s: string): number | null {
  const m = /^S([0-3])_([0-7])_C(\d+)_C(\d+)_([0-7])$/i.exec(s);
  if (!m) return null;
  const crn = Number(m[3]);
  const crm = Number(m[4]);
  if (crn > 15 || crm > 15) return null;
  return (Number(m[1]) << 14) | (Number(m[2]) << 11) | (crn << 7) | (crm << 3) | Number(m[5]);
}

/** Parses an integer: a number, a bigint, or a decimal / `0x` hex / `0b` binary string (with `_`). */
export function parseInteger(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : null;
  if (typeof v === 'string' && /^-?(0x[0-9a-f_]+|0b[01_]+|\d[\d_]*)$/i.test(v.trim())) {
    const t = v.trim().replace(/_/g, '');
    return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  }
  return null;
}

/** `0x1f` */
export function hex(v: number | bigint, pad = 0): string {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16).padStart(pad, '0')}` : `0x${b.toString(16).padStart(pad, '0')}`;
}
