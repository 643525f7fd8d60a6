/**
 * Building the probe (probe/kvms.c) as a static binary for a target architecture, against the
 * pinned uapi headers (Debian's linux-libc-dev, which carries every architecture's asm headers).
 * Builds are cached by the hash of their inputs.
 * @packageDocumentation
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../sha256.js';
import { debianPackage } from './apt.js';
import { cacheDir } from './cache.js';
import { have, run, runOk } from './exec.js';
import { HEADERS_PACKAGE, type TargetArch } from './targets.js';
import { vocabHeader } from './vocab-header.js';

const COMPILERS: Readonly<Record<TargetArch, { cc: string; apt: string }>> = {
  x86_64: { cc: 'x86_64-linux-gnu-gcc', apt: 'gcc (libc6-dev)' },
  aarch64: { cc: 'aarch64-linux-gnu-gcc', apt: 'gcc-aarch64-linux-gnu libc6-dev-arm64-cross' },
  powerpc64le: {
    cc: 'powerpc64le-linux-gnu-gcc',
    apt: 'gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross',
  },
};

/** The architecture this process runs on, as the compilers name it. */
export function hostArch(): TargetArch | null {
  return process.arch === 'x64'
    ? 'x86_64'
    : process.arch === 'arm64'
      ? 'aarch64'
      : process.arch === 'ppc64'
        ? 'powerpc64le'
        : null;
}

function compiler(arch: TargetArch): string | null {
  const c = COMPILERS[arch].cc;
  if (have(c)) return c;
  if (arch === hostArch() && have('gcc')) return 'gcc';
  return null;
}

/** Why the probe cannot be built for `arch` here, or null. */
export function probeUnbuildable(arch: TargetArch): string | null {
  return compiler(arch)
    ? null
    : `no C compiler for ${arch} (apt-get install ${COMPILERS[arch].apt})`;
}

/** The probe's source folder (probe/ in this package). */
export function probeSourceDir(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../probe', '../probe', '../../../probe']) {
    const d = join(here, up);
    if (existsSync(join(d, 'kvms.c'))) return d;
  }
  throw new Error(`probe/kvms.c not found near ${here}`);
}

/** Builds (or reuses) the static probe for `arch`; returns the binary's path. */
export function buildProbe(arch: TargetArch, log: (msg: string) => void = () => {}): string {
  const cc = compiler(arch);
  if (cc === null) throw new Error(probeUnbuildable(arch)!);
  const headers = join(debianPackage(HEADERS_PACKAGE, log), 'usr', 'include');
  const source = readFileSync(join(probeSourceDir(), 'kvms.c'), 'utf8');
  const vocab = vocabHeader();
  const ccVersion = run(cc, ['--version']).stdout.split('\n')[0] ?? '';
  const key = sha256(`${source}\n${vocab}\n${arch}\n${ccVersion}\n${headers}`).slice(0, 16);
  const dir = cacheDir(join('probe', `${arch}-${key}`));
  const bin = join(dir, 'kvms');
  if (existsSync(bin)) return bin;
  writeFileSync(join(dir, 'kvms.c'), source);
  writeFileSync(join(dir, 'vocab.h'), vocab);
  log(`building the probe for ${arch} (${cc} -static)`);
  runOk(cc, [
    '-static',
    '-O2',
    '-Wall',
    '-I',
    dir,
    '-isystem',
    join(headers, `${arch}-linux-gnu`),
    '-isystem',
    headers,
    '-o',
    bin,
    join(dir, 'kvms.c'),
  ]);
  return bin;
}
