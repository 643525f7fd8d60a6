/**
 * LPI stress (property-based): random command streams over several devices, events, collections
 * and vCPUs, MSIs and guest acknowledges, checked against a small reference model of the ITS
 * mapping rules and LPI state; and a bulk run of many devices and events.
 */
import fc from 'fast-check';
import { KVM_MSI_VALID_DEVID } from '@kvmdev/core';
import { ItsGuestDriver as D } from '../src/internal.js';
import { itsWorld } from './its-helpers.js';

const NCPU = 3;
const NDEV = 5;
const BITS = 3; // 8 events per device
const NCOLL = 4;
const LPI0 = 8192;
const NLPI = 24;

type Op =
  | { k: 'mapd'; dev: number; valid: boolean }
  | { k: 'mapc'; coll: number; target: number; valid: boolean }
  | { k: 'mapti'; dev: number; ev: number; lpi: number; coll: number }
  | { k: 'movi'; dev: number; ev: number; coll: number }
  | { k: 'discard'; dev: number; ev: number }
  | { k: 'prop'; lpi: number; byte: number; dev: number; ev: number }
  | { k: 'invall'; coll: number }
  | { k: 'int'; dev: number; ev: number }
  | { k: 'msi'; dev: number; ev: number }
  | { k: 'clear'; dev: number; ev: number }
  | { k: 'movall'; from: number; to: number }
  | { k: 'drain' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('mapd' as const), dev: fc.nat(NDEV - 1), valid: fc.boolean() }),
  fc.record({ k: fc.constant('mapc' as const), coll: fc.nat(NCOLL - 1), target: fc.nat(NCPU - 1), valid: fc.boolean() }),
  fc.record({ k: fc.constant('mapti' as const), dev: fc.nat(NDEV - 1), ev: fc.nat(9), lpi: fc.nat(NLPI - 1), coll: fc.nat(NCOLL - 1) }),
  fc.record({ k: fc.constant('movi' as const), dev: fc.nat(NDEV - 1), ev: fc.nat(7), coll: fc.nat(NCOLL - 1) }),
  fc.record({ k: fc.constant('discard' as const), dev: fc.nat(NDEV - 1), ev: fc.nat(7) }),
  fc.record({ k: fc.constant('prop' as const), lpi: fc.nat(NLPI - 1), byte: fc.constantFrom(0xa3, 0xa2, 0x23, 0x63), dev: fc.nat(NDEV - 1), ev: fc.nat(7) }),
  fc.record({ k: fc.constant('invall' as const), coll: fc.nat(NCOLL - 1) }),
  fc.record({ k: fc.constant('int' as const), dev: fc.nat(NDEV - 1), ev: fc.nat(7) }),
  fc.record({ k: fc.constant('msi' as const), dev: fc.nat(NDEV - 1), ev: fc.nat(7) }),
  fc.record({ k: fc.constant('clear' as const), dev: fc.nat(NDEV - 1), ev: fc.nat(7) }),
  fc.record({ k: fc.constant('movall' as const), from: fc.nat(NCPU - 1), to: fc.nat(NCPU - 1) }),
  fc.constant({ k: 'drain' as const }),
  fc.constant({ k: 'drain' as const }),
);

/** The reference: the ITS mapping rules and LPI state, independent of the implementation. */
class Ref {
  devs = new Map<number, Map<number, { lpi: number; coll: { id: number; target: number } | null }>>();
  colls = new Map<number, { id: number; target: number }>();
  lpi = new Map<number, { target: number; enabled: boolean; prio: number; pending: boolean }>();
  mem = new Map<number, number>();

