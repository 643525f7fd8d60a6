/**
 * Records what the kernel headers say for every exported uapi number (issue 13 item 12): for each
 * architecture, a C file with one `const unsigned long long` per name is compiled to assembly
 * with that architecture's gcc against Debian's linux-libc-dev (the same 7.3.4 package the
 * oracle's probe is built with, from the oracle cache), and the values are read from the
 * assembly, so nothing has to run on the target. Names the headers do not have are the ones the
 * compiler reports undeclared (or a sizeof of an unknown struct); they are left out and listed.
 *
 * Usage: `pnpm --filter @kvmdev/oracle-suite uapi:record [--headers DIR]` (DIR holds usr/include
 * of the linux-libc-dev package; default: the oracle cache). Writes recordings/uapi-headers.json.
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HEADER_ARCHES,
  type HeaderArch,
  type UapiHeaderRecording,
  UAPI_RECORDING,
  headerExpr,
  uapiNumbers,
} from '../suite/uapi.js';

const GCC: Record<HeaderArch, string> = {
  x86_64: 'x86_64-linux-gnu-gcc',
  aarch64: 'aarch64-linux-gnu-gcc',
  powerpc64le: 'powerpc64le-linux-gnu-gcc',
};

/**
 * What the uapi headers use without defining (libc or kernel-internal headers give them): loff_t
 * (powerpc's FIOQSIZE) and the SZ_* sizes of linux/sizes.h (arm64's KVM_VGIC_* sizes).
 */
const PRELUDE = [
  'typedef long long loff_t;',
  '#define SZ_4K 0x1000',
  '#define SZ_8K 0x2000',
  '#define SZ_64K 0x10000',
  '#define SZ_128K 0x20000',
];

const INCLUDES = [
  'linux/const.h',
  'linux/bits.h',
  'linux/kvm.h',
  'linux/fs.h',
  'linux/fiemap.h',
  'linux/ioctl.h',
  'linux/errno.h',
  'linux/eventfd.h',
  'linux/fcntl.h',
  'asm/ioctls.h',
];

function headersDir(): { dir: string; name: string } {
  const i = process.argv.indexOf('--headers');
  if (i >= 0) return { dir: process.argv[i + 1]!, name: process.argv[i + 1]! };
  const cache = process.env.KVMDEV_ORACLE_CACHE ?? join(homedir(), '.cache', 'kvmdev', 'oracle');
  const unpacked = join(cache, 'unpacked');
  const pkg = existsSync(unpacked) ? readdirSync(unpacked).find((d) => d.startsWith('linux-libc-dev_')) : undefined;
  if (pkg === undefined) throw new Error(`no linux-libc-dev in ${unpacked}: run pnpm oracle once, or pass --headers`);
  return { dir: join(unpacked, pkg, 'usr', 'include'), name: `Debian ${pkg.replace(/_all$/, '').replace('_', ' ')}` };
}

function compile(arch: HeaderArch, inc: string, names: string[], tmp: string): { values: Map<string, bigint>; missing: Set<string> } {
  const missing = new Set<string>();
  for (let round = 0; round < 6; round++) {
    const live = names.filter((n) => !missing.has(n));
    const lines = [...PRELUDE, ...INCLUDES.map((h) => `#include <${h}>`), ''];
    const lineOf = new Map<number, string>();
    for (const n of live) {
      lineOf.set(lines.length + 1, n);
      lines.push(`__attribute__((used)) const unsigned long long v_${n} = (unsigned long long)${headerExpr(n)};`);
    }
    const c = join(tmp, `${arch}.c`);
    const s = join(tmp, `${arch}.s`);
    writeFileSync(c, `${lines.join('\n')}\n`);
    let err = '';
    try {
      execFileSync(GCC[arch], ['-S', '-O0', '-w', '-fmax-errors=0', '-nostdinc', '-isystem', join(inc, `${arch}-linux-gnu`), '-isystem', inc, '-o', s, c], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      err = String((e as { stderr?: Buffer }).stderr ?? e);
    }
    if (err === '') {
      const asm = execFileSync('cat', [s]).toString();
      const values = new Map<string, bigint>();
      for (const m of asm.matchAll(/^v_([A-Za-z0-9_]+):\s*\n\s*\.(?:(?:quad|xword|8byte)\s+(-?\d+)|zero\s+8)/gm))
        values.set(m[1]!, BigInt.asUintN(64, BigInt(m[2] ?? '0')));
      for (const n of live) if (!values.has(n)) throw new Error(`${arch}: no value for ${n} in the assembly`);
      return { values, missing };
    }
    let found = 0;
    for (const m of err.matchAll(new RegExp(`${arch}\\.c:(\\d+):\\d+: error`, 'g'))) {
      const n = lineOf.get(Number(m[1]));
      if (n !== undefined && !missing.has(n)) {
        missing.add(n);
        found++;
      }
    }
    if (found === 0) throw new Error(`${arch}: the compiler failed on something else:\n${err.slice(0, 2000)}`);
  }
  throw new Error(`${arch}: too many rounds`);
}

const { dir, name } = headersDir();
const numbers = uapiNumbers();
const headerNames = [...new Set(numbers.map((n) => n.header))].sort();
const tmp = mkdtempSync(join(tmpdir(), 'kvmdev-uapi-'));
const values = {} as Record<HeaderArch, Record<string, string>>;
const missing = {} as Record<HeaderArch, string[]>;
try {
  for (const arch of HEADER_ARCHES) {
    const r = compile(arch, dir, headerNames, tmp);
    values[arch] = Object.fromEntries([...r.values].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, `0x${v.toString(16)}`]));
    missing[arch] = [...r.missing].sort();
    console.log(`${arch}: ${r.values.size} names found, ${r.missing.size} not in the headers`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const rec: UapiHeaderRecording = {
  headers: `${name} uapi headers, compiled with gcc -S per architecture (scripts/uapi-headers.ts)`,
  values,
  missing,
};
writeFileSync(UAPI_RECORDING, `${JSON.stringify(rec, null, 2)}\n`);
console.log(`wrote ${UAPI_RECORDING}`);
