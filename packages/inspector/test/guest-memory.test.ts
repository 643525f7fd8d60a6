/**
 * Guest memory in the page: a VM file's `memory:` slots and the `mem` step, read and run with
 * `@kvmdev/core`'s readMemoryConfig / readMemStep / runMemStep, which the CLI uses too (the same
 * checks, messages and trace lines). examples/vms/qemu-virt-its-mapped.yaml, which drives the ITS
 * from guest memory alone, opens, runs to the end and shows the mapped device, collection and
 * translation; the page used to refuse its `memory:` key.
 */
import { saveSnapshot } from '@kvmdev/core';
import { plan } from '../src/model/load.js';
import { Session } from '../src/model/session.js';
import { vmFileOf } from '../src/model/vmfile.js';
import { PLUGINS, messageOf, session } from './helpers.js';

const VIRT = { preset: 'qemuVirtArm64Its', vcpus: 2 };
const RAM = [{ gpa: 0x40000000, size: 0x100000 }];


function open(data: Record<string, unknown>): Session {
  const p = plan([{ name: 'v.yaml', data }], PLUGINS);
  if (p.kind !== 'inspect') throw new Error('expected one session');
  return new Session(p.source, PLUGINS);
}

describe('guest memory in the page', () => {
  test('examples/vms/qemu-virt-its-mapped.yaml runs to the end: the ITS maps device 5 event 3 to LPI 8192 on vCPU 1, pending', async () => {
    const s = await session('qemu-virt-its-mapped.yaml');
    expect(s.vm.memory.map((m) => [m.slot, m.gpa, m.size])).toEqual([[0, 0x40000000, 0x100000]]);
    s.goTo(s.steps.length);
    expect(s.halted).toBeNull();
    const texts = s.events.map((e) => e.text);
    expect(texts).toContain('guest memory: writes u8 0xa1 at 0x40010000');
    expect(texts).toContain('guest memory: writes 4 u64 at 0x40000000 (0x40000000..0x4000001f)');
    expect(texts).toContain('guest memory: reads u64 at 0x40000010 = 0x8000000040060000');
    const expects = s.events.filter((e) => e.kind === 'expect');
    expect([expects.length, expects.every((e) => e.ok)]).toEqual([3, true]);
    const its = s.devices.findIndex((d) => d.key === 'KVM_DEV_TYPE_ARM_VGIC_ITS');
    const sections = s.current()[its]!.sections();
    const lines = (title: string) => sections.find((x) => x.title === title)!.fields.map((f) => `${f.name} ${f.text}`);
    expect(lines('collections')).toEqual(['collection 0 → vCPU 1 (RDbase 1)']);
    expect(lines('devices')).toEqual(['device 5 → ITT 0x40060000, 5 EventID bits (32 events), 1 event mapped']);
    expect(lines('translations')).toEqual(['device 5 event 3 → LPI 8192, collection 0 on vCPU 1 (RDbase 1), pending, enabled, priority 0xa0, cached']);
    // its snapshot carries the guest memory image and restores onto a VM of the same config
    const snap = JSON.parse(JSON.stringify(saveSnapshot(s.host, s.vm.vm.fd)));
    snap.vm.config = s.source.config;
    s.close();
    expect(snap.memory.slots.map((x: { guestPhysAddr: string }) => x.guestPhysAddr)).toEqual(['0x40000000']);
    const r = plan([{ name: 'its.json', data: snap }], PLUGINS);
    if (r.kind !== 'inspect') throw new Error('expected one session');
    const back = new Session(r.source, PLUGINS);
    const t = back.current()[its]!.sections().find((x) => x.title === 'translations')!.fields.map((f) => `${f.name} ${f.text}`);
    expect(t).toEqual([expect.stringMatching(/^device 5 event 3 → LPI 8192, collection 0 on vCPU 1 \(RDbase 1\), pending, enabled, priority 0xa0/)]);
    back.close();
  });

  test('memory: slots are checked as the CLI checks them (core\'s readMemoryConfig)', () => {
    expect(vmFileOf('v.yaml', { vm: VIRT, memory: RAM }, PLUGINS).config.memory).toEqual([{ gpa: '0x40000000', size: '0x100000' }]);
    expect(messageOf(() => vmFileOf('v.yaml', { vm: VIRT, memory: [{ gpa: 0x40000800, size: 0x1000 }] }, PLUGINS))).toBe(
      'v.yaml: memory[0].gpa: 0x40000800 is not a multiple of the page size (0x1000)',
    );
    expect(messageOf(() => vmFileOf('v.yaml', { vm: VIRT, memory: [{ gpa: 0, size: 0x2000 }, { gpa: 0x1000, size: 0x1000 }] }, PLUGINS))).toBe(
      'v.yaml: memory[1]: 0x1000..0x1fff overlaps memory[0] (0x0..0x1fff)',
    );
    expect(messageOf(() => vmFileOf('v.yaml', { vm: VIRT, memry: RAM }, PLUGINS))).toBe(
      'v.yaml: memry: unknown key; a VM file has plugins, vm, memory, scenario, description',
    );
  });

  test('a mem step outside the VM\'s memory is refused before anything runs, with the CLI\'s words', () => {
    expect(messageOf(() => open({ vm: VIRT, memory: RAM, scenario: [{ mem: { op: 'write', gpa: 0x40100000, size: 4, values: [1] } }] }))).toBe(
      "v.yaml: scenario[0].mem.gpa: 0x40100000..0x40100003 is not inside one memory slot; the VM's memory is 0x40000000..0x400fffff",
    );
    expect(messageOf(() => open({ vm: VIRT, scenario: [{ mem: { op: 'read', gpa: 0, size: 8 } }] }))).toBe(
      'v.yaml: scenario[0].mem.gpa: 0x0..0x7 is not inside one memory slot; the VM has no memory (give the VM file a memory: section)',
    );
    expect(messageOf(() => open({ vm: VIRT, memory: RAM, scenario: [{ mem: { op: 'write', gpa: 0x40000000, size: 2, values: [1, 0x10000] } }] }))).toBe(
      'v.yaml: scenario[0].mem.values[1]: expected an integer from 0x0 to 0xffff, got 65536',
    );
  });
});
