/**
 * A VM file's `plugins: [{ name, options }]`: a plugin built for a host profile (the ppc64 KVM-HV
 * host, an arm64 QEMU TCG host) through its `configure`, recorded in snapshots so that a snapshot
 * alone restores on the same modelled host; bad options are one precise error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KVM_CAP_IRQ_ROUTING, KVM_CHECK_EXTENSION, composeVm } from '@kvmdev/core';
import { KVM_CAP_PPC_IRQ_XIVE, KVM_CAP_PPC_PAPR } from '@kvmdev/xics';
import { EXIT, loadVmFile } from '../src/index.js';
import { cli, tmp, vm } from './helpers.js';

const dir = tmp();
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const PSERIES = 'vm: { preset: qemuPseries, vcpus: 2 }\n';

describe('plugins built with options', () => {
  it('the pseries example runs on the ppc64 KVM-HV host profile: its answers are book3s HV, not the generic ones', async () => {
    const f = await loadVmFile(vm('pseries-hv-xics.yaml'));
    expect(f.plugins.map((p) => [p.name, p.options])).toEqual([['@kvmdev/xics', { host: 'pseries-hv' }]]);
    const v = composeVm(f.host, f.config);
    // book3s: no GSI routing on a ppc64 VM, PAPR mode offered; the device-only plugin answers IRQ_ROUTING on a generic host
    expect(v.vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(0);
    expect(v.vm.checkExtension(KVM_CAP_PPC_PAPR)).toBe(1);
    expect(f.host.ioctls.KVM_CHECK_EXTENSION).not.toBe(KVM_CHECK_EXTENSION); // powerpc _IOC encoding
    const r = await cli(['run', vm('pseries-hv-xics.yaml')]);
    expect([r.code, r.stderr]).toEqual([EXIT.OK, '']);
    expect(r.stdout).toMatch(/11 expectations held/);
  });

  it('the powernv9 preset is a host value too: the bare-metal XIVE host (KVM_CAP_PPC_IRQ_XIVE 1), snapshotted with its options', async () => {
    const yaml = file('pnv9.yaml', `plugins:\n  - name: '@kvmdev/xics'\n    options: { host: powernv9 }\n${PSERIES}`);
    const f = await loadVmFile(yaml);
    expect(f.plugins.map((p) => [p.name, p.options])).toEqual([['@kvmdev/xics', { host: 'powernv9' }]]);
    const v = composeVm(f.host, f.config);
    expect(v.vm.checkExtension(KVM_CAP_PPC_IRQ_XIVE)).toBe(1);
    expect(v.vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(0);
    const snap = join(dir, 'pnv9.json');
    expect((await cli(['snapshot', yaml, '-o', snap])).code).toBe(EXIT.OK);
    const s = JSON.parse(readFileSync(snap, 'utf8')) as { vm: { plugins: unknown[] } };
    expect(s.vm.plugins).toEqual([{ name: '@kvmdev/xics', version: expect.any(String), options: { host: 'powernv9' } }]);
    expect((await cli(['restore', snap])).code).toBe(EXIT.OK);
    // the example: NR_SERVERS EBUSY after the connects, a missing server accepted, GET rounds
    const r = await cli(['run', vm('powernv9-xics.yaml')]);
    expect([r.code, r.stderr]).toEqual([EXIT.OK, '']);
    expect(r.stdout).toMatch(/6 expectations held/);
    expect(r.stdout).toMatch(/xics: XICS-on-XIVE, 4 sources, 2 presenters, nr_servers 2048/);
  });

  it('a snapshot records the options, and restores and inspects alone on the same host', async () => {
    const snap = join(dir, 'hv.json');
    expect((await cli(['snapshot', vm('pseries-hv-xics.yaml'), '-o', snap])).code).toBe(EXIT.OK);
    const s = JSON.parse(readFileSync(snap, 'utf8')) as { vm: { plugins: unknown[] } };
    expect(s.vm.plugins).toEqual([{ name: '@kvmdev/xics', version: expect.any(String), options: { host: 'pseries-hv' } }]);
    expect((await cli(['restore', snap])).code).toBe(EXIT.OK);
    const again = join(dir, 'again.json');
    expect((await cli(['restore', snap, '-o', again])).code).toBe(EXIT.OK);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(snap, 'utf8'));
    expect((await cli(['diff', snap, again])).code).toBe(0);
    // a default instance records no options
    const plain = join(dir, 'plain.json');
    expect((await cli(['snapshot', vm('pseries-xics.yaml'), '-o', plain])).code).toBe(EXIT.OK);
    expect((JSON.parse(readFileSync(plain, 'utf8')) as { vm: { plugins: object[] } }).vm.plugins[0]).not.toHaveProperty('options');
    // an unknown host in a snapshot is a refused snapshot (3), naming the field
    const bad = file('bad-host.json', readFileSync(snap, 'utf8').replace('"host": "pseries-hv"', '"host": "pseries-pr9"'));
    const r = await cli(['restore', bad]);
    expect([r.code, r.stderr]).toEqual([EXIT.SNAPSHOT, expect.stringMatching(/^kvmdev restore: \S+bad-host\.json: not a valid snapshot: \$\.vm\.plugins\[0\]\.options: unknown ppc64 host profile "pseries-pr9"; presets are pseries-hv, powernv9\n$/)]);
    const notObj = file('bad-options.json', readFileSync(snap, 'utf8').replace('"options": {', '"options": 7, "x": {'));
    expect((await cli(['restore', notObj])).stderr).toMatch(/\$\.vm\.plugins\[0\]\.options: expected a mapping of option names to values/);
  });

  it.each([
    ['an unknown host', "  - name: '@kvmdev/xics'\n    options: { host: nope }\n", /:3:14: plugins\[0\]\.options: unknown ppc64 host profile "nope"; presets are pseries-hv, powernv9$/],
    ['an unknown option', "  - name: '@kvmdev/arm-vgic'\n    options: { colour: red }\n", /:3:14: plugins\[0\]\.options: colour: unknown option; @kvmdev\/arm-vgic takes host$/],
    ['a host that is not a name', "  - name: '@kvmdev/arm-vgic'\n    options: { host: 7 }\n", /:3:14: plugins\[0\]\.options: host: expected a host preset name \(gicv3-server, gicv2-host, qemu-tcg-max, qemu-tcg-max-gicv2\)$/],
    ['options that are not a mapping', "  - name: '@kvmdev/xics'\n    options: [1]\n", /:3:14: plugins\[0\]\.options: expected a mapping of option names to values$/],
    ['an entry without options', "  - name: '@kvmdev/xics'\n", /:2:5: plugins\[0\]: missing options: \(or write the package name alone\)$/],
    ['an unknown key', "  - { name: '@kvmdev/xics', options: {}, version: 1 }\n", /:2:51: plugins\[0\]\.version: unknown key; a plugin entry has name and options$/],
    ['a name that is not a string', '  - { name: 7, options: {} }\n', /:2:13: plugins\[0\]\.name: expected a package name$/],
    ['xics on a ppc64 host with MSIs', "  - name: '@kvmdev/xics'\n    options: { host: pseries-hv, msi: true }\n", /plugins\[0\]\.options: msi: a ppc64 host has no MSI injection/],
  ])('%s is one precise error (exit 2)', async (_what, entry, message) => {
    const r = await cli(['run', file('opts.yaml', `plugins:\n${entry}${PSERIES}`)]);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(message)]);
  });

  it('a plugin without configure takes no options', async () => {
    const r = await cli(['run', file('vfio.yaml', "plugins:\n  - '@kvmdev/arm-vgic'\n  - { name: '@acme/kvmdev-vfio', options: { x: 1 } }\nvm: { preset: qemuVirtArm64, vcpus: 1 }\n")]);
    expect([r.code, r.stderr]).toEqual([EXIT.INPUT, expect.stringMatching(/plugins\[1\]\.options: plugin @acme\/kvmdev-vfio takes no options\n$/)]);
  });
});
