/** The XIVE native uapi: values and the struct kvm_ppc_xive_eq layout (asm/kvm.h). */
import { createHost } from '@kvmdev/core';
import {
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_TYPE_XIVE,
  KVM_XIVE_ESB_PAGE_OFFSET,
  KVM_XIVE_TIMA_PAGE_OFFSET,
  SIZEOF_KVM_PPC_XIVE_EQ,
  kvm_ppc_xive_eq,
  xiveEqId,
  xiveSourceConfig,
} from '../../src/internal.js';

test('numbers', () => {
  expect([KVM_CAP_PPC_IRQ_XIVE, KVM_DEV_TYPE_XIVE, KVM_XIVE_TIMA_PAGE_OFFSET, KVM_XIVE_ESB_PAGE_OFFSET]).toEqual([169, 9, 0, 4]);
  expect(xiveEqId(5, 6)).toBe(0x2en);
  expect(xiveSourceConfig({ priority: 6, server: 1, masked: true, eisn: 0x1000 })).toBe((0x1000n << 33n) | (1n << 32n) | 0xen);
});

test('struct kvm_ppc_xive_eq: flags@0 qshift@4 qaddr@8 qtoggle@16 qindex@20, 64 bytes', () => {
  const mem = createHost().mem;
  const a = mem.alloc(64);
  mem.fill(a, 64, 0xff);
  kvm_ppc_xive_eq.write(mem, a, { flags: 1, qshift: 16, qaddr: 0x1122334455667788n, qtoggle: 1, qindex: 9 });
  expect(SIZEOF_KVM_PPC_XIVE_EQ).toBe(64);
  expect([mem.getU32(a), mem.getU32(a + 4), mem.getU64(a + 8), mem.getU32(a + 16), mem.getU32(a + 20)]).toEqual([1, 16, 0x1122334455667788n, 1, 9]);
  expect([...mem.read(a + 24, 40)].every((b) => b === 0)).toBe(true);
  expect(kvm_ppc_xive_eq.read(mem, a)).toEqual({ flags: 1, qshift: 16, qaddr: 0x1122334455667788n, qtoggle: 1, qindex: 9 });
});
