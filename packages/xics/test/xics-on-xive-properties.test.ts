/**
 * fast-check on XICS-on-XIVE (the powernv9 profile): random GRP_SOURCES SET/GET, KVM_IRQ_LINE
 * ICP_STATE SET and XICS hypercall traffic on two connected vCPUs. It never throws and answers only the
 * kernel's codes; a GET never shows bits 45-63 and names a connected server or 0; within one GET
 * round a source reads the same whatever triggers or ICP restores happen in between; rejected
 * SETs and GETs (ENOENT, EFAULT) change no source state; the round counter stays below the number
 * of valid sources; a valid source's ESB is never "off" (PQ 01); no queue counts more targets
 * than it has room for; a hypercall is handled in the kernel (H_SUCCESS or H_PARAMETER); the
 * external line is exactly "the most favoured notified priority is below the context's CPPR".
 *
 * Replay: KVMDEV_FC_SEED=<seed> (and KVMDEV_FC_PATH); KVMDEV_FC_RUNS (default 100).
 */
import { EFAULT, ENOENT, KVM_LINE_EXTERNAL } from '@kvmdev/core';
import fc from 'fast-check';
import { ESB_Q, H_CPPR, H_EOI, H_IPI, H_IPOLL, H_PARAMETER, H_SUCCESS, H_XIRR, H_XIRR_X, KVM_INTERRUPT_SET, KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET, XS_VALID, type XicsOnXive, xicsOnXiveOf } from '../src/internal.js';
import { pnv } from './pnv-harness.js';

const RUNS = Number(process.env.KVMDEV_FC_RUNS ?? 100);
const SEED = process.env.KVMDEV_FC_SEED === undefined ? undefined : Number(process.env.KVMDEV_FC_SEED);
const PATH = process.env.KVMDEV_FC_PATH;

const SOURCES = [0x1000, 0x1001, 0x1002, 0x1400, 0x2000, 15, 0xfffff, 0x100000];
const SERVERS = [0, 1, 7, 2048];

type Op =
  | { k: 'set'; irq: number; value: bigint; bad: boolean }
  | { k: 'get'; irq: number; bad: boolean }
  | { k: 'irq'; irq: number; level: number }
  | { k: 'icp'; v: number; value: bigint }
  | { k: 'hcall'; v: number; nr: number; a: number; b: number };

const value = fc
  .tuple(fc.constantFrom(...SERVERS), fc.oneof(fc.constantFrom(0, 3, 5, 6, 7, 0xff), fc.integer({ min: 0, max: 0xff })), fc.integer({ min: 0, max: 31 }), fc.boolean())
  .map(([s, p, f, junk]) => BigInt(s) | (BigInt(p) << 32n) | (BigInt(f) << 40n) | (junk ? 1n << 50n : 0n));
const reg = fc.oneof(fc.constantFrom(0, 1, 2, 5, 0xff, 99, 2 ** 32, -1), fc.constantFrom(...SOURCES).map((n) => (0xff000000 | n) >>> 0), fc.integer({ min: 0, max: 0xffffffff }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('hcall' as const), v: fc.constantFrom(0, 1), nr: fc.constantFrom(H_XIRR, H_XIRR_X, H_IPOLL, H_CPPR, H_EOI, H_IPI), a: reg, b: reg }),
  fc.record({ k: fc.constant('set' as const), irq: fc.constantFrom(...SOURCES), value, bad: fc.boolean() }),
  fc.record({ k: fc.constant('get' as const), irq: fc.constantFrom(...SOURCES), bad: fc.boolean() }),
  fc.record({ k: fc.constant('get' as const), irq: fc.constantFrom(...SOURCES), bad: fc.constant(false) }),
  fc.record({
    k: fc.constant('irq' as const),
    irq: fc.constantFrom(...SOURCES),
    level: fc.constantFrom(0, 1, 2, KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET, KVM_INTERRUPT_SET_LEVEL, 0x80000000),
  }),
  fc.record({
    k: fc.constant('icp' as const),
    v: fc.constantFrom(0, 1),
    value: fc.tuple(fc.integer({ min: 0, max: 0xff }), fc.constantFrom(0, 1, 2, ...SOURCES), fc.integer({ min: 0, max: 0xff })).map(([c, x, m]) => (BigInt(c) << 56n) | (BigInt(x & 0xffffff) << 32n) | (BigInt(m) << 24n)),
  }),
);

