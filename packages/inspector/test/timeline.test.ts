import { NO_FILTER, filterEvents } from '../src/model/timeline.js';
import { ranSession } from './helpers.js';

describe('the timeline filters by interrupt and by vCPU', () => {
  test('GICv3: SPI 40 is raised, delivered, acknowledged and EOId; SPI 41 events are not in its list', async () => {
    const s = await ranSession('arm64-virt-gicv3.yaml');
    const all = filterEvents(s, NO_FILTER);
    expect(all).toEqual(s.events);
    const spi40 = filterEvents(s, { ...NO_FILTER, interrupt: { device: 0, id: 40 } });
    const kinds = new Set(spi40.map((e) => e.kind));
    for (const k of ['inject', 'deliver', 'ack', 'eoi'] as const) expect(kinds.has(k)).toBe(true);
    expect(spi40.some((e) => /SPI 41/.test(e.text) && !/SPI 40/.test(e.text))).toBe(false);
    expect(spi40.some((e) => e.text === 'vCPU 0 acknowledges SPI 40 (priority 0xa0)')).toBe(true);
    // vCPU 3: the SGI it received and its own acknowledge, nothing of vCPU 2
    const v3 = filterEvents(s, { ...NO_FILTER, vcpu: 3 });
    expect(v3.some((e) => e.text === 'vCPU 3: irq line up')).toBe(true);
    expect(v3.some((e) => e.text.startsWith('vCPU 2 acknowledges'))).toBe(false);
    // both, and kinds
    const acks = filterEvents(s, {
      interrupt: { device: 0, id: 40 },
      vcpu: 0,
      kinds: new Set(['ack']),
    });
    expect(acks.map((e) => e.text)).toEqual(['vCPU 0 acknowledges SPI 40 (priority 0xa0)']);
  });
});
