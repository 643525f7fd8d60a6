/**
 * The `kvmdev` command: argument parsing, the commands, and how errors become messages and
 * exit codes.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type ComposedVm, ConfigError, type Host, type KvmPlugin, SnapshotError, archProfiles, composeVm, isKvmError, restoreSnapshot } from '@kvmdev/core';
import { type SnapshotDiff, diffChanges } from './diff.js';
import { CliError, EXIT, inputError, snapshotError, snapshotMessage } from './errors.js';
import { type Colours, colours, formatEvent, progressWriter, table, toJson, useColour } from './format.js';
import { FIRST_PARTY_NAMES, firstPartyPlugins, hostWith, loadPluginPackage } from './plugins.js';
import { Runner, STEP_FIELDS, type ScenarioSource, type TraceEvent } from './scenario.js';
import { type VmSource, devicesWithoutSnapshot, parseSnapshotFile, readSnapshotFile, snapshotHost, snapshotVm, whyNoSnapshot, writeSnapshotFile } from './snapfile.js';
import { displayPath } from './source.js';
import { type VmFile, loadScenarioFile, loadVmFile } from './vmfile.js';
import { hex } from './names.js';
import { formatInspection, inspectDevice } from './inspect.js';
import { inspectWeb, parsePort } from './web.js';

/** Where the CLI writes. */
export interface CliIo {
  /** Where output, traces and reports go. */
  readonly stdout: NodeJS.WriteStream;
  /** Where errors and diagnostics go. */
  readonly stderr: NodeJS.WriteStream;
}

