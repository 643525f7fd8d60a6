/**
 * Issue 16: a snapshot file alone is enough to restore, inspect and diff (it carries its VM
 * config under `$.vm.config` and its plugins under `$.vm.plugins`, where the web inspector reads
 * them too); older snapshots without them still read, with a clear error where the config is
 * needed. And `kvmdev diff --json` is structured data whose lines are core's `diffSnapshots`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHost, diffSnapshots, parseSnapshot, presets } from '@kvmdev/core';
import { EXIT, type SnapshotDiff, diffChanges, firstPartyPlugins, loadVmFile } from '../src/index.js';
import { FAMILIES, cli, put, tmp, vm } from './helpers.js';

jest.setTimeout(120_000);

const dir = tmp();
const snapOf = async (name: string, args: string[]) => {
  const out = join(dir, name);
  const r = await cli(['snapshot', ...args, '-o', out]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return out;
};
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

describe('snapshots carry their VM config and plugins', () => {
  it('under $.vm.config (the composed config) and $.vm.plugins (name and version)', async () => {
    const s = read(await snapOf('e500.json', [vm('e500-mpic.yaml')]));
    expect(s.vm.config).toEqual(presets.qemuE500({ vcpus: 2 }));
    expect(s.vm.plugins).toEqual([
      { name: '@kvmdev/arm-vgic', version: '0.1.0' },
      { name: '@kvmdev/mpic', version: '0.1.0' },
      { name: '@kvmdev/xics', version: '0.1.0' },
    ]);
    // core still reads it as its own snapshot
    expect(parseSnapshot(s).devices[0]!.key).toBe('KVM_DEV_TYPE_FSL_MPIC_20');
  });

  it.each(FAMILIES)('%s: restore from the snapshot alone, then save again: the same file', async (f) => {
    const a = await snapOf(`${f}-a.json`, [vm(`${f}.yaml`)]);
    const b = join(dir, `${f}-b.json`);
    const r = await cli(['restore', a, '-o', b]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(`== ${a} restore: `);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
  });

  it('inspect from the snapshot alone shows what inspect of the VM file shows', async () => {
    const a = join(dir, 'arm64-virt-gicv3-a.json');
    const fromSnap = await cli(['inspect', a, '--json']);
    const fromFile = await cli(['inspect', vm('arm64-virt-gicv3.yaml'), '--json']);
    expect(fromSnap.code).toBe(0);
    expect(JSON.parse(fromSnap.stdout)).toEqual(JSON.parse(fromFile.stdout));
    const text = await cli(['inspect', a]);
    expect(text.stdout).toMatch(/-\s+SPI 40\s+yes\s+-\s+-\s+0xa0\s+vCPU 0/);
    // with --scenario after the restore, and with a VM file to restore onto
    const further = await cli(['inspect', a, '--scenario', vm('continue/arm64-virt-gicv3.yaml')]);
    expect(further.code).toBe(0);
    expect((await cli(['inspect', vm('arm64-virt-gicv3.yaml'), a, '--json'])).stdout).toBe(fromSnap.stdout);
  });

  it('an older snapshot without $.vm.config: alone it is refused naming $.vm.config and what to do; with the VM file it restores', async () => {
    const s = read(join(dir, 'e500.json'));
    const old = { ...s, vm: { type: s.vm.type, vcpus: s.vm.vcpus } };
    const p = put(dir, 'old.json', JSON.stringify(old));
    for (const c of ['restore', 'inspect']) {
      const r = await cli([c, p]);
      expect(r.code).toBe(EXIT.SNAPSHOT);
      expect(r.stderr).toBe(`kvmdev ${c}: ${p}: $.vm.config: missing: this snapshot does not carry its VM config (saved by an older kvmdev); name the VM file it was made from too: kvmdev ${c} <vm-file> ${p}\n`);
    }
    expect((await cli(['restore', vm('e500-mpic.yaml'), p])).code).toBe(0);
    expect((await cli(['inspect', vm('e500-mpic.yaml'), p])).code).toBe(0);
    // diff needs no config: the plugins come from the devices
    expect((await cli(['diff', p, join(dir, 'e500.json')])).code).toBe(0);
  });

  it('a malformed $.vm.config or $.vm.plugins is a refused snapshot naming the field', async () => {
    const s = read(join(dir, 'e500.json'));
    const cases: [unknown, string][] = [
      [{ ...s.vm, config: 'qemuE500' }, '$.vm.config: expected a VM config'],
      [{ ...s.vm, config: { ...s.vm.config, vcpus: 'two' } }, '$.vm.config.vcpus: expected an integer from 1 to'],
      [{ ...s.vm, plugins: [{ name: '@kvmdev/mpic' }] }, '$.vm.plugins[0].version: expected a version string'],
      [{ ...s.vm, plugins: 'all' }, '$.vm.plugins: expected a list'],
    ];
    for (const [v, msg] of cases) {
      const r = await cli(['restore', put(dir, 'bad-vm.json', JSON.stringify({ ...s, vm: v }))]);
      expect([r.code, r.stderr]).toEqual([EXIT.SNAPSHOT, expect.stringContaining(msg)]);
    }
    const gone = await cli(['restore', put(dir, 'gone.json', JSON.stringify({ ...s, vm: { ...s.vm, plugins: [{ name: '@acme/kvmdev-gone', version: '1.0.0' }] } }))]);
    expect([gone.code, gone.stderr]).toEqual([EXIT.INPUT, expect.stringContaining('$.vm.plugins[0]: unknown plugin @acme/kvmdev-gone')]);
  });

  it('a snapshot step in a scenario writes the config too', async () => {
    const sc = put(dir, 'steps.yaml', '- snapshot: { file: step.json }\n');
    expect((await cli(['run', vm('pseries-xics.yaml'), '--scenario', sc, '--replace'])).code).toBe(0);
    expect(read(join(dir, 'step.json')).vm.config).toEqual((await loadVmFile(vm('pseries-xics.yaml'))).config);
  });
});

describe('kvmdev diff --json', () => {
  it('is { a, b, same, changes }, each change with its device, entry, values and the lines kvmdev diff prints', async () => {
    const fresh = await snapOf('fresh.json', [vm('e500-mpic.yaml'), '--replace']);
    const run = join(dir, 'e500.json');
    const r = await cli(['diff', fresh, run, '--json']);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as SnapshotDiff;
    expect(d).toMatchObject({ a: fresh, b: run, same: false });
    expect(d.changes).toContainEqual({
      kind: 'state',
      index: 0,
      device: 'KVM_DEV_TYPE_FSL_MPIC_20',
      name: 'mpic',
      change: 'changed',
      key: 'sources.IVPR.3',
      group: 2,
      attr: '0x10060',
      before: '0x80000000',
      after: '0x50043',
      text: ['source 3 IVPR: 0x80000000 -> 0x00050043'],
    });
    const text = await cli(['diff', fresh, run]);
    expect(text.stdout).toBe(`${d.changes.flatMap((c) => c.text).join('\n')}\n`);
    expect(JSON.parse((await cli(['diff', run, run, '--json'])).stdout)).toEqual({ a: run, b: run, same: true, changes: [] });
  });

  it.each(FAMILIES)('%s: the lines of the changes are exactly core\'s diffSnapshots, in order', async (f) => {
    const a = join(dir, `${f}-a.json`);
    const b = await snapOf(`${f}-c.json`, [vm(`${f}.yaml`), '--scenario', vm(`${f}.yaml`), '--scenario', vm(`continue/${f}.yaml`)]);
    const host = createHost({ plugins: [...firstPartyPlugins().values()] });
    const sa = parseSnapshot(read(a));
    const sb = parseSnapshot(read(b));
    for (const [x, y] of [[sa, sb], [sb, sa], [sa, sa]] as const) {
      const changes = diffChanges(host, x, y);
      expect(changes.flatMap((c) => c.text)).toEqual(diffSnapshots(host, x, y));
    }
    expect(diffChanges(host, sa, sb).length).toBeGreaterThan(0);
    // a device in one snapshot only, and other vCPUs
    const other = { ...sb, vm: { ...sb.vm, vcpus: [0] }, devices: [] };
    expect(diffChanges(host, sa, other).flatMap((c) => c.text)).toEqual(diffSnapshots(host, sa, other));
    expect(diffChanges(host, sa, other).map((c) => c.kind)).toEqual(['vcpus', 'device']);
  });
});
