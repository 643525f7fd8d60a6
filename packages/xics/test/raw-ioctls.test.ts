/** Random raw ioctls on every fd of an XICS VM (system, VM, vCPUs, device) never crash. */
import { KVM_CREATE_DEVICE, KVM_CREATE_VCPU, KVM_CREATE_VM } from '@kvmdev/core';
import { checkRawIoctls } from '@kvmdev/testing';
import { xics } from '../src/internal.js';

test('random raw ioctls on an XICS VM never throw and return only documented errno', () => {
  const r = checkRawIoctls({
    plugins: [xics],
    build(host) {
      const kvm = host.open('/dev/kvm');
      const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
      const vcpus = [0, 1].map((i) => host.ioctl(vm, KVM_CREATE_VCPU, i));
      const cd = host.mem.alloc(12);
      host.mem.setU32(cd, 3);
      host.ioctl(vm, KVM_CREATE_DEVICE, cd);
      const dev = host.mem.getU32(cd + 4);
      return { fds: [kvm, vm, ...vcpus, dev, 0, 99] };
    },
  });
  if (!r.ok) throw new Error(r.message); // names the call and the seed to replay it
  expect(r.calls).toBeGreaterThan(100);
});
