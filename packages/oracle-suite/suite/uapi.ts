/**
 * Every number the packages export from their uapi modules, and which architectures' kernel
 * headers each module is compared with (issue 13 item 12). The names are read from the modules'
 * source (`export const NAME`, upper case), the values from the packages' public entries, so a
 * constant that is not exported publicly shows up too. `scripts/uapi-headers.ts` compiles them
 * against the kernel headers and writes `recordings/uapi-headers.json`;
 * `test/uapi-numbers.test.ts` compares the two.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vfio from '@acme/kvmdev-vfio';
import * as armVgic from '@kvmdev/arm-vgic';
import * as core from '@kvmdev/core';
import * as mpic from '@kvmdev/mpic';
import * as xics from '@kvmdev/xics';
import { ROOT } from './files.js';

/** An architecture whose uapi headers are compared (Debian's multiarch triplet names them). */
export type HeaderArch = 'x86_64' | 'aarch64' | 'powerpc64le';
/** Every compared architecture. */
export const HEADER_ARCHES: readonly HeaderArch[] = ['x86_64', 'aarch64', 'powerpc64le'];

/** One uapi module: where its source is, its public values, the architectures it describes. */
export interface UapiModule {
  /** The package. */
  readonly pkg: string;
  /** The source file, from the repository root. */
  readonly file: string;
  /** The package's public entry (the values). */
  readonly values: Readonly<Record<string, unknown>>;
  /** The architectures whose headers define these numbers. */
  readonly arches: readonly HeaderArch[];
}

const REPO = join(ROOT, '..', '..');
const GENERIC: readonly HeaderArch[] = ['x86_64', 'aarch64'];

/** The uapi modules of every package. */
export const UAPI_MODULES: readonly UapiModule[] = [
  { pkg: '@kvmdev/core', file: 'packages/core/src/uapi/kvm.ts', values: core, arches: HEADER_ARCHES },
  { pkg: '@kvmdev/core', file: 'packages/core/src/uapi/errno.ts', values: core, arches: HEADER_ARCHES },
  { pkg: '@kvmdev/core', file: 'packages/core/src/uapi/eventfd.ts', values: core, arches: HEADER_ARCHES },
  // the generic _IOC encoding (powerpc's is issue 13 item 13)
  { pkg: '@kvmdev/core', file: 'packages/core/src/uapi/ioctl.ts', values: core, arches: GENERIC },
  // FIO* and the generic-encoded FI* requests; VFS_IOCTLS_POWERPC holds powerpc's numbers
  { pkg: '@kvmdev/core', file: 'packages/core/src/uapi/vfs.ts', values: core, arches: GENERIC },
  { pkg: '@kvmdev/arm-vgic', file: 'packages/arm-vgic/src/uapi.ts', values: armVgic, arches: ['aarch64'] },
  { pkg: '@kvmdev/mpic', file: 'packages/mpic/src/uapi.ts', values: mpic, arches: ['powerpc64le'] },
  { pkg: '@kvmdev/xics', file: 'packages/xics/src/uapi.ts', values: xics, arches: ['powerpc64le'] },
  { pkg: '@acme/kvmdev-vfio', file: 'examples/third-party-plugin/src/uapi.ts', values: vfio, arches: HEADER_ARCHES },
];

/**
 * Objects of request numbers compared member by member (`VFS_IOCTLS_POWERPC.FIOCLEX` against
 * powerpc's FIOCLEX).
 */
export const UAPI_TABLES: readonly { readonly name: string; readonly table: Readonly<Record<string, number>>; readonly arches: readonly HeaderArch[] }[] = [
  { name: 'VFS_IOCTLS_GENERIC', table: core.VFS_IOCTLS_GENERIC as unknown as Record<string, number>, arches: GENERIC },
  { name: 'VFS_IOCTLS_POWERPC', table: core.VFS_IOCTLS_POWERPC as unknown as Record<string, number>, arches: ['powerpc64le'] },
];

/** An exported uapi number. */
export interface UapiNumber {
  /** The module. */
  readonly module: UapiModule;
  /** The exported name (or `TABLE.MEMBER` for a table member). */
  readonly name: string;
  /** The header name it is compared with (the name, or the member name of a table). */
  readonly header: string;
  /** The value as a u64, or null when the name is not a number in the public entry. */
  readonly value: bigint | null;
  /** The architectures to compare on. */
  readonly arches: readonly HeaderArch[];
}

/** Whether an export is a table from numbers to uapi names (`ERRNO_NAMES`). */
export function isNameTable(v: unknown): v is Readonly<Record<string, string>> {
  if (typeof v !== 'object' || v === null) return false;
  const e = Object.entries(v);
  return e.length > 0 && e.every(([k, x]) => /^\d+$/.test(k) && typeof x === 'string' && /^[A-Z][A-Z0-9_]*$/.test(x));
}

/** `export const NAME` (upper case) of a source file, in order. */
export function exportedNames(file: string): string[] {
  const src = readFileSync(join(REPO, file), 'utf8');
  return [...src.matchAll(/^export const ([A-Z_][A-Z0-9_]*)\b/gm)].map((m) => m[1]!);
}

function u64(v: unknown): bigint | null {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt.asUintN(64, BigInt(v));
  return null;
}

/** Every exported uapi number of every package (tables member by member). */
export function uapiNumbers(): UapiNumber[] {
  const out: UapiNumber[] = [];
  for (const m of UAPI_MODULES) {
    for (const name of exportedNames(m.file)) {
      const t = UAPI_TABLES.find((x) => x.name === name);
      if (t !== undefined) {
        for (const [k, v] of Object.entries(t.table))
          out.push({ module: m, name: `${name}.${k}`, header: k, value: u64(v), arches: t.arches });
        continue;
      }
      const raw = m.values[name];
      if (isNameTable(raw)) {
        // a number → name table (ERRNO_NAMES): each name's header value must be its key
        for (const [k, v] of Object.entries(raw))
          out.push({ module: m, name: `${name}[${v}]`, header: v, value: BigInt(k), arches: m.arches });
        continue;
      }
      if (typeof raw === 'object' && raw !== null) continue; // a table not listed above: the test says so
      out.push({ module: m, name, header: name, value: u64(raw), arches: m.arches });
    }
  }
  return out;
}

/** The C expression that gives a name's value in the headers (`SIZEOF_KVM_X` is `sizeof(struct kvm_x)`). */
export function headerExpr(header: string): string {
  const s = /^SIZEOF_(KVM_[A-Z0-9_]+)$/.exec(header);
  return s ? `sizeof(struct ${s[1]!.toLowerCase()})` : `(${header})`;
}

/** The recording the header compiler writes. */
export interface UapiHeaderRecording {
  /** Which headers, and how the values were taken. */
  readonly headers: string;
  /** Per architecture: header name → value (0x hex, u64), for every name the headers have. */
  readonly values: Readonly<Record<HeaderArch, Readonly<Record<string, string>>>>;
  /** Per architecture: the names the headers do not have. */
  readonly missing: Readonly<Record<HeaderArch, readonly string[]>>;
}

/** `recordings/uapi-headers.json`. */
export const UAPI_RECORDING = join(ROOT, 'recordings', 'uapi-headers.json');
