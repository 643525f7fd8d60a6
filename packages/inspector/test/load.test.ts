import { presets, saveSnapshot } from '@kvmdev/core';
import { plan, snapshotConfig } from '../src/model/load.js';
import { Session } from '../src/model/session.js';
import { parseText, vmFileOf } from '../src/model/vmfile.js';
import { PLUGINS, vmFile } from './helpers.js';

async function snapshotOf(name: string, steps?: number) {
  const p = plan([await vmFile(name)], PLUGINS);
  if (p.kind !== 'inspect') throw new Error('x');
  const s = new Session(p.source, PLUGINS);
  s.goTo(steps ?? s.steps.length);
  const snap = JSON.parse(JSON.stringify(saveSnapshot(s.host, s.vm.vm.fd)));
  s.close();
  return snap;
}

describe('what opened files mean', () => {
  test('a VM file runs its scenario; a snapshot needs its VM config; with a VM file it restores onto it; two snapshots diff', async () => {
    const vm = await vmFile('arm64-virt-gicv3.yaml');
    const p = plan([vm], PLUGINS);
    expect(p).toMatchObject({
      kind: 'inspect',
      source: { title: 'arm64-virt-gicv3.yaml', scenario: { file: 'arm64-virt-gicv3.yaml' } },
    });
    const snap = await snapshotOf('arm64-virt-gicv3.yaml');
    const bare = { ...snap, vm: { type: snap.vm.type, vcpus: snap.vm.vcpus } };
    expect(() => plan([{ name: 's.json', data: bare }], PLUGINS)).toThrow(
      's.json: this snapshot does not carry its VM config',
    );
    const onto = plan([{ name: 's.json', data: bare }, vm], PLUGINS);
    expect(onto).toMatchObject({
      kind: 'inspect',
      source: { title: 's.json on arm64-virt-gicv3.yaml', snapshot: bare },
    });
    expect((onto as { source: object }).source).not.toHaveProperty('scenario');
    const two = plan([{ name: 'a.json', data: bare }, { name: 'b.json', data: bare }, vm], PLUGINS);
    expect(two.kind).toBe('diff');
    const carried = { ...bare, vm: { ...bare.vm, config: presets.qemuVirtArm64({ vcpus: 4 }) } };
    expect(snapshotConfig(carried)).toEqual(presets.qemuVirtArm64({ vcpus: 4 }));
    expect(plan([{ name: 'c.json', data: carried }], PLUGINS)).toMatchObject({
      kind: 'inspect',
      source: { title: 'c.json' },
    });
  });

  test('bad input names the file', async () => {
    expect(() => plan([{ name: 'x.json', data: { hello: 1 } }], PLUGINS)).toThrow(
      'x.json: neither a kvmdev snapshot',
    );
    expect(() => vmFileOf('v.yaml', { vm: { preset: 'nope' } }, PLUGINS)).toThrow(
      'v.yaml: vm.preset: unknown preset "nope"',
    );
    expect(() => vmFileOf('v.yaml', { plugins: ['@acme/kvmdev-vfio'], vm: {} }, PLUGINS)).toThrow(
      'v.yaml: plugins[0]: "@acme/kvmdev-vfio" is not part of this page',
    );
    expect(() => vmFileOf('v.yaml', { vm: {}, extra: 1 }, PLUGINS)).toThrow(
      'v.yaml: extra: unknown key',
    );
    await expect(parseText('v.yaml', 'vm: [1, 2')).rejects.toThrow(
      /^v\.yaml:\d+:\d+: syntax error/,
    );
    await expect(parseText('s.json', '{"a": ')).rejects.toThrow('s.json: syntax error');
    const vm = await vmFile('arm64-virt-gicv3.yaml');
    const other = await vmFile('e500-mpic.yaml');
    expect(() => plan([vm, other], PLUGINS)).toThrow('open one VM file at a time');
  });

  test('YAML keeps 64-bit values exact and gives numbers otherwise', async () => {
    expect(await parseText('v.yaml', 'a: 0xffffffffffffffff\nb: 0x10\n')).toEqual({
      a: 0xffffffffffffffffn,
      b: 16,
    });
  });

  test('a snapshot that does not match the VM is refused, naming the field', async () => {
    const snap = await snapshotOf('arm64-virt-gicv3.yaml', 5);
    const wrong = {
      ...snap,
      vm: { type: snap.vm.type, vcpus: snap.vm.vcpus, config: presets.qemuVirtArm64({ vcpus: 2 }) },
    };
    const p = plan([{ name: 'w.json', data: wrong }], PLUGINS);
    if (p.kind !== 'inspect') throw new Error('expected one session');
    expect(() => new Session(p.source, PLUGINS)).toThrow('$.vm.vcpus');
  });
});
