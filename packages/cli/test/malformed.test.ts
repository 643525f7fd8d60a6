/**
 * Issue 16: malformed input gives one precise error and a documented exit code, never a stack
 * trace or a TypeError. A property test throws random and mutated VM files and snapshots at the
 * CLI's library entry (`main`) and checks what comes back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { EXIT, SourceFile } from '../src/index.js';
import { cli, tmp, vm } from './helpers.js';

jest.setTimeout(300_000);

const dir = tmp();
const DOCUMENTED = [EXIT.OK, EXIT.EXPECT, EXIT.INPUT, EXIT.SNAPSHOT, EXIT.KERNEL];
const BASES = ['arm64-virt-gicv3', 'firecracker-gicv2', 'e500-mpic', 'pseries-xics'].map((f) => SourceFile.load(vm(`${f}.yaml`)).data);

/** The verdict is sound: a documented code (never 70), and on failure exactly one message line, no stack, no TypeError. */
function sound(r: { code: number; stderr: string }, command: string): void {
  const ok = DOCUMENTED.includes(r.code as (typeof DOCUMENTED)[number]);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('kvmdev'));
  const bad = !ok || /internal error|TypeError|RangeError|ReferenceError|\n\s+at /.test(r.stderr) || (r.code !== 0 && r.code !== 1 && lines.length !== 1) || lines.some((l) => !l.startsWith(`kvmdev ${command}: `));
  if (bad) throw new Error(`exit ${r.code}:\n${r.stderr}`);
}

/** Every path into a value (keys and indexes). */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}
function setAt(v: unknown, path: (string | number)[], x: unknown, remove: boolean): unknown {
  if (!path.length) return x;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown> & unknown[];
  const [k, ...rest] = path;
  if (rest.length) copy[k!] = setAt(copy[k!], rest, x, remove);
  else if (remove) Array.isArray(copy) ? copy.splice(k as number, 1) : delete copy[k!];
  else copy[k!] = x;
  return copy;
}

const junk = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, 1, -1, 2 ** 31, 2 ** 53, Number.NaN, 1.5, 1e300, '0x8000000', '0xffffffffffffffffff', '', 'SPI 40', 'high', 'x', null, true, false),
  fc.string({ maxLength: 6 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('vcpu', 'level', 'op', 'file', 'x', 'intid', 'value'), fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null)), { maxKeys: 3 }),
);

/** A base document with 1..3 random changes: a value replaced, a key or element removed. */
const mutated = (bases: readonly unknown[]) =>
  fc
    .tuple(fc.nat(bases.length - 1), fc.array(fc.tuple(fc.nat(), junk, fc.boolean()), { minLength: 1, maxLength: 3 }))
    .map(([b, changes]) => {
      let doc = bases[b];
      for (const [i, x, remove] of changes) {
        const ps = paths(doc);
        doc = setAt(doc, ps[i % ps.length]!, x, remove);
      }
      return doc;
    });

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x === undefined ? null : x));
let n = 0;
const file = (name: string, text: string) => {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, text);
  return p;
};

describe('malformed input: one precise error, a documented exit code', () => {
  it('what the property test found: a 64-bit vCPU id, a YAML alias with no anchor (both were exit 70 with a stack)', async () => {
    const big = await cli(['run', file('big.yaml', 'vm: { preset: qemuE500, vcpus: 2 }\nscenario:\n  - ack: { vcpu: 9007199254740992 }\n')]);
    expect([big.code, big.stderr]).toEqual([EXIT.INPUT, expect.stringMatching(/^kvmdev run: \S+:3:18: scenario\[0\]\.ack\.vcpu: no vCPU 9007199254740992; the VM has vCPUs 0, 1\n$/)]);
    const alias = await cli(['run', file('alias.yaml', '*!')]);
    expect([alias.code, alias.stderr]).toEqual([EXIT.INPUT, expect.stringMatching(/^kvmdev run: \S+alias\.yaml: syntax error: Unresolved alias/)]);
  });

  it('what the property test found next: a vCPU count or an XICS firstSource of 2^53 in a full VmConfig (a bigint once parsed; was exit 70, "Do not know how to serialize a BigInt")', async () => {
    const cases: [(string | number)[], RegExp][] = [
      [['vm', 'vcpus'], /vm\.vcpus: expected an integer from 1 to \d+, got 9007199254740992/],
      [['vm', 'devices', 0, 'settings', 'firstSource'], /vm\.devices\[0\]\.settings\.firstSource: .*9007199254740992/],
    ];
    for (const [path, message] of cases)
      for (const command of ['run', 'inspect']) {
        const r = await cli([command, file('big.json', JSON.stringify(setAt(BASES[3], path, 9007199254740992, false)))]);
        expect([r.code, r.stderr]).toEqual([EXIT.INPUT, expect.stringMatching(new RegExp(`^kvmdev ${command}: \\S+:1:\\d+: ${message.source}\\n$`))]);
      }
  });

  it('mutated VM files, run and inspected', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(BASES), fc.constantFrom('run', 'inspect'), async (doc, command) => {
        sound(await cli([command, file('vm.json', json(doc))]), command);
      }),
      { numRuns: 500 },
    );
  });

  it('random and cut text as a VM file', async () => {
    const texts = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.tuple(fc.nat(), fc.constantFrom(...BASES.map(json))).map(([i, t]) => t.slice(0, i % t.length)),
      fc.tuple(fc.nat(), fc.constantFrom(...['e500-mpic', 'pseries-xics'].map((f) => readFileSync(vm(`${f}.yaml`), 'utf8')))).map(([i, t]) => t.slice(0, i % t.length)),
    );
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        sound(await cli(['run', file('vm.yaml', text)]), 'run');
      }),
      { numRuns: 200 },
    );
  });

  it('mutated, cut and random snapshots: restored, inspected and diffed alone', async () => {
    const good = join(dir, 'good.json');
    expect((await cli(['snapshot', vm('e500-mpic.yaml'), '-o', good])).code).toBe(0);
    const gic = join(dir, 'gic.json');
    expect((await cli(['snapshot', vm('arm64-virt-gicv3.yaml'), '-o', gic])).code).toBe(0);
    const snaps = [good, gic].map((p) => JSON.parse(readFileSync(p, 'utf8')) as unknown);
    const texts = fc.oneof(
      mutated(snaps).map(json),
      fc.tuple(fc.nat(), fc.constantFrom(...snaps.map((s) => JSON.stringify(s, null, 2)))).map(([i, t]) => t.slice(0, i % t.length)),
      fc.string({ maxLength: 40 }).map((s) => `{"format": "kvmdev-snapshot"${s}`),
    );
    await fc.assert(
      fc.asyncProperty(texts, fc.constantFrom('restore', 'inspect', 'diff'), async (text, command) => {
        const p = file('snap.json', text);
        const r = await cli(command === 'diff' ? ['diff', p, good] : [command, p]);
        sound(r, command);
        if (command === 'diff') expect([0, 1, 2]).toContain(r.code);
      }),
      { numRuns: 300 },
    );
  });
});
