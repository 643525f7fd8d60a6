/**
 * `KvmError`: what the typed API throws. It carries the Linux errno name and number.
 * @packageDocumentation
 */
import { errnoName } from './errno.js';

const BRAND = Symbol.for('@kvmdev/core/KvmError');

/** An error with a Linux errno, thrown by the typed API (and by `host.mem` on a bad address). */
export class KvmError extends Error {
  /** Positive errno number, e.g. 6 for ENXIO. */
  readonly errno: number;
  /** errno name, e.g. `'ENXIO'`. */
  readonly code: string;
  /** Brand checked by {@link isKvmError}; works across duplicate copies of this package. */
  readonly [BRAND] = true;

  constructor(errno: number, message?: string) {
    const code = errnoName(errno);
    super(message ? `${code}: ${message}` : code);
    this.name = 'KvmError';
    this.errno = errno;
    this.code = code;
  }
}

/** True for a {@link KvmError} from any copy of `@kvmdev/core`. */
export function isKvmError(e: unknown): e is KvmError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** Throws a KvmError when `ret` is a negative errno, else returns it. */
export function check(ret: number, what?: string): number {
  if (ret < 0) throw new KvmError(-ret, what);
  return ret;
}

/**
 * A value for an error or config-issue message, as JSON; a bigint (a parsed u64, or an integer
 * beyond 2^53 read by a YAML/JSON loader that keeps precision) prints as its decimal digits, where
 * `JSON.stringify` would throw a TypeError. Use it in a setup spec's `validate` for any value
 * taken from a user's file.
 * @example `showValue(2n ** 53n)` is `'9007199254740992'`; `showValue('x')` is `'"x"'`.
 */
export function showValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
}
