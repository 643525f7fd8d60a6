import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type InspectorServer, inside, serveInspector, servedNames } from '../src/server/index.js';

describe('the static server of kvmdev inspect --web', () => {
  let dir: string;
  let srv: InspectorServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvmdev-web-'));
    mkdirSync(join(dir, 'web', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'web', 'assets', 'a.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'no');
    writeFileSync(join(dir, 'snap.json'), '{"format":"kvmdev-snapshot"}');
    srv = await serveInspector({
      root: join(dir, 'web'),
      files: { 'snap.json': join(dir, 'snap.json') },
    });
  });
  afterAll(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves the page and the given files on 127.0.0.1 only', async () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await fetch(srv.url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await fetch(`${srv.url}assets/a.js`)).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    const f = await fetch(`${srv.url}files/snap.json`);
    expect(await f.json()).toEqual({ format: 'kvmdev-snapshot' });
    expect(srv.pageUrl({ snapshot: ['files/a.json', 'files/b.json'] })).toBe(
      `${srv.url}?snapshot=files%2Fa.json&snapshot=files%2Fb.json`,
    );
  });

  test('nothing outside its roots, no other methods', async () => {
    expect((await fetch(`${srv.url}..%2fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${srv.url}files/secret.txt`)).status).toBe(404);
    expect((await fetch(`${srv.url}files/..%2f..%2fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${srv.url}assets`)).status).toBe(404);
    expect((await fetch(srv.url, { method: 'POST', body: 'x' })).status).toBe(405);
    const h = await fetch(srv.url, { method: 'HEAD' });
    expect(h.status).toBe(200);
    expect(inside('/a/b', '/../c')).toBeNull();
    expect(inside('/a/b', '/%2e%2e/c')).toBeNull();
    expect(inside('/a/b', '/c/%00')).toBeNull();
    expect(inside('/a/b', '/c/d.js')).toBe('/a/b/c/d.js');
  });

  test('served names are unique', () => {
    expect(Object.keys(servedNames(['/x/a.json', '/y/a.json', '/z/b.yaml']))).toEqual([
      'a.json',
      '2-a.json',
      'b.yaml',
    ]);
  });

  test('a folder without the page answers 404', async () => {
    const empty = await serveInspector({ root: join(dir, 'nope') });
    try {
      expect((await fetch(empty.url)).status).toBe(404);
    } finally {
      await empty.close();
    }
  });
});
