#!/usr/bin/env node
// The dependency check run by `pnpm test` (turbo task //#check:layers). It reads every import
// and re-export of every workspace package's src/ with the TypeScript parser and fails on:
//   1. an import cycle through value imports (in any package);
//   2. a type-only import cycle that crosses layer folders (type circles stay inside one layer);
//   3. an import from a lower layer to a higher one (packages with a layer table below);
//   4. a workspace package importing another's internals (only `exports` entries may be named);
//   5. a package importing a workspace package it does not declare, or a package of a higher tier
//      (core imports no plugin; plugins import only core; tools may import plugins).
// `--self-test` runs the check on small fixtures that must fail, so the check itself can fail.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';

/** Layer folders of src/, lowest first. Files directly in src/ are the entry points (top). */
const LAYERS = {
  '@kvmdev/core': ['uapi', 'kernel', 'plugins', 'faces', 'state', 'compose'],
};
/** Package tiers: a package may import workspace packages of its own tier or below. */
const TIERS = { '@kvmdev/core': 0, plugin: 1, tool: 2 };
const PLUGINS = new Set(['@kvmdev/mpic', '@kvmdev/xics', '@kvmdev/arm-vgic']);

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

if (process.argv.includes('--self-test')) process.exit(selfTest());
const problems = checkWorkspace(root);
report(problems);
process.exit(problems.length ? 1 : 0);

function report(list) {
  for (const p of list) console.error(`check-layers: ${p}`);
  if (!list.length) console.log('check-layers: no cycles, no upward imports, public entries only');
}

/** All problems of the workspace at `dir`. */
function checkWorkspace(dir) {
  const pkgs = workspacePackages(dir);
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const out = [];
  for (const pkg of pkgs) out.push(...checkPackage(pkg, byName));
  return out;
}

function workspacePackages(dir) {
  const out = [];
  for (const group of ['packages', 'examples']) {
    const g = path.join(dir, group);
    if (!exists(g)) continue;
    for (const name of readdirSync(g)) {
      const pj = path.join(g, name, 'package.json');
      if (!exists(pj) || !exists(path.join(g, name, 'src'))) continue;
      const json = JSON.parse(readFileSync(pj, 'utf8'));
      out.push({ name: json.name, dir: path.join(g, name), json });
    }
  }
  return out;
}

function tierOf(name) {
  if (name === '@kvmdev/core') return TIERS['@kvmdev/core'];
  if (PLUGINS.has(name)) return TIERS.plugin;
  return TIERS.tool;
}

function checkPackage(pkg, byName) {
  const src = path.join(pkg.dir, 'src');
  const files = listTs(src);
  const layers = LAYERS[pkg.name] ?? null;
  const layerOf = (file) => {
    const rel = path.relative(src, file).split(path.sep);
    if (rel.length === 1) return { name: '(entry)', rank: Number.POSITIVE_INFINITY };
    if (!layers) return { name: rel[0], rank: 0 };
    const i = layers.indexOf(rel[0]);
    return { name: rel[0], rank: i < 0 ? -1 : i };
  };
  const declared = new Set([
    ...Object.keys(pkg.json.dependencies ?? {}),
    ...Object.keys(pkg.json.peerDependencies ?? {}),
    ...Object.keys(pkg.json.devDependencies ?? {}),
  ]);
  const problems = [];
  /** file -> [{ to, typeOnly }] */
  const edges = new Map();
  for (const file of files) {
    const rel = path.relative(pkg.dir, file);
    const list = [];
    edges.set(file, list);
    const from = layerOf(file);
    if (layers && from.rank === -1) problems.push(`${pkg.name}: ${rel} is in no layer folder (${layers.join(', ')})`);
    for (const imp of importsOf(file)) {
      if (imp.spec.startsWith('.')) {
        const target = resolveRelative(file, imp.spec);
        if (!target) {
          problems.push(`${pkg.name}: ${rel} imports ${imp.spec}, which does not exist`);
          continue;
        }
        if (!target.startsWith(src + path.sep)) {
          problems.push(`${pkg.name}: ${rel} imports ${imp.spec}, outside its own src/`);
          continue;
        }
        list.push({ to: target, typeOnly: imp.typeOnly });
        const to = layerOf(target);
        if (layers && to.rank > from.rank)
          problems.push(`${pkg.name}: ${rel} (layer ${from.name}) imports ${path.relative(pkg.dir, target)} (layer ${to.name}), a higher layer`);
        continue;
      }
      const m = /^(@[^/]+\/[^/]+|[^@/][^/]*)(\/.*)?$/.exec(imp.spec);
      if (!m) continue;
      const [, dep, sub] = m;
      const target = byName.get(dep);
      if (!target) continue; // not a workspace package
      if (!declared.has(dep)) problems.push(`${pkg.name}: ${rel} imports ${dep}, which its package.json does not declare`);
      if (tierOf(dep) > tierOf(pkg.name)) problems.push(`${pkg.name}: ${rel} imports ${dep}, a package of a higher tier`);
      const entry = `.${sub ?? ''}`;
      const exp = target.json.exports ?? {};
      if (!(entry in exp)) problems.push(`${pkg.name}: ${rel} imports ${imp.spec}, which is not a public entry of ${dep} (exports: ${Object.keys(exp).join(', ')})`);
    }
  }
  problems.push(...cycles(pkg, edges, false, layerOf), ...cycles(pkg, edges, true, layerOf));
  return problems;
}

