/**
 * The plugin against the real kernel: oracle/kvm-vfio.kvms, run on a host with this plugin, step
 * by step against what Linux answered on a real /dev/kvm (oracle/recordings/host/kvm-vfio.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KvmPlugin, KVM_DEV_TYPE_VFIO } from '@kvmdev/core';
import { compareWithKernel, expectAgreesWithKernel } from '@kvmdev/testing';
import { createVfioPlugin } from '../src/index.js';

const dir = join(__dirname, '..', 'oracle');
const scenario = readFileSync(join(dir, 'kvm-vfio.kvms'), 'utf8');
const recording = readFileSync(join(dir, 'recordings', 'host', 'kvm-vfio.json'), 'utf8');

/** The plugin with its device moved to a vendor-range number (what it did before it took the kernel's). */
function underVendorNumber(p: KvmPlugin): KvmPlugin {
  return { ...p, devices: (p.devices ?? []).map(({ type: _type, ...d }) => d) };
}

test('KVM-VFIO answers like the kernel, call for call', () => {
  const c = expectAgreesWithKernel({ plugins: [createVfioPlugin({ spaprTce: false })], scenario, recording });
  expect(c.counts.calls).toBe(30);
  expect(c.counts.agree).toBe(c.steps.length);
});

test('it registers under KVM_DEV_TYPE_VFIO; under a vendor number the create of type 4 fails, and the comparison says where', () => {
  expect(createVfioPlugin().devices[0].type).toBe(KVM_DEV_TYPE_VFIO);
  const c = compareWithKernel({ plugins: [underVendorNumber(createVfioPlugin({ spaprTce: false }))], scenario, recording });
  const first = c.steps.find((s) => s.verdict === 'differ')!;
  expect([first.key, first.kernel, first.model]).toEqual(['L9', '=0', '!ENODEV']);
  expect(() => expectAgreesWithKernel({ plugins: [underVendorNumber(createVfioPlugin({ spaprTce: false }))], scenario, recording })).toThrow(/kernel: =0 {2}model: !ENODEV/);
});
