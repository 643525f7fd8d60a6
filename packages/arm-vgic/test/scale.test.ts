/**
 * Issue item 5: a single injection's cost does not grow with the vCPU count (512) or the IRQ
 * count (1020). Structural check: count how many vCPUs an injection / acknowledge touches.
 */
import { VGIC } from '../src/init.js';
import type { VcpuGic } from '../src/state.js';
import * as U from '../src/uapi.js';
import { v3Guest } from './helpers.js';

function counted(cpus: VcpuGic[]): { arr: VcpuGic[]; touched: Set<number> } {
  const touched = new Set<number>();
  const arr = new Proxy(cpus, {
    get(t, k, r) {
      if (typeof k === 'string' && /^\d+$/.test(k)) touched.add(Number(k));
      return Reflect.get(t, k, r);
    },
  });
  return { arr, touched };
}

test('512 vCPUs, 1020 IRQs: injection, IAR and EOI touch at most the target vCPU', () => {
  const w = v3Guest(512, 992);
  const g = w.host.vmOf(w.vm.fd).slot(VGIC)!;
  const last = w.guests[511]!;
  last.sysregWrite(U.ICC_PMR_EL1, 0xff);
  last.sysregWrite(U.ICC_IGRPEN1_EL1, 1);
  w.guests[0]!.mmioWrite32(w.dist, 4, 2);
  // every SPI enabled, routed to vCPU 511 (Aff1 = 31, Aff0 = 15)
  for (let o = 4; o < 992 / 8; o += 4) w.guests[0]!.mmioWrite32(w.dist + 0x100 + o, 4, 0xffffffff);
  const aff = (31 << 8) | 15;
  for (let i = 32; i < 992; i++) w.guests[0]!.mmioWrite32(w.dist + 0x6000 + 8 * i, 4, aff);
  for (let i = 33; i < 992; i++) w.vm.irqLine((1 << 24) | i, 1); // 959 pending
  const { arr, touched } = counted(g.cpus);
  (g as unknown as { cpus: VcpuGic[] }).cpus = arr;
  w.vm.irqLine((1 << 24) | 32, 1);
  expect([...touched]).toEqual([511]);
  touched.clear();
  expect(last.sysregRead(U.ICC_IAR1_EL1)).toBe(32n);
  last.sysregWrite(U.ICC_EOIR1_EL1, 32);
  expect(last.sysregRead(U.ICC_IAR1_EL1)).toBe(33n);
  expect(touched.size).toBeLessThanOrEqual(1);
  expect([...touched].every((i) => i === 511)).toBe(true);
  // retargeting touches the old and the new vCPU only
  touched.clear();
  w.guests[0]!.mmioWrite32(w.dist + 0x6000 + 8 * 900, 4, 3);
  expect([...touched].sort((a, b) => a - b)).toEqual([0, 3, 511]); // accessor vCPU 0 + old + new
});

// The timing side (1 vs 512 vCPUs, 64 vs 992 IRQs) is a benchmark, not a unit test: packages/bench scale.ts.
