// What the kit cannot know: the device's own behaviour, through the typed API and the syscall facade.
import { EBUSY, createHost, isKvmError } from '@kvmdev/core';
import { getAttr, setAttr, vmWithVcpus, createDevice } from '@kvmdev/testing';
import { CTRL_INIT, DEVICE_KEY, GRP_CTRL, GRP_REGS, plugin } from '../src/index.js';

test('the registers hold what is written, until CTRL_INIT (typed API)', () => {
  const host = createHost({ plugins: [plugin] });
  const vm = host.createVm();
  const dev = vm.createDevice(DEVICE_KEY);
  dev.setAttr(GRP_REGS, 2, 0xcafe);
  expect(dev.getAttr(GRP_REGS, 2)).toBe(0xcafe);
  dev.setAttr(GRP_CTRL, CTRL_INIT);
  let code = '';
  try {
    dev.setAttr(GRP_REGS, 2, 1);
  } catch (e) {
    if (isKvmError(e)) code = e.code;
  }
  expect(code).toBe('EBUSY');
  expect(dev.getAttr(GRP_REGS, 2)).toBe(0xcafe);
});

test('the same through the syscall facade: -1 and errno', () => {
  const { host, vmFd } = vmWithVcpus([plugin], 1);
  const { ret, fd } = createDevice(host, vmFd, DEVICE_KEY);
  expect(ret).toBe(0);
  expect(setAttr(host, fd, GRP_REGS, 0, 7).ret).toBe(0);
  expect(setAttr(host, fd, GRP_CTRL, CTRL_INIT, 0, 0).ret).toBe(0);
  expect(setAttr(host, fd, GRP_REGS, 0, 8)).toEqual({ ret: -1, errno: EBUSY });
  expect(getAttr(host, fd, GRP_REGS, 0).value).toBe(7);
  expect(host.deviceType(DEVICE_KEY)).toBeGreaterThanOrEqual(0x10000); // a vendor-range number
});
