/**
 * QEMU's GICv2 and GICv3 get/put sequences, through the plugin's snapshot specs (QEMU's order):
 * save on one VM, restore on a second, same guest-visible state. Also QEMU's V2 probing and its
 * CTRL_INIT-before-addresses order, and `describe`.
 */
import { KVM_ARM_SET_DEVICE_ADDR } from '@kvmdev/core';
import { armVgic, vgicV2Snapshot, vgicV3Snapshot } from '../src/internal.js';
import * as U from '../src/uapi.js';
import { dirtyV3, facade, stateIo, v2Guest, v3Guest, v3GuestView } from './helpers.js';

const SPI = 1 << 24;

describe('QEMU GICv3 get/put', () => {
  test('kvm_arm_gicv3_get on A, kvm_arm_gicv3_put on B', () => {
    const a = v3Guest(2);
    dirtyV3(a);
    const before = v3GuestView(a);
    const ioA = stateIo(a.host, a.dev, [0, 1]);
    const devA = a.dev.device as never;
    const entries = vgicV3Snapshot.save(devA, ioA);
    expect(vgicV3Snapshot.params(devA, ioA)).toEqual({ model: 'gicv3', nrIrqs: 128, vcpus: 2 });
    const b = v3Guest(2);
    const ioB = stateIo(b.host, b.dev, [0, 1]);
    vgicV3Snapshot.restore(b.dev.device as never, ioB, entries);
    expect(v3GuestView(b)).toEqual(before);
    // and B saves to the same entries
    expect(vgicV3Snapshot.save(b.dev.device as never, ioB).map((e) => [e.key, e.value])).toEqual(entries.map((e) => [e.key, e.value]));
  });
  test('restore clears state the target had (clear-then-set)', () => {
    const a = v3Guest(1);
    a.guests[0]!.mmioWrite32(a.redist + 0x70, 4, 0x1000078f);
    a.guests[0]!.mmioWrite32(a.redist + 0x78, 4, 0x20000780);
    const entries = vgicV3Snapshot.save(a.dev.device as never, stateIo(a.host, a.dev, [0]));
    const b = v3Guest(1);
    const g = b.guests[0]!;
    g.mmioWrite32(b.dist + 0x104, 4, 0xff);
    g.mmioWrite32(b.dist + 0x304, 4, 0x3);
    b.vm.irqLine(SPI | 32, 1);
    g.mmioWrite32(b.redist + 0x10180, 4, 0x1); // SGI 0 disabled
    vgicV3Snapshot.restore(b.dev.device as never, stateIo(b.host, b.dev, [0]), entries);
    expect(v3GuestView(b)).toEqual(v3GuestView(a));
  });
  test('QEMU writes IROUTER as two halves and the attr upper word is GICR_TYPER[63:32]', () => {
    const w = v3Guest(2);
    const typer = BigInt(w.dev.getAttr(5, U.vgicMpidrAttr(1) | 0xcn)) << 32n;
    expect(typer).toBe(U.vgicMpidrAttr(1));
    w.dev.setAttr(1, 0x6000 + 8 * 40, 1);
    w.dev.setAttr(1, 0x6000 + 8 * 40 + 4, 0);
    expect(w.dev.getAttr(1, 0x6000 + 8 * 40)).toBe(1);
  });
});

