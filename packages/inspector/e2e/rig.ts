/**
 * The browser-test rig: sample snapshots made with the CLI from examples/vms (one per family,
 * the 512-vCPU GICv3, two for the diff), pseries-hv-xics.yaml (a plugin built with options), the static server of `kvmdev inspect --web` over the
 * built page, and Debian's Chromium driven by playwright-core (never a downloaded browser).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type InspectorServer, serveInspector } from '../src/server/index.js';

export const PKG = resolve(__dirname, '..');
export const REPO = resolve(PKG, '..', '..');
const CLI = join(REPO, 'packages', 'cli');
export const CHROMIUM = process.env.KVMDEV_CHROMIUM ?? '/usr/bin/chromium';
/** Where screenshots go: docs/inspector with KVMDEV_SCREENSHOTS=1 (they are checked in), else a temp folder. */
export const SHOTS =
  process.env.KVMDEV_SCREENSHOTS === '1'
    ? join(REPO, 'docs', 'inspector')
    : join(tmpdir(), 'kvmdev-inspector-shots');

/** The flags Chromium needs on a machine with a closed network, as root, headless. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A sample: the snapshot and, when the snapshot does not carry its VM config, the VM file it was made from. */
export interface Sample {
  readonly snapshot: string;
  readonly vm: string;
}

/** `kvmdev snapshot <vm> [--scenario s --replace] -o <out>` (the fixture's scenario instead of the VM file's), run from the CLI's source. */
function snapshot(vm: string, out: string, scenario?: string): void {
  const args = [
    '--conditions=@kvmdev/source',
    '--import',
    'tsx',
    'src/cli.ts',
    'snapshot',
    vm,
    ...(scenario ? ['--scenario', scenario, '--replace'] : []),
    '-o',
    out,
  ];
  execFileSync(process.execPath, args, { cwd: CLI, stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface Rig {
  readonly dir: string;
  readonly server: InspectorServer;
  readonly browser: Browser;
  readonly samples: Readonly<Record<string, Sample>>;
  /** Served file names of a sample (`files/<name>`), as URL parameters. */
  params(sample: string, extra?: Record<string, string>): Record<string, string | string[]>;
  close(): Promise<void>;
}

/** Makes the samples, starts the server and the browser. */
export async function startRig(): Promise<Rig> {
  if (!existsSync(join(PKG, 'dist', 'web', 'index.html')))
    throw new Error(
      'build the page first: pnpm --filter @kvmdev/inspector build (the e2e script does)',
    );
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'kvmdev-inspector-e2e-'));
  const vms = join(REPO, 'examples', 'vms');
  const fx = join(PKG, 'e2e', 'fixtures');
  const plan: [string, string, string?][] = [
    ['gicv3', join(vms, 'arm64-virt-gicv3.yaml')],
    ['gicv2', join(vms, 'firecracker-gicv2.yaml')],
    ['mpic', join(vms, 'e500-mpic.yaml')],
    ['xics', join(vms, 'pseries-xics.yaml')],
    ['xics-hv', join(vms, 'pseries-hv-xics.yaml')],
    ['gicv3-512', join(fx, 'gicv3-512.yaml')],
    ['diff-a', join(vms, 'arm64-virt-gicv3.yaml'), join(fx, 'gicv3-configured.yaml')],
    ['diff-b', join(vms, 'arm64-virt-gicv3.yaml'), join(fx, 'gicv3-spi40-pending.yaml')],
  ];
  const samples: Record<string, Sample> = {};
  const files: Record<string, string> = {};
  for (const [name, vm, scenario] of plan) {
    const out = join(dir, `${name}.json`);
    snapshot(vm, out, scenario);
    samples[name] = { snapshot: `${name}.json`, vm: vm.split('/').pop()! };
    files[`${name}.json`] = out;
    files[vm.split('/').pop()!] = vm;
  }
  const server = await serveInspector({ root: join(PKG, 'dist', 'web'), files });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  mkdirSync(SHOTS, { recursive: true });
  const carries = (p: string) =>
    !!(JSON.parse(readFileSync(p, 'utf8')) as { vm?: { config?: unknown } }).vm?.config;
  return {
    dir,
    server,
    browser,
    samples,
    params(sample, extra = {}) {
      const s = samples[sample]!;
      const p: Record<string, string | string[]> = { snapshot: `files/${s.snapshot}` };
      if (!carries(files[s.snapshot]!)) p.vm = `files/${s.vm}`;
      return { ...p, ...extra };
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the page with URL parameters in a fresh context; fails on any page error. */
export async function open(
  rig: Rig,
  params: Record<string, string | readonly string[]>,
  viewport = { width: 1400, height: 900 },
): Promise<Page> {
  const ctx = await rig.browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  (page as Page & { kvmdevErrors: string[] }).kvmdevErrors = errors;
  await page.goto(rig.server.pageUrl(params));
  await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
  return page;
}

/** The page errors so far (uncaught exceptions and console errors). */
export function pageErrors(page: Page): string[] {
  return (page as Page & { kvmdevErrors: string[] }).kvmdevErrors;
}

/** Closes a page and its context. */
export async function done(page: Page): Promise<void> {
  await page.context().close();
}

/** A screenshot of the page, under docs/inspector with KVMDEV_SCREENSHOTS=1. */
export async function shot(page: Page, name: string): Promise<string> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Focuses an interrupt by name through the find box, then a vCPU column with the arrow keys from the left. */
export async function focusCell(page: Page, irq: string, vcpuCol: number): Promise<void> {
  await page.keyboard.press('/');
  await page.fill('#find', irq);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Home');
  for (let i = 0; i < vcpuCol; i++) await page.keyboard.press('ArrowRight');
}

/** The focused cell: its class list and text, and the details panel's fields. */
export async function focused(page: Page): Promise<{
  id: string;
  cls: string[];
  text: string;
  title: string;
  fields: Record<string, string>;
}> {
  return page.evaluate(() => {
    const grid = document.querySelector('.grid') as HTMLElement;
    const id = grid.getAttribute('aria-activedescendant') ?? '';
    const el = document.getElementById(id);
    const fields: Record<string, string> = {};
    const t = document.querySelector('#details table.kv');
    for (const tr of t?.querySelectorAll('tr') ?? []) {
      const k = tr.querySelector('th')?.textContent ?? '';
      const tds = [...tr.querySelectorAll('td')].map((x) => x.textContent ?? '');
      if (k) fields[k] = tds.join(' | ');
    }
    return {
      id,
      cls: [...(el?.classList ?? [])],
      text: el?.textContent ?? '',
      title: document.querySelector('#cell-title')?.textContent ?? '',
      fields,
    };
  });
}

/** `kvmdev inspect --web <files>` as a child process: the address it prints, and a stop that sends SIGINT and waits. */
export async function cliWeb(
  files: readonly string[],
): Promise<{ url: string; stop(): Promise<number | null> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@kvmdev/source', '--import', 'tsx', 'src/cli.ts', 'inspect', '--web', ...files],
    { cwd: CLI, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /kvmdev inspector: (\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    child.once('exit', (code) =>
      fail(new Error(`kvmdev inspect --web exited with ${code} before printing its address`)),
    );
  });
  return {
    url,
    stop: () =>
      new Promise((done) => {
        child.once('exit', (code) => done(code));
        child.kill('SIGINT');
      }),
  };
}
