/**
 * Names the scenario format accepts: ICC system registers, PAPR hypercalls and return codes,
 * vCPU output lines; and number parsing (decimal, `0x` hex, 64-bit as strings).
 * @packageDocumentation
 */

/** ICC_* system registers by name: the 16-bit `instr` encoding (Op0<<14 | Op1<<11 | CRn<<7 | CRm<<3 | Op2). */
export const SYSREGS: Readonly<Record<string, number>> = {
  ICC_PMR_EL1: 0xc230,
  ICC_IAR0_EL1: 0xc640,
  ICC_EOIR0_EL1: 0xc641,
  ICC_HPPIR0_EL1: 0xc642,
  ICC_BPR0_EL1: 0xc643,
  ICC_AP0R0_EL1: 0xc644,
  ICC_AP0R1_EL1: 0xc645,
  ICC_AP0R2_EL1: 0xc646,
  ICC_AP0R3_EL1: 0xc647,
  ICC_AP1R0_EL1: 0xc648,
  ICC_AP1R1_EL1: 0xc649,
  ICC_AP1R2_EL1: 0xc64a,
  ICC_AP1R3_EL1: 0xc64b,
  ICC_DIR_EL1: 0xc659,
  ICC_RPR_EL1: 0xc65b,
  ICC_SGI1R_EL1: 0xc65d,
  ICC_ASGI1R_EL1: 0xc65e,
  ICC_SGI0R_EL1: 0xc65f,
  ICC_IAR1_EL1: 0xc660,
  ICC_EOIR1_EL1: 0xc661,
  ICC_HPPIR1_EL1: 0xc662,
  ICC_BPR1_EL1: 0xc663,
  ICC_CTLR_EL1: 0xc664,
  ICC_SRE_EL1: 0xc665,
  ICC_IGRPEN0_EL1: 0xc666,
  ICC_IGRPEN1_EL1: 0xc667,
};

/** The name of a system register encoding, or its `S3_0_C12_C12_0` form. */
export function sysregName(enc: number): string {
  for (const [n, e] of Object.entries(SYSREGS)) if (e === enc) return n;
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

/** PAPR interrupt hypercalls (book3s_xics). */
export const HCALLS: Readonly<Record<string, number>> = {
  H_EOI: 0x64,
  H_CPPR: 0x68,
  H_IPI: 0x6c,
  H_IPOLL: 0x70,
  H_XIRR: 0x74,
  H_XIRR_X: 0x2fc,
};
/** PAPR return codes. */
export const HCALL_RETS: Readonly<Record<string, number>> = {
  H_SUCCESS: 0,
  H_HARDWARE: -1,
  H_FUNCTION: -2,
  H_PRIVILEGE: -3,
  H_PARAMETER: -4,
  H_TOO_HARD: 9999,
};
export function hcallName(nr: number): string {
  for (const [n, v] of Object.entries(HCALLS)) if (v === nr) return n;
  return `hcall 0x${nr.toString(16)}`;
}
export function hcallRetName(r: number): string {
  for (const [n, v] of Object.entries(HCALL_RETS)) if (v === r) return n;
  return String(r);
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