/** The source state a rejected call must leave alone: every valid source's fields, and the counters. */
function fingerprint(x: XicsOnXive): string {
  const parts: (number | string)[] = [x.srcCount, x.savedSrcCount, x.delayedIrqs];
  x.blocks.forEach((b, id) => {
    if (!b) return;
    for (let i = 0; i < 1024; i++)
      if (b.flags[i]! & XS_VALID) parts.push(`${id}:${i}:${b.flags[i]}:${b.guestPrio[i]}:${b.savedPrio[i]}:${b.actPrio[i]}:${b.actServer[i]}:${b.pq[i]}:${b.easVp[i]}:${b.easPrio[i]}`);
  });
  for (const p of x.presenters) parts.push(p.queues.map((q) => `${q.count}/${q.events.length}`).join(','));
  return parts.join(' ');
}

test('XICS-on-XIVE invariants under random traffic', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const t = pnv();
      const c = [t.vcpu(0), t.vcpu(1)];
      const xics = t.createXics();
      expect([t.connect(c[0]!, xics, 0), t.connect(c[1]!, xics, 1)]).toEqual([0, 0]);
      const x = xicsOnXiveOf(t.host.vmOf(t.vm))!;
      // what each source read in the current round (cleared when a round ends or a SET happens)
      const seen = new Map<number, bigint>();
      for (const o of ops) {
        const before = fingerprint(x);
        const roundBefore = x.savedSrcCount;
        if (o.k === 'set') {
          const r = t.setSource(xics, o.irq, o.value, o.bad ? 0 : undefined);
          expect([0, -ENOENT, -EFAULT]).toContain(r);
          if (r < 0) expect(fingerprint(x)).toBe(before);
          else seen.delete(o.irq);
        } else if (o.k === 'get') {
          const v = t.getSource(xics, o.irq, o.bad ? 0 : undefined);
          if (v === BigInt(-ENOENT)) expect(fingerprint(x)).toBe(before);
          else if (v !== BigInt(-EFAULT)) {
            expect(v >> 45n).toBe(0n);
            expect([0n, 1n]).toContain(v & 0xffffffffn);
            // a round started by this GET forgets what the last round read
            if (roundBefore === 0) seen.clear();
            const old = seen.get(o.irq);
            if (old !== undefined) expect(v).toBe(old);
            seen.set(o.irq, v);
          }
          if (x.savedSrcCount === 0) seen.clear();
        } else if (o.k === 'irq') {
          expect(t.irqLine(o.irq, o.level)).toBe(0);
        } else if (o.k === 'icp') {
          expect(t.setIcp(c[o.v]!, o.value)).toBe(0);
        } else {
          const r = t.host.guest(c[o.v]!).hypercall(o.nr, [o.a, o.b]);
          expect([r.kind, [H_SUCCESS, H_PARAMETER]]).toEqual(['done', expect.arrayContaining([r.ret])]);
          // a fetch changes what a round shows
          seen.clear();
        }
        for (const p of x.presenters) {
          const pipr = p.ipb === 0 ? 0xff : 31 - Math.clz32(p.ipb & -p.ipb);
          expect(p.vcpu.lines[KVM_LINE_EXTERNAL]).toBe(pipr < p.hwCppr ? 1 : 0);
          expect(p.mfrr).toBeLessThanOrEqual(0xff);
        }
        expect(x.savedSrcCount === 0 || x.savedSrcCount < x.srcCount).toBe(true);
        for (const b of x.blocks) {
          if (!b) continue;
          for (let i = 0; i < 1024; i++) if (b.flags[i]! & XS_VALID) expect(b.pq[i]).not.toBe(ESB_Q);
        }
        for (const p of x.presenters) for (const q of p.queues) expect(q.count).toBeLessThanOrEqual(x.queueEntries - 2);
      }
    }),
    { numRuns: RUNS, seed: SEED, path: PATH },
  );
});
