/**
 * The ITS at the guest level: kvm-unit-tests arm/gic.c its-trigger (mappings, INT delivered once to
 * the right vCPU, INV/INVALL, MAPD V=0), and the command and MSI behaviour read from Linux 7.3.4
 * (kernel-oracle.md §5).
 */
import { EBUSY, EINVAL, KVM_IRQFD_FLAG_DEASSIGN, KVM_MSI_VALID_DEVID } from '@kvmdev/core';
import { ItsGuestDriver as D, LPI_PROP_DEFAULT } from '../src/internal.js';
import { GITS_BASER, GITS_CBASER, GITS_CREADR, GITS_CTLR, GITS_CWRITER } from '../src/index.js';
import * as U from '../src/uapi.js';
import { errnoOf } from './helpers.js';
import { itsWorld } from './its-helpers.js';

/** its_setup1: dev 2 event 20 → LPI 8195 on PE 3 (col 3), dev 7 event 255 → LPI 8196 on PE 2 (col 2). */
function setup1() {
  const w = itsWorld({ vcpus: 4 });
  const d = w.drv;
  const itt2 = d.alloc(8 * 256);
  const itt7 = d.alloc(8 * 256);
  d.setConfig(8195, LPI_PROP_DEFAULT);
  d.setConfig(8196, LPI_PROP_DEFAULT);
  d.send(D.mapd(2, itt2, 8));
  d.send(D.mapd(7, itt7, 8));
  d.send(D.mapc(3, 3));
  d.send(D.mapc(2, 2));
  d.send(D.invall(2));
  d.send(D.invall(3));
  d.send(D.mapti(2, 20, 8195, 3));
  d.send(D.mapti(7, 255, 8196, 2));
  return { ...w, itt2, itt7 };
}

const msi = (w: ReturnType<typeof itsWorld>, devid: number, data: number, flags = KVM_MSI_VALID_DEVID) =>
  w.vm.signalMsi({ addressLo: w.itsBase + 0x10040, data, flags, devid });

describe('kvm-unit-tests its-trigger', () => {
  test('int: dev=2 eventid=20 → LPI 8195 on PE 3 only, once; dev=7 eventid=255 → LPI 8196 on PE 2', () => {
    const w = setup1();
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual(['3:8195']);
    expect(w.drainAll()).toEqual([]);
    w.drv.send(D.int(7, 255));
    expect(w.drainAll()).toEqual(['2:8196']);
  });

  test('inv/invall: a disabled LPI does not trigger; re-enabled and INVALL, the pending LPI is received; then INT triggers again', () => {
    const w = setup1();
    w.drv.setConfig(8195, LPI_PROP_DEFAULT & ~1);
    w.drv.send(D.inv(2, 20));
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual([]);
    w.drv.setConfig(8195, LPI_PROP_DEFAULT);
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual([]); // the property change is not seen before an invalidation
    w.drv.send(D.invall(3));
    expect(w.drainAll()).toEqual(['3:8195']);
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual(['3:8195']);
  });

  test('mapd valid=false: no LPI after the device unmap; no spurious interrupt anywhere', () => {
    const w = setup1();
    w.drv.send(D.mapd(2, w.itt2, 8, false));
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual([]);
    for (const g of w.guests) expect(g.sysregRead(U.ICC_IAR1_EL1)).toBe(1023n);
    w.drv.send(D.int(7, 255));
    expect(w.drainAll()).toEqual(['2:8196']);
  });

  test('pending migration: LPIs pending in memory while EnableLPIs=0 are taken when EnableLPIs is set (PTZ=0): 128 on each of two PEs', () => {
    const w = itsWorld({ vcpus: 4, enable: false });
    const d = w.drv;
    d.enableDefaults({ enableLpis: false });
    const itt = d.alloc(8 * 256);
    d.send(D.mapd(2, itt, 8));
    d.send(D.mapc(3, 3));
    d.send(D.mapc(2, 2));
    for (let i = 0; i < 256; i++) {
      const pe = i % 2 ? 3 : 2;
      d.send(D.mapti(2, i, 8192 + i, pe));
      d.setConfig(8192 + i, LPI_PROP_DEFAULT);
      d.setPending(pe, 8192 + i, true);
    }
    d.send(D.invall(3));
    d.send(D.invall(2));
    expect(w.drainAll()).toEqual([]);
    d.rdistEnable(3, true);
    d.rdistEnable(2, true);
    expect(w.drain(3).length).toBe(128);
    expect(w.drain(2).length).toBe(128);
  });
});

