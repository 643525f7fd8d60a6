/**
 * Recording a target: build the probe, run every scenario on the target's kernel (natively, or in
 * one QEMU boot), and turn what it printed into recordings, plus a check of the language's
 * vocabulary against the headers the probe was built with.
 * @packageDocumentation
 */
import { accessSync, constants as fsConstants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ProbeOutput, parseProbeOutput } from '../probe-output.js';
import { type KernelInfo, type Recording, makeRecording } from '../recording.js';
import { CONSTANTS } from '../vocab/constants.js';
import { type IoctlEncoding, encodeRequest } from '../vocab/requests.js';
import { aptUnavailable } from './apt.js';
import { cacheDir } from './cache.js';
import { run } from './exec.js';
import { buildProbe, hostArch, probeUnbuildable } from './probe-build.js';
import { bootProbe, qemuUnavailable } from './qemu.js';
import { KERNEL_TARGETS, type KernelTarget, targetEncoding } from './targets.js';

/** A scenario to record: its path under the scenarios folder and its text. */
export interface ScenarioFile {
  /** Path under the scenarios folder (`gicv3/dist-regs.kvms`). */
  readonly path: string;
  /** The scenario text. */
  readonly source: string;
}

/** A vocabulary name whose value in the target's headers is not the language's. */
export interface VocabMismatch {
  /** The vocabulary name (constant or request). */
  readonly name: string;
  /** Its value in the language's table. */
  readonly language: string;
  /** Its value in the target's headers. */
  readonly headers: string;
}

/** The vocabulary the probe was built with, as checked-in data (`recordings/<target>/_vocab.json`). */
export interface VocabRecord {
  /** Target name. */
  readonly target: string;
  /** Where the headers came from (the kernel headers package and version). */
  readonly headers: string;
  /** Constants the headers define, with their values. */
  readonly constants: Readonly<Record<string, string>>;
  /** Requests the headers define, with their numbers. */
  readonly requests: Readonly<Record<string, string>>;
}

/** Everything one target run produced. */
export interface TargetRun {
  /** Target name. */
  readonly target: string;
  /** The kernel that ran the scenarios. */
  readonly kernel: KernelInfo;
  /** How the kernel ran (QEMU machine and CPU, or `native`). */
  readonly machine: string;
  /** One recording per scenario that ran. */
  readonly recordings: readonly Recording[];
  /** The vocabulary the probe was built with. */
  readonly vocab: VocabRecord;
  /** Vocabulary names whose header value differs from the language's. */
  readonly mismatches: readonly VocabMismatch[];
  /** Scenarios the probe did not finish (no `@D 0`), with what happened. */
  readonly problems: readonly string[];
  /** The probe's output, sorted out. */
  readonly output: ProbeOutput;
  /** Wall time of the run, in seconds. */
  readonly seconds: number;
}

/** The ioctl encoding a target speaks. */
export function encodingOf(name: string): IoctlEncoding {
  const t = KERNEL_TARGETS[name];
  if (t === undefined) throw new Error(`unknown target '${name}'`);
  if (t.kind === 'native') return process.arch === 'ppc64' ? 'powerpc' : 'generic';
  return targetEncoding(t);
}

/** Why `name` cannot be recorded on this machine, or null when it can. */
export function targetUnavailable(name: string): string | null {
  const t: KernelTarget | undefined = KERNEL_TARGETS[name];
  if (t === undefined) return `unknown target '${name}'`;
  const apt = aptUnavailable();
  if (apt) return apt;
  if (t.kind === 'native') {
    const arch = hostArch();
    if (arch === null) return `no probe build for ${process.arch}`;
    try {
      accessSync('/dev/kvm', fsConstants.R_OK | fsConstants.W_OK);
    } catch {
      return '/dev/kvm is missing or not readable and writable by this user';
    }
    return probeUnbuildable(arch);
  }
  return qemuUnavailable(t) ?? probeUnbuildable(t.arch);
}