const HELP: Record<string, string> = {
  main: `kvmdev - compose a KVM VM from a file, drive its interrupt controllers, snapshot and inspect them

Usage: kvmdev <command> [options]

Commands:
  types      the device types, attribute groups and architecture profiles of the loaded plugins
  run        compose a VM from a YAML/JSON file and run a scenario; print a trace of what the devices did
  snapshot   compose, run a scenario, save the device state to a JSON file
  restore    compose a new VM, restore a snapshot onto it, optionally run a further scenario
  diff       what changed between two snapshots, in device terms
  inspect    a table of per-interrupt state (enabled, pending, active, priority, target)

Run 'kvmdev <command> --help' for a command's options.
Exit codes: 0 ok, 1 an expectation failed, 2 bad input, 3 snapshot refused, 4 a kernel call failed,
70 internal error; kvmdev diff: 0 same, 1 different, 2 trouble.`,
  types: `Usage: kvmdev types [--plugin <package>]... [--json]

The device types (key, type number, plugin), their attribute groups (name, payload size, access,
whether they carry state), their setup settings, and the architecture profiles.

Options:
  --plugin <package>  load this plugin package (repeatable) instead of the first-party ones
  --json              print JSON
  -h, --help          this help`,
  run: `Usage: kvmdev run <vm-file>... [--scenario <file>]... [--replace] [--json] [--trace]

Composes the VM of each file and runs its scenario (the file's scenario:, or the --scenario
files in order instead), printing one line per event: host injections, guest accesses,
acknowledges and EOIs decoded, vCPU line changes, attribute results with errno names.
A step whose kernel call fails ends the run with exit code 4, whatever its kind, unless the
next step is expect: { errno: ... }.

Options:
  --scenario <file>  run these scenarios instead of the file's own (repeatable; a VM file works too)
  --replace          say that --scenario replaces the file's own scenario (required when it has
                     one, unless the VM file itself is among the --scenario files); alone: run none
  --json             print the trace as a JSON array of events
  --trace            also print the human trace on stderr (with --json)
  -h, --help         this help

Steps:
${Object.entries(STEP_FIELDS)
  .map(([k, v]) => `  ${k.padEnd(9)} ${v}`)
  .join('\n')}`,
  snapshot: `Usage: kvmdev snapshot <vm-file> [--scenario <file>]... [--replace] -o <snap.json>

Composes the VM, runs the scenario (the file's own, or the --scenario files), and saves the state
of every device with @kvmdev/core's saveSnapshot, with the VM config and the plugins' names and
versions ($.vm.config, $.vm.plugins), so the snapshot alone can be restored, inspected and diffed.
A VM with a device that has no snapshot support is refused before anything runs (exit code 3).

Options:
  -o, --output <file>  where to write the snapshot (required)
  --scenario <file>    scenarios to run instead of the file's own (repeatable)
  --replace            say that --scenario replaces the file's own scenario (see kvmdev run --help)
  --json               print the trace as JSON
  -h, --help           this help`,
  restore: `Usage: kvmdev restore [<vm-file>] <snap.json> [--scenario <file>]... [-o <snap.json>] [--json]

Composes a new VM, from the VM file or else from the config the snapshot carries ($.vm.config,
with the plugins of $.vm.plugins), restores the snapshot onto it (a mismatch is refused with exit
code 3 and a message naming the field), then runs the --scenario files (the VM file's own
scenario is not run) and prints their trace.

Options:
  --scenario <file>    scenarios to run after the restore (repeatable)
  -o, --output <file>  save a snapshot again at the end
  --json               print the trace as JSON
  -h, --help           this help`,
  diff: `Usage: kvmdev diff <a.json> <b.json> [--vm <vm-file>] [--json]

What changed between two snapshots, in device terms ('SPI 40: pending 0 -> 1'). The plugins the
snapshots name ($.vm.plugins, or their devices' plugin) are loaded by package name (or those of
--vm's file). Exit codes as diff(1): 0 no differences, 1 differences, 2 trouble.

Options:
  --vm <vm-file>  load the plugins this VM file names
  --json          print { a, b, same, changes: [...] }, one change per entry (see the README)
  -h, --help      this help`,
  inspect: `Usage: kvmdev inspect <vm-file> [--scenario <file>]... [--replace] [--all] [--json]
       kvmdev inspect [<vm-file>] <snap.json> [--scenario <file>]... [--all] [--json]
       kvmdev inspect --web [--port <n>] <file>...

Composes the VM, runs the scenario, then prints a table of per-interrupt state (enabled, pending,
active, priority, target) per device and vCPU, read through each device's attribute groups, and
the per-vCPU interface state. Interrupts in their reset state are left out unless --all.
Given a snapshot, shows its state: restored onto the VM it carries ($.vm.config) or onto the VM
file's; --scenario files then run after the restore.

With --web, serves the web inspector (@kvmdev/inspector) on 127.0.0.1 with the files opened
instead: a VM file (its scenario, step by step), a snapshot, a snapshot and its VM file, or two
snapshots (diff mode). It prints the page's address and serves until Ctrl-C.

Options:
  --scenario <file>  scenarios to run instead of the file's own (repeatable)
  --replace          say that --scenario replaces the file's own scenario; alone: run none
  --all              show every interrupt
  --json             print JSON
  --web              serve the web inspector instead of printing a table
  --port <n>         with --web: the TCP port (default: any free one)
  -h, --help         this help`,
};

interface Parsed {
  readonly positionals: string[];
  readonly values: Record<string, string | boolean | string[] | undefined>;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  trace: { type: 'boolean' },
  all: { type: 'boolean' },
  scenario: { type: 'string', multiple: true },
  replace: { type: 'boolean' },
  plugin: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  vm: { type: 'string' },
  web: { type: 'boolean' },
  port: { type: 'string' },
  version: { type: 'boolean', short: 'v' },
} as const;

const ALLOWED: Record<string, readonly string[]> = {
  types: ['help', 'json', 'plugin'],
  run: ['help', 'json', 'trace', 'scenario', 'replace'],
  snapshot: ['help', 'json', 'scenario', 'replace', 'output'],
  restore: ['help', 'json', 'scenario', 'output', 'trace'],
  diff: ['help', 'json', 'vm'],
  inspect: ['help', 'json', 'scenario', 'replace', 'all', 'web', 'port'],
};

