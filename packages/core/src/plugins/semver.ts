/**
 * A small semver range check for plugin compatibility: `*`, `x.y.z`, `^x.y.z`, `~x.y.z`,
 * comparators (`>=`, `>`, `<=`, `<`, `=`) joined by spaces, and `||` alternatives.
 * @packageDocumentation
 */

type V = [number, number, number];

function parse(v: string): V | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

function cmp(a: V, b: V): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function one(version: V, c: string): boolean | null {
  if (c === '*' || c === '' || c === 'x') return true;
  const m = /^(\^|~|>=|<=|>|<|=)?\s*(.+)$/.exec(c);
  if (!m) return null;
  const op = m[1] ?? '=';
  const b = parse(m[2]!);
  if (!b) return null;
  const d = cmp(version, b);
  switch (op) {
    case '^': {
      if (d < 0) return false;
      if (b[0] > 0) return version[0] === b[0];
      if (b[1] > 0) return version[0] === 0 && version[1] === b[1];
      return version[0] === 0 && version[1] === 0 && version[2] === b[2];
    }
    case '~':
      return d >= 0 && version[0] === b[0] && version[1] === b[1];
    case '>=':
      return d >= 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '<':
      return d < 0;
    default:
      return d === 0;
  }
}

/** Whether `version` satisfies `range`; null when either cannot be parsed. */
export function satisfies(version: string, range: string): boolean | null {
  const v = parse(version);
  if (!v) return null;
  let any = false;
  for (const alt of range.split('||')) {
    const parts = alt.trim().split(/\s+/).filter(Boolean);
    let all = true;
    for (const p of parts.length ? parts : ['*']) {
      const r = one(v, p);
      if (r === null) return null;
      if (!r) all = false;
    }
    if (all) any = true;
  }
  return any;
}
