/**
 * Every number the packages export from their uapi modules against the kernel headers (issue 13
 * item 12): recordings/uapi-headers.json holds what Linux 7.3.4's uapi headers give for each
 * name on x86_64, arm64 and ppc64le (`pnpm --filter @kvmdev/oracle-suite uapi:record` compiles
 * them), and this test compares offline. A name the headers do not have needs a reason in
 * divergences/uapi-not-in-headers.json; a reason for a name the headers have is stale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KVM_IOCTLS } from '@kvmdev/core';
import { CONSTANTS } from '@kvmdev/oracle';
import { DIVERGENCES } from '../suite/files.js';
import { type UapiHeaderRecording, type UapiNumber, UAPI_RECORDING, UAPI_TABLES, exportedNames, isNameTable, UAPI_MODULES, uapiNumbers } from '../suite/uapi.js';

const rec = JSON.parse(readFileSync(UAPI_RECORDING, 'utf8')) as UapiHeaderRecording;
const rules = JSON.parse(readFileSync(join(DIVERGENCES, 'uapi-not-in-headers.json'), 'utf8')) as { names: string[]; reason: string }[];
const numbers = uapiNumbers().filter((n) => n.value !== null);
const hex = (v: bigint) => `0x${v.toString(16)}`;
const glob = (p: string, name: string) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name);
const ruleFor = (name: string) => rules.find((r) => r.names.some((p) => glob(p, name)));
const found = (n: UapiNumber) => n.arches.filter((a) => rec.values[a][n.header] !== undefined);

/** The request number `generic` (the generic _IOC encoding) re-encoded for powerpc (NONE 1, READ 2, WRITE 4; 13 size bits). */
function powerpcRequest(generic: bigint): bigint | null {
  const g = Number(generic);
  if (generic > 0xffffffffn || ((g >>> 8) & 0xff) !== 0xae) return null; // KVMIO requests only
  const dir = g >>> 30;
  const size = (g >>> 16) & 0x3fff;
  if (size > 0x1fff) return null;
  const pdir = dir === 0 ? 1 : (dir & 1 ? 4 : 0) | (dir & 2 ? 2 : 0);
  return BigInt(((pdir << 29) | (size << 16) | (g & 0xffff)) >>> 0);
}

test('the recording covers every exported uapi number (re-record with pnpm uapi:record after adding one)', () => {
  for (const a of Object.keys(rec.values) as (keyof typeof rec.values)[]) {
    const known = new Set([...Object.keys(rec.values[a]), ...rec.missing[a]]);
    const absent = [...new Set(numbers.map((n) => n.header))].filter((h) => !known.has(h));
    expect([a, absent]).toEqual([a, []]);
  }
});

test('every exported uapi number equals the kernel headers on each architecture it describes', () => {
  const wrong: string[] = [];
  for (const n of numbers) {
    for (const a of found(n)) {
      const h = BigInt(rec.values[a][n.header]!);
      if (h === n.value) continue;
      // issue 13 item 13: core exports the generic encoding; powerpc's request numbers differ
      if (a === 'powerpc64le' && n.module.file.endsWith('core/src/uapi/kvm.ts') && powerpcRequest(n.value!) === h) continue;
      wrong.push(`${n.module.pkg} ${n.name} on ${a}: ${hex(n.value!)}, the headers say ${hex(h)}`);
    }
  }
  expect(wrong).toEqual([]);
});

test('the only differences on ppc64 are the request numbers of the powerpc _IOC encoding (issue 13 item 13)', () => {
  const enc = numbers.filter(
    (n) => n.module.file.endsWith('core/src/uapi/kvm.ts') && rec.values.powerpc64le[n.header] !== undefined && BigInt(rec.values.powerpc64le[n.header]!) !== n.value,
  );
  for (const n of enc) expect([n.name, hex(powerpcRequest(n.value!) ?? -1n)]).toEqual([n.name, rec.values.powerpc64le[n.header]]);
  expect(enc.length).toBe(22);
});

