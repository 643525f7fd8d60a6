import {
  createHost,
  GUEST_UNDEF_ESR,
  KVM_EXIT_MMIO,
  KVM_EXIT_PAPR_HCALL,
  KVM_EXIT_UNKNOWN,
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

  test('hypercalls and system registers go to the plugins; unhandled ones are guest outcomes, not exceptions', () => {
    const host = createHost({ plugins: [HCALL] });
    const c = host.createVm().createVcpu(3);
    const r = c.guest.hypercall(0x74, [41]);
    expect([r.kind, r.ret, r.out[0]]).toEqual(['done', 0, 42]);
    const exit = c.guest.hypercall(0x99);
    expect(exit.kind).toBe('exit');
    expect(exit.out).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]); // the last call's r4 does not leak into the next one
    expect(c.guest.sysregRead(0xc230)).toBe(3n);
    expect(c.guest.last.kind).toBe('done');
    expect(c.guest.sysregWrite(0xc230, 1n).kind).toBe('done');
    expect(c.guest.sysregRead(0x1234)).toBe(0n);
    expect(c.guest.last).toMatchObject({ kind: 'undef', esr: GUEST_UNDEF_ESR });
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
    expect(c.guest.sysregRead32(0x1)).toBe(0);
    expect(c.guest.last.kind).toBe('undef');
    expect(c.guest.sysregWrite32(0x1, 0).kind).toBe('undef');
    expect(c.guest.sysregWrite32(0xc661, 1).kind).toBe('done');
  });
});

