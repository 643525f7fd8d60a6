/**
 * Reads what the probe (probe/kvms.c) printed: `@V` the kernel, `@N`/`@R` the vocabulary it was
 * built with, `@M` module loads, `@S name` ... `@K key answer` ... `@D status` per scenario, `@E`
 * a scenario error and `@Z` the end. Anything else (kernel messages on a serial console) is kept
 * apart as `other`.
 * @packageDocumentation
 */
import type { KernelInfo } from './recording.js';
import type { RunResult, StepResult } from './result.js';

/** A value the probe was built with, and whether it came from the target's headers (`h`) or the language's table (`f`). */
export interface ProbeName {
  /** The value the probe used. */
  readonly value: bigint;
  /** True when the value came from the target's uapi headers, false when from the language's table. */
  readonly fromHeader: boolean;
}

/** Everything one probe run printed, sorted out. */
export interface ProbeOutput {
  /** The kernel the probe ran on (uname), null when the probe did not print it. */
  readonly kernel: KernelInfo | null;
  /** Constants the probe was built with, by name. */
  readonly constants: ReadonlyMap<string, ProbeName>;
  /** ioctl request numbers the probe was built with, by name (`KVM_CREATE_DEVICE`...). */
  readonly requests: ReadonlyMap<string, ProbeName>;
  /** The probe's module loads, one line each with its outcome (`<module> ok` when it loaded). */
  readonly modules: readonly string[];
  /** Scenario label → its run and exit status. */
  readonly scenarios: ReadonlyMap<
    string,
    { readonly run: RunResult; readonly status: number | null }
  >;
  /** True when the probe printed its end marker. */
  readonly complete: boolean;
  /** Lines that were not the probe's (kernel messages). */
  readonly other: readonly string[];
}

/** Parses probe output (serial console noise allowed: `\r`, kernel lines). */
export function parseProbeOutput(text: string): ProbeOutput {
  let kernel: KernelInfo | null = null;
  const constants = new Map<string, ProbeName>();
  const requests = new Map<string, ProbeName>();
  const modules: string[] = [];
  const scenarios = new Map<string, { run: RunResult; status: number | null }>();
  const other: string[] = [];
  let complete = false;
  let cur: {
    label: string;
    steps: StepResult[];
    error: { key: string; message: string } | null;
  } | null = null;
  const finish = (status: number | null): void => {
    if (cur) scenarios.set(cur.label, { run: { steps: cur.steps, error: cur.error }, status });
    cur = null;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r/g, '');
    const at = line.indexOf('@');
    if (at < 0 || !/^@[A-Z]( |$)/.test(line.slice(at))) {
      if (line.trim() !== '') other.push(line);
      continue;
    }
    const l = line.slice(at);
    const tag = l[1];
    const rest = l.slice(3);
    switch (tag) {
      case 'V': {
        const [release = '', machine = '', ...version] = rest.split(' ');
        kernel = { release, machine, version: version.join(' ') };
        break;
      }
      case 'N':
      case 'R': {
        const [name = '', value = '0', src = 'f'] = rest.split(' ');
        (tag === 'N' ? constants : requests).set(name, {
          value: BigInt(value),
          fromHeader: src === 'h',
        });
        break;
      }
      case 'M':
        modules.push(rest);
        break;
      case 'S':
        finish(null);
        cur = { label: rest, steps: [], error: null };
        break;
      case 'K': {
        const sp = rest.indexOf(' ');
        if (cur && sp > 0) cur.steps.push({ key: rest.slice(0, sp), text: rest.slice(sp + 1) });
        break;
      }
      case 'E': {
        const sp = rest.indexOf(' ');
        if (cur) cur.error = { key: rest.slice(0, sp), message: rest.slice(sp + 1) };
        break;
      }
      case 'D':
        finish(Number(rest));
        break;
      case 'Z':
        finish(null);
        complete = true;
        break;
      default:
        other.push(line);
    }
  }
  finish(null);
  return { kernel, constants, requests, modules, scenarios, complete, other };
}