/**
 * Cycles of the import graph. With `typesToo` false only value imports count (any cycle is an
 * error); with it true, type-only imports count too, and only cycles that cross layers are errors.
 */
function cycles(pkg, edges, typesToo, layerOf) {
  const graph = new Map();
  for (const [f, list] of edges) graph.set(f, list.filter((e) => typesToo || !e.typeOnly).map((e) => e.to));
  const out = [];
  for (const scc of stronglyConnected(graph)) {
    const self = scc.length === 1 && (graph.get(scc[0]) ?? []).includes(scc[0]);
    if (scc.length < 2 && !self) continue;
    const names = scc.map((f) => path.relative(pkg.dir, f)).sort();
    if (!typesToo) out.push(`${pkg.name}: value-import cycle: ${names.join(' <-> ')}`);
    else if (new Set(scc.map((f) => layerOf(f).name)).size > 1)
      out.push(`${pkg.name}: type-import cycle across layers: ${names.join(' <-> ')}`);
  }
  return out;
}

/** Tarjan's algorithm, iterative. */
function stronglyConnected(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  for (const start of graph.keys()) {
    if (idx.has(start)) continue;
    const work = [[start, 0]];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1];
      const [v, i] = top;
      const next = graph.get(v) ?? [];
      if (i < next.length) {
        top[1]++;
        const w = next[i];
        if (!graph.has(w)) continue;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1][0];
        low.set(u, Math.min(low.get(u), low.get(v)));
      }
      if (low.get(v) === idx.get(v)) {
        const comp = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        out.push(comp);
      }
    }
  }
  return out;
}

/** Static imports and re-exports of a file, with whether each is type-only. */
function importsOf(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      let typeOnly = !!c?.isTypeOnly;
      if (c && !typeOnly && !c.name && c.namedBindings && ts.isNamedImports(c.namedBindings))
        typeOnly = c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly);
      out.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      let typeOnly = node.isTypeOnly;
      if (!typeOnly && node.exportClause && ts.isNamedExports(node.exportClause))
        typeOnly = node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly);
      out.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = node.arguments[0];
      if (a && ts.isStringLiteral(a)) out.push({ spec: a.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ spec: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function resolveRelative(from, spec) {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  for (const c of [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) if (exists(c)) return c;
  return null;
}

function listTs(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (/\.tsx?$/.test(e.name) && !/\.d\.ts$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

function exists(p) {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Each fixture must produce a problem that matches its pattern; a clean one must produce none. */
function selfTest() {
  const cases = [
    {
      name: 'clean layers',
      files: {
        'uapi/a.ts': 'export const A = 1;',
        'kernel/b.ts': "import { A } from '../uapi/a.js'; import type { C } from './c.js'; export const B = A; export type T = C;",
        'kernel/c.ts': "import type { T } from './b.js'; export interface C { t?: T }",
        'index.ts': "export { B } from './kernel/b.js';",
      },
      expect: null,
    },
    {
      name: 'upward import',
      files: { 'uapi/a.ts': "import type { B } from '../kernel/b.js'; export type A = B;", 'kernel/b.ts': 'export type B = 1;' },
      expect: /a higher layer/,
    },
    {
      name: 'value cycle inside a layer',
      files: {
        'kernel/a.ts': "import { b } from './b.js'; export const a = () => b();",
        'kernel/b.ts': "import { a } from './a.js'; export const b = () => a();",
      },
      expect: /value-import cycle/,
    },
    {
      name: 'deep import of a workspace package',
      files: { 'kernel/a.ts': "import { x } from '@kvmdev/other/src/x.js'; export const a = x;" },
      other: true,
      expect: /not a public entry/,
    },
  ];
  let bad = 0;
  for (const c of cases) {
    const dir = mkdtempSync(path.join(tmpdir(), 'kvmdev-layers-'));
    try {
      const pkg = path.join(dir, 'packages', 'core');
      for (const [f, text] of Object.entries(c.files)) {
        mkdirSync(path.dirname(path.join(pkg, 'src', f)), { recursive: true });
        writeFileSync(path.join(pkg, 'src', f), text);
      }
      writeFileSync(
        path.join(pkg, 'package.json'),
        JSON.stringify({ name: '@kvmdev/core', exports: { '.': './src/index.ts' }, dependencies: c.other ? { '@kvmdev/other': '*' } : {} }),
      );
      if (c.other) {
        const o = path.join(dir, 'packages', 'other');
        mkdirSync(path.join(o, 'src'), { recursive: true });
        writeFileSync(path.join(o, 'src', 'index.ts'), 'export const x = 1;');
        writeFileSync(path.join(o, 'package.json'), JSON.stringify({ name: '@kvmdev/other', exports: { '.': './src/index.ts' } }));
      }
      const problems = checkWorkspace(dir);
      const ok = c.expect === null ? problems.length === 0 : problems.some((p) => c.expect.test(p));
      console.log(`check-layers self-test: ${ok ? 'ok  ' : 'FAIL'} ${c.name}${ok ? '' : `: ${JSON.stringify(problems)}`}`);
      if (!ok) bad++;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return bad ? 1 : 0;
}
