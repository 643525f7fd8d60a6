/** eventfd(2) and read/write(2) on it (fs/eventfd.c): flags, the counter, semaphore mode, errno. */
import {
  EAGAIN,
  EBADF,
  EFAULT,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EFD_SEMAPHORE,
  EINVAL,
  EMFILE,
  createHost,
  isKvmError,
} from '@kvmdev/core';
import { openVm } from './fixtures/sys.js';

function err(host: ReturnType<typeof createHost>, r: number): number {
  return r < 0 ? -host.errno : r;
}

describe('eventfd(2)', () => {
  test('flags: EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC; anything else EINVAL; lowest free fd; EMFILE', () => {
    const host = createHost({ fdLimit: 5 });
    expect(err(host, host.eventfd(0, 0x10))).toBe(-EINVAL);
    expect(host.eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)).toBe(3);
    expect(host.eventfd(7)).toBe(4);
    expect(err(host, host.eventfd())).toBe(-EMFILE);
  });

  test('write adds, read takes the whole counter; 8 bytes exactly are moved', () => {
    const host = createHost();
    const fd = host.eventfd(5, EFD_NONBLOCK);
    const b = host.mem.alloc(16);
    host.mem.setU64(b, 0x1_0000_0003n);
    expect(host.write(fd, b, 16)).toBe(8); // a longer buffer is fine
    expect(host.read(fd, b, 8)).toBe(8);
    expect(host.mem.getU64(b)).toBe(0x1_0000_0008n);
    expect(err(host, host.read(fd, b, 8))).toBe(-EAGAIN);
  });

  test('short buffers EINVAL, bad buffers EFAULT, ULLONG_MAX EINVAL, overflow EAGAIN', () => {
    const host = createHost();
    const fd = host.eventfd(0, EFD_NONBLOCK);
    const b = host.mem.alloc(8);
    expect(err(host, host.write(fd, b, 7))).toBe(-EINVAL);
    expect(err(host, host.read(fd, b, 4))).toBe(-EINVAL);
    expect(err(host, host.write(fd, 0, 8))).toBe(-EFAULT);
    expect(err(host, host.write(fd, 2 ** 50, 8))).toBe(-EFAULT); // beyond TASK_SIZE: access_ok
    host.mem.setU64(b, 0xffff_ffff_ffff_ffffn);
    expect(err(host, host.write(fd, b, 8))).toBe(-EINVAL);
    host.mem.setU64(b, 0xffff_ffff_ffff_fffen);
    expect(host.write(fd, b, 8)).toBe(8);
    host.mem.setU64(b, 1n);
    expect(err(host, host.write(fd, b, 8))).toBe(-EAGAIN); // room is 0
    host.mem.setU64(b, 0n);
    expect(host.write(fd, b, 8)).toBe(8); // a zero write always fits
    expect(host.read(fd, b, 8)).toBe(8);
    expect(host.mem.getU64(b)).toBe(0xffff_ffff_ffff_fffen);
  });

  test('a read into an unmapped buffer loses the counter (taken before the copy)', () => {
    const host = createHost();
    const fd = host.eventfd(3, EFD_NONBLOCK);
    expect(err(host, host.read(fd, 0x7000_0000, 8))).toBe(-EFAULT);
    const b = host.mem.alloc(8);
    expect(err(host, host.read(fd, b, 8))).toBe(-EAGAIN);
  });

  test('EFD_SEMAPHORE reads 1 at a time, across the 32-bit boundary too', () => {
    const host = createHost();
    const ev = host.createEventFd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
    ev.write(0x1_0000_0001n);
    expect(ev.read()).toBe(1n);
    expect(ev.read()).toBe(1n);
    expect(ev.peek()).toBe(0xffff_ffffn);
  });

  test('read/write on non-eventfd fds: EBADF for a closed fd, EINVAL for a KVM fd', () => {
    const host = createHost();
    const { vm } = openVm(host);
    const b = host.mem.alloc(8);
    expect(err(host, host.read(vm, b, 8))).toBe(-EINVAL);
    expect(err(host, host.write(vm, b, 8))).toBe(-EINVAL);
    expect(err(host, host.read(99, b, 8))).toBe(-EBADF);
  });

  test('a dup shares the counter; the handle throws the errno', () => {
    const host = createHost();
    const ev = host.createEventFd();
    const d = host.dup(ev.fd);
    const b = host.mem.alloc(8);
    host.mem.setU64(b, 2n);
    host.write(d, b, 8);
    ev.signal();
    expect(ev.read()).toBe(3n);
    let e: unknown;
    try {
      ev.read();
    } catch (x) {
      e = x;
    }
    expect(isKvmError(e) && e.errno).toBe(EAGAIN);
    ev.close();
    expect(host.write(d, b, 8)).toBe(8);
  });
});
