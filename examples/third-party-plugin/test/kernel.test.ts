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

/** The kernel numbers KVM-VFIO; compose the device the way the recorded host has it. */
function underKernelNumber(p: KvmPlugin): KvmPlugin {
  return { ...p, devices: (p.devices ?? []).map((d) => ({ ...d, type: KVM_DEV_TYPE_VFIO })) };
}

test('KVM-VFIO answers like the kernel, call for call', () => {
  const c = expectAgreesWithKernel({ plugins: [underKernelNumber(createVfioPlugin({ spaprTce: false }))], scenario, recording });
  expect(c.counts.calls).toBe(30);
  expect(c.counts.agree).toBe(c.steps.length);
});

test('under its vendor number the kernel-numbered create fails, and the comparison says where', () => {
  const c = compareWithKernel({ plugins: [createVfioPlugin({ spaprTce: false })], scenario, recording });
  const first = c.steps.find((s) => s.verdict === 'differ')!;
  expect([first.key, first.kernel, first.model]).toEqual(['L9', '=0', '!ENODEV']);
  expect(() => expectAgreesWithKernel({ plugins: [createVfioPlugin({ spaprTce: false })], scenario, recording })).toThrow(/kernel: =0 {2}model: !ENODEV/);
});
