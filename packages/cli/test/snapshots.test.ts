import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILIES, kvmdev, tmp, vm } from './helpers.js';

jest.setTimeout(180_000);

/**
 * Known plugin issue (reported to @kvmdev/arm-vgic): GICR_PROPBASER / GICR_PENDBASER (redist
 * 0x70 / 0x78) save as 0 on a fresh VM but read back 0x180 after a restore writes that 0 (the
 * write path sanitises the cacheability fields, the reset value is not). Until the plugin
 * makes reset and restore agree, those two registers are masked in the file comparison; every
 * other entry must be identical.
 */
interface Ev {
  kind: string;
  at: string;
  text: string;
}

describe.each(FAMILIES)('round trip through the CLI: %s', (f) => {
  const dir = tmp();
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  it('snapshot, restore on a new VM, snapshot again: identical file', () => {
    const s = kvmdev(['snapshot', vm(`${f}.yaml`), '-o', a]);
    expect(s.stderr).toBe('');
    expect(s.code).toBe(0);
    expect(s.stdout).toContain(`saved ${a}`);
    const r = kvmdev(['restore', vm(`${f}.yaml`), a, '-o', b]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
  });
  it('the restored VM gives the same trace under the same further scenario', () => {
    const further = vm(`continue/${f}.yaml`);
    const orig = kvmdev(['run', vm(`${f}.yaml`), '--scenario', vm(`${f}.yaml`), '--scenario', further, '--json']);
    expect(orig.code).toBe(0);
    const restored = kvmdev(['restore', vm(`${f}.yaml`), a, '--scenario', further, '--json']);
    expect(restored.code).toBe(0);
    const re = (JSON.parse(restored.stdout) as Ev[]).filter((e) => e.at !== 'restore');
    const oe = JSON.parse(orig.stdout) as Ev[];
    expect(re.length).toBeGreaterThan(3);
    expect(re.some((e) => e.kind === 'ack')).toBe(true);
    expect(oe.slice(oe.length - re.length)).toEqual(re);
    // and the state after it matches too
    const c = join(dir, 'c.json');
    const d = join(dir, 'd.json');
    expect(kvmdev(['restore', vm(`${f}.yaml`), a, '--scenario', further, '-o', c]).code).toBe(0);
    expect(kvmdev(['snapshot', vm(`${f}.yaml`), '--scenario', vm(`${f}.yaml`), '--scenario', further, '-o', d]).code).toBe(0);
    expect(readFileSync(c, 'utf8')).toBe(readFileSync(d, 'utf8'));
  });
});

describe('restore refuses what does not match (exit 3)', () => {
  const dir = tmp();
  const snap = join(dir, 'e500.json');
  beforeAll(() => {
    expect(kvmdev(['snapshot', vm('e500-mpic.yaml'), '-o', snap]).code).toBe(0);
  });
  const write = (name: string, data: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof data === 'string' ? data : JSON.stringify(data));
    return p;
  };
  it('another vCPU count, naming $.vm.vcpus', () => {
    const one = write('one.yaml', 'vm: { preset: qemuE500, vcpus: 1 }\n');
    const r = kvmdev(['restore', one, snap]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('restore refused: $.vm.vcpus: the snapshot has 2 vCPUs, this VM has 1');
  });
  it('another device, naming the device key', () => {
    const r = kvmdev(['restore', vm('pseries-xics.yaml'), snap]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/restore refused: \$\.(devices\[0\]\.key|vm\.type|devices)/);
  });
  it('an unknown format version and a malformed field', () => {
    const s = JSON.parse(readFileSync(snap, 'utf8'));
    const v = kvmdev(['restore', vm('e500-mpic.yaml'), write('v.json', { ...s, formatVersion: 99 })]);
    expect(v.code).toBe(3);
    expect(v.stderr).toContain('$.formatVersion: unknown version 99');
    s.devices[0].state[0].value = 'zz';
    const m = kvmdev(['restore', vm('e500-mpic.yaml'), write('m.json', s)]);
    expect(m.code).toBe(3);
    expect(m.stderr).toContain('$.devices[0].state[0].value: expected a hex string');
  });
  it('a snapshot file that is not JSON is a refused snapshot (exit 3, as the README says) with line:col', () => {
    const r = kvmdev(['restore', vm('e500-mpic.yaml'), write('bad.json', '{\n  "format": \n}')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.json:3:1: not a snapshot: syntax error/);
  });
  it('a restore step inside a scenario is refused with exit 3 and the step named', () => {
    const sc = write('restore.yaml', `- restore: { file: ${JSON.stringify(join(dir, 'v.json'))} }\n`);
    const r = kvmdev(['run', vm('e500-mpic.yaml'), '--scenario', sc, '--replace']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/restore\.yaml:1:3: scenario\[0\]: restore refused: \$\.formatVersion/);
  });
});

describe('kvmdev diff', () => {
  const dir = tmp();
  it('speaks in device terms', () => {
    const fresh = join(dir, 'fresh.yaml');
    writeFileSync(fresh, 'vm: { preset: qemuE500, vcpus: 2 }\n');
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    expect(kvmdev(['snapshot', fresh, '-o', a]).code).toBe(0);
    expect(kvmdev(['snapshot', vm('e500-mpic.yaml'), '-o', b]).code).toBe(0);
    const r = kvmdev(['diff', a, b]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('source 3 IVPR: 0x80000000 -> 0x00050043');
    expect(r.stdout).toContain('IPI IVPR 0: 0x80000000 -> 0x00090080');
    const j = JSON.parse(kvmdev(['diff', a, b, '--json', '--vm', vm('e500-mpic.yaml')]).stdout) as { changes: { text: string[] }[] };
    expect(j.changes.flatMap((c) => c.text)).toContain('CPU 1 CTPR: 0x0000000f -> 0x00000000');
    const same = kvmdev(['diff', a, a]);
    expect(same.stdout).toContain('no differences');
    expect(same.code).toBe(0);
  });
  it('GICv3 and XICS state before and after further actions', () => {
    for (const f of ['arm64-virt-gicv3', 'pseries-xics']) {
      const a = join(dir, `${f}-a.json`);
      const b = join(dir, `${f}-b.json`);
      expect(kvmdev(['snapshot', vm(`${f}.yaml`), '-o', a]).code).toBe(0);
      expect(kvmdev(['snapshot', vm(`${f}.yaml`), '--scenario', vm(`${f}.yaml`), '--scenario', vm(`continue/${f}.yaml`), '-o', b]).code).toBe(0);
      const r = kvmdev(['diff', a, b]);
      expect(r.code).toBe(1);
      expect(r.stdout.trim().length).toBeGreaterThan(0);
      expect(r.stdout).toMatch(f === 'pseries-xics' ? /source 0x1000|ICP|server|CPPR|MFRR/ : /SPI 4[01]|SGI 7/);
    }
  });
  it('an unknown plugin named in a snapshot is bad input naming it', () => {
    const a = join(dir, 'a.json');
    const s = JSON.parse(readFileSync(a, 'utf8'));
    s.devices[0].plugin = '@acme/kvmdev-gone';
    delete s.vm.plugins; // an older snapshot: the plugins come from its devices
    const p = join(dir, 'gone.json');
    writeFileSync(p, JSON.stringify(s));
    const r = kvmdev(['diff', p, a]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('$.devices[0].plugin: unknown plugin @acme/kvmdev-gone');
  });
});
