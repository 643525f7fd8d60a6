/**
 * A VM file's `plugins: [{ name, options }]` in the page, as `kvmdev` takes it: the plugin built
 * for its options (a host profile) through its `configure`, with the CLI's checks and messages
 * (`@kvmdev/core`'s readPluginEntry / configuredPlugin, which the CLI uses too). The page used to
 * refuse every such entry as "not part of this page".
 */
import { readdirSync } from 'node:fs';
import { KVM_CAP_IRQ_ROUTING, KVM_CHECK_EXTENSION, saveSnapshot } from '@kvmdev/core';
import { KVM_CAP_PPC_PAPR } from '@kvmdev/xics';
import { plan } from '../src/model/load.js';
import { Session } from '../src/model/session.js';
import { vmFileOf } from '../src/model/vmfile.js';
import { PLUGINS, VMS, messageOf, vmFile } from './helpers.js';


const PSERIES = { preset: 'qemuPseries', vcpus: 2 };
const VIRT = { preset: 'qemuVirtArm64', vcpus: 2 };

describe('plugin entries with options', () => {
  test('examples/vms/pseries-hv-xics.yaml opens on the ppc64 KVM-HV host profile, and its whole scenario holds', async () => {
    const p = plan([await vmFile('pseries-hv-xics.yaml')], PLUGINS);
    if (p.kind !== 'inspect') throw new Error('expected one session');
    expect(p.source.plugins?.map((x) => [x.name, x.options])).toEqual([['@kvmdev/xics', { host: 'pseries-hv' }]]);
    const s = new Session(p.source, PLUGINS);
    // book3s HV answers: powerpc ioctl numbers, no GSI routing, PAPR mode (the default xics plugin answers otherwise)
    expect(s.host.ioctls.KVM_CHECK_EXTENSION).not.toBe(KVM_CHECK_EXTENSION);
    expect(s.vm.vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(0);
    expect(s.vm.vm.checkExtension(KVM_CAP_PPC_PAPR)).toBe(1);
    s.goTo(s.steps.length);
    expect(s.halted).toBeNull();
    const expects = s.events.filter((e) => e.kind === 'expect');
    expect([expects.length, expects.every((e) => e.ok)]).toEqual([11, true]);
    s.close();
  });

  test('a bare package name is the bundled plugin; { name, options } its configured instance; a file naming plugins gets only those', () => {
    const bare = vmFileOf('v.yaml', { plugins: ['@kvmdev/arm-vgic'], vm: VIRT }, PLUGINS);
    expect(bare.plugins).toEqual([PLUGINS[0]]);
    const tcg = vmFileOf('v.yaml', { plugins: [{ name: '@kvmdev/arm-vgic', options: { host: 'qemu-tcg-max' } }], vm: VIRT }, PLUGINS);
    expect(tcg.plugins!.map((x) => [x.name, x.options])).toEqual([['@kvmdev/arm-vgic', { host: 'qemu-tcg-max' }]]);
    expect(tcg.plugins![0]).not.toBe(PLUGINS[0]);
    const p = plan([{ name: 'v.yaml', data: { plugins: [{ name: '@kvmdev/arm-vgic', options: { host: 'qemu-tcg-max' } }], vm: VIRT } }], PLUGINS);
    if (p.kind !== 'inspect') throw new Error('expected one session');
    const s = new Session(p.source, PLUGINS);
    expect(s.host.registry.listPlugins().map((x) => [x.name, x.options])).toEqual([['@kvmdev/arm-vgic', { host: 'qemu-tcg-max' }]]);
    s.close();
    // no plugins: the bundled ones, as before
    expect(vmFileOf('v.yaml', { vm: VIRT }, PLUGINS).plugins).toBeNull();
  });

  test.each([
    ['an unknown host', [{ name: '@kvmdev/xics', options: { host: 'nope' } }], 'v.yaml: plugins[0].options: unknown ppc64 host profile "nope"; presets are pseries-hv, powernv9'],
    ['an unknown option', [{ name: '@kvmdev/arm-vgic', options: { colour: 'red' } }], 'v.yaml: plugins[0].options: colour: unknown option; @kvmdev/arm-vgic takes host'],
    [
      'a host that is not a name',
      [{ name: '@kvmdev/arm-vgic', options: { host: 7 } }],
      'v.yaml: plugins[0].options: host: expected a host preset name (gicv3-server, gicv2-host, qemu-tcg-max, qemu-tcg-max-gicv2)',
    ],
    ['options that are not a mapping', [{ name: '@kvmdev/xics', options: [1] }], 'v.yaml: plugins[0].options: expected a mapping of option names to values'],
    ['an entry without options', [{ name: '@kvmdev/xics' }], 'v.yaml: plugins[0]: missing options: (or write the package name alone)'],
    ['an unknown key', [{ name: '@kvmdev/xics', options: {}, version: 1 }], 'v.yaml: plugins[0].version: unknown key; a plugin entry has name and options'],
    ['a name that is not a string', [{ name: 7, options: {} }], 'v.yaml: plugins[0].name: expected a package name'],
    ['an entry that is not a name', ['@kvmdev/xics', 7], 'v.yaml: plugins[1]: expected a package name'],
    ['a plugin without configure', [{ name: '@kvmdev/mpic', options: { host: 'x' } }], 'v.yaml: plugins[0].options: plugin @kvmdev/mpic takes no options'],
    [
      'xics on a ppc64 host with MSIs',
      [{ name: '@kvmdev/xics', options: { host: 'pseries-hv', msi: true } }],
      'v.yaml: plugins[0].options: msi: a ppc64 host has no MSI injection (KVM_XICS selects neither HAVE_KVM_MSI nor HAVE_KVM_IRQ_ROUTING)',
    ],
    [
      'a plugin the page does not carry, with options',
      [{ name: '@acme/kvmdev-vfio', options: {} }],
      'v.yaml: plugins[0]: "@acme/kvmdev-vfio" is not part of this page (it carries @kvmdev/arm-vgic, @kvmdev/mpic, @kvmdev/xics); use kvmdev inspect in a terminal for other plugins',
    ],
    ['plugins that are not a list', '@kvmdev/xics', 'v.yaml: plugins: expected a list of package names'],
  ])('%s is refused with the CLI\'s message', (_what, plugins, message) => {
    expect(messageOf(() => vmFileOf('v.yaml', { plugins, vm: PSERIES }, PLUGINS))).toBe(message);
  });

  test('every example VM file with first-party plugins opens in the page (the KVM-VFIO one names a third-party plugin)', async () => {
    const files = readdirSync(VMS).filter((f) => /\.ya?ml$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['pseries-hv-xics.yaml', 'qemu-virt-its.yaml', 'qemu-virt-its-mapped.yaml', 'firecracker-vfio.yaml']));
    const refused: string[] = [];
    for (const f of files) {
      let p: ReturnType<typeof plan>;
      try {
        p = plan([await vmFile(f)], PLUGINS);
      } catch (e) {
        refused.push((e as Error).message);
        continue;
      }
      if (p.kind !== 'inspect') throw new Error(f);
      const s = new Session(p.source, PLUGINS);
      s.goTo(s.steps.length);
      expect([f, s.halted]).toEqual([f, null]);
      s.close();
    }
    expect(refused).toEqual([expect.stringMatching(/^firecracker-vfio\.yaml: plugins\[1\]: "@acme\/kvmdev-vfio" is not part of this page/)]);
  });

  /** A snapshot of the HV example as `kvmdev snapshot` writes it: core's snapshot, the VM config and the plugins with their options. */
  async function hvSnapshot(): Promise<Record<string, unknown> & { vm: Record<string, unknown> }> {
    const p = plan([await vmFile('pseries-hv-xics.yaml')], PLUGINS);
    if (p.kind !== 'inspect') throw new Error('expected one session');
    const s = new Session(p.source, PLUGINS);
    s.goTo(10);
    const snap = JSON.parse(JSON.stringify(saveSnapshot(s.host, s.vm.vm.fd)));
    snap.vm.config = p.source.config;
    snap.vm.plugins = s.host.registry.listPlugins().map((x) => ({ name: x.name, version: x.version, ...(x.options ? { options: x.options } : {}) }));
    s.close();
    return snap;
  }

  test('a snapshot alone is restored with the plugins it carries ($.vm.plugins), built with their options, as kvmdev restore does', async () => {
    const snap = await hvSnapshot();
    expect(snap.vm.plugins).toEqual([{ name: '@kvmdev/xics', version: expect.any(String), options: { host: 'pseries-hv' } }]);
    const p = plan([{ name: 'hv.json', data: snap }], PLUGINS);
    if (p.kind !== 'inspect') throw new Error('expected one session');
    expect(p.source.plugins?.map((x) => [x.name, x.options])).toEqual([['@kvmdev/xics', { host: 'pseries-hv' }]]);
    const s = new Session(p.source, PLUGINS);
    expect(s.host.ioctls.KVM_CHECK_EXTENSION).not.toBe(KVM_CHECK_EXTENSION); // the HV host, not the generic one
    expect(s.vm.vm.checkExtension(KVM_CAP_PPC_PAPR)).toBe(1);
    s.close();
    // a snapshot without $.vm.plugins (older, or saved by code): the bundled plugins, as before
    const { plugins: _drop, ...vm } = snap.vm;
    const older = plan([{ name: 'old.json', data: { ...snap, vm } }], PLUGINS);
    expect((older as { source: object }).source).not.toHaveProperty('plugins');
  });

  test.each([
    ['an unknown host', (v: Record<string, unknown>[]) => [{ ...v[0], options: { host: 'pseries-pr9' } }], 'hv.json: not a valid snapshot: $.vm.plugins[0].options: unknown ppc64 host profile "pseries-pr9"; presets are pseries-hv, powernv9'],
    ['options that are not a mapping', (v: Record<string, unknown>[]) => [{ ...v[0], options: 7 }], 'hv.json: not a valid snapshot: $.vm.plugins[0].options: expected a mapping of option names to values'],
    ['no version', (v: Record<string, unknown>[]) => [{ name: v[0]!.name }], 'hv.json: not a valid snapshot: $.vm.plugins[0].version: expected a version string'],
    ['not a list', () => 'x', 'hv.json: not a valid snapshot: $.vm.plugins: expected a list of { name, version }'],
    [
      'a plugin the page does not carry',
      (v: Record<string, unknown>[]) => [...v, { name: '@acme/kvmdev-vfio', version: '1.0.0' }],
      'hv.json: $.vm.plugins[1]: "@acme/kvmdev-vfio" is not part of this page (it carries @kvmdev/arm-vgic, @kvmdev/mpic, @kvmdev/xics); use kvmdev inspect in a terminal for other plugins',
    ],
  ])('a snapshot with %s in $.vm.plugins is refused with the CLI\'s words', async (_what, edit, message) => {
    const snap = await hvSnapshot();
    const data = { ...snap, vm: { ...snap.vm, plugins: edit(snap.vm.plugins as Record<string, unknown>[]) } };
    expect(messageOf(() => plan([{ name: 'hv.json', data }], PLUGINS))).toBe(message);
  });
});