test('every name the headers lack has a reason, and no reason is stale', () => {
  const unexplained: string[] = [];
  const used = new Set<string>();
  for (const n of numbers) {
    const r = ruleFor(n.header);
    if (found(n).length === 0) {
      if (r === undefined) unexplained.push(`${n.module.pkg} ${n.name}`);
      else for (const p of r.names) if (glob(p, n.header)) used.add(p);
    } else if (r?.names.includes(n.header)) {
      unexplained.push(`${n.name} is in the headers but listed as missing (${r.reason.slice(0, 40)})`);
    }
  }
  expect(unexplained).toEqual([]);
  const stale = rules.flatMap((r) => r.names.filter((p) => !used.has(p)));
  expect(stale).toEqual([]);
});

/** Object exports of the uapi modules that are model data, not header numbers (their members are compared under their own names where they have one). */
const MODEL_OBJECTS: Readonly<Record<string, string>> = {
  ICC_UACCESS_REGS: 'the ICC_* encodings userspace reaches through KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS (each is an ICC_* export)',
  HOST_GIC: "the default host profile's ICH_VTR_EL2 fields (issue 13 item 7)",
  MPIC_MODEL_20: 'the MPIC v2.0 model description of arch/powerpc/kvm/mpic.c (its type is KVM_DEV_TYPE_FSL_MPIC_20, compared under that name)',
  IOC_LAYOUTS:
    "the field layout of each _IOC encoding (direction values, size bits, direction shift), not header constants; the numbers it produces are compared: KVM_IOCTLS.powerpc against the ppc64el headers in core's test/ioctl-arch.test.ts, the powerpc re-encoding here",
  MPIC_MODEL_42: 'the MPIC v4.2 model description of arch/powerpc/kvm/mpic.c (its type is KVM_DEV_TYPE_FSL_MPIC_42, compared under that name)',
};

test('every uapi object export is compared member by member, or is model data with a reason', () => {
  for (const m of UAPI_MODULES)
    for (const name of exportedNames(m.file)) {
      const v = m.values[name];
      if (typeof v === 'object' && v !== null && !isNameTable(v) && MODEL_OBJECTS[name] === undefined)
        expect(UAPI_TABLES.map((t) => t.name)).toContain(name);
    }
});

test('KVM_IOCTLS: each architecture table equals its headers, request by request (issue 13 item 13)', () => {
  const wrong: string[] = [];
  let compared = 0;
  for (const [table, arches] of [['generic', ['x86_64', 'aarch64']], ['powerpc', ['powerpc64le']]] as const)
    for (const [name, v] of Object.entries(KVM_IOCTLS[table]))
      for (const a of arches) {
        const h = rec.values[a][name];
        if (h === undefined) continue;
        compared++;
        if (BigInt(h) !== BigInt(v >>> 0)) wrong.push(`KVM_IOCTLS.${table}.${name} on ${a}: ${hex(BigInt(v >>> 0))}, the headers say ${h}`);
      }
  expect(wrong).toEqual([]);
  expect(compared).toBeGreaterThan(30);
});

test('the fixes of issue 13 item 12 hold', () => {
  const byName = (name: string) => numbers.find((n) => n.name === name)!;
  expect(hex(byName('KVM_CAP_ENABLE_CAP').value!)).toBe(rec.values.x86_64.KVM_CAP_ENABLE_CAP);
  expect(rec.values.x86_64.KVM_CAP_ENABLE_CAP).toBe('0x36');
  expect(hex(byName('KVM_REG_PPC_EPR').value!)).toBe('0x1020000000000086');
  expect(hex(byName('KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK').value!)).toBe('0xfffffc00');
});

test('the oracle vocabulary (the probe headers) agrees with this recording where both name a constant', () => {
  const disagree: string[] = [];
  for (const [name, v] of Object.entries(CONSTANTS)) {
    const h = rec.values.x86_64[name] ?? rec.values.aarch64[name] ?? rec.values.powerpc64le[name];
    if (h !== undefined && BigInt(h) !== BigInt.asUintN(64, v)) disagree.push(`${name}: vocab ${hex(v)}, headers ${h}`);
  }
  expect(disagree).toEqual([]);
});
