/** The README example, as written. */
import { createHost } from '@kvmdev/core';
import { parseScenario, runOnModel } from '../src/index.js';

test('README example', () => {
  const scenario = parseScenario(`
kvm = open /dev/kvm
vm = ioctl kvm KVM_CREATE_VM 0
struct cd kvm_create_device type=KVM_DEV_TYPE_VFIO flags=KVM_CREATE_DEVICE_TEST
ioctl vm KVM_CREATE_DEVICE cd
show cd.fd
`);
  const run = runOnModel(scenario, { createHost: () => createHost() });
  expect(run.steps.map((s) => `${s.key} ${s.text}`)).toEqual(['L2 =3', 'L3 =4', 'L5 !ENODEV', 'L6 cd.fd=0x0']);
});