  private ite(dev: number, ev: number) {
    return this.devs.get(dev)?.get(ev);
  }
  private freeDev(dev: number) {
    for (const ite of this.devs.get(dev)?.values() ?? []) this.lpi.delete(ite.lpi);
    this.devs.delete(dev);
  }
  private config(l: number) {
    const s = this.lpi.get(l)!;
    const b = this.mem.get(l) ?? 0;
    s.enabled = (b & 1) === 1;
    s.prio = b & 0xfc;
  }
  apply(o: Op): number | string[] | null {
    switch (o.k) {
      case 'mapd':
        this.freeDev(o.dev);
        if (o.valid) this.devs.set(o.dev, new Map());
        return null;
      case 'mapc': {
        if (!o.valid) {
          const c = this.colls.get(o.coll);
          if (c) for (const d of this.devs.values()) for (const i of d.values()) if (i.coll === c) i.coll = null;
          this.colls.delete(o.coll);
          return null;
        }
        const c = this.colls.get(o.coll);
        if (!c) this.colls.set(o.coll, { id: o.coll, target: o.target });
        else {
          c.target = o.target;
          for (const d of this.devs.values()) for (const i of d.values()) if (i.coll === c) this.lpi.get(i.lpi)!.target = o.target;
        }
        return null;
      }
      case 'mapti': {
        const d = this.devs.get(o.dev);
        const l = LPI0 + o.lpi;
        if (!d || o.ev >= 2 ** BITS || d.has(o.ev) || this.lpi.has(l)) return null;
        let c = this.colls.get(o.coll);
        if (!c) this.colls.set(o.coll, (c = { id: o.coll, target: -1 }));
        d.set(o.ev, { lpi: l, coll: c });
        this.lpi.set(l, { target: c.target, enabled: false, prio: 0, pending: false });
        this.config(l);
        return null;
      }
      case 'movi': {
        const i = this.ite(o.dev, o.ev);
        const c = this.colls.get(o.coll);
        if (!i?.coll || i.coll.target < 0 || !c || c.target < 0) return null;
        i.coll = c;
        this.lpi.get(i.lpi)!.target = c.target;
        return null;
      }
      case 'discard': {
        const i = this.ite(o.dev, o.ev);
        if (!i?.coll || i.coll.target < 0) return null;
        this.lpi.delete(i.lpi);
        this.devs.get(o.dev)!.delete(o.ev);
        return null;
      }
      case 'prop': {
        this.mem.set(LPI0 + o.lpi, o.byte);
        const i = this.ite(o.dev, o.ev);
        if (i) this.config(i.lpi);
        return null;
      }
      case 'invall': {
        const c = this.colls.get(o.coll);
        if (!c || c.target < 0) return null;
        for (const [l, s] of this.lpi) if (s.target === c.target) this.config(l);
        return null;
      }
      case 'int':
      case 'msi': {
        const i = this.ite(o.dev, o.ev);
        const ok = !!i && !!i.coll && i.coll.target >= 0;
        if (ok) this.lpi.get(i.lpi)!.pending = true;
        return o.k === 'msi' ? (ok ? 1 : 0) : null;
      }
      case 'clear': {
        const i = this.ite(o.dev, o.ev);
        if (i) this.lpi.get(i.lpi)!.pending = false;
        return null;
      }
      case 'movall':
        if (o.from !== o.to) for (const s of this.lpi.values()) if (s.target === o.from) s.target = o.to;
        return null;
      case 'drain': {
        const out: string[] = [];
        for (let cpu = 0; cpu < NCPU; cpu++) {
          const ready = [...this.lpi].filter(([, s]) => s.pending && s.enabled && s.target === cpu);
          ready.sort(([a, x], [b, y]) => (x.prio >> 3) - (y.prio >> 3) || a - b);
          for (const [l, s] of ready) {
            out.push(`${cpu}:${l}`);
            s.pending = false;
          }
        }
        return out;
      }
    }
  }
}

function toCmd(o: Op, itt: (dev: number) => number): number[] | null {
  switch (o.k) {
    case 'mapd':
      return D.mapd(o.dev, itt(o.dev), BITS, o.valid);
    case 'mapc':
      return D.mapc(o.coll, o.target, o.valid);
    case 'mapti':
      return D.mapti(o.dev, o.ev, LPI0 + o.lpi, o.coll);
    case 'movi':
      return D.movi(o.dev, o.ev, o.coll);
    case 'discard':
      return D.discard(o.dev, o.ev);
    case 'prop':
      return D.inv(o.dev, o.ev);
    case 'invall':
      return D.invall(o.coll);
    case 'int':
      return D.int(o.dev, o.ev);
    case 'clear':
      return D.clear(o.dev, o.ev);
    case 'movall':
      return D.movall(o.from, o.to);
    default:
      return null;
  }
}