/** The vocabulary record and its mismatches against the language's tables. */
export function checkVocab(
  target: string,
  out: ProbeOutput,
  encoding: IoctlEncoding,
  headers: string,
): { vocab: VocabRecord; mismatches: VocabMismatch[] } {
  const constants: Record<string, string> = {};
  const requests: Record<string, string> = {};
  const mismatches: VocabMismatch[] = [];
  for (const [name, v] of out.constants) {
    if (!v.fromHeader) continue;
    constants[name] = `0x${v.value.toString(16)}`;
    const mine = CONSTANTS[name];
    if (mine !== v.value)
      mismatches.push({
        name,
        language: mine === undefined ? '(none)' : `0x${mine.toString(16)}`,
        headers: constants[name]!,
      });
  }
  for (const [name, v] of out.requests) {
    if (!v.fromHeader) continue;
    requests[name] = `0x${v.value.toString(16)}`;
    const mine = encodeRequest(name, encoding);
    if (mine === undefined || BigInt(mine) !== v.value)
      mismatches.push({
        name,
        language: mine === undefined ? '(none)' : `0x${mine.toString(16)}`,
        headers: requests[name]!,
      });
  }
  return { vocab: { target, headers, constants, requests }, mismatches };
}

/** Records every scenario on target `name` (throws when it cannot run; check {@link targetUnavailable} first). */
export async function recordTarget(
  name: string,
  scenarios: readonly ScenarioFile[],
  log: (msg: string) => void = () => {},
): Promise<TargetRun> {
  const t = KERNEL_TARGETS[name];
  if (t === undefined) throw new Error(`unknown target '${name}'`);
  const started = Date.now();
  const arch = t.kind === 'native' ? hostArch()! : t.arch;
  const probe = buildProbe(arch, log);
  let text: string;
  let machine: string;
  if (t.kind === 'native') {
    const dir = cacheDir('host-run');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const list = scenarios.map((s, i) => {
      writeFileSync(join(dir, `${i}.kvms`), s.source);
      return `${join(dir, `${i}.kvms`)} ${s.path}\n`;
    });
    writeFileSync(join(dir, 'list'), list.join(''));
    log(`running ${scenarios.length} scenario(s) on this machine's /dev/kvm`);
    const vocab = run(probe, ['--vocab']);
    const r = run(probe, ['--list', join(dir, 'list')], { timeoutMs: 600_000 });
    text = vocab.stdout + r.stdout;
    machine = `native ${arch}`;
  } else {
    text = await bootProbe(
      t,
      probe,
      scenarios.map((s) => ({ label: s.path, source: s.source })),
      log,
    );
    machine = t.machine;
  }
  const out = parseProbeOutput(text);
  if (out.kernel === null)
    throw new Error(
      `${name}: the probe printed no kernel version; console tail:\n${text.split('\n').slice(-30).join('\n')}`,
    );
  const day = new Date().toISOString().slice(0, 10);
  const recordings: Recording[] = [];
  const problems: string[] = [];
  for (const s of scenarios) {
    const got = out.scenarios.get(s.path);
    if (got === undefined) {
      problems.push(
        `${s.path}: the probe never ran it${out.complete ? '' : ' (the boot ended early)'}`,
      );
      continue;
    }
    if (got.status !== 0)
      problems.push(
        `${s.path}: probe exit status ${got.status ?? 'none (cut off)'}${got.run.error ? `: ${got.run.error.key} ${got.run.error.message}` : ''}`,
      );
    recordings.push(makeRecording(name, s.path, s.source, out.kernel, machine, got.run, day));
  }
  const { vocab, mismatches } = checkVocab(
    name,
    out,
    encodingOf(name),
    'linux-libc-dev 7.3.4-1~bpo13+1',
  );
  for (const m of out.modules) if (!m.endsWith(' ok')) problems.push(`module ${m}`);
  return {
    target: name,
    kernel: out.kernel,
    machine,
    recordings,
    vocab,
    mismatches,
    problems,
    output: out,
    seconds: (Date.now() - started) / 1000,
  };
}
