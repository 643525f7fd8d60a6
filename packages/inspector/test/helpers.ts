import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { armVgic } from '@kvmdev/arm-vgic';
import type { KvmPlugin } from '@kvmdev/core';
import { mpic } from '@kvmdev/mpic';
import { xics } from '@kvmdev/xics';
import { type OpenedFile, plan } from '../src/model/load.js';
import { Session } from '../src/model/session.js';
import { parseText } from '../src/model/vmfile.js';

export const PLUGINS: readonly KvmPlugin[] = [armVgic, mpic, xics];
export const VMS = join(__dirname, '..', '..', '..', 'examples', 'vms');

/** An example VM file, parsed (as the page parses a dropped file). */
export async function vmFile(name: string): Promise<OpenedFile> {
  return { name, data: await parseText(name, readFileSync(join(VMS, name), 'utf8')) };
}

/** A session of an example VM file (its scenario not yet run). */
export async function session(name: string): Promise<Session> {
  const p = plan([await vmFile(name)], PLUGINS);
  if (p.kind !== 'inspect') throw new Error('expected one session');
  return new Session(p.source, PLUGINS);
}

/** The step index of the first step whose first event text matches. */
export function stepOf(s: Session, re: RegExp): number {
  const e = s.events.find((x) => re.test(x.text));
  if (!e) throw new Error(`no event matches ${re}`);
  return e.step;
}

const ran = new Map<string, Promise<Session>>();
/** A session of an example VM file with its whole scenario run, shared by the tests of a file (do not close it). */
export function ranSession(name: string): Promise<Session> {
  let p = ran.get(name);
  if (!p) {
    p = session(name).then((s) => {
      s.goTo(s.steps.length);
      return s;
    });
    ran.set(name, p);
  }
  return p;
}

/** The message `fn` throws (an Error), for exact comparison. */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof Error) return e.message;
    throw e;
  }
  throw new Error('nothing thrown');
}