function parse(cmd: string, argv: string[]): Parsed {
  let r: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    r = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    // node's message goes on about positionals that start with '-': its first sentence says it
    throw usage(cmd, (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
  for (const k of Object.keys(r.values)) if (!ALLOWED[cmd]!.includes(k)) throw usage(cmd, `unknown option --${k}`);
  return r as unknown as Parsed;
}

/** A usage error (exit code 2); the CLI prefixes it with `kvmdev <command>:`. */
function usage(cmd: string, msg: string): CliError {
  return inputError(`${msg}\nRun 'kvmdev ${cmd} --help'.`);
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const c = colours(useColour(io.stdout));
  const ce = colours(useColour(io.stderr));
  const [cmd, ...rest] = argv;
  // every message is `kvmdev: ...` or, once the command is known, `kvmdev <command>: ...`
  let prefix = 'kvmdev';
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      const topic = cmd === 'help' ? rest[0] : undefined;
      io.stdout.write(`${HELP[topic && topic in HELP ? topic : 'main']}\n`);
      return cmd === undefined ? EXIT.INPUT : EXIT.OK;
    }
    if (cmd === '--version' || cmd === '-v') {
      io.stdout.write(`${VERSION}\n`);
      return EXIT.OK;
    }
    if (!(cmd in ALLOWED)) throw inputError(`unknown command ${JSON.stringify(cmd)}\n${HELP.main}`);
    prefix = `kvmdev ${cmd}`;
    const p = parse(cmd, [...rest]);
    if (p.values.help) {
      io.stdout.write(`${HELP[cmd]}\n`);
      return EXIT.OK;
    }
    const ctx: Cmd = { io, c, ce, p };
    switch (cmd) {
      case 'types':
        return await types(ctx);
      case 'run':
        return await run(ctx);
      case 'snapshot':
        return await snapshot(ctx);
      case 'restore':
        return await restore(ctx);
      case 'diff':
        return await diff(ctx);
      case 'inspect':
        return await inspect(ctx);
    }
    return EXIT.INPUT;
  } catch (e) {
    const { code, message } = explain(e);
    io.stderr.write(`${ce.red(`${prefix}:`)} ${message}\n`);
    // diff(1): 0 same, 1 different, 2 trouble (whatever it was)
    return cmd === 'diff' ? EXIT.INPUT : code;
  }
}

/** The version of this CLI. */
export const VERSION = '0.1.0';

function explain(e: unknown): { code: number; message: string } {
  if (e instanceof CliError) return { code: e.exitCode, message: e.message };
  if (e instanceof SnapshotError) return { code: EXIT.SNAPSHOT, message: `snapshot refused: ${snapshotMessage(e)}` };
  if (e instanceof ConfigError) return { code: EXIT.INPUT, message: e.message };
  if (isKvmError(e)) return { code: EXIT.KERNEL, message: `a kernel call failed: ${e.message}` };
  return { code: EXIT.INTERNAL, message: `internal error (a bug: please report it): ${(e as Error)?.stack ?? String(e)}` };
}

interface Cmd {
  readonly io: CliIo;
  readonly c: Colours;
  readonly ce: Colours;
  readonly p: Parsed;
}

// ---------------------------------------------------------------- helpers

function compose(f: VmSource): ComposedVm {
  try {
    return composeVm(f.host, f.config);
  } catch (e) {
    if (e instanceof ConfigError) throw inputError(`${f.path}: ${e.message}`);
    if (isKvmError(e)) throw new CliError(EXIT.KERNEL, `${f.path}: building the VM failed: ${e.message}`);
    throw e;
  }
}

