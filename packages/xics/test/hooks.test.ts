/** KVM_ENABLE_CAP(IRQ_XICS) argument decoding and ONE_REG ordering (facade). */
import { EFAULT, ENXIO, KVM_GET_ONE_REG, KVM_GET_VCPU_MMAP_SIZE, KVM_SET_ONE_REG, createHost, kvm_one_reg } from '@kvmdev/core';
import { icpOf, KVM_REG_PPC_ICP_STATE, xics } from '../src/internal.js';
import { facadeFace, setupT } from './harness.js';

test('ENABLE_CAP takes the fd as an unsigned int and the server as a u32', () => {
  const f = facadeFace();
  f.createXics();
  f.createVcpu(0);
  expect(f.connect(0, 0x1_0000_0005n, (1n << 32n) | BigInt(f.xicsFd))).toBe(0);
  expect(icpOf(f.vcpu(0))!.server).toBe(5);
});

test('ONE_REG: GET checks the ICP before the pointer, SET copies the value first', () => {
  const f = setupT(facadeFace);
  f.createVcpu(1);
  const host = f.host;
  const r = host.mem.alloc(16);
  const io = (i: number, req: number, addr: bigint): number => {
    kvm_one_reg.write(host.mem, r, { id: KVM_REG_PPC_ICP_STATE, addr });
    return host.ioctl(f.vcpuFd(i), req, r) < 0 ? -host.errno : 0;
  };
  expect(io(1, KVM_GET_ONE_REG, 8n)).toBe(-ENXIO);
  expect(io(1, KVM_SET_ONE_REG, 8n)).toBe(-EFAULT);
  expect(io(0, KVM_GET_ONE_REG, 8n)).toBe(-EFAULT);
  expect(io(0, KVM_SET_ONE_REG, 8n)).toBe(-EFAULT);
  expect(f.getIcp(0)).toBe(0x00000000ffff0000n);
});

test('KVM_GET_VCPU_MMAP_SIZE of the device-only plugin: one 64 KiB page (no PIO page, no KVM_MMIO ring page on book3s-64 with HV)', () => {
  // kvm_dev_ioctl: PAGE_SIZE, + a page only with CONFIG_X86, + a page only with CONFIG_KVM_MMIO,
  // which arch/powerpc/kvm/Kconfig selects for book3s-64 only without KVM_BOOK3S_HV_POSSIBLE
  const host = createHost({ plugins: [xics] });
  const kvm = host.open('/dev/kvm');
  expect(host.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)).toBe(65536);
});
