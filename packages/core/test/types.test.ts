/**
 * Type-level tests of the typed registry: `tsc -b` checks the `@ts-expect-error` lines, so a
 * registry that accepts an unregistered key or a wrong value type fails the type gate.
 */
import { createHost, type AttrOf, type DeviceKey, type ValueOf } from '@kvmdev/core';
import { fakePlugin } from './fixtures/fake-device.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

test('registered keys, group value types', () => {
  assertType<Equal<'KVM_DEV_TYPE_VFIO' extends DeviceKey ? true : false, true>>();
  assertType<Equal<ValueOf<'KVM_DEV_TYPE_VFIO', 2>, bigint>>();
  assertType<Equal<ValueOf<'KVM_DEV_TYPE_VFIO', 1>, number>>();
  assertType<Equal<AttrOf<'KVM_DEV_TYPE_VFIO', 2>, 0>>();

  const host = createHost({ plugins: [fakePlugin({ calls: [] })] });
  const vm = host.createVm();
  const dev = vm.createDevice('KVM_DEV_TYPE_VFIO');
  const v: number = dev.getAttr(1, 0);
  const b: bigint = dev.getAttr(2, 0);
  expect([v, b]).toEqual([0, 0n]);
  dev.setAttr(2, 0, 0x3fff0000); // a number for a 64-bit payload
  expect(dev.getAttr(2, 0)).toBe(0x3fff0000n);
  if (Math.random() > 2) {
    // @ts-expect-error an unregistered device type is a compile error
    vm.createDevice('KVM_DEV_TYPE_NOPE');
    // @ts-expect-error group 9 is not a group of this device
    dev.getAttr(9, 0);
    // @ts-expect-error group 2 takes a 64-bit payload (bigint or number), not a string
    dev.setAttr(2, 0, 'x');
    // @ts-expect-error group 1 takes a u32 number, not a bigint
    dev.setAttr(1, 0, 5n);
    // @ts-expect-error group 2 has only attr 0
    dev.getAttr(2, 1);
  }
});
