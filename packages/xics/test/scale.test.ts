/** Sparse sources and many servers: ICS blocks exist only where touched, server lookup by Map. */
import { createHost, type VcpuHandle } from '@kvmdev/core';
import {
  H_CPPR,
  H_EOI,
  H_IPI,
  H_IPOLL,
  H_XIRR,
  KVM_CAP_IRQ_XICS,
  KVM_INTERRUPT_SET,
  KVM_REG_PPC_ICP_STATE,
  xics,
  xicsOf,
} from '../src/internal.js';

test('a 2048-server VM with sources spread over the 2^20 space', () => {
  const host = createHost({ plugins: [xics], maxVcpus: 2048, fdLimit: 4096 });
  const vm = host.createVm();
  const dev = vm.createDevice('KVM_DEV_TYPE_XICS');
  const x = xicsOf(vm.vm)!;
  expect(x.icsCount).toBe(0);
  const vcpus: VcpuHandle[] = [];
  for (let i = 0; i < 2048; i++) {
    const v = vm.createVcpu(i);
    v.enableCap(KVM_CAP_IRQ_XICS, dev.fd, 3 * i + 1); // sparse server numbers
    vcpus.push(v);
  }
  expect(x.servers.size).toBe(2048);
  expect(x.icsCount).toBe(0);
  // reads, injections, hcalls and failed validations create no block
  expect(dev.hasAttr(1, 0xfffff)).toBe(true);
  expect(() => dev.getAttr(1, 0x80000)).toThrow();
  vm.irqLine(0x90000, KVM_INTERRUPT_SET);
  expect(vcpus[0]!.guest.hypercall(H_EOI, [0xff0a0000]).ret).toBe(-4);
  expect(() => vcpus[0]!.setOneReg(KVM_REG_PPC_ICP_STATE, 0xff0a0000ff050000n)).toThrow();
  expect(x.icsCount).toBe(0);
  const touched = [16, 0x3ff, 0x400, 0x1000, 0x1001, 0x7ffff, 0x80000, 0xabcde, 0xfffff];
  const blocks = new Set(touched.map((n) => n >> 10));
  for (const n of touched) dev.setAttr(1, n, BigInt(3 * (n % 2048) + 1) | (5n << 32n));
  expect(x.icsCount).toBe(blocks.size);
  expect(x.ics.filter((b) => b !== null).length).toBe(blocks.size);
  // a failed SET (server 2 does not exist) still creates its block, as in the kernel
  expect(() => dev.setAttr(1, 0x55555, 2n | (5n << 32n))).toThrow();
  expect(x.icsCount).toBe(blocks.size + 1);
  // deliveries reach the right presenter among 2048
  const last = vcpus[2047]!;
  last.guest.hypercall(H_CPPR, [0xff]);
  vm.irqLine(0xfffff, KVM_INTERRUPT_SET); // server 3 * (0xfffff % 2048) + 1
  const target = vcpus[0xfffff % 2048]!;
  target.guest.hypercall(H_CPPR, [0xff]);
  expect(target.guest.hypercall(H_XIRR).out[0]).toBe(0xff0fffff);
  // an IPI from vCPU 0 to the last server, and a peek at it
  expect(vcpus[0]!.guest.hypercall(H_IPI, [3 * 2047 + 1, 2]).ret).toBe(0);
  expect(last.guest.line('external')).toBe(1);
  const p = vcpus[0]!.guest.hypercall(H_IPOLL, [3 * 2047 + 1]);
  // 0xfffff % 2048 = 2047: the last vCPU also took 0x0fffff above, so its CPPR is 5
  expect([p.ret, p.out[0], p.out[1]]).toEqual([0, 0x05000002, 2]);
  expect(vcpus[0]!.guest.hypercall(H_IPOLL, [2]).ret).toBe(-4);
});

test('the resend scan walks only the blocks in the ICP resend map', () => {
  const host = createHost({ plugins: [xics] });
  const vm = host.createVm();
  const dev = vm.createDevice('KVM_DEV_TYPE_XICS');
  const v = vm.createVcpu(0);
  v.enableCap(KVM_CAP_IRQ_XICS, dev.fd, 0);
  const x = xicsOf(vm.vm)!;
  for (const n of [0x400, 0x800, 0xffc00]) dev.setAttr(1, n, 5n << 32n);
  vm.irqLine(0x800, KVM_INTERRUPT_SET); // refused at CPPR 0
  const icp = x.servers.get(0)!;
  expect(Array.from(icp.resendMap).reduce((a, w) => a + (w ? 1 : 0), 0)).toBe(1);
  expect(icp.resendMap[0]).toBe(1 << 2);
  v.guest.hypercall(H_CPPR, [0xff]);
  expect(icp.resendMap[0]).toBe(0);
  expect(v.getOneReg(KVM_REG_PPC_ICP_STATE)).toBe(0xff000800ff050000n);
});