describe('QEMU GICv2 get/put', () => {
  test('probe with HAS, CTRL_INIT before addresses, legacy addresses, save/restore', () => {
    const f = facade();
    f.createVcpu(0);
    const d = f.createDevice(5);
    expect(f.has(d, 3, 0)).toBe(0);
    expect(f.has(d, 4, 0)).toBe(0);
    expect(f.set(d, 3, 0, 128)).toBe(0);
    expect(f.set(d, 4, 0, 0, 0)).toBe(0);
    // addresses later (machine-init-done) through the device
    expect(f.set(d, 0, 0, 0x08000000, 8)).toBe(0);
    expect(f.set(d, 0, 1, 0x08010000, 8)).toBe(0);
    // the legacy ioctl sees them as set
    const b = f.host.mem.alloc(16);
    f.host.mem.setU64(b, 0n);
    f.host.mem.setU64(b + 8, 0x09000000n);
    expect(f.ioctl(f.vm, KVM_ARM_SET_DEVICE_ADDR, b)).toBe(-17);
  });
  test('kvm_arm_gic_get on A, kvm_arm_gic_put on B', () => {
    const mk = () => v2Guest(2);
    const a = mk();
    const g0 = a.guests[0]!;
    const g1 = a.guests[1]!;
    g0.mmioWrite32(a.dist, 4, 1);
    g0.mmioWrite32(a.dist + 0x104, 4, 0x7);
    g0.mmioWrite32(a.dist + 0x084, 4, 0x4); // SPI 34 group 1
    g0.mmioWrite32(a.dist + 0x420, 4, 0x40608000);
    g0.mmioWrite32(a.dist + 0x820, 4, 0x00020201);
    for (const g of a.guests) {
      g.mmioWrite32(a.cpu + 0x4, 4, 0xf8);
      g.mmioWrite32(a.cpu + 0x0, 4, 0x3);
    }
    a.vm.irqLine(SPI | 32, 1);
    a.vm.irqLine(SPI | 33, 1);
    g0.mmioWrite32(a.dist + 0xf00, 4, (0 << 24) | (0b10 << 16) | 5); // SGI 5 from vCPU 0 to vCPU 1
    expect(g1.mmioRead(a.cpu + 0xc, 4)).toBe(5); // SGI 5 (priority 0) from vCPU 0
    const view = (w: ReturnType<typeof mk>) =>
      w.guests.flatMap((g) => [
        ...[0x0, 0x4, 0x8, 0x1c, 0xd0, 0x14, 0x18, 0x28].map((o) => g.mmioRead(w.cpu + o, 4)),
        ...[0x0, 0x4, 0x80, 0x84, 0x100, 0x104, 0x200, 0x204, 0x300, 0x304, 0x400, 0x404, 0x420, 0x820, 0xc08, 0xf10, 0xf14].map((o) =>
          g.mmioRead(w.dist + o, 4),
        ),
        g.line('irq'),
      ]);
    const before = view(a);
    const entries = vgicV2Snapshot.save(a.dev.device as never, stateIo(a.host, a.dev, [0, 1]));
    const b = mk();
    vgicV2Snapshot.restore(b.dev.device as never, stateIo(b.host, b.dev, [0, 1]), entries);
    expect(view(b)).toEqual(before);
  });
});

describe('describe', () => {
  test('device terms', () => {
    const e = { key: 'dist.0x204', group: 1, attr: 0x204n, size: 4 as const, value: 0n };
    expect(vgicV3Snapshot.describe(e, 0n, 1n << 8n)).toEqual(['SPI 40: pending 0 -> 1']);
    const p = { key: 'dist.0x428', group: 1, attr: 0x428n, size: 4 as const, value: 0n };
    expect(vgicV3Snapshot.describe(p, 0n, 0xa0n << 8n)).toEqual(['SPI 41: priority 0x0 -> 0xa0']);
    const r = { key: 'redist.2.0x10100', group: 5, attr: (2n << 32n) | 0x10100n, size: 4 as const, vcpu: 2, value: 0n };
    expect(vgicV3Snapshot.describe(r, 0xffffn, 0xfffen)).toEqual(['vCPU 2 SGI 0: enabled 1 -> 0']);
    const i = { key: 'icc.0.0xc230', group: 6, attr: 0xc230n, size: 8 as const, vcpu: 0, value: 0n };
    expect(vgicV3Snapshot.describe(i, 0n, 0xf0n)).toEqual(['vCPU 0 ICC_PMR_EL1 0x0 -> 0xf0']);
    const l = { key: 'level.spi.32', group: 7, attr: 32n, size: 4 as const, value: 0n };
    expect(vgicV3Snapshot.describe(l, 0n, 2n)).toEqual(['SPI 33: line level 0 -> 1']);
    expect(vgicV3Snapshot.describe(l, 2n, 2n)).toEqual([]);
    expect(armVgic.devices.find((d) => d.key === 'KVM_DEV_TYPE_ARM_VGIC_V3')?.snapshot).toBe(vgicV3Snapshot);
  });
});
