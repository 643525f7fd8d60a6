/**
 * KVM_GET_ONE_REG / KVM_SET_ONE_REG / KVM_GET_REG_LIST on arm64 vCPUs, written from
 * arch/arm64/kvm/guest.c (get_core_reg, set_core_reg, core_reg_size_from_offset,
 * copy_core_reg_indices, kvm_arm_get_reg), sys_regs.c (kvm_sys_reg_get_user/_set_user,
 * index_to_params, reset_mpidr), arm.c (the vCPU ioctl: ENOEXEC before KVM_ARM_VCPU_INIT, the
 * reg list's n copied back before E2BIG) and api.rst's arm64 id encoding. Issue 13 item 1.
 */
import fc from 'fast-check';
import { E2BIG, EFAULT, EINVAL, ENOENT, ENOEXEC, KVM_ARM_VCPU_INIT, KVM_GET_ONE_REG, KVM_REG_ARM, KVM_SET_ONE_REG, type KvmPlugin, kvm_vcpu_init } from '@kvmdev/core';
import {
  ARM64_REG_FPCR,
  ARM64_REG_FPSR,
  ARM64_REG_LIST,
  ARM64_REG_PC,
  ARM64_REG_PSTATE,
  ARM64_REG_SP,
  KVM_GET_REG_LIST,
  KVM_REG_ARM64_SVE_VLS,
  MPIDR_EL1,
  SCTLR_EL1,
  VBAR_EL1,
  armVgic,
  arm64CoreReg,
  arm64RegSpsr,
  arm64RegV,
  arm64RegX,
  arm64SveZreg,
  arm64SysReg,
  createArmVgic,
} from '../src/index.js';
import { type Facade, facade } from './helpers.js';

const RUNS = Number(process.env.KVMDEV_FC_RUNS ?? 40);

/** GET/SET_ONE_REG through the facade: struct kvm_one_reg { u64 id; u64 addr; } in host.mem. */
function oneReg(f: Facade) {
  const mem = f.host.mem;
  const reg = mem.alloc(16);
  const val = mem.alloc(16);
  const ioctl = (fd: number, req: number, id: bigint, addr: number) => {
    mem.setU64(reg, id);
    mem.setU64(reg + 8, BigInt(addr));
    return f.ioctl(fd, req, reg);
  };
  return {
    val,
    get(fd: number, id: bigint, addr = val): { r: number; v: bigint; hi: bigint } {
      mem.fill(val, 16, 0xee);
      const r = ioctl(fd, KVM_GET_ONE_REG, id, addr);
      return { r, v: mem.getU64(val), hi: mem.getU64(val + 8) };
    },
    set(fd: number, id: bigint, v: bigint, addr = val, hi = 0n): number {
      mem.setU64(val, BigInt.asUintN(64, v));
      mem.setU64(val + 8, hi);
      return ioctl(fd, KVM_SET_ONE_REG, id, addr);
    },
  };
}

function inited(plugin: KvmPlugin = armVgic, features = 0) {
  const f = facade(0, plugin);
  const cpu = f.createVcpu(0);
  const b = f.host.mem.alloc(32);
  kvm_vcpu_init.write(f.host.mem, b, { target: 5, features: [features, 0, 0, 0, 0, 0, 0] });
  const init = () => f.ioctl(cpu, KVM_ARM_VCPU_INIT, b);
  expect(init()).toBe(0);
  return { f, cpu, init, o: oneReg(f) };
}

/** KVM_GET_REG_LIST with room for `n` ids; returns the result, the n written back and the ids. */
function regList(f: Facade, cpu: number, n: number | bigint): { r: number; n: bigint; ids: bigint[] } {
  const mem = f.host.mem;
  const room = typeof n === 'bigint' ? 0 : n;
  const p = mem.alloc(8 + 8 * Math.max(room, 1));
  mem.setU64(p, BigInt(n));
  const r = f.ioctl(cpu, KVM_GET_REG_LIST, p);
  const ids: bigint[] = [];
  if (r === 0) for (let i = 0; i < room; i++) ids.push(mem.getU64(p + 8 + 8 * i));
  return { r, n: mem.getU64(p), ids };
}

