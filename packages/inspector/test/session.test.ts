import { presets } from '@kvmdev/core';
import { Session } from '../src/model/session.js';
import { PLUGINS, ranSession, session, stepOf } from './helpers.js';

describe('a VM file session runs its scenario step by step', () => {
  test.each([
    'arm64-virt-gicv3.yaml',
    'firecracker-gicv2.yaml',
    'e500-mpic.yaml',
    'pseries-xics.yaml',
  ])('%s: every expectation holds', async (name) => {
    const s = await ranSession(name);
    expect(s.steps.length).toBeGreaterThan(10);
    expect(s.halted).toBeNull();
    expect(s.executed).toBe(s.steps.length);
    const expects = s.events.filter((e) => e.kind === 'expect');
    expect(expects.length).toBeGreaterThan(3);
    expect(expects.every((e) => e.ok)).toBe(true);
  });

  test('GICv3: the trace reads in device terms, a delivery after its cause', async () => {
    const s = await ranSession('arm64-virt-gicv3.yaml');
    const texts = s.events.map((e) => e.text);
    const raise = texts.indexOf('host raises SPI 40 (KVM_IRQ_LINE 0x01000028) -> status 0');
    expect(raise).toBeGreaterThan(0);
    expect(texts[raise + 1]).toBe('vCPU 0: irq line up');
    expect(s.events[raise + 1]!.kind).toBe('deliver');
    expect(texts).toContain('vCPU 0 acknowledges SPI 40 (priority 0xa0)');
    expect(
      s.events.find((e) => e.text === 'vCPU 0 acknowledges SPI 40 (priority 0xa0)')!.kind,
    ).toBe('ack');
    expect(s.events.some((e) => e.kind === 'eoi' && /EOIs SPI 40/.test(e.text))).toBe(true);
  });

  test('GICv3: the step that made SPI 40 pending, acknowledged it and EOId it changed its cell; frames go back', async () => {
    const s = await session('arm64-virt-gicv3.yaml');
    s.goTo(s.steps.length);
    const d = 0;
    const L = s.devices[d]!.layout;
    const row = L.rowOf(40);
    expect(L.rows[row]!.banked).toBe(false);
    const raise = stepOf(s, /host raises SPI 40/);
    const ack = stepOf(s, /acknowledges SPI 40/);
    const changed = s.stepsOfCell(d, row, null);
    expect(changed).toContain(raise);
    expect(changed).toContain(ack);
    // the frame after the raise has SPI 40 pending, the one before does not
    expect(s.frames[raise + 1]![d]!.global(row)!.pending).toBe(true);
    expect(s.frames[raise]![d]!.global(row)!.pending).toBe(false);
    // after the ack it is active (the line is still high, so it stays pending too: level-triggered)
    expect(s.frames[ack + 1]![d]!.global(row)!.active).toBe(true);
    s.goTo(raise + 1);
    expect(s.position).toBe(raise + 1);
    expect(s.current()[d]!.global(row)!.pending).toBe(true);
    expect(s.lastChange(d, row, null, raise + 1)).toBe(raise);
    // a banked SGI: vCPU 1's copy of SGI 1 changed when vCPU 0 sent it, vCPU 2's did not
    const sgi = L.rowOf(1);
    const send = stepOf(s, /sends SGI 1 to vCPU 1, 3/);
    expect(s.stepsOfCell(d, sgi, L.colOf(1))).toContain(send);
    expect(s.stepsOfCell(d, sgi, L.colOf(2))).not.toContain(send);
    s.close();
  });

  test('frames before a step are never read again: a frozen frame keeps its state', async () => {
    const s = await session('arm64-virt-gicv3.yaml');
    s.goTo(3);
    const f = s.frames[3]![0]!;
    expect(f.isLive).toBe(false);
    s.goTo(s.steps.length);
    expect(s.frames[3]![0]).toBe(f);
    expect(f.global(f.layout.rowOf(40))!.enabled).toBe(false);
    s.close();
  });

  test('a kernel error ends the run unless the next step expects it; a failed expectation stops it', () => {
    const run = (steps: unknown[]) => {
      const s = new Session(
        {
          title: 't.yaml',
          config: presets.qemuVirtArm64({ vcpus: 2 }),
          scenario: { file: 't.yaml', steps },
        },
        PLUGINS,
      );
      s.goTo(steps.length);
      return s;
    };
    const a = run([
      { spi: { intid: 1000, level: 1 } },
      { expect: { errno: 'EINVAL' } },
      { note: 'still running' },
    ]);
    expect(a.events.map((e) => e.kind)).toEqual(['error', 'expect', 'note']);
    expect(a.halted).toBeNull();
    const b = run([{ spi: { intid: 1000, level: 1 } }, { note: 'never' }]);
    expect(b.halted).toEqual({ step: 0, message: expect.stringContaining('scenario[0]') });
    expect(b.executed).toBe(1);
    expect(b.canRun).toBe(false);
    const c = run([{ expect: { vcpu: 1, level: 1 } }, { note: 'never' }]);
    expect(c.events[0]).toMatchObject({
      kind: 'expect',
      ok: false,
      text: 'expect: vCPU 1 irq line is 0, expected 1 (FAILED)',
    });
    expect(c.halted?.message).toBe(
      'scenario[0]: expectation failed: vCPU 1 irq line is 0, expected 1',
    );
    expect(c.executed).toBe(1);
  });
});
