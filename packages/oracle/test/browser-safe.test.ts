/** The language, the interpreter and the comparison run in a browser: no Node built-ins outside src/runner. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..', 'src');
const files = (d: string): string[] =>
  readdirSync(d).flatMap((e) => {
    const p = join(d, e);
    return statSync(p).isDirectory()
      ? e === 'runner'
        ? []
        : files(p)
      : p.endsWith('.ts')
        ? [p]
        : [];
  });

it.each(files(SRC).map((f) => [relative(SRC, f), f]))(
  '%s imports no Node built-in',
  (_rel, file) => {
    const src = readFileSync(file, 'utf8');
    const imports = [...src.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
    const builtins = new Set(builtinModules);
    expect(imports.filter((i) => i.startsWith('node:') || builtins.has(i))).toEqual([]);
    expect(src).not.toMatch(/\bprocess\.|\brequire\(/);
  },
);
