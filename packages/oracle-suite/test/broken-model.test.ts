/**
 * The comparison catches a broken model: the same recordings, a model with one plugin wrapped to
 * answer one thing wrong, and the comparison must name exactly the steps that changed.
 */
import { type KvmPlugin, KVM_CAP_DEVICE_CTRL, createHost } from '@kvmdev/core';
import { type DeviceOps, KVM_HOOK_PASS } from '@kvmdev/core/plugin';
import { compareWithRecording, runOnModel, unexplained } from '@kvmdev/oracle';
import { loadDivergences, loadRecordings, loadScenarios } from '../suite/files.js';
import { MODELS, PLUGINS, kvmVfio } from '../suite/models.js';

const scenarios = loadScenarios();
const divergences = loadDivergences();
const rec = (path: string) => loadRecordings('host').find((r) => r.scenario === path)!;
const scenario = (path: string) => scenarios.find((s) => s.path === path)!;

/**
 * The host target's model with a fresh KVM-VFIO whose has_attr answers EINVAL where it would
 * answer ENXIO (patched in place, so the device keeps its ops object).
 */
function brokenHost() {
  const plugin = kvmVfio(false);
  const ops = plugin.devices![0]!.ops as { hasAttr: NonNullable<DeviceOps['hasAttr']> };
  const hasAttr = ops.hasAttr;
  ops.hasAttr = (dev, a) => {
    const r = hasAttr(dev, a);
    return r === -6 ? -22 : r;
  };
  return { createHost: () => createHost({ plugins: [plugin] }) };
}

describe('a deliberately broken model', () => {
  it('the good model has no unexplained difference on the same recording', () => {
    const s = scenario('vfio/kvm-vfio.kvms');
    const c = compareWithRecording(
      runOnModel(s.parsed, MODELS.host!),
      rec(s.path),
      s.source,
      divergences,
    );
    expect(unexplained(c)).toEqual([]);
  });

  it('a plugin answering one errno wrong shows up as differences on exactly those steps', () => {
    const s = scenario('vfio/kvm-vfio.kvms');
    const c = compareWithRecording(
      runOnModel(s.parsed, brokenHost()),
      rec(s.path),
      s.source,
      divergences,
    );
    const bad = unexplained(c);
    expect(bad.length).toBeGreaterThan(10);
    for (const b of bad) expect([b.kernel, b.model]).toEqual(['!ENXIO', '!EINVAL']);
    expect(bad.map((b) => b.key)).toContain('L24.0.0');
    expect(bad.map((b) => b.key)).not.toContain('L24.1.1');
  });

  it('a capability hook answering 0 for KVM_CAP_DEVICE_CTRL breaks exactly that step', () => {
    const liar: KvmPlugin = {
      name: 'liar',
      version: '0.0.0',
      core: '^0.1.0',
      hooks: {
        checkExtension: (_h, _vm, cap) => (cap === KVM_CAP_DEVICE_CTRL ? 0 : KVM_HOOK_PASS),
      },
    };
    const s = scenario('generic/kvm-fd.kvms');
    const model = { createHost: () => createHost({ plugins: [...PLUGINS.host!, liar] }) };
    const c = compareWithRecording(runOnModel(s.parsed, model), rec(s.path), s.source, divergences);
    expect(unexplained(c).map((b) => [b.key, b.kernel, b.model])).toEqual([['L13', '=1', '=0']]);
  });

  it('an edited scenario is stale against its recording', () => {
    const s = scenario('generic/kvm-fd.kvms');
    const edited = `${s.source}\n# an edit\n`;
    const c = compareWithRecording(
      runOnModel(s.parsed, MODELS.host!),
      rec(s.path),
      edited,
      divergences,
    );
    expect(c.stale).toBe(true);
  });
});
