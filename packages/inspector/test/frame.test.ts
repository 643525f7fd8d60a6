import { fc } from '@fast-check/jest';
import { presets } from '@kvmdev/core';
import { DeviceFrame, stateKey } from '../src/model/frame.js';
import { BLOCK } from '../src/model/layout.js';
import { Session } from '../src/model/session.js';
import { PLUGINS } from './helpers.js';

function gic(vcpus: number, nrIrqs = 288) {
  const config = presets.qemuVirtArm64({ vcpus });
  const dev = config.devices[0]!;
  return new Session(
    {
      title: 'x',
      config: { ...config, devices: [{ ...dev, settings: { ...dev.settings, nrIrqs } }] },
    },
    PLUGINS,
  );
}

describe('frames', () => {
  test('a live frame reads only what is asked, one block of a range at a time', () => {
    const s = gic(8);
    const d = s.devices[0]!;
    const iv = d.view!.interrupts!;
    const calls: [number, number, number | undefined][] = [];
    const spy = {
      ...d.view!,
      interrupts: {
        ...iv,
        read: (f: number, c: number, v?: number) => {
          calls.push([f, c, v]);
          return iv.read(f, c, v);
        },
      },
    };
    const f = new DeviceFrame(d.layout, spy);
    const row = d.layout.rowOf(40);
    expect(f.state(row, 3)!.id).toBe(40);
    expect(f.state(row + 1, 5)!.id).toBe(41); // same block, global: no second read
    expect(calls).toEqual([[32, BLOCK, undefined]]);
    f.state(d.layout.rowOf(27), 5); // a PPI: vCPU 5's copy
    expect(calls[1]).toEqual([16, 16, 5]);
    s.close();
  });

  test('freeze reads everything once, shares unchanged blocks with the frame before, and reports exactly the changed cells', () => {
    const s = gic(4);
    const d = s.devices[0]!;
    const iv = d.view!.interrupts!;
    const a = new DeviceFrame(d.layout, d.view!);
    expect(a.freeze().cells).toEqual([]);
    iv.raise!(40, 1);
    const b = new DeviceFrame(d.layout, d.view!);
    const ch = b.freeze(a);
    expect(
      ch.cells.map((c) => [d.layout.rows[c.row]!.id, c.col, c.before?.pending, c.after?.pending]),
    ).toEqual([[40, null, false, true]]);
    expect(b.isLive).toBe(false);
    iv.raise!(40, 0);
    // frozen: the frame still shows the state it had
    expect(b.global(d.layout.rowOf(40))!.pending).toBe(true);
    s.close();
  });

  test('property: after random host raises of SPIs and PPIs, the reported changes are the cells whose state differs', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.integer({ min: 16, max: 127 }),
            level: fc.constantFrom<0 | 1>(0, 1),
            vcpu: fc.integer({ min: 0, max: 2 }),
          }),
          { maxLength: 12 },
        ),
        (ops) => {
          const s = gic(3, 128);
          try {
            const d = s.devices[0]!;
            const iv = d.view!.interrupts!;
            const a = new DeviceFrame(d.layout, d.view!);
            a.freeze();
            for (const o of ops) iv.raise!(o.id, o.level, o.id < 32 ? o.vcpu : undefined);
            const b = new DeviceFrame(d.layout, d.view!);
            const ch = b.freeze(a);
            const expected: string[] = [];
            d.layout.rows.forEach((r, row) => {
              for (let col = 0; col < (r.banked ? 3 : 1); col++)
                if (stateKey(a.state(row, col)) !== stateKey(b.state(row, col)))
                  expected.push(`${row}:${r.banked ? col : 'g'}`);
            });
            expect(ch.cells.map((c) => `${c.row}:${c.col ?? 'g'}`).sort()).toEqual(expected.sort());
          } finally {
            s.close();
          }
        },
      ),
      { numRuns: Number(process.env.KVMDEV_FC_RUNS ?? 25) },
    );
  });
});
