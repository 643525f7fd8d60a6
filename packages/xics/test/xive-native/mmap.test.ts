/** The device fd's mmap rules (model only: the probe cannot map a device fd). */
import { EINVAL } from '@kvmdev/core';
import { KVM_DEV_XIVE_GRP_SOURCE, KVM_XIVE_ESB_PAGE_OFFSET, KVM_XIVE_TIMA_PAGE_OFFSET, xiveMmapCheck, xiveMmapFault, xiveNativeOf } from '../../src/internal.js';
import { Rig } from './rig.js';

test('offsets and lengths', () => {
  expect(xiveMmapCheck(KVM_XIVE_TIMA_PAGE_OFFSET, 4)).toBe(0);
  expect(xiveMmapCheck(KVM_XIVE_TIMA_PAGE_OFFSET, 5)).toBe(-EINVAL);
  expect(xiveMmapCheck(KVM_XIVE_ESB_PAGE_OFFSET, 1 << 21)).toBe(0);
  expect(xiveMmapCheck(KVM_XIVE_ESB_PAGE_OFFSET, (1 << 21) + 1)).toBe(-EINVAL);
  for (const o of [1, 2, 3, 5, 16]) expect(xiveMmapCheck(o, 1)).toBe(-EINVAL);
});

test('faults: the TIMA OS page only; ESB trigger/EOI pages of set sources', () => {
  const r = new Rig();
  const x = r.create();
  r.set(x, KVM_DEV_XIVE_GRP_SOURCE, 0x1000);
  const st = xiveNativeOf(r.h.vmOf(r.vm))!;
  expect([0, 1, 2, 3].map((i) => xiveMmapFault(st, KVM_XIVE_TIMA_PAGE_OFFSET, i).kind)).toEqual(['sigbus', 'sigbus', 'tima-os', 'sigbus']);
  expect(xiveMmapFault(st, KVM_XIVE_ESB_PAGE_OFFSET, 0x2000)).toEqual({ kind: 'esb-trigger', source: 0x1000 });
  expect(xiveMmapFault(st, KVM_XIVE_ESB_PAGE_OFFSET, 0x2001)).toEqual({ kind: 'esb-eoi', source: 0x1000 });
  expect(xiveMmapFault(st, KVM_XIVE_ESB_PAGE_OFFSET, 0x2002).kind).toBe('sigbus');
  expect(xiveMmapFault(st, KVM_XIVE_ESB_PAGE_OFFSET, 0).kind).toBe('sigbus');
});
