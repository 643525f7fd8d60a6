/**
 * Runs the real `kvmdev` binary as a child process: `node --conditions=@kvmdev/source
 * --import tsx src/cli.ts`, so the tests need no build (tsx is a root dev dependency).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../src/main.js';

export const PKG = resolve(__dirname, '..');
export const VMS = resolve(PKG, '../../examples/vms');
export const CLI = join(PKG, 'src/cli.ts');
/** tsx's loader by URL, so the CLI runs from any working directory (tsx is a root dev dependency). */
const TSX = pathToFileURL(join(PKG, '../../node_modules/tsx/dist/loader.mjs')).href;

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function kvmdev(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, ['--conditions=@kvmdev/source', '--import', TSX, CLI, ...args], {
    cwd: options.cwd ?? PKG,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...options.env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export const vm = (name: string): string => join(VMS, name);

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'kvmdev-cli-'));
}

export const FAMILIES = ['arm64-virt-gicv3', 'firecracker-gicv2', 'e500-mpic', 'pseries-xics'] as const;

/**
 * Runs the CLI in this process through its library entry (`main`), capturing what it writes:
 * much faster than a child process, for tests that run it many times.
 */
export async function cli(args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const stream = (put: (s: string) => void) =>
    ({
      isTTY: false,
      write: (s: string) => {
        put(s);
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
  process.env.NO_COLOR = '1';
  delete process.env.FORCE_COLOR;
  try {
    const code = await main(args, { stdout: stream((s) => (stdout += s)), stderr: stream((s) => (stderr += s)) });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

/** Writes a file in a directory and returns its path. */
export function put(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/**
 * What `kvmdev inspect` shows of the ITS after the mapped example's guest driver ran (device 5
 * event 3 → LPI 8192 on vCPU 1, pending): examples/vms/qemu-virt-its-mapped.yaml and the runner
 * test that issues the same commands end in this state.
 */
export const MAPPED_ITS_LINES: readonly string[] = [
  'its (KVM_DEV_TYPE_ARM_VGIC_ITS): ITS at 0x8080000, enabled, 1 device, 1 collection, 1 translation',
  '  registers: frame 0x8080000, GITS_CTLR 0x80000001 (Enabled, Quiescent), ' +
    'GITS_IIDR 0x4b00043b (Revision 0 (table ABI rev 0), ProductID 0x4b (KVM), Implementer 0x43b (ARM)), ' +
    'GITS_TYPER 0x1ef71 (Physical, ITT entry 8 bytes, 16 EventID bits, 16 DeviceID bits, PTA 0 (RDbase is a vCPU number)), ' +
    'GITS_CBASER 0x9800000040000000 (Valid, 0x40000000, 4 KiB (128 commands), RaWb, NonShareable), GITS_CREADR 0x80 (command 4), GITS_CWRITER 0x80 (command 4), ' +
    'GITS_BASER0 0x9907000040040600 (device table, Valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x40040000), ' +
    'GITS_BASER1 0x9c07000040050600 (collection table, Valid, flat, 8-byte entries, 1 × 64 KiB page (8192 entries), at 0x40050000)',
  '  collections: collection 0 → vCPU 1 (RDbase 1)',
  '  devices: device 5 → ITT 0x40060000, 5 EventID bits (32 events), 1 event mapped',
  '  translations: device 5 event 3 → LPI 8192, collection 0 on vCPU 1 (RDbase 1), pending, enabled, priority 0xa0, cached',
];