describe('commands (kernel-oracle §5)', () => {
  test('INT makes even a disabled LPI pending; CLEAR clears it; an enable then delivers nothing', () => {
    const w = setup1();
    w.drv.setConfig(8195, 0xa0);
    w.drv.send(D.inv(2, 20));
    w.drv.send(D.int(2, 20));
    w.drv.send(D.clear(2, 20));
    w.drv.setConfig(8195, LPI_PROP_DEFAULT);
    w.drv.send(D.inv(2, 20));
    expect(w.drainAll()).toEqual([]);
    w.drv.send(D.int(2, 20));
    w.drv.setConfig(8195, 0xa0);
    w.drv.send(D.inv(2, 20));
    w.drv.setConfig(8195, LPI_PROP_DEFAULT);
    w.drv.send(D.inv(2, 20)); // still pending
    expect(w.drainAll()).toEqual(['3:8195']);
  });

  test('priority comes from the property byte: the higher priority LPI is taken first', () => {
    const w = setup1();
    w.drv.send(D.mapti(2, 21, 8197, 3));
    w.drv.setConfig(8197, 0x20 | 3); // priority 0x20
    w.drv.send(D.inv(2, 21));
    w.drv.send(D.int(2, 20));
    w.drv.send(D.int(2, 21));
    expect(w.drain(3)).toEqual([8197, 8195]);
  });

  test('MOVI moves one LPI; MOVALL retargets every LPI of a PE but leaves the collection ids', () => {
    const w = setup1();
    w.drv.send(D.movi(2, 20, 2));
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual(['2:8195']);
    w.drv.send(D.movall(2, 1));
    w.drv.send(D.int(2, 20));
    w.drv.send(D.int(7, 255));
    expect(w.drainAll()).toEqual(['1:8195', '1:8196']);
    // the ITEs still name collection 2: a MAPC of collection 2 to PE 0 takes both there
    w.drv.send(D.mapc(2, 0));
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual(['0:8195']);
  });

  test('DISCARD zeroes the ITT entry; MAPD V=0 zeroes the device table entry; a re-MAPD drops the ITEs and leaves the ITT memory', () => {
    const w = setup1();
    const m = w.host.mem;
    const hv = (gpa: number) => w.hva + (gpa - 0x8000_0000);
    w.its.setAttr(4, 1); // SAVE_TABLES writes the ITEs and DTEs
    expect(m.getU64(hv(w.itt2 + 20 * 8))).not.toBe(0n);
    w.drv.send(D.discard(2, 20));
    expect(m.getU64(hv(w.itt2 + 20 * 8))).toBe(0n);
    expect(msi(w, 2, 20)).toBe(0);
    expect(m.getU64(hv(w.drv.deviceTable + 7 * 8))).not.toBe(0n);
    w.drv.send(D.mapd(7, w.itt7, 8)); // re-MAPD: the mapping goes, the ITT memory stays
    expect(msi(w, 7, 255)).toBe(0);
    expect(m.getU64(hv(w.itt7 + 255 * 8))).not.toBe(0n);
    w.drv.send(D.mapd(7, w.itt7, 8, false));
    expect(m.getU64(hv(w.drv.deviceTable + 7 * 8))).toBe(0n);
  });

  test('MAPC V=0 of a collection in use leaves its ITEs with no collection for good', () => {
    const w = setup1();
    w.drv.send(D.mapc(3, 3, false));
    expect(msi(w, 2, 20)).toBe(0);
    w.drv.send(D.mapc(3, 3));
    expect(msi(w, 2, 20)).toBe(0);
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual([]);
  });

  test('MAPTI to a never-mapped collection: accepted, deliverable after a MAPC', () => {
    const w = setup1();
    w.drv.setConfig(8200, LPI_PROP_DEFAULT);
    w.drv.send(D.mapti(7, 1, 8200, 9));
    expect(msi(w, 7, 1)).toBe(0); // the collection exists, unmapped
    w.drv.send(D.mapc(9, 1));
    w.drv.send(D.invall(9));
    expect(msi(w, 7, 1)).toBe(1);
    expect(w.drainAll()).toEqual(['1:8200']);
  });

  test('7.3.4 refuses a MAPTI of an LPI already mapped by another event; re-mapping an EventID keeps the old mapping', () => {
    const w = setup1();
    w.drv.send(D.mapti(7, 3, 8195, 2));
    expect(msi(w, 7, 3)).toBe(0);
    w.drv.send(D.mapti(2, 20, 8199, 2)); // EventID 20 already mapped: no effect
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual(['3:8195']);
  });

  test('invalid commands have no visible effect: CREADR moves on, no stall, CTLR quiescent', () => {
    const w = setup1();
    const before = w.drv.creadr();
    const bad = [
      D.mapti(99, 0, 8300, 2), // unmapped device
      D.mapti(2, 300, 8300, 2), // EventID beyond the ITT (8 bits)
      D.mapti(2, 1, 8191, 2), // pINTID below 8192
      D.mapti(2, 1, 70000, 2), // pINTID beyond the property table
      D.mapti(2, 1, 8300, 8192), // collection beyond the table
      D.mapc(4, 7), // no such vCPU
      D.mapd(8192, 0, 8), // DeviceID beyond a 1-page table
      D.mapd(3, 0, 17), // ITT size beyond 16 bits
      [0x2a, 0, 0, 0, 0, 0, 0, 0], // unknown opcode
      D.movall(0, 9),
      D.int(2, 21),
    ];
    for (const c of bad) w.drv.queue(c);
    w.drv.publish();
    expect(w.drv.creadr()).toBe((before + 32 * bad.length) % 0x10000);
    expect(Number(w.guests[0]!.mmioRead(w.itsBase + GITS_CTLR, 4))).toBe(0x80000001);
    expect(w.drainAll()).toEqual([]);
    expect(msi(w, 2, 1)).toBe(0);
    w.drv.send(D.int(2, 20));
    expect(w.drainAll()).toEqual(['3:8195']);
  });

  test('the queue: CWRITER while disabled is stored (CTLR 0), enabling processes it; the queue wraps', () => {
    const w = itsWorld({ vcpus: 2, enable: false });
    const d = w.drv;
    d.enableDefaults({ enableIts: false });
    const itt = d.alloc(256);
    d.setConfig(8192, LPI_PROP_DEFAULT);
    d.queue(D.mapd(1, itt, 4));
    d.queue(D.mapc(0, 0));
    d.queue(D.mapti(1, 0, 8192, 0));
    d.queue(D.int(1, 0));
    d.publish();
    const g = w.guests[0]!;
    expect(Number(g.mmioRead(w.itsBase + GITS_CTLR, 4))).toBe(0);
    expect(w.drainAll()).toEqual([]);
    g.mmioWrite32(w.itsBase + GITS_CTLR, 4, 1);
    expect(w.drainAll()).toEqual(['0:8192']);
    for (let i = 0; i < 0x10000 / 32 + 5; i++) d.send(D.int(1, 0)); // all the way round
    expect(w.drainAll()).toEqual(['0:8192']);
    expect(d.creadr()).toBe(((4 + 0x10000 / 32 + 5) * 32) % 0x10000);
  });

  test('a queue entry outside guest memory is skipped; CBASER/BASER are ignored and CREADR EBUSY while enabled', () => {
    const w = setup1();
    const g = w.guests[0]!;
    const cb = g.mmioRead(w.itsBase + GITS_CBASER, 8);
    g.mmioWrite(w.itsBase + GITS_CBASER, 8, 0n);
    expect(g.mmioRead(w.itsBase + GITS_CBASER, 8)).toBe(cb);
    const b0 = g.mmioRead(w.itsBase + GITS_BASER, 8);
    g.mmioWrite(w.itsBase + GITS_BASER, 8, 0n);
    expect(g.mmioRead(w.itsBase + GITS_BASER, 8)).toBe(b0);
    expect(errnoOf(() => w.its.setAttr(8, GITS_CREADR, 0n))).toBe(EBUSY);
    g.mmioWrite32(w.itsBase + GITS_CTLR, 4, 0);
    g.mmioWrite(w.itsBase + GITS_CBASER, 8, (1n << 63n) | 0x10_0000_0000n); // not guest RAM
    g.mmioWrite(w.itsBase + GITS_CWRITER, 8, 0x40n);
    g.mmioWrite32(w.itsBase + GITS_CTLR, 4, 1);
    expect(Number(g.mmioRead(w.itsBase + GITS_CREADR, 8))).toBe(0x40);
  });

  test('guest access rules: 64-bit to CTLR RAZ/WI, 32-bit halves of 64-bit registers, bytes RAZ/WI, TRANSLATER RAZ/WI', () => {
    const w = setup1();
    const g = w.guests[0]!;
    expect(g.mmioRead(w.itsBase + GITS_CTLR, 8)).toBe(0n);
    expect(g.mmioRead(w.itsBase + 0x8, 4)).toBe(0x1ef71);
    expect(g.mmioRead(w.itsBase + 0xc, 4)).toBe(0);
    expect(g.mmioRead(w.itsBase + 0x0, 1)).toBe(0);
    expect(g.mmioRead(w.itsBase + 0x10040, 4)).toBe(0);
    expect(g.mmioWrite32(w.itsBase + 0x10040, 4, (2 << 16) | 20)).toBe(true); // handled in the kernel, ignored
    expect(w.drainAll()).toEqual([]);
    g.mmioWrite32(w.itsBase + GITS_CTLR, 4, 0);
    const lo = g.mmioRead(w.itsBase + GITS_CBASER, 4);
    g.mmioWrite32(w.itsBase + GITS_CBASER + 4, 4, 0x80000000); // high half only; inner nCnB sanitised to RaWb
    expect(g.mmioRead(w.itsBase + GITS_CBASER, 8)).toBe((0x98000000n << 32n) | BigInt(lo!));
  });
});

