/**
 * The real kernel as the yardstick: a small C program (`c/kvmref.c`, ours, written from the uapi
 * numbers), compiled with the system gcc -O2 into a cache directory (rebuilt when its source or
 * the compiler changes), measures on this machine's /dev/kvm, in the same bench run:
 * - KVM_HAS_DEVICE_ATTR on a KVM-VFIO device fd (a device attr ioctl on a real KVM device),
 * - KVM_IRQ_LINE on the x86 in-kernel irqchip (KVM_CREATE_IRQCHIP),
 * - KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO) + close of the device fd,
 * - ioctl(FIONREAD) on a pipe (what any ioctl() system call costs).
 * Every row it cannot measure (no compiler, no /dev/kvm, not x86) is a skipped row with the
 * reason, and the note is printed; the model's ratios to the real calls are then left empty.
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, type PartnerSampler, QUICK, type RealCall, rate, skipped } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(here, '..', 'c', 'kvmref.c');
/** packages/bench/node_modules/.cache/kvmdev-bench (ignored by git, kept between runs). */
const CACHE = join(here, '..', 'node_modules', '.cache', 'kvmdev-bench');

/** The keys the C program prints, the rows they become, and what the model's rows compare with them. */
export const REAL = {
  fionread: 'real ioctl(FIONREAD) on a pipe (C, gcc -O2)',
  has_attr: 'real KVM_HAS_DEVICE_ATTR on a KVM-VFIO device fd (C, gcc -O2)',
  irq_line: 'real KVM_IRQ_LINE on the x86 in-kernel irqchip (C, gcc -O2)',
  create_close: 'real KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO) + close (C, gcc -O2)',
} as const satisfies Record<RealCall, string>;
/** A real-kernel figure a model row is compared with (harness.ts's RealCall: the keys of REAL). */
export type RealKey = RealCall;

const CALLS = QUICK ? 200_000 : 2_000_000;
const LOOPS = QUICK ? 3 : 7;
const CREATE_CALLS = QUICK ? 10 : 40;

const NOTES: Record<RealKey, string> = {
  fionread: `median of ${LOOPS} loops of ${CALLS.toLocaleString('en')} calls`,
  has_attr: `group KVM_DEV_VFIO_FILE, attr KVM_DEV_VFIO_FILE_ADD; median of ${LOOPS} loops of ${CALLS.toLocaleString('en')} calls`,
  irq_line: `IRQ 5 (PIC + IOAPIC), level 1 and 0 alternating, one call per op; median of ${LOOPS} loops of ${CALLS.toLocaleString('en')} calls`,
  create_close: `one device per VM (KVM-VFIO allows one), kvm_device_release waits for an RCU grace period; median of ${LOOPS} loops of ${CREATE_CALLS} calls`,
};

