import { diffSnapshots, saveSnapshot } from '@kvmdev/core';
import { diffSessions, locate } from '../src/model/diff.js';
import { Session } from '../src/model/session.js';
import { PLUGINS, ranSession, session, stepOf } from './helpers.js';

describe('diff mode', () => {
  test('two snapshots of one VM: the kvmdev diff lines, linked to their cells, and the changed cells', async () => {
    const run = await ranSession('arm64-virt-gicv3.yaml');
    const raise = stepOf(run, /host raises SPI 40/);
    const run2 = await session('arm64-virt-gicv3.yaml');
    run2.goTo(raise);
    const before = JSON.parse(JSON.stringify(saveSnapshot(run2.host, run2.vm.vm.fd)));
    run2.goTo(raise + 1);
    const after = JSON.parse(JSON.stringify(saveSnapshot(run2.host, run2.vm.vm.fd)));
    const config = run.source.config;
    const a = new Session({ title: 'a.json', config, snapshot: before }, PLUGINS);
    const b = new Session({ title: 'b.json', config, snapshot: after }, PLUGINS);
    const d = diffSessions(a, b, before, after);
    // the words are exactly kvmdev diff's (core's diffSnapshots)
    expect(d.lines.map((l) => l.text)).toEqual(diffSnapshots(a.host, before, after));
    expect(d.lines.map((l) => l.text)).toContain('SPI 40: pending 0 -> 1');
    const L = a.devices[0]!.layout;
    const line = d.lines.find((l) => l.text === 'SPI 40: pending 0 -> 1')!;
    expect(line).toMatchObject({ device: 0, row: L.rowOf(40), col: null });
    expect(d.comparable).toBe(true);
    const cells = d.changes[0]!.cells;
    expect(cells.map((c) => L.rows[c.row]!.id)).toEqual([40]);
    expect(cells[0]).toMatchObject({
      col: null,
      before: { pending: false },
      after: { pending: true },
    });
    // the vCPU 0 interface changed too: its highest pending interrupt and its line
    expect(d.changes[0]!.cpus.map((c) => c.col)).toEqual([L.colOf(0)]);
    for (const s of [run2, a, b]) s.close();
  });

  test('a line points at a banked copy when it names the vCPU, and nowhere when it names no interrupt', async () => {
    const s = await session('arm64-virt-gicv3.yaml');
    const L = s.devices[0]!.layout;
    expect(locate(s, 'vCPU 1 SGI 3: enabled 0 -> 1')).toEqual({
      device: 0,
      row: L.rowOf(3),
      col: L.colOf(1),
    });
    expect(locate(s, 'GICD_CTLR: 0x0 -> 0x12')).toEqual({ device: null, row: null, col: null });
    expect(locate(s, 'no colon here')).toEqual({ device: null, row: null, col: null });
    s.close();
  });
});