describe('before KVM_ARM_VCPU_INIT', () => {
  test('ONE_REG and GET_REG_LIST give ENOEXEC', () => {
    const f = facade();
    const cpu = f.createVcpu(0);
    const o = oneReg(f);
    expect(o.get(cpu, ARM64_REG_PC).r).toBe(-ENOEXEC);
    expect(o.set(cpu, ARM64_REG_PC, 0x80000n)).toBe(-ENOEXEC);
    expect(o.get(cpu, MPIDR_EL1).r).toBe(-ENOEXEC);
    expect(regList(f, cpu, 0).r).toBe(-ENOEXEC);
    // an unknown arm64 vCPU ioctl stays EINVAL
    expect(f.ioctl(cpu, 0xaeff, 0)).toBe(-EINVAL);
    // an id outside the arm64 space is left to other plugins (the core's default is EINVAL; a real
    // arm64 kernel says ENOEXEC here, see the README)
    expect(o.get(cpu, 0x103000000000008cn).r).toBe(-EINVAL);
  });
});

describe('core registers (KVM_REG_ARM_CORE)', () => {
  test('the id encoding: word offsets into struct kvm_regs', () => {
    expect(arm64RegX(0)).toBe(0x6030000000100000n);
    expect(arm64RegX(30)).toBe(0x603000000010003cn);
    expect(ARM64_REG_SP).toBe(0x603000000010003en);
    expect(ARM64_REG_PC).toBe(0x6030000000100040n);
    expect(ARM64_REG_PSTATE).toBe(0x6030000000100042n);
    expect(arm64RegSpsr(4)).toBe(0x6030000000100050n);
    expect(arm64RegV(0)).toBe(0x6040000000100054n); // vregs are 16-byte aligned: two words of padding
    expect(arm64RegV(31)).toBe(0x60400000001000d0n);
    expect(ARM64_REG_FPSR).toBe(0x60200000001000d4n);
    expect(ARM64_REG_FPCR).toBe(0x60200000001000d5n);
  });
  test('reset by KVM_ARM_VCPU_INIT: zero, PSTATE EL1h with DAIF masked (0x3c5)', () => {
    const { cpu, o } = inited();
    expect(o.get(cpu, ARM64_REG_PSTATE)).toMatchObject({ r: 0, v: 0x3c5n });
    for (const id of [arm64RegX(0), arm64RegX(30), ARM64_REG_PC, ARM64_REG_SP, arm64RegSpsr(0)]) expect(o.get(cpu, id)).toMatchObject({ r: 0, v: 0n });
    expect(o.get(cpu, arm64RegV(7))).toMatchObject({ r: 0, v: 0n, hi: 0n });
  });
  test("a VMM's boot set-up: PC, X0..X3, PSTATE read back; a second INIT resets them", () => {
    const { cpu, o, init } = inited();
    expect(o.set(cpu, ARM64_REG_PC, 0x40080000n)).toBe(0);
    expect(o.set(cpu, arm64RegX(0), 0x48000000n)).toBe(0);
    for (const i of [1, 2, 3]) expect(o.set(cpu, arm64RegX(i), 0n)).toBe(0);
    expect(o.set(cpu, ARM64_REG_PSTATE, 0x3c5n)).toBe(0);
    expect(o.get(cpu, ARM64_REG_PC).v).toBe(0x40080000n);
    expect(o.get(cpu, arm64RegX(0)).v).toBe(0x48000000n);
    expect(o.set(cpu, arm64RegV(3), 0x1122334455667788n, undefined, 0x99aabbccddeeff00n)).toBe(0);
    expect(o.get(cpu, arm64RegV(3))).toMatchObject({ v: 0x1122334455667788n, hi: 0x99aabbccddeeff00n });
    expect(o.set(cpu, ARM64_REG_FPCR, 0x3000000n)).toBe(0);
    expect(o.get(cpu, ARM64_REG_FPCR).v & 0xffffffffn).toBe(0x3000000n);
    expect(init()).toBe(0);
    expect(o.get(cpu, ARM64_REG_PC).v).toBe(0n);
    expect(o.get(cpu, arm64RegX(0)).v).toBe(0n);
  });
  test('GET copies exactly the register size (a U32 register leaves the next word alone)', () => {
    const { f, cpu, o } = inited();
    o.get(cpu, ARM64_REG_FPSR);
    expect(f.host.mem.getU32(o.val + 4)).toBe(0xeeeeeeee);
  });
  test('EINVAL: a size that is not the register size, an offset inside a register or in padding', () => {
    const { cpu, o } = inited();
    expect(o.get(cpu, arm64CoreReg(64, 4)).r).toBe(-EINVAL); // PC as u32
    expect(o.get(cpu, arm64CoreReg(0x54, 8)).r).toBe(-EINVAL); // V0 as u64
    expect(o.get(cpu, arm64CoreReg(212, 8)).r).toBe(-EINVAL); // FPSR as u64
    expect(o.get(cpu, arm64CoreReg(1, 8)).r).toBe(-EINVAL); // upper half of X0
    expect(o.get(cpu, arm64CoreReg(82, 8)).r).toBe(-EINVAL); // padding before vregs
    expect(o.get(cpu, arm64CoreReg(85, 16)).r).toBe(-EINVAL); // inside V0
    expect(o.set(cpu, arm64CoreReg(63, 8), 1n)).toBe(-EINVAL);
  });
  test('ENOENT: an offset, or offset + size, past struct kvm_regs (216 words)', () => {
    const { cpu, o } = inited();
    expect(o.get(cpu, arm64CoreReg(216, 4)).r).toBe(-ENOENT);
    expect(o.get(cpu, arm64CoreReg(213, 16)).r).toBe(-ENOENT); // FPCR as u128 ends past the struct
    expect(o.get(cpu, arm64CoreReg(214, 4)).r).toBe(-EINVAL); // __reserved: inside, but not a register
    expect(o.set(cpu, arm64CoreReg(0x1000, 8), 0n)).toBe(-ENOENT);
  });
  test('EINVAL for an id whose bits 63:32 are not KVM_REG_ARM64 (size aside)', () => {
    const { cpu, o } = inited();
    expect(o.get(cpu, KVM_REG_ARM | 0x0030000000100000n).r).toBe(-EINVAL);
    expect(o.get(cpu, ARM64_REG_PC | (1n << 40n)).r).toBe(-EINVAL);
  });
  test('EFAULT on the user buffer, after the id checks', () => {
    const { cpu, o } = inited();
    expect(o.get(cpu, ARM64_REG_PC, 0x7ffff000).r).toBe(-EFAULT);
    expect(o.get(cpu, arm64CoreReg(1, 8), 0x7ffff000).r).toBe(-EINVAL);
    expect(o.set(cpu, ARM64_REG_PC, 0n, 0x7ffff000)).toBe(-EFAULT);
  });
  test('SET PSTATE: modes the vCPU cannot be in are EINVAL and change nothing', () => {
    const { cpu, o } = inited();
    for (const bad of [0x13n, 0x11n, 0x1bn, 0x9n, 0x8n, 0x1fn, 0x1an, 0x1n]) {
      expect(o.set(cpu, ARM64_REG_PSTATE, bad)).toBe(-EINVAL);
      expect(o.get(cpu, ARM64_REG_PSTATE).v).toBe(0x3c5n);
    }
    expect(o.set(cpu, ARM64_REG_PSTATE, 0x4n)).toBe(0); // EL1t
    expect(o.set(cpu, ARM64_REG_PSTATE, 0x0n)).toBe(0); // EL0t
  });
  test('SET PSTATE to AArch32 USR (a host with AArch32 EL0) narrows X0..X14 and the PC; other AArch32 states narrow all', () => {
    const { cpu, o } = inited();
    const big = 0xaaaaaaaa55555555n;
    for (const i of [0, 14, 15, 30]) o.set(cpu, arm64RegX(i), big);
    o.set(cpu, ARM64_REG_PC, big);
    expect(o.set(cpu, ARM64_REG_PSTATE, 0x10n)).toBe(0);
    expect(o.get(cpu, arm64RegX(0)).v).toBe(0x55555555n);
    expect(o.get(cpu, arm64RegX(14)).v).toBe(0x55555555n);
    expect(o.get(cpu, arm64RegX(15)).v).toBe(big);
    expect(o.get(cpu, ARM64_REG_PC).v).toBe(0x55555555n);
    // USR with the I bit: the kernel's switch sees a different PSTATE value, so all 31 narrow
    o.set(cpu, arm64RegX(30), big);
    expect(o.set(cpu, ARM64_REG_PSTATE, 0x90n)).toBe(0);
    expect(o.get(cpu, arm64RegX(30)).v).toBe(0x55555555n);
    // once AArch32, any core write narrows again
    expect(o.set(cpu, arm64RegX(20), big)).toBe(0);
    expect(o.get(cpu, arm64RegX(20)).v).toBe(0x55555555n);
  });
  test('AArch32 EL1: EINVAL on a host without it; on QEMU -cpu max PSTATE resets to SVC and EL1h is refused', () => {
    const f = facade();
    const cpu = f.createVcpu(0);
    const b = f.host.mem.alloc(32);
    kvm_vcpu_init.write(f.host.mem, b, { target: 5, features: [1 << 1, 0, 0, 0, 0, 0, 0] });
    expect(f.ioctl(cpu, KVM_ARM_VCPU_INIT, b)).toBe(-EINVAL);
    const { cpu: c2, o } = inited(createArmVgic({ host: 'qemu-tcg-max' }), 1 << 1);
    expect(o.get(c2, ARM64_REG_PSTATE).v).toBe(0x1d3n);
    expect(o.set(c2, ARM64_REG_PSTATE, 0x3c5n)).toBe(-EINVAL);
    expect(o.set(c2, ARM64_REG_PSTATE, 0x13n)).toBe(0);
  });
});

