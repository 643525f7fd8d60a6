import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectWeb } from '../src/web.js';
import { kvmdev, tmp, vm } from './helpers.js';

jest.setTimeout(60_000);

describe('kvmdev inspect --web', () => {
  it('serves the page with the files opened: a VM file as ?vm=, a snapshot as ?snapshot=, on 127.0.0.1', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'web'));
    writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><title>page</title>');
    const snap = join(dir, 'a.json');
    writeFileSync(snap, '{\n  "format": "kvmdev-snapshot",\n  "formatVersion": 1\n}\n');
    let out = '';
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const served = inspectWeb([vm('arm64-virt-gicv3.yaml'), snap], { root: join(dir, 'web'), out: { write: (s: string) => (out += s) }, until });
    for (let i = 0; i < 100 && !out; i++) await new Promise((r) => setTimeout(r, 20));
    const url = /^kvmdev inspector: (\S+)/.exec(out)![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?vm=files%2Farm64-virt-gicv3\.yaml&snapshot=files%2Fa\.json$/);
    expect(out).toContain('serving arm64-virt-gicv3.yaml, a.json on 127.0.0.1 only');
    expect(await (await fetch(url)).text()).toContain('<title>page</title>');
    const base = new URL(url).origin;
    expect(await (await fetch(`${base}/files/arm64-virt-gicv3.yaml`)).text()).toContain('preset: qemuVirtArm64');
    expect((await fetch(`${base}/files/other.yaml`)).status).toBe(404);
    stop();
    await expect(served).resolves.toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('refuses bad use with exit code 2 and a message', () => {
    let r = kvmdev(['inspect', '--web']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('name a snapshot or a VM file');
    r = kvmdev(['inspect', '--web', '--port', 'http', vm('arm64-virt-gicv3.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port: expected a TCP port (0 to 65535), got "http"');
    r = kvmdev(['inspect', '--port', '8080', vm('arm64-virt-gicv3.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port goes with --web');
    r = kvmdev(['inspect', '--web', '--all', vm('arm64-virt-gicv3.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--all does not go with --web');
    r = kvmdev(['inspect', '--web', join(tmp(), 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.json: cannot read: ENOENT');
  });
});
