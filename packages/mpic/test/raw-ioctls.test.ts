/** Random raw ioctls on every fd of an MPIC VM (system, VM, vCPUs, device) never crash. */
import { KVM_CREATE_DEVICE, KVM_CREATE_VCPU, KVM_CREATE_VM, KVM_ENABLE_CAP } from '@kvmdev/core';
import { checkRawIoctls } from '@kvmdev/testing';
import { mpic } from '../src/internal.js';

test('random raw ioctls on an MPIC VM never throw and return only documented errno', () => {
  const r = checkRawIoctls({
    plugins: [mpic],
    build(host) {
      const kvm = host.open('/dev/kvm');
      const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
      const vcpus = [0, 1].map((i) => host.ioctl(vm, KVM_CREATE_VCPU, i));
      const cd = host.mem.alloc(12);
      host.mem.setU32(cd, 2);
      host.ioctl(vm, KVM_CREATE_DEVICE, cd);
      const dev = host.mem.getU32(cd + 4);
      return { fds: [kvm, vm, ...vcpus, dev, 0, 99], requests: [KVM_ENABLE_CAP] };
    },
  });
  if (!r.ok) throw new Error(r.message); // names the call and the seed to replay it
  expect(r.calls).toBeGreaterThan(100);
});
