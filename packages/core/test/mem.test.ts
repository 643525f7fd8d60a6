import { EFAULT, UserMemory, createHost, isKvmError, KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CREATE_DEVICE } from '@kvmdev/core';

function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (isKvmError(e)) return e.errno;
    throw e;
  }
  return 0;
}

describe('UserMemory', () => {
  test('alloc returns zero-filled, 8-aligned, nonzero addresses', () => {
    const m = new UserMemory();
    const a = m.alloc(3);
    const b = m.alloc(100000);
    expect(a).toBeGreaterThan(0);
    expect(a % 8).toBe(0);
    expect(b % 8).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 3);
    expect(m.getU8(a)).toBe(0);
    expect(m.getU32(b + 99996)).toBe(0);
  });

  test('u64Is compares both halves of a u64 and faults like the other accessors', () => {
    const m = new UserMemory();
    const a = m.alloc(8);
    m.setU64(a, 0x0102030405060708n);
    expect(m.u64Is(a, 0x05060708, 0x01020304)).toBe(true);
    expect(m.u64Is(a, 0x05060708, 0x01020305)).toBe(false); // high half differs
    expect(m.u64Is(a, 0x05060709, 0x01020304)).toBe(false); // low half differs
    expect(m.u64Is(a, 0x01020304, 0x05060708)).toBe(false); // halves swapped
    let err: unknown;
    try {
      m.u64Is(0, 0, 0);
    } catch (e) {
      err = e;
    }
    expect(isKvmError(err) && err.errno).toBe(EFAULT);
  });

  test('little-endian accessors, u64 as bigint and as parts', () => {
    const m = new UserMemory();
    const a = m.alloc(16);
    m.setU32(a, 0x11223344);
    expect(m.getU8(a)).toBe(0x44);
    expect(m.getU16(a + 2)).toBe(0x1122);
    m.setU64(a + 8, 0x0102030405060708n);
    expect(m.getU32(a + 8)).toBe(0x05060708);
    expect(m.getU64Hi(a + 8)).toBe(0x01020304);
    m.setU64Parts(a, 0xffffffff, 0x7);
    expect(m.getU64(a)).toBe(0x7ffffffffn);
    m.setU64(a, 2 ** 40 + 5);
    expect(m.getU64(a)).toBe(2n ** 40n + 5n);
    m.setU64(a, -1n);
    expect(m.getU64(a)).toBe(0xffffffffffffffffn);
  });

  test('NULL, the first page, unmapped and end-of-buffer accesses fault with EFAULT', () => {
    const m = new UserMemory();
    const a = m.alloc(8);
    expect(errnoOf(() => m.getU32(0))).toBe(EFAULT);
    expect(errnoOf(() => m.getU32(4092))).toBe(EFAULT);
    expect(errnoOf(() => m.getU64(a + 4))).toBe(EFAULT);
    expect(errnoOf(() => m.setU32(1 << 30, 1))).toBe(EFAULT);
    expect(errnoOf(() => m.getU32(a + 0.5))).toBe(EFAULT);
    expect(m.ok(a, 8)).toBe(true);
    expect(m.ok(a, 9)).toBe(false);
    expect(UserMemory.ptr(2n ** 63n)).toBe(-1);
  });

  test('wraps a caller ArrayBuffer', () => {
    const buf = new ArrayBuffer(4096);
    const m = new UserMemory({ buffer: buf });
    const a = m.alloc(8);
    m.setU32(a, 0xabcd);
    expect(new DataView(buf).getUint32(a, true)).toBe(0xabcd);
    expect(errnoOf(() => m.getU32(0))).toBe(EFAULT);
    expect(errnoOf(() => m.getU32(4094))).toBe(EFAULT);
  });

  test('wraps a WebAssembly.Memory and follows its growth', () => {
    const wasm = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const host = createHost({ memory: { buffer: wasm, heapStart: 1024 } });
    expect(host.mem.ok(70000, 4)).toBe(false);
    wasm.grow(1);
    expect(host.mem.ok(70000, 4)).toBe(true);
    // a C program compiled to wasm puts its structs in linear memory and passes pointers
    const kvm = host.open('/dev/kvm');
    expect(host.ioctl(kvm, KVM_GET_API_VERSION)).toBe(12);
    const vm = host.ioctl(kvm, KVM_CREATE_VM, 0);
    const cd = 2048;
    new DataView(wasm.buffer).setUint32(cd, 0, true);
    expect(host.ioctl(vm, KVM_CREATE_DEVICE, cd)).toBe(-1); // type 0 → ENODEV, struct read from wasm memory
  });
});
