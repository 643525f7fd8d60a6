/**
 * The oracle's cache folder, outside any repository: downloaded Debian packages, extracted
 * kernels and headers, probe builds and initramfs images. `KVMDEV_ORACLE_CACHE` overrides the
 * default `~/.cache/kvmdev/oracle`. Nothing in it is ever committed.
 * @packageDocumentation
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The cache folder (created on first use). */
export function cacheDir(sub = ''): string {
  const root = process.env.KVMDEV_ORACLE_CACHE || join(homedir(), '.cache', 'kvmdev', 'oracle');
  const dir = sub ? join(root, sub) : root;
  mkdirSync(dir, { recursive: true });
  return dir;
}
