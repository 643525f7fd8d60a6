/**
 * Booting a kernel target under QEMU with the probe as the initramfs's /init: the initramfs holds
 * /init (the static probe), /dev/console, the scenarios and their list, and the modules to load;
 * the probe prints its lines on the serial console, which QEMU writes to a file.
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { debianPackage } from './apt.js';
import { cacheDir } from './cache.js';
import { type CpioEntry, cpioNewc } from './cpio.js';
import { have, runAsync } from './exec.js';
import type { QemuTarget } from './targets.js';

const enc = new TextEncoder();

/** Why `t` cannot be booted here (missing QEMU), or null. */
export function qemuUnavailable(t: QemuTarget): string | null {
  if (!have(t.qemu))
    return `${t.qemu} is not installed (apt-get install ${t.arch === 'aarch64' ? 'qemu-system-arm' : 'qemu-system-ppc'})`;
  if (t.modules.some((m) => m.endsWith('.xz')) && !have('xz'))
    return 'xz is needed to unpack the kernel modules';
  return null;
}

function moduleBytes(t: QemuTarget, unpacked: string, rel: string): Uint8Array {
  const path = join(unpacked, rel);
  if (!rel.endsWith('.xz')) return readFileSync(path);
  const out = join(cacheDir(join('modules', basename(unpacked))), basename(rel, '.xz'));
  if (!existsSync(out)) {
    const r = spawnSync('xz', ['-dc', path], { maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new Error(`xz -dc ${path} failed: ${r.stderr?.toString() ?? ''}`);
    writeFileSync(out, r.stdout);
  }
  void t;
  return readFileSync(out);
}

/** One scenario to put in the initramfs. */
export interface BootScenario {
  /** The label the probe prints for the scenario. */
  readonly label: string;
  /** The scenario text. */
  readonly source: string;
}

/** Boots `t` once with every scenario; returns the console text. */
export async function bootProbe(
  t: QemuTarget,
  probe: string,
  scenarios: readonly BootScenario[],
  log: (msg: string) => void,
  timeoutMs = 1_200_000,
): Promise<string> {
  const unpacked = debianPackage(t.kernelPackage, log);
  const image = join(unpacked, t.image);
  if (!existsSync(image))
    throw new Error(`kernel image ${t.image} not found in ${t.kernelPackage.name}`);
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'dev' },
    { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', path: 'proc' },
    { kind: 'dir', path: 'scenarios' },
    { kind: 'dir', path: 'modules' },
    { kind: 'file', path: 'init', data: readFileSync(probe), mode: 0o755 },
  ];
  const mods: string[] = [];
  for (const m of t.modules) {
    const name = basename(m).replace(/\.xz$/, '');
    entries.push({ kind: 'file', path: `modules/${name}`, data: moduleBytes(t, unpacked, m) });
    mods.push(`/modules/${name}`);
  }
  entries.push({
    kind: 'file',
    path: 'modules.list',
    data: enc.encode(mods.map((m) => `${m}\n`).join('')),
  });
  const list: string[] = [];
  scenarios.forEach((s, i) => {
    entries.push({ kind: 'file', path: `scenarios/${i}.kvms`, data: enc.encode(s.source) });
    list.push(`/scenarios/${i}.kvms ${s.label}\n`);
  });
  entries.push({ kind: 'file', path: 'scenarios.list', data: enc.encode(list.join('')) });
  const dir = cacheDir(join('boot', t.name));
  const initrd = join(dir, 'initrd.cpio');
  const console = join(dir, 'console.log');
  writeFileSync(initrd, cpioNewc(entries));
  writeFileSync(console, '');
  const args = [
    ...t.qemuArgs,
    '-kernel',
    image,
    '-initrd',
    initrd,
    '-append',
    t.append,
    '-serial',
    `file:${console}`,
  ];
  log(`booting ${t.name}: ${t.qemu} ${args.join(' ')}`);
  const started = Date.now();
  const r = await runAsync(t.qemu, args, timeoutMs);
  log(
    `${t.name}: QEMU exited (${r.timedOut ? 'killed after the timeout' : `status ${r.status}`}) after ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (r.status !== 0 && !r.timedOut && r.stderr.trim())
    log(r.stderr.trim().split('\n').slice(-5).join('\n'));
  return readFileSync(console, 'utf8');
}