function compilerOf(): { cc: string; version: string } | null {
  for (const c of [process.env.CC, 'gcc', 'cc', 'clang']) {
    if (!c) continue;
    try {
      return { cc: c, version: execFileSync(c, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0] ?? '' };
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The compiled program (from the cache when its source and compiler are unchanged). */
function build(cc: string, version: string): string {
  const src = readFileSync(SOURCE);
  const key = createHash('sha256').update(src).update(version).update(process.arch).digest('hex').slice(0, 16);
  const exe = join(CACHE, `kvmref-${key}`);
  if (existsSync(exe)) return exe;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${exe}.${process.pid}.tmp`;
  execFileSync(cc, ['-O2', '-o', tmp, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(tmp, exe);
  return exe;
}

function skipAll(why: string): Figure[] {
  process.stderr.write(`  note: real-kernel reference rows skipped: ${why}\n`);
  return (Object.keys(REAL) as RealKey[]).map((k) => skipped('real', REAL[k], why));
}

/**
 * The compiled C program, for the runner to hand to every figure process (KVMDEV_BENCH_KVMREF)
 * so that their figures are timed in alternation with the real call; null without a compiler
 * or a usable /dev/kvm.
 */
export function kvmrefForPairing(): string | null {
  const c = compilerOf();
  if (c === null) return null;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return build(c.cc, c.version);
  } catch {
    return null;
  }
}

/** The environment variable through which the runner passes the C program to figure processes. */
export const KVMREF_ENV = 'KVMDEV_BENCH_KVMREF';

/** Calls per paired sample: about one model sample's length (20 ms) of each real call. */
const PAIR_CALLS: Partial<Record<RealCall, number>> = QUICK
  ? { fionread: 10_000, has_attr: 10_000, irq_line: 8_000 }
  : { fionread: 60_000, has_attr: 60_000, irq_line: 40_000 };

/** Per real call: whether this process's C program could make it (see {@link realPartner}). */
const pairable = new Map<RealCall, boolean>();

/**
 * One short run of the real call per sample (`kvmref <calls> 1 1 <key>`), for a model figure
 * timed in alternation with it; null when this process has no C program, the call is not paired
 * (create_close: milliseconds per call) or the call cannot be made here.
 */
export function realPartner(key: RealCall): PartnerSampler | null {
  const exe = process.env[KVMREF_ENV];
  const calls = PAIR_CALLS[key];
  if (!exe || calls === undefined) return null;
  const once = (): number => {
    const out = execFileSync(exe, [String(calls), '1', '1', key], { encoding: 'utf8', timeout: 60_000 });
    const m = new RegExp(`^${key} ([0-9.]+)$`, 'm').exec(out);
    return m ? Number.parseFloat(m[1]!) : Number.NaN;
  };
  // whether the call can be made here: asked once per process and call, not once per figure
  let usable = pairable.get(key);
  if (usable === undefined) {
    try {
      usable = once() > 0;
    } catch {
      usable = false;
    }
    pairable.set(key, usable);
  }
  if (!usable) return null;
  return () => {
    const ns = once();
    if (!(ns > 0)) throw new Error(`the paired real ${key} sample failed`);
    return ns;
  };
}


/** The real-kernel rows (measured now), or skipped rows with the reason. */
export function syscallFigures(): Figure[] {
  const c = compilerOf();
  if (c === null) return skipAll('no C compiler (gcc/cc/clang) found');
  let exe: string;
  try {
    exe = build(c.cc, c.version);
  } catch (e) {
    return skipAll(`compiling c/kvmref.c failed: ${(e as Error).message.split('\n')[0]}`);
  }
  let kvmOk = true;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    kvmOk = false;
  }
  let out: string;
  try {
    out = execFileSync(exe, [String(CALLS), String(LOOPS), String(CREATE_CALLS)], { encoding: 'utf8', timeout: 300_000 });
  } catch (e) {
    return skipAll(`running the C program failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const figs: Figure[] = [];
  const seen = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^(\w+) (.*)$/.exec(line.trim());
    if (!m || !(m[1]! in REAL)) continue;
    const k = m[1] as RealKey;
    seen.add(k);
    const rest = m[2]!;
    if (rest.startsWith('skip')) {
      const why = rest.slice(5);
      process.stderr.write(`  note: ${REAL[k]} skipped: ${why}\n`);
      figs.push(skipped('real', REAL[k], why));
      continue;
    }
    const ns = Number.parseFloat(rest);
    figs.push(ns > 0 ? rate('real', REAL[k], ns, { note: `${c.cc} -O2 (${c.version}); ${NOTES[k]}` }) : skipped('real', REAL[k], `printed ${JSON.stringify(rest)}`));
  }
  for (const k of Object.keys(REAL) as RealKey[]) {
    if (!seen.has(k)) figs.push(skipped('real', REAL[k], kvmOk || k === 'fionread' ? 'the C program printed no figure' : '/dev/kvm is not there (or not readable and writable)'));
  }
  return figs;
}