describe('SVE, firmware and demux ids on a vCPU without SVE', () => {
  test('SVE_VLS and the Z/P/FFR ranges are ENOENT, other SVE ids EINVAL', () => {
    const { cpu, o } = inited();
    expect(o.get(cpu, KVM_REG_ARM64_SVE_VLS).r).toBe(-ENOENT);
    expect(o.get(cpu, arm64SveZreg(3, 0)).r).toBe(-ENOENT);
    expect(o.get(cpu, 0x6030000000150000n).r).toBe(-EINVAL);
    expect(o.set(cpu, arm64SveZreg(0, 0), 0n)).toBe(-ENOENT);
  });
});

describe('system registers (KVM_REG_ARM64_SYSREG)', () => {
  test('MPIDR_EL1 is reset from the vCPU id (Aff0 = id & 0xf, Aff1 = id >> 4, RES1 bit 31)', () => {
    expect(MPIDR_EL1).toBe(0x603000000013c005n);
    const f = facade();
    const o = oneReg(f);
    const b = f.host.mem.alloc(32);
    kvm_vcpu_init.write(f.host.mem, b, { target: 5, features: [] });
    for (const [id, want] of [
      [0, 0x80000000n],
      [1, 0x80000001n],
      [17, 0x80000101n],
      [0x1f3, 0x80001f03n],
    ] as const) {
      const cpu = f.createVcpu(id);
      expect(f.ioctl(cpu, KVM_ARM_VCPU_INIT, b)).toBe(0);
      expect(o.get(cpu, MPIDR_EL1)).toMatchObject({ r: 0, v: want });
    }
  });
  test('kept registers reset to their table values and store any value', () => {
    const { cpu, o } = inited();
    expect(o.get(cpu, SCTLR_EL1).v).toBe(0x00c50078n);
    expect(o.get(cpu, VBAR_EL1).v).toBe(0n);
    expect(o.set(cpu, VBAR_EL1, 0xffff800010000000n)).toBe(0);
    expect(o.get(cpu, VBAR_EL1).v).toBe(0xffff800010000000n);
  });
  test('ENOENT: not a 64-bit id, extra bits, or a register the vCPU does not keep', () => {
    const { cpu, o } = inited();
    expect(o.get(cpu, (MPIDR_EL1 & ~0x00f0000000000000n) | 0x0020000000000000n).r).toBe(-ENOENT);
    expect(o.get(cpu, MPIDR_EL1 | 0x100000000000n).r).toBe(-EINVAL); // bits 47:32: not KVM_REG_ARM64's
    expect(o.get(cpu, arm64SysReg(3, 7, 15, 15, 7)).r).toBe(-ENOENT);
    // the ICC_* registers are not ONE_REG state (they go through the GIC's CPU_SYSREGS group)
    expect(o.get(cpu, arm64SysReg(3, 0, 4, 6, 0)).r).toBe(-ENOENT);
  });
  test('SET reads the u64 before the lookup (EFAULT wins over ENOENT); GET looks up first', () => {
    const { cpu, o } = inited();
    expect(o.set(cpu, arm64SysReg(3, 7, 15, 15, 7), 0n, 0x7ffff000)).toBe(-EFAULT);
    expect(o.get(cpu, arm64SysReg(3, 7, 15, 15, 7), 0x7ffff000).r).toBe(-ENOENT);
    expect(o.get(cpu, MPIDR_EL1, 0x7ffff000).r).toBe(-EFAULT);
  });
});