/**
 * The scenarios a command runs: the VM file's own, or the --scenario files instead. Replacing
 * the file's own scenario is said with --replace (or by naming the VM file itself among the
 * --scenario files, which runs its scenario first); --replace alone runs no scenario.
 */
function scenariosOf(cmd: Cmd, f: VmFile): ScenarioSource[] {
  const files = (cmd.p.values.scenario as string[] | undefined) ?? [];
  const replace = !!cmd.p.values.replace;
  if (!files.length) return replace || !f.scenario ? [] : [f.scenario];
  const self = files.some((s) => resolve(s) === resolve(f.path));
  if (f.scenario && !replace && !self)
    throw inputError(
      `${f.source.where(['scenario'])}: scenario: the VM file has a scenario of its own (${f.scenario.steps.length} steps), which --scenario would replace: add --replace to run only the --scenario files, or name the VM file first among them to run its own scenario before theirs`,
    );
  return files.map((s) => loadScenarioFile(s));
}

function makeRunner(cmd: Cmd, host: Host, vm: ComposedVm, stream: boolean): Runner {
  const { io, c, ce, p } = cmd;
  const json = !!p.values.json;
  return new Runner(host, vm, {
    onEvent: (e) => {
      if (stream && !json) io.stdout.write(`${formatEvent(e, c)}\n`);
      if (json && p.values.trace) io.stderr.write(`${formatEvent(e, ce)}\n`);
    },
    progress: progressWriter(io.stderr),
  });
}

function header(cmd: Cmd, f: VmSource, vm: ComposedVm, what: string): void {
  if (cmd.p.values.json) return;
  const devs = vm.devices.map((d) => (d.name === d.key ? d.key : `${d.name}: ${d.key}`)).join(', ');
  cmd.io.stdout.write(`${cmd.c.bold(`== ${displayPath(f.path)}`)}${cmd.c.dim(` ${what}: ${vm.config.name ?? 'vm'} (${vm.config.arch}, ${vm.vcpus.length} vCPUs; ${devs})`)}\n`);
}

/** Checks every scenario, then runs them. */
function runAll(runner: Runner, scenarios: readonly ScenarioSource[]): void {
  for (const s of scenarios) runner.check(s);
  for (const s of scenarios) runner.run(s);
}

function finish(cmd: Cmd, events: readonly TraceEvent[], error?: unknown): number {
  if (cmd.p.values.json) cmd.io.stdout.write(`${toJson(events)}\n`);
  if (error) throw error;
  return EXIT.OK;
}

function summary(cmd: Cmd, r: Runner): void {
  if (cmd.p.values.json) return;
  const exp = r.events.filter((e) => e.kind === 'expect').length;
  const acks = r.events.filter((e) => e.kind === 'ack').length;
  cmd.io.stdout.write(cmd.c.dim(`-- ${r.events.length} events, ${acks} acknowledges, ${exp} expectations held\n`));
  for (const d of r.devices) if (d.view) cmd.io.stdout.write(cmd.c.dim(`-- ${d.name}: ${d.view.summary()}\n`));
}

/** Refuses up front (exit code 3) to save a VM with a device that has no snapshot support. */
function checkSavable(f: VmSource, vm: ComposedVm): void {
  const why = whyNoSnapshot(f.host, vm);
  if (!why) return;
  const first = devicesWithoutSnapshot(f.host, vm)[0]!.index;
  throw snapshotError(`${'source' in f ? (f as VmFile).source.where(['vm', 'devices', first]) : f.path}: ${why}`);
}

