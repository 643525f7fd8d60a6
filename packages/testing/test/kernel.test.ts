/**
 * compareWithKernel / expectAgreesWithKernel on a recording of this machine's /dev/kvm (Linux
 * 6.18, the first steps of the oracle's generic/create-device scenario, answers as recorded).
 */
import { type KvmPlugin, KVM_DEV_TYPE_VFIO } from '@kvmdev/core';
import { definePlugin } from '@kvmdev/core/plugin';
import { sha256 } from '@kvmdev/oracle';
import { compareWithKernel, expectAgreesWithKernel } from '../src/index.js';

const scenario = `target host
kvm = open /dev/kvm
vm = ioctl kvm KVM_CREATE_VM 0
struct t kvm_create_device type=KVM_DEV_TYPE_VFIO flags=KVM_CREATE_DEVICE_TEST
ioctl vm KVM_CREATE_DEVICE t
struct bad kvm_create_device type=19 flags=KVM_CREATE_DEVICE_TEST
ioctl vm KVM_CREATE_DEVICE bad
`;
const recording = {
  format: 1 as const,
  target: 'host',
  scenario: 'vfio-test.kvms',
  sha256: sha256(scenario),
  kernel: { release: '6.18.44-fc-v1300', machine: 'x86_64', version: '#1 SMP PREEMPT_DYNAMIC' },
  machine: 'native x86_64',
  recorded: '2026-12-07',
  steps: ['L2 =3', 'L3 =4', 'L5 =0', 'L7 !ENODEV'],
  error: null,
};

/** A device under KVM_DEV_TYPE_VFIO that does nothing else. */
const vfioLike: KvmPlugin = definePlugin({
  name: 'vfio-like',
  version: '0.0.0',
  core: '^0.1.0',
  devices: [{ key: 'KVM_DEV_TYPE_VFIO', type: KVM_DEV_TYPE_VFIO, ops: { name: 'kvm-vfio', create: () => 0, release: () => {} } }],
});

test('a host with the device agrees with the kernel', () => {
  const c = expectAgreesWithKernel({ plugins: [vfioLike], scenario, recording });
  expect(c.counts).toMatchObject({ calls: 4, agree: 4, differ: 0 });
});

test('without it the create differs, and the error names the step and both answers', () => {
  const c = compareWithKernel({ plugins: [], scenario, recording: JSON.stringify(recording) });
  expect(c.steps.filter((s) => s.verdict === 'differ').map((s) => [s.key, s.kernel, s.model])).toEqual([['L5', '=0', '!ENODEV']]);
  expect(() => expectAgreesWithKernel({ plugins: [], scenario, recording })).toThrow(/L5 +ioctl vm KVM_CREATE_DEVICE t\n.*kernel: =0 {2}model: !ENODEV/);
});

test('a divergence entry explains a difference on purpose', () => {
  const json = JSON.stringify([{ target: 'host', scenario: 'vfio-test.kvms', steps: ['L5'], kernel: '=0', model: '!ENODEV', reason: 'this host is composed without KVM-VFIO on purpose' }]);
  const c = expectAgreesWithKernel({ plugins: [], scenario, recording, divergences: { kind: 'deliberate', json } });
  expect(c.counts.deliberate).toBe(1);
});

test('an edited scenario is stale against its recording', () => {
  expect(() => expectAgreesWithKernel({ plugins: [vfioLike], scenario: `${scenario}# edited\n`, recording })).toThrow(/changed since host recorded it/);
});
