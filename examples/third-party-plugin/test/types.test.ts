import { createHost } from '@kvmdev/core';
import { KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, VFIO_DEVICE_KEY, openVfioGroup, vfio } from '../src/index.js';

// Type-level checks: `tsc -b` fails if an @ts-expect-error line stops being an error.
test('the typed API knows the vendor key through declaration merging', () => {
  const host = createHost({ plugins: [vfio] });
  const vm = host.createVm();
  const dev = vm.createDevice('@acme/kvmdev-vfio:vfio');
  const g = openVfioGroup(host);
  dev.setAttr(KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, g);
  expect(dev.hasAttr(1, 2)).toBe(true);

  expect(() => {
    // @ts-expect-error group 2 is not a KVM-VFIO group
    dev.setAttr(2, 1, g);
  }).toThrow();
  expect(() => {
    // @ts-expect-error attr 9 is not in KVM_DEV_VFIO_FILE
    dev.setAttr(1, 9, g);
  }).toThrow();
  expect(() => {
    // @ts-expect-error the payload is an fd, not a string
    dev.setAttr(1, 1, 'fd');
  }).toThrow();
  expect(() => {
    // @ts-expect-error an unregistered key
    vm.createDevice('@acme/kvmdev-vfio:nope');
  }).toThrow();
  expect(VFIO_DEVICE_KEY).toBe('@acme/kvmdev-vfio:vfio');
});