/** Whether a file is a kvmdev snapshot rather than a VM file, read cheaply (its first 4 KiB). */
function isSnapshotPath(path: string): boolean {
  let head: string;
  try {
    head = readFileSync(path, 'utf8').slice(0, 4096);
  } catch {
    return false;
  }
  return /^\s*\{/.test(head) && /"format"\s*:\s*"kvmdev-snapshot"/.test(head);
}

/** Restores a snapshot onto a VM: a refusal is exit code 3 naming the field, a failed call 4. */
function restoreOnto(f: VmSource, vm: ComposedVm, snapFile: string, data: unknown): void {
  try {
    restoreSnapshot(f.host, vm.vm.fd, data);
  } catch (e) {
    if (e instanceof SnapshotError) throw snapshotError(`${snapFile}: restore refused: ${snapshotMessage(e)}`);
    if (isKvmError(e)) throw new CliError(EXIT.KERNEL, `${snapFile}: restore failed: ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------- commands

async function types(cmd: Cmd): Promise<number> {
  const names = (cmd.p.values.plugin as string[] | undefined) ?? [];
  const plugins: KvmPlugin[] = names.length
    ? await Promise.all(names.map((n, i) => loadPluginPackage(n, process.cwd(), `--plugin[${i}]`)))
    : [...firstPartyPlugins().values()];
  const host = hostWith(plugins, '--plugin');
  const typesOut = host.registry.listTypes().map((t) => ({
    key: t.key,
    type: t.type,
    plugin: t.plugin,
    snapshot: !!t.snapshot,
    groups: t.attrs.map((g) => ({
      group: g.group,
      name: g.name,
      size: g.size,
      access: g.access,
      state: g.state,
      attrs: typeof g.attrs === 'string' ? g.attrs : g.attrs.map((a) => ({ attr: typeof a.attr === 'bigint' ? hex(a.attr) : a.attr, name: a.name })),
      ...(g.doc ? { doc: g.doc } : {}),
    })),
    settings: t.setup?.settings ?? {},
    steps: (t.setup?.steps ?? []).map((st) => ({ name: st.name, doc: st.doc })),
  }));
  const profiles = [...archProfiles(host).values()].map((a) => ({ name: a.name, doc: a.doc, devices: a.devices, ...(a.maxVcpus ? { maxVcpus: a.maxVcpus } : {}) }));
  if (cmd.p.values.json) {
    cmd.io.stdout.write(`${toJson({ plugins: plugins.map((p) => ({ name: p.name, version: p.version })), types: typesOut, profiles })}\n`);
    return EXIT.OK;
  }
  const { c } = cmd;
  const out: string[] = [];
  out.push(c.bold('Plugins'));
  for (const p of plugins) out.push(`  ${p.name} ${p.version}`);
  const missing = FIRST_PARTY_NAMES.filter((n) => !names.length && !plugins.some((p) => p.name === n));
  for (const m of missing) out.push(c.yellow(`  ${m}: installed, but exports no plugin object yet`));
  out.push('', c.bold('Device types'));
  for (const t of typesOut) {
    out.push(`  ${c.bold(t.key)} (type ${t.type}) from ${t.plugin}${t.snapshot ? '' : c.dim(' (no snapshot support)')}`);
    const rows = t.groups.map((g) => [`    ${g.group}`, g.name, `size ${g.size}`, g.access, g.state ? 'state' : '', g.doc ?? '']);
    if (rows.length) out.push(table(['    group', 'name', 'payload', 'access', 'state', 'what'], rows, c));
    const st = Object.entries(t.settings);
    if (st.length) {
      out.push('    settings:');
      for (const [k, v] of st) out.push(`      ${k.padEnd(12)} ${v}`);
    }
    if (t.steps.length) {
      out.push("    set-up steps (a VM config's order names them <device>.<step>):");
      for (const x of t.steps) out.push(`      ${x.name.padEnd(12)} ${x.doc}`);
    }
  }
  out.push('', c.bold('Architecture profiles'));
  for (const a of profiles) out.push(`  ${c.bold(a.name)}: ${a.doc}; devices ${a.devices.join(', ')}${a.maxVcpus ? `; up to ${a.maxVcpus} vCPUs` : ''}`);
  cmd.io.stdout.write(`${out.join('\n')}\n`);
  return EXIT.OK;
}

async function run(cmd: Cmd): Promise<number> {
  const files = cmd.p.positionals;
  if (!files.length) throw usage('run', 'missing <vm-file>');
  const all: TraceEvent[] = [];
  let err: unknown;
  for (const file of files) {
    const f = await loadVmFile(file);
    const scenarios = scenariosOf(cmd, f);
    const vm = compose(f);
    header(cmd, f, vm, 'run');
    const r = makeRunner(cmd, f.host, vm, true);
    try {
      runAll(r, scenarios);
    } catch (e) {
      err = e;
    }
    all.push(...(files.length > 1 ? r.events.map((e) => ({ file: f.source.path, ...e })) : r.events));
    if (err) break;
    summary(cmd, r);
    r.dispose();
    vm.close();
  }
  return finish(cmd, all, err);
}

async function snapshot(cmd: Cmd): Promise<number> {
  const [file, extra] = cmd.p.positionals;
  if (!file || extra) throw usage('snapshot', file ? `unexpected argument ${extra}` : 'missing <vm-file>');
  const out = cmd.p.values.output as string | undefined;
  if (!out) throw usage('snapshot', 'missing -o <snap.json>');
  const f = await loadVmFile(file);
  const scenarios = scenariosOf(cmd, f);
  const vm = compose(f);
  checkSavable(f, vm);
  const r = makeRunner(cmd, f.host, vm, true);
  for (const s of scenarios) r.check(s);
  header(cmd, f, vm, 'snapshot');
  let err: unknown;
  try {
    for (const s of scenarios) r.run(s);
    writeSnapshotFile(out, f.host, vm);
    if (!cmd.p.values.json) cmd.io.stdout.write(`${cmd.c.green('saved')} ${out}\n`);
  } catch (e) {
    err = e;
  }
  return finish(cmd, r.events, err);
}

/** The VM to restore a snapshot onto: the VM file's, or the one the snapshot carries. */
async function restoreTarget(command: string, vmFile: string | undefined, snapFile: string, data: unknown): Promise<VmSource> {
  if (vmFile !== undefined) return loadVmFile(vmFile);
  return snapshotVm(snapFile, parseSnapshotFile(snapFile, data), command);
}

async function restore(cmd: Cmd): Promise<number> {
  const ps = cmd.p.positionals;
  if (!ps.length || ps.length > 2) throw usage('restore', ps.length ? `unexpected argument ${ps[2]}` : 'expected <snap.json> or <vm-file> <snap.json>');
  const [vmFile, snapFile] = ps.length === 2 ? [ps[0], ps[1]!] : [undefined, ps[0]!];
  const data = readSnapshotFile(snapFile);
  const f = await restoreTarget('restore', vmFile, snapFile, data);
  const scenarios = ((cmd.p.values.scenario as string[] | undefined) ?? []).map((s) => loadScenarioFile(s));
  const vm = compose(f);
  const out = cmd.p.values.output as string | undefined;
  if (out) checkSavable(f, vm);
  const r = makeRunner(cmd, f.host, vm, true);
  for (const s of scenarios) r.check(s);
  restoreOnto(f, vm, snapFile, data);
  header(cmd, f, vm, 'restore');
  r.emit({ at: 'restore', kind: 'restore', file: snapFile, text: `restored the VM from ${snapFile}` });
  let err: unknown;
  try {
    for (const s of scenarios) r.run(s);
    if (out) {
      writeSnapshotFile(out, f.host, vm);
      if (!cmd.p.values.json) cmd.io.stdout.write(`${cmd.c.green('saved')} ${out}\n`);
    }
  } catch (e) {
    err = e;
  }
  return finish(cmd, r.events, err);
}

async function diff(cmd: Cmd): Promise<number> {
  const [a, b, extra] = cmd.p.positionals;
  if (!a || !b || extra) throw usage('diff', extra ? `unexpected argument ${extra}` : 'expected <a.json> <b.json>');
  const sa = parseSnapshotFile(a, readSnapshotFile(a));
  const sb = parseSnapshotFile(b, readSnapshotFile(b));
  let host: Host;
  if (cmd.p.values.vm) host = (await loadVmFile(cmd.p.values.vm as string)).host;
  else {
    // the plugins of both snapshots, each package once
    const { plugins } = await snapshotHost(a, sa);
    for (const p of (await snapshotHost(b, sb)).plugins) if (!plugins.some((x) => x.name === p.name)) plugins.push(p);
    host = hostWith(plugins, `${a}, ${b}`);
  }
  const changes = diffChanges(host, sa, sb);
  const result: SnapshotDiff = { a, b, same: changes.length === 0, changes };
  const lines = changes.flatMap((x) => x.text);
  if (cmd.p.values.json) cmd.io.stdout.write(`${toJson(result)}\n`);
  else cmd.io.stdout.write(lines.length ? `${lines.join('\n')}\n` : `${cmd.c.dim('no differences')}\n`);
  return result.same ? EXIT.OK : EXIT.EXPECT;
}

async function inspect(cmd: Cmd): Promise<number> {
  if (cmd.p.values.web) {
    for (const k of ['scenario', 'replace', 'all', 'json'] as const) if (cmd.p.values[k] !== undefined) throw usage('inspect', `--${k} does not go with --web (the page runs the file's own scenario)`);
    return inspectWeb(cmd.p.positionals, { port: parsePort(cmd.p.values.port), out: cmd.io.stdout });
  }
  if (cmd.p.values.port !== undefined) throw usage('inspect', '--port goes with --web');
  const ps = cmd.p.positionals;
  if (!ps.length || ps.length > 2) throw usage('inspect', ps.length ? `unexpected argument ${ps[2]}` : 'missing <vm-file> or <snap.json>');
  // a VM file; a snapshot (the VM it carries, restored); a VM file and a snapshot (restored onto that VM)
  const snapFile = ps.length === 2 ? ps[1]! : isSnapshotPath(ps[0]!) ? ps[0]! : undefined;
  if (ps.length === 2 && !isSnapshotPath(snapFile!) && !/\.json$/i.test(snapFile!)) throw usage('inspect', `expected a snapshot after the VM file, got ${snapFile}`);
  const vmFile = ps.length === 2 || snapFile === undefined ? ps[0]! : undefined;
  let f: VmSource;
  let scenarios: ScenarioSource[];
  let vm: ComposedVm;
  let r: Runner;
  if (snapFile === undefined) {
    const vf = await loadVmFile(vmFile!);
    f = vf;
    scenarios = scenariosOf(cmd, vf);
    vm = compose(f);
    r = makeRunner(cmd, f.host, vm, false);
    for (const s of scenarios) r.check(s);
  } else {
    // a snapshot's state is inspected as saved; --scenario files run after the restore
    if (cmd.p.values.replace) throw usage('inspect', '--replace goes with a VM file (a snapshot has no scenario to replace)');
    const data = readSnapshotFile(snapFile);
    f = await restoreTarget('inspect', vmFile, snapFile, data);
    scenarios = ((cmd.p.values.scenario as string[] | undefined) ?? []).map((s) => loadScenarioFile(s));
    vm = compose(f);
    r = makeRunner(cmd, f.host, vm, false);
    for (const s of scenarios) r.check(s);
    restoreOnto(f, vm, snapFile, data);
  }
  for (const s of scenarios) r.run(s);
  const all = !!cmd.p.values.all;
  const result = r.devices.map((d) => inspectDevice(d, all));
  if (cmd.p.values.json) {
    cmd.io.stdout.write(`${toJson(result)}\n`);
    return EXIT.OK;
  }
  header(cmd, f, vm, 'inspect');
  cmd.io.stdout.write(`${formatInspection(result, all, cmd.c)}\n`);
  return EXIT.OK;
}