describe('guest outcomes (issue 13 item 15): kvm_run exits and UNDEFs, never exceptions', () => {
  const HC = definePlugin({
    name: 'hc2',
    version: '1',
    core: '*',
    hooks: {
      hypercall: (_v, nr, _args, out) => (nr === 0x74 ? ((out[0] = 7), 0) : KVM_HOOK_PASS),
      sysregRead32: (_v, enc) => (enc === 0xc660 ? 40 : KVM_HOOK_PASS),
      sysregWrite32: (_v, enc) => enc === 0xc661,
    },
  });
  function world() {
    const host = createHost({ plugins: [HC] });
    const vm = host.createVm();
    const c = vm.createVcpu(0);
    vm.vm.mmio.register(region('r', 0x9000, 0x100));
    return { host, vm, c, g: c.guest };
  }

  test('the uapi exit reasons', () => {
    expect([KVM_EXIT_UNKNOWN, KVM_EXIT_MMIO, KVM_EXIT_PAPR_HCALL]).toEqual([0, 6, 19]);
    expect(GUEST_UNDEF_ESR).toBe(0x02000000);
  });

  test('an unclaimed load is KVM_EXIT_MMIO with phys_addr, len, is_write 0', () => {
    const { g } = world();
    expect(g.run.exitReason).toBe(KVM_EXIT_UNKNOWN);
    expect(g.mmioRead(0x8000_1234, 2)).toBeNull();
    expect(g.last.kind).toBe('exit');
    expect(g.run.exitReason).toBe(KVM_EXIT_MMIO);
    expect(g.run.mmio).toMatchObject({ physAddr: 0x8000_1234, len: 2, isWrite: 0 });
    expect(g.mmioRead(0xa000, 8)).toBeNull();
    expect(g.run.mmio).toMatchObject({ physAddr: 0xa000, len: 8, isWrite: 0 });
    // a claimed access is 'done' and leaves the run record as it was, like kvm_run between exits
    expect(g.mmioRead(0x9004, 4)).toBe(0x9004);
    expect(g.last.kind).toBe('done');
    expect(g.run.mmio.physAddr).toBe(0xa000);
  });

  test('an unclaimed store is KVM_EXIT_MMIO with the bytes in data[0..len), little-endian', () => {
    const { g } = world();
    expect(g.mmioWrite32(0x7000, 4, 0x11223344)).toBe(false);
    expect(g.last.kind).toBe('exit');
    expect(g.run.exitReason).toBe(KVM_EXIT_MMIO);
    expect(g.run.mmio).toMatchObject({ physAddr: 0x7000, len: 4, isWrite: 1 });
    expect([...g.run.mmio.data.subarray(0, 4)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(g.mmioWrite(0x7008, 8, 0x0102030405060708n)).toBe(false);
    expect(g.run.mmio).toMatchObject({ physAddr: 0x7008, len: 8, isWrite: 1 });
    expect([...g.run.mmio.data]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(g.mmioWrite(0x7001, 1, 0xabcd)).toBe(false);
    expect(g.run.mmio.len).toBe(1);
    expect(g.run.mmio.data[0]).toBe(0xcd);
    expect(g.run.mmio.data.length).toBe(8);
  });

  test('an unhandled hypercall is KVM_EXIT_PAPR_HCALL with nr and args[9]; ret is the VMM\'s', () => {
    const { g } = world();
    const r = g.hypercall(0xf000, [1, 2, 3]);
    expect(r.kind).toBe('exit');
    expect(r).toBe(g.last);
    expect(g.run.exitReason).toBe(KVM_EXIT_PAPR_HCALL);
    expect(g.run.paprHcall.nr).toBe(0xf000);
    expect(g.run.paprHcall.args).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 0]);
    g.run.paprHcall.ret = -2; // the VMM answers
    const many = g.hypercall(0x1234, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 99]);
    expect(many.kind).toBe('exit');
    expect(g.run.paprHcall).toEqual({ nr: 0x1234, args: [9, 8, 7, 6, 5, 4, 3, 2, 1], ret: -2 });
    const ok = g.hypercall(0x74, []);
    expect([ok.kind, ok.ret, ok.out[0]]).toEqual(['done', 0, 7]);
  });

  test('an unemulated system register is an UNDEF for the guest: MRS reads 0, MSR does nothing', () => {
    const { g } = world();
    expect(g.mrs(0xc660)).toMatchObject({ kind: 'done', value: 40n, esr: 0 });
    expect(g.mrs(0xffff)).toMatchObject({ kind: 'undef', value: 0n, esr: GUEST_UNDEF_ESR });
    expect(g.msr(0xc661, 1n)).toMatchObject({ kind: 'done', esr: 0 });
    expect(g.msr(0xffff, 1n << 40n)).toMatchObject({ kind: 'undef', esr: GUEST_UNDEF_ESR });
    expect(g.sysregRead32(0xffff)).toBe(0);
    expect(g.last.kind).toBe('undef');
    expect(g.sysregRead32(0xc660)).toBe(40);
    expect(g.last).toMatchObject({ kind: 'done', esr: 0 });
  });

  test('a throwing handler bugs the VM and is a \'bugged\' outcome, not an exception', () => {
    const BAD = definePlugin({
      name: 'bad',
      version: '1',
      core: '*',
      hooks: {
        hypercall: () => {
          throw new Error('boom');
        },
        sysregRead32: () => {
          throw new Error('boom');
        },
      },
    });
    const vm = createHost({ plugins: [BAD] }).createVm();
    const c = vm.createVcpu(0);
    expect(c.guest.hypercall(1).kind).toBe('bugged');
    expect(c.guest.sysregRead(0xc230)).toBe(0n);
    expect(c.guest.last.kind).toBe('bugged');
    expect(vm.vm.bugged).toBe(true);
  });

  test('one outcome object and one run record per vCPU, reused by every action', () => {
    const { vm, g } = world();
    const o = g.last;
    const run = g.run;
    const data = g.run.mmio.data;
    g.mmioRead(0x1, 1);
    g.hypercall(0x5);
    g.sysregWrite32(0xffff, 0);
    expect(g.last).toBe(o);
    expect(g.hypercall(0x74)).toBe(o);
    expect(g.mrs(0xc660)).toBe(o);
    expect(g.run).toBe(run);
    expect(g.run.mmio.data).toBe(data);
    expect(vm.createVcpu(1).guest.last).not.toBe(o);
  });
});