describe('LPI stress', () => {
  test('random command streams, MSIs and acknowledges agree with the reference model', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(NCPU - 1), { minLength: NCOLL, maxLength: NCOLL }), fc.array(opArb, { minLength: 5, maxLength: 60 }), (targets, ops) => {
        const w = itsWorld({ vcpus: NCPU, ramSize: 4 << 20 });
        const itts = [...Array(NDEV).keys()].map(() => w.drv.alloc(8 << BITS));
        const ref = new Ref();
        // a prelude that maps every device and collection and most events, so the random part acts on live LPIs
        const prelude: Op[] = [];
        for (let d = 0; d < NDEV; d++) prelude.push({ k: 'mapd', dev: d, valid: true });
        targets.forEach((t, c) => prelude.push({ k: 'mapc', coll: c, target: t, valid: true }));
        for (let l = 0; l < NLPI; l++) prelude.push({ k: 'prop', lpi: l, byte: 0xa3, dev: 0, ev: 9 });
        for (let l = 0; l < NLPI - 4; l++) prelude.push({ k: 'mapti', dev: l % NDEV, ev: (l / NDEV) | 0, lpi: l, coll: l % NCOLL });
        for (const o of [...prelude, ...ops]) {
          if (o.k === 'prop') w.drv.setConfig(LPI0 + o.lpi, o.byte);
          const c = toCmd(o, (d) => itts[d]!);
          if (c) w.drv.send(c);
          const want = ref.apply(o);
          if (o.k === 'msi') {
            const got = w.vm.signalMsi({ addressLo: w.itsBase + 0x10040, data: o.ev, flags: KVM_MSI_VALID_DEVID, devid: o.dev });
            expect(got).toBe(want);
          } else if (o.k === 'drain') {
            expect(w.drainAll()).toEqual(want);
          }
          expect(w.drv.creadr()).toBe(Number(w.guests[0]!.mmioRead(w.itsBase + 0x88, 8)));
        }
        // nothing the reference does not expect is left pending anywhere
        expect(w.drainAll()).toEqual(ref.apply({ k: 'drain' }));
      }),
      { numRuns: 60, seed: 1515 },
    );
  });

  test('many devices and events: 128 devices x 32 events over 4 vCPUs, every MSI lands once on its collection', () => {
    const w = itsWorld({ vcpus: 4, ramSize: 8 << 20 });
    const d = w.drv;
    for (let c = 0; c < 4; c++) d.queue(D.mapc(c, c));
    let lpi = LPI0;
    for (let dev = 0; dev < 128; dev++) {
      d.queue(D.mapd(dev, d.alloc(32 * 8), 5));
      for (let ev = 0; ev < 32; ev++) {
        d.setConfig(lpi, 0xa3);
        d.queue(D.mapti(dev, ev, lpi++, (dev + ev) % 4));
        if (((dev * 32 + ev) & 255) === 255) d.publish(); // keep the queue from wrapping over unread entries
      }
    }
    d.publish();
    const seen = new Map<number, number>();
    for (let dev = 0; dev < 128; dev++)
      for (let ev = 0; ev < 32; ev++) {
        expect(w.vm.signalMsi({ addressLo: w.itsBase + 0x10040, data: ev, flags: KVM_MSI_VALID_DEVID, devid: dev })).toBe(1);
        for (const s of w.drainAll()) {
          const [cpu, id] = s.split(':').map(Number) as [number, number];
          expect(cpu).toBe((dev + ev) % 4);
          expect(id).toBe(LPI0 + dev * 32 + ev);
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
      }
    expect(seen.size).toBe(128 * 32);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});