describe('KVM_GET_REG_LIST', () => {
  test('a short list is E2BIG with n written back; n is read as a 32-bit unsigned', () => {
    const { f, cpu } = inited();
    const count = BigInt(ARM64_REG_LIST.length);
    expect(count).toBe(79n); // 75 core registers (no SVE) + 4 kept system registers
    expect(regList(f, cpu, 0)).toMatchObject({ r: -E2BIG, n: count });
    expect(regList(f, cpu, 78)).toMatchObject({ r: -E2BIG, n: count });
    expect(regList(f, cpu, 1n << 32n)).toMatchObject({ r: -E2BIG, n: count });
  });
  test('the ids: core registers in offset order, then the system registers', () => {
    const { f, cpu, o } = inited();
    const l = regList(f, cpu, 79);
    expect(l.r).toBe(0);
    expect(l.ids.slice(0, 2)).toEqual([arm64RegX(0), arm64RegX(1)]);
    expect(l.ids).toContain(arm64RegV(0));
    expect(l.ids.slice(73, 79)).toEqual([ARM64_REG_FPSR, ARM64_REG_FPCR, MPIDR_EL1, SCTLR_EL1, arm64SysReg(3, 0, 1, 0, 2), VBAR_EL1]);
    // every listed register can be read and written back (a VMM's save/restore loop)
    for (const id of l.ids) {
      const g = o.get(cpu, id);
      expect(g.r).toBe(0);
      expect(o.set(cpu, id, g.v, undefined, g.hi)).toBe(0);
    }
  });
  test('EFAULT when the header cannot be read', () => {
    const { f, cpu } = inited();
    expect(f.ioctl(cpu, KVM_GET_REG_LIST, 0x7ffffffc)).toBe(-EFAULT);
  });
});

describe('properties', () => {
  test('random ids never throw, answer 0 or a documented errno, and a refused SET changes no register', () => {
    const { cpu, o } = inited();
    const ok = new Set([0, -EINVAL, -ENOENT, -EFAULT]);
    const snapshot = () => ARM64_REG_LIST.map((id) => o.get(cpu, id)).map((g) => `${g.v}:${g.hi}`).join(',');
    const id = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0x3ff })).map(([s, off]) => 0x6000000000100000n | (BigInt(s) << 52n) | BigInt(off)),
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff })).map(([s, e]) => 0x6000000000130000n | (BigInt(s) << 52n) | BigInt(e)),
    );
    fc.assert(
      fc.property(id, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (rid, v) => {
        expect(ok.has(o.get(cpu, rid).r)).toBe(true);
        const before = snapshot();
        const r = o.set(cpu, rid, v);
        expect(ok.has(r)).toBe(true);
        if (r !== 0) expect(snapshot()).toBe(before);
      }),
      { numRuns: RUNS, seed: 13 },
    );
  });
});
