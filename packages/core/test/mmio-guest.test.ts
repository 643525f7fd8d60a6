import {
  createHost,
  EEXIST,
  EINVAL,
  EIO,
  ENOENT,
  isKvmError,
} from '@kvmdev/core';
import { definePlugin, KVM_HOOK_PASS, MmioBus, type MmioRegion } from '@kvmdev/core/plugin';

function region(name: string, base: number, size: number, log: string[] = []): MmioRegion {
  return {
    name,
    base,
    size,
    read: (_v, off, sz) => (sz === 1 ? off & 0xff : (base + off) >>> 0),
    write: (_v, off, sz, val) => (log.push(`${name}+${off.toString(16)}/${sz}=${val.toString(16)}`), 0),
  };
}

describe('MmioBus', () => {
  test('register rejects overlaps and bad ranges; lookup by address; unregister', () => {
    const bus = new MmioBus();
    const a = region('a', 0x1000, 0x1000);
    const b = region('b', 0x3000, 0x100);
    expect(bus.register(a)).toBe(0);
    expect(bus.register(b)).toBe(0);
    expect(bus.register(region('c', 0x1fff, 2))).toBe(-EEXIST);
    expect(bus.register(region('d', 0x2f00, 0x101))).toBe(-EEXIST);
    expect(bus.register(region('e', 0, 0))).toBe(-EINVAL);
    expect(bus.register(region('f', 0x2000, 0x1000))).toBe(0); // adjacent is fine
    expect(bus.find(0x1ffc, 4)?.name).toBe('a');
    expect(bus.find(0x1ffe, 4)).toBeNull(); // straddles the end
    expect(bus.find(0x30ff, 1)?.name).toBe('b');
    expect(bus.find(0x3100, 1)).toBeNull();
    expect(bus.unregister(a)).toBe(0);
    expect(bus.unregister(a)).toBe(-ENOENT);
    expect(bus.find(0x1000, 4)).toBeNull();
    expect(bus.list().map((r) => r.name)).toEqual(['f', 'b']);
  });
});

describe('guest port', () => {
  const HCALL = definePlugin({
    name: 'hc',
    version: '1',
    core: '*',
    hooks: {
      hypercall: (_v, nr, args, out) => {
        if (nr !== 0x74) return KVM_HOOK_PASS;
        out[0] = (args[0] ?? 0) + 1;
        return 0;
      },
      sysregRead: (v, enc) => (enc === 0xc230 ? BigInt(v.id) : null),
      sysregWrite: (_v, enc) => enc === 0xc230,
    },
  });

  test('MMIO reads/writes dispatch to the region; unclaimed is null/false (an MMIO exit)', () => {
    const host = createHost({ plugins: [HCALL] });
    const vm = host.createVm();
    const c = vm.createVcpu(0);
    const log: string[] = [];
    vm.vm.mmio.register(region('r', 0x9000, 0x100, log));
    expect(c.guest.mmioRead(0x9004, 4)).toBe(0x9004);
    expect(c.guest.mmioRead(0x9005, 1)).toBe(5);
    expect(c.guest.mmioRead(0x9000, 8)).toBeNull(); // no read64
    expect(c.guest.mmioRead(0x8000, 4)).toBeNull();
    expect(c.guest.mmioWrite(0x9010, 4, 0xabc)).toBe(true);
    expect(c.guest.mmioWrite(0x9010, 4, 0xffffffffn)).toBe(true);
    expect(c.guest.mmioWrite32(0x9014, 2, 7)).toBe(true);
    expect(c.guest.mmioWrite(0x8000, 4, 1)).toBe(false);
    expect(log).toEqual(['r+10/4=abc', 'r+10/4=ffffffff', 'r+14/2=7']);
    expect(host.guest(c.fd)).toBe(c.guest);
  });

  test('hypercalls and system registers go to the plugins; unhandled ones throw EINVAL', () => {
    const host = createHost({ plugins: [HCALL] });
    const c = host.createVm().createVcpu(3);
    const r = c.guest.hypercall(0x74, [41]);
    expect([r.ret, r.out[0]]).toEqual([0, 42]);
    expect(() => c.guest.hypercall(0x99)).toThrow(/not handled/);
    expect(c.guest.sysregRead(0xc230)).toBe(3n);
    c.guest.sysregWrite(0xc230, 1n);
    let err: unknown;
    try {
      c.guest.sysregRead(0x1234);
    } catch (e) {
      err = e;
    }
    expect(isKvmError(err) && err.errno).toBe(EINVAL);
  });

  test('a throwing region bugs the VM; the access is treated as unhandled', () => {
    const host = createHost();
    const vm = host.createVm();
    const c = vm.createVcpu(0);
    vm.vm.mmio.register({ name: 'bad', base: 0, size: 0x100 + 4096, read: () => { throw new Error('x'); }, write: () => 0 });
    expect(c.guest.mmioRead(4096, 4)).toBeNull();
    expect(vm.vm.bugged).toBe(true);
    let err: unknown;
    try {
      vm.createVcpu(1);
    } catch (e) {
      err = e;
    }
    expect(isKvmError(err) && err.errno).toBe(EIO);
  });
});

describe('guest port: 32-bit system register fast path', () => {
  test('sysregRead32/sysregWrite32 hooks serve both widths; 64-bit hooks still work', () => {
    const writes: string[] = [];
    const p = definePlugin({
      name: 's32',
      version: '1',
      core: '*',
      hooks: {
        sysregRead32: (_v, enc) => (enc === 0xc660 ? 40 : KVM_HOOK_PASS),
        sysregWrite32: (_v, enc, lo, hi) => (enc === 0xc661 ? (writes.push(`eoir ${lo}:${hi}`), true) : false),
        sysregRead: (_v, enc) => (enc === 0xc230 ? 0x1_0000_00f0n : null),
        sysregWrite: (_v, enc, v) => (enc === 0xc230 ? (writes.push(`pmr ${v}`), true) : false),
      },
    });
    const c = createHost({ plugins: [p] }).createVm().createVcpu(0);
    expect(c.guest.sysregRead32(0xc660)).toBe(40);
    expect(c.guest.sysregRead(0xc660)).toBe(40n);
    expect(c.guest.sysregRead(0xc230)).toBe(0x1_0000_00f0n);
    expect(c.guest.sysregRead32(0xc230)).toBe(0xf0);
    c.guest.sysregWrite32(0xc661, 40);
    c.guest.sysregWrite(0xc661, 0x2_0000_0028n);
    c.guest.sysregWrite(0xc230, 0xf8);
    expect(writes).toEqual(['eoir 40:0', 'eoir 40:2', 'pmr 248']);
    expect(() => c.guest.sysregRead32(0x1)).toThrow(/UNDEF/);
    expect(() => c.guest.sysregWrite32(0x1, 0)).toThrow(/UNDEF/);
  });
});
