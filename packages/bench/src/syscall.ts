/**
 * The cost of one real ioctl() system call on this machine: a tiny C program, compiled at bench
 * time with the machine's `cc`, calls ioctl(fd, FIONREAD, &n) on a pipe in a loop and prints
 * ns/op (median of several timed loops). Skipped with a note when no compiler is found.
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Figure, QUICK, rate, skipped } from './harness.js';

const SOURCE = `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int samples = argc > 2 ? atoi(argv[2]) : 5;
  int p[2];
  int v = 0;
  double s[64];
  if (pipe(p) != 0) return 1;
  if (samples > 64) samples = 64;
  for (long i = 0; i < n / 4; i++) ioctl(p[0], FIONREAD, &v);
  for (int k = 0; k < samples; k++) {
    double t0 = now_ns();
    for (long i = 0; i < n; i++) ioctl(p[0], FIONREAD, &v);
    s[k] = (now_ns() - t0) / (double)n;
  }
  qsort(s, samples, sizeof s[0], cmp);
  printf("%.3f\\n", s[samples / 2]);
  return v;
}
`;

function findCompiler(): string | null {
  for (const c of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (!c) continue;
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The real-ioctl figure (or a skipped row). */
export function syscallFigures(): Figure[] {
  const name = 'real ioctl(FIONREAD) on a pipe (C, cc -O2)';
  const cc = findCompiler();
  if (cc === null) return [skipped('syscall', name, 'no C compiler (cc/gcc/clang) found: the ioctl reference is skipped')];
  const dir = mkdtempSync(join(tmpdir(), 'kvmdev-bench-'));
  try {
    const src = join(dir, 'ioctl.c');
    const exe = join(dir, 'ioctl');
    writeFileSync(src, SOURCE);
    execFileSync(cc, ['-O2', '-o', exe, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    const out = execFileSync(exe, [QUICK ? '200000' : '2000000', QUICK ? '3' : '7'], { encoding: 'utf8' });
    const ns = Number.parseFloat(out.trim());
    if (!(ns > 0)) return [skipped('syscall', name, `the ioctl program printed ${JSON.stringify(out)}`)];
    return [rate('syscall', name, ns, { note: `compiled with ${cc}; median of ${QUICK ? 3 : 7} loops of ${QUICK ? '200k' : '2M'} calls` })];
  } catch (e) {
    return [skipped('syscall', name, `building or running the C program failed: ${(e as Error).message.split('\n')[0]}`)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