describe('MSIs (KVM_SIGNAL_MSI and irqfd, kernel-oracle §5)', () => {
  test('1 for a mapped pair (disabled LPIs included), 0 for unmapped/discarded/out of range; EBUSY with LPIs off or the ITS disabled', () => {
    const w = setup1();
    expect(msi(w, 2, 20)).toBe(1);
    expect(w.drainAll()).toEqual(['3:8195']);
    w.drv.setConfig(8196, 0xa0);
    w.drv.send(D.inv(7, 255));
    expect(msi(w, 7, 255)).toBe(1);
    expect(msi(w, 2, 21)).toBe(0);
    expect(msi(w, 0x10000, 0)).toBe(0);
    expect(msi(w, 2, 0x10000)).toBe(0);
    w.drv.rdistEnable(3, false);
    expect(errnoOf(() => msi(w, 2, 20))).toBe(EBUSY);
    w.drv.rdistEnable(3, true);
    expect(msi(w, 2, 20)).toBe(1);
    w.guests[0]!.mmioWrite32(w.itsBase + GITS_CTLR, 4, 0);
    expect(errnoOf(() => msi(w, 2, 20))).toBe(EBUSY);
  });

  test('flags 0 hits only the translation cache (EINVAL otherwise); flags 2 EINVAL; any ITS-frame address works, GICD/GICR do not', () => {
    const w = setup1();
    expect(errnoOf(() => msi(w, 2, 20, 0))).toBe(EINVAL); // not cached yet
    expect(msi(w, 2, 20)).toBe(1); // caches it
    expect(msi(w, 2, 20, 0)).toBe(1);
    expect(errnoOf(() => msi(w, 2, 20, 2))).toBe(EINVAL);
    expect(w.vm.signalMsi({ addressLo: w.itsBase + 0x1234, data: 255, flags: 1, devid: 7 })).toBe(1);
    expect(errnoOf(() => w.vm.signalMsi({ addressLo: 0x3fff0000, data: 255, flags: 1, devid: 7 }))).toBe(EINVAL);
    expect(errnoOf(() => w.vm.signalMsi({ addressLo: w.redist, data: 255, flags: 1, devid: 7 }))).toBe(EINVAL);
    expect(errnoOf(() => w.vm.signalMsi({ addressLo: w.itsBase + 0x20000, data: 255, flags: 1, devid: 7 }))).toBe(EINVAL);
  });

  test('the cache goes with DISCARD, MAPD, MAPC V=0, MOVI, ITS disable and EnableLPIs=0 (flags 0 then EINVAL)', () => {
    const w = setup1();
    const cached = () => errnoOf(() => msi(w, 7, 255, 0)) === 0;
    const warm = () => expect(msi(w, 7, 255)).toBe(1);
    warm();
    expect(cached()).toBe(true);
    w.drv.send(D.movi(7, 255, 3));
    expect(cached()).toBe(false);
    warm();
    w.drv.rdistEnable(0, false);
    expect(cached()).toBe(false);
    warm();
    w.drv.send(D.discard(2, 20));
    expect(cached()).toBe(false);
    warm();
    w.drv.send(D.mapc(2, 2, false));
    expect(cached()).toBe(false);
    w.drainAll();
  });

  test('an MSI route fired through an irqfd: the atomic path uses the cache, the deferred path translates', () => {
    const w = setup1();
    w.vm.setGsiRouting([{ gsi: 0, type: 2, flags: KVM_MSI_VALID_DEVID, addressLo: w.itsBase + 0x10040, addressHi: 0, data: 255, devid: 7 }]);
    const ev = w.host.createEventFd();
    w.vm.irqfd({ fd: ev, gsi: 0 });
    ev.signal(); // not cached: kvm_set_msi translates (and caches)
    expect(w.drainAll()).toEqual(['2:8196']);
    ev.signal(); // cached
    expect(w.drainAll()).toEqual(['2:8196']);
    w.vm.irqfd({ fd: ev, gsi: 0, flags: KVM_IRQFD_FLAG_DEASSIGN });
    ev.signal();
    expect(w.drainAll()).toEqual([]);
  });
});
