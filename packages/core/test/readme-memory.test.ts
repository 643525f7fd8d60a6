/** The README's "Guest memory, eventfds and irqfds" example, as written. */
import { createHost, KVM_MEM_LOG_DIRTY_PAGES } from '@kvmdev/core';

test('README guest memory and irqfd example', () => {
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  const host = createHost();
  const vm = host.createVm();
  const ram = host.mem.mmap(16 << 20);
  vm.setUserMemoryRegion({ slot: 0, flags: KVM_MEM_LOG_DIRTY_PAGES, guestPhysAddr: 0x4000_0000, memorySize: 16 << 20, userspaceAddr: ram });
  host.mem.setU32(ram + 0x100, 0xcafe);
  console.log(vm.vm.memory.readU8(0x4000_0100));
  const ev = host.createEventFd();
  vm.irqfd({ fd: ev, gsi: 5 });
  ev.signal();
  expect(log).toHaveBeenCalledWith(254);
  expect(ram % 4096).toBe(0);
  expect(ev.peek()).toBe(0n); // consumed by the irqfd
  log.mockRestore();
});
