/**
 * The inspector in headless Chromium: sample snapshots of each family (made with the CLI from
 * examples/vms) with cells of known state, a scenario stepped, a diff clicked through, the
 * keyboard, and the 512-vCPU GICv3 timed (docs/benchmarks.md). Screenshots go to
 * docs/inspector with KVMDEV_SCREENSHOTS=1.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  REPO,
  cliWeb,
  PKG,
  type Rig,
  done,
  focusCell,
  focused,
  open,
  pageErrors,
  shot,
  startRig,
} from './rig.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
}, 180_000);
afterAll(async () => {
  await rig?.close();
});

describe('each family: a snapshot shows cells of known state', () => {
  test('GICv3 (arm64 virt, 4 vCPUs): SPI 40 on vCPU 0, SPI 41 on vCPU 2, SGIs banked', async () => {
    const page = await open(rig, rig.params('gicv3'));
    expect(await page.textContent('#title')).toContain('arm64, 4 vCPUs');
    expect(await page.textContent('#devices')).toContain('KVM_DEV_TYPE_ARM_VGIC_V3');
    await focusCell(page, 'SPI 40', 0);
    let c = await focused(page);
    expect(c.title).toBe('SPI 40 (global)');
    expect(c.text).toBe('a0');
    expect(c.cls).toEqual(expect.arrayContaining(['c', 'e']));
    expect(c.cls).not.toContain('p');
    expect(c.fields).toMatchObject({
      enabled: 'yes',
      pending: 'no',
      active: 'no',
      priority: '0xa0',
      group: '1',
      target: 'vCPU 0',
    });
    // SPI 40 targets vCPU 0 only: vCPU 1's cell of that row is empty
    await page.keyboard.press('ArrowRight');
    c = await focused(page);
    expect(c.cls).toContain('off');
    await focusCell(page, 'SPI 41', 2);
    c = await focused(page);
    expect(c.text).toBe('80');
    expect(c.fields).toMatchObject({ priority: '0x80', target: 'vCPU 2' });
    // a banked SGI: vCPU 1's copy of SGI 1 is enabled, group 1 (the scenario set GICR_ISENABLER0 on vCPUs 1 and 3)
    await focusCell(page, 'SGI 1', 1);
    c = await focused(page);
    expect(c.title).toBe("SGI 1 · vCPU 1's copy");
    expect(c.fields).toMatchObject({ enabled: 'yes', group: '1', active: 'no', pending: 'no' });
    await shot(page, 'gicv3');
    expect(pageErrors(page)).toEqual([]);
    await done(page);
  });

  test('GICv2 (Firecracker, 2 vCPUs): SPI 40 targets vCPU 1 at priority 0xa0', async () => {
    const page = await open(rig, rig.params('gicv2'));
    expect(await page.textContent('#devices')).toContain('KVM_DEV_TYPE_ARM_VGIC_V2');
    await focusCell(page, 'SPI 40', 1);
    const c = await focused(page);
    expect(c.text).toBe('a0');
    expect(c.fields).toMatchObject({ enabled: 'yes', priority: '0xa0', target: 'vCPU 1' });
    await shot(page, 'gicv2');
    expect(pageErrors(page)).toEqual([]);
    await done(page);
  });

  test('MPIC (e500, 2 vCPUs): source 3 unmasked, priority 5, vector 0x43, to CPU 0', async () => {
    const page = await open(rig, rig.params('mpic'));
    expect(await page.textContent('#devices')).toContain('KVM_DEV_TYPE_FSL_MPIC_20');
    await focusCell(page, 'source 3', 0);
    const c = await focused(page);
    expect(c.title).toBe('source 3 (global)');
    expect(c.text).toBe('5');
    expect(c.fields).toMatchObject({ enabled: 'yes', priority: '0x5', vector: '0x43' });
    await shot(page, 'mpic');
    expect(pageErrors(page)).toEqual([]);
    await done(page);
  });

  test('XICS (pseries, 2 vCPUs): source 0x1000 to server 0, the LSI 0x1001 to server 1', async () => {
    const page = await open(rig, rig.params('xics'));
    expect(await page.textContent('#devices')).toContain('KVM_DEV_TYPE_XICS');
    await focusCell(page, 'source 0x1001', 1);
    let c = await focused(page);
    expect(c.text).toBe('5');
    expect(c.fields).toMatchObject({ priority: '0x5', target: 'server 1', trigger: 'level' });
    await focusCell(page, 'source 0x1000', 0);
    c = await focused(page);
    expect(c.fields).toMatchObject({ priority: '0x5', target: 'server 0' });
    await shot(page, 'xics');
    expect(pageErrors(page)).toEqual([]);
    await done(page);
  });
});

describe('a VM file: its scenario step by step', () => {
  test('GICv3: step to the raise of SPI 40, see it pending and marked, follow the cell to the steps that changed it, filter the timeline', async () => {
    const page = await open(rig, { vm: `files/${rig.samples.gicv3!.vm}` });
    expect(await page.textContent('#position')).toContain('before step 1 of');
    await page.locator('.grid').first().focus();
    // run until the host raises SPI 40
    for (let i = 0; i < 80; i++) {
      const pos = (await page.textContent('#position')) ?? '';
      if (pos.includes('host raises SPI 40')) break;
      await page.keyboard.press('n');
    }
    expect(await page.textContent('#position')).toContain(
      'host raises SPI 40 (KVM_IRQ_LINE 0x01000028) -> status 0',
    );
    await focusCell(page, 'SPI 40', 0);
    let c = await focused(page);
    expect(c.cls).toEqual(expect.arrayContaining(['p', 'chg']));
    expect(c.fields).toMatchObject({ pending: 'yes', active: 'no' });
    // the delivery is in the timeline, highlighted with the raise
    const cur = await page.$$eval('#timeline li.cur .txt', (l) => l.map((x) => x.textContent));
    expect(cur).toEqual([
      'host raises SPI 40 (KVM_IRQ_LINE 0x01000028) -> status 0',
      'vCPU 0: irq line up',
    ]);
    // vCPU 0's header: the irq line is up
    expect(await page.$eval('.ch.lines.fcol', (e) => e.textContent)).toContain('●');
    // two more steps: the expect and the acknowledge; SPI 40 becomes active
    await page.keyboard.press('n');
    await page.keyboard.press('n');
    expect(await page.textContent('#position')).toContain(
      'vCPU 0 acknowledges SPI 40 (priority 0xa0)',
    );
    c = await focused(page);
    expect(c.fields.active).toBe('yes');
    await shot(page, 'step');
    // the cell's history: one click shows the step that raised it
    const links = await page.$$eval('#details .step-link.cell', (l) => l.map((x) => x.textContent));
    expect(links.length).toBeGreaterThanOrEqual(4);
    const history = await page.$$eval('#details .changed-by li', (l) =>
      l.map((x) => x.textContent ?? ''),
    );
    expect(history.some((t) => t.includes('host raises SPI 40'))).toBe(true);
    expect(history.some((t) => t.includes('acknowledges SPI 40'))).toBe(true);
    expect(history.some((t) => t.includes('enables SPI 40'))).toBe(true);
    const raiseLink = page
      .locator('#details li', { hasText: 'host raises SPI 40' })
      .locator('button.step-link.cell');
    await raiseLink.click();
    expect(await page.textContent('#position')).toContain('host raises SPI 40');
    c = await focused(page);
    expect(c.fields).toMatchObject({ pending: 'yes', active: 'no' });
    // filter the timeline by the focused interrupt (key i) and by vCPU (key v)
    await page.keyboard.press('$');
    await page.locator('.grid').first().focus();
    // c: the step that made the cell what it is now (the EOI ended it)
    await page.keyboard.press('c');
    expect(await page.textContent('#position')).toContain('vCPU 0 EOIs SPI 40');
    await page.keyboard.press('i');
    expect(await page.inputValue('#f-irq')).toBe('SPI 40');
    const texts = await page.$$eval('#timeline li .txt', (l) => l.map((x) => x.textContent ?? ''));
    expect(texts).toEqual(
      expect.arrayContaining([
        'host raises SPI 40 (KVM_IRQ_LINE 0x01000028) -> status 0',
        'vCPU 0 acknowledges SPI 40 (priority 0xa0)',
      ]),
    );
    expect(texts.some((t) => /SGI/.test(t))).toBe(false);
    expect(texts.some((t) => /EOIs SPI 40/.test(t))).toBe(true);
    await page.keyboard.press('x');
    await page.fill('#f-vcpu', '3');
    await page.press('#f-vcpu', 'Enter');
    const v3 = await page.$$eval('#timeline li .txt', (l) => l.map((x) => x.textContent ?? ''));
    expect(v3).toContain('vCPU 3: irq line up');
    expect(v3.some((t) => t.startsWith('vCPU 2 '))).toBe(false);
    // choosing an event shows the state after its step (keyboard: t, arrows, Enter)
    await page.keyboard.press('Escape');
    await page.keyboard.press('t');
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    expect(await page.textContent('#position')).toMatch(/^after step \d+ of \d+/);
    await shot(page, 'timeline');
    expect(pageErrors(page)).toEqual([]);
    await done(page);
  });
});

describe('a VM file whose plugins: entry has options', () => {
  test('pseries-hv-xics.yaml ({ name: @kvmdev/xics, options: { host: pseries-hv } }) opens and its whole scenario holds; its snapshot opens alone', async () => {
    const page = await open(rig, { vm: 'files/pseries-hv-xics.yaml' });
    expect(await page.$('#error:not([hidden])')).toBeNull();
    expect(await page.textContent('#devices')).toContain('KVM_DEV_TYPE_XICS');
    await page.click('#step-end');
    expect(await page.textContent('#position')).toMatch(/^after step (\d+) of \1:/);
    expect(await page.$('#halted')).toBeNull();
    const expects = await page.$$eval('#timeline li.k-expect .txt', (l) =>
      l.map((x) => x.textContent ?? ''),
    );
    expect(expects.length).toBe(11);
    expect(expects.every((t) => t.endsWith('(ok)'))).toBe(true);
    await focusCell(page, 'source 0x1001', 1);
    const c = await focused(page);
    expect(c.fields).toMatchObject({ priority: '0x5', target: 'server 1', trigger: 'level' });
    expect(pageErrors(page)).toEqual([]);
    await done(page);
    // its snapshot alone ($.vm.plugins carries the options): restored on the same host
    const snap = await open(rig, rig.params('xics-hv'));
    expect(await snap.$('#error:not([hidden])')).toBeNull();
    await focusCell(snap, 'source 0x1000', 0);
    expect((await focused(snap)).fields).toMatchObject({ priority: '0x5', target: 'server 0' });
    expect(pageErrors(snap)).toEqual([]);
    await done(snap);
  });
});

describe('diff mode', () => {
  test('two snapshots side by side: the kvmdev diff lines, the changed cell marked on both sides, clicked through', async () => {
    const a = rig.params('diff-a');
    const b = rig.params('diff-b');
    const page = await open(rig, {
      snapshot: [a.snapshot as string, b.snapshot as string],
      ...(a.vm ? { vm: a.vm } : {}),
    });
    expect(await page.textContent('#title')).toMatch(/^diff: A diff-a\.json.* → B diff-b\.json/);
    const lines = await page.$$eval('#diff-lines li', (l) => l.map((x) => x.textContent ?? ''));
    expect(lines).toContain('SPI 40: pending 0 -> 1');
    expect(await page.textContent('#diff-summary')).toContain('1 cell differs');
    await page.locator('button.diff-line', { hasText: 'SPI 40: pending 0 -> 1' }).click();
    const c = await focused(page);
    expect(c.title).toBe('SPI 40 (global)');
    expect(c.cls).toContain('chg');
    expect(c.fields.pending).toBe('no | yes');
    // the same cell on the B side is marked and pending
    const bside = await page.$eval(`#${c.id.replace('g0-', 'g1-')}`, (e) => [...e.classList]);
    expect(bside).toEqual(expect.arrayContaining(['chg', 'p']));
    // the words of the panel are kvmdev diff's
    expect(await page.textContent('.diff-lines-here')).toContain('SPI 40: pending 0 -> 1');
    // ] steps to the next changed cell (the only one: it stays)
    await page.locator('.grid').first().focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press(']');
    expect((await focused(page)).title).toBe('SPI 40 (global)');
    await shot(page, 'diff');
    expect(pageErrors(page)).toEqual([]);
    await done(page);
  });
});

describe('kvmdev inspect --web', () => {
  test('the command serves the page with the file opened; the page runs its scenario to the end; Ctrl-C stops it', async () => {
    const web = await cliWeb([join(REPO, 'examples', 'vms', 'pseries-xics.yaml')]);
    try {
      expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?vm=files%2Fpseries-xics\.yaml$/);
      const ctx = await rig.browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await ctx.newPage();
      await page.goto(web.url);
      await page.waitForSelector('body[data-ready]');
      await page.click('#step-end');
      expect(await page.textContent('#position')).toMatch(/^after step (\d+) of \1:/);
      expect(await page.$('#halted')).toBeNull();
      const expects = await page.$$eval('#timeline li.k-expect .txt', (l) =>
        l.map((x) => x.textContent ?? ''),
      );
      expect(expects.length).toBeGreaterThan(5);
      expect(expects.every((t) => t.endsWith('(ok)'))).toBe(true);
      await ctx.close();
    } finally {
      expect(await web.stop()).toBe(0);
    }
  });
});

describe('keyboard and errors', () => {
  test('the grid is one focusable element; arrows move the active cell; ? lists the shortcuts', async () => {
    const page = await open(rig, rig.params('gicv3'));
    await page.keyboard.press('Tab');
    const grid = page.locator('.grid').first();
    await grid.focus();
    const first = await grid.getAttribute('aria-activedescendant');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    expect(await grid.getAttribute('aria-activedescendant')).toBe(
      first!.replace('-r0-c0', '-r1-c1'),
    );
    await page.keyboard.press('Control+End');
    expect((await focused(page)).title).toMatch(/^SPI 287/);
    await page.keyboard.press('?');
    expect(await page.isVisible('dialog#help')).toBe(true);
    const keys = await page.$$eval('dialog#help kbd', (l) => l.map((x) => x.textContent));
    expect(keys).toEqual(
      expect.arrayContaining(['n or .', 'b or ,', 'c', 'i', 'v', ']', '/', '?']),
    );
    await page.keyboard.press('Escape');
    expect(await page.isVisible('dialog#help')).toBe(false);
    await done(page);
  });

  test('a file that cannot be fetched is an error that names it', async () => {
    const page = await open(rig, { snapshot: 'files/nothing.json' });
    expect(await page.textContent('#error')).toContain('nothing.json: cannot fetch: HTTP 404');
    await done(page);
  });
});

describe('the 512-vCPU GICv3', () => {
  test('renders a window of the grid, scrolls to the far corner, and is timed from load to the first full paint', async () => {
    const runs = Number(process.env.KVMDEV_BENCH_RUNS ?? 5);
    const times: { painted: number; parsed: number; composed: number; cells: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const page = await open(rig, rig.params('gicv3-512'));
      await page.waitForSelector('body[data-painted]', { timeout: 60_000 });
      const t = await page.evaluate(() => {
        const m = (n: string) => performance.getEntriesByName(n)[0]?.startTime ?? Number.NaN;
        return {
          painted: m('kvmdev:grid-painted'),
          parsed: m('kvmdev:parsed'),
          composed: m('kvmdev:composed'),
          cells: document.querySelectorAll('.grid-layer .c').length,
        };
      });
      times.push(t);
      if (i === 0) {
        expect(await page.textContent('#title')).toContain('arm64, 512 vCPUs');
        // virtualised: a window of cells, not 512 x 1024
        expect(t.cells).toBeLessThan(3000);
        // the far corner: SPI 991 is routed to vCPU 511, pending? no; priority 0x40
        await focusCell(page, 'SPI 991', 0);
        await page.keyboard.press('End');
        const c = await focused(page);
        expect(c.title).toBe('SPI 991 (global)');
        expect(c.text).toBe('40');
        expect(c.fields).toMatchObject({ enabled: 'yes', priority: '0x40', target: 'vCPU 511' });
        // SPI 970 pending, on vCPU 490
        await focusCell(page, 'SPI 970', 0);
        await page.keyboard.press('End');
        for (let k = 0; k < 21; k++) await page.keyboard.press('ArrowLeft');
        const p = await focused(page);
        expect(p.fields).toMatchObject({ pending: 'yes', target: 'vCPU 490' });
        expect(p.cls).toContain('p');
        await shot(page, 'gicv3-512');
        expect(pageErrors(page)).toEqual([]);
      }
      await done(page);
    }
    const js = readdirSync(join(PKG, 'dist', 'web', 'assets'));
    const size = (f: string) => {
      const b = readFileSync(join(PKG, 'dist', 'web', 'assets', f));
      return { file: f, min: b.length, gzip: gzipSync(b, { level: 9 }).length };
    };
    const assets = js.map(size);
    const sorted = [...times.map((x) => x.painted)].sort((x, y) => x - y);
    const out = {
      date: new Date().toISOString(),
      chromium: rig.browser.version(),
      runs: times,
      paintedMedianMs: sorted[Math.floor(sorted.length / 2)],
      paintedMinMs: sorted[0],
      paintedMaxMs: sorted[sorted.length - 1],
      assets,
    };
    mkdirSync(join(PKG, 'e2e', 'results'), { recursive: true });
    writeFileSync(join(PKG, 'e2e', 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(
      `512-vCPU GICv3, load to first full paint of the grid (ms): ${times.map((x) => x.painted.toFixed(0)).join(', ')}; median ${out.paintedMedianMs!.toFixed(0)}\n${assets.map((a) => `${a.file}: ${a.min} B minified, ${a.gzip} B gzip`).join('\n')}`,
    );
    for (const x of times) expect(x.painted).toBeGreaterThan(0);
  });
});
