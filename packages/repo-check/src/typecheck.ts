/**
 * Type-checks doc blocks against the workspace packages: each block becomes a module file in a
 * folder of this package (so `@kvmdev/*` imports resolve to the workspace, through the
 * `@kvmdev/source` condition, to their source), and one TypeScript program checks them all with the
 * repository's strict settings. Diagnostics are mapped back to the Markdown file and line.
 * @packageDocumentation
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { DocBlock } from './blocks.js';

/** Writes each block to `<dir>/<id>.ts` (a module: `export {}` is appended). Returns the paths by block id. */
export function writeBlocks(blocks: readonly DocBlock[], dir: string): Map<string, string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = new Map<string, string>();
  for (const b of blocks) {
    const path = join(dir, `${b.id}.ts`);
    writeFileSync(path, `${b.code}export {};\n`);
    out.set(b.id, path);
  }
  return out;
}

/** The compiler options of `tsconfig` (a path), for checking only. */
export function compilerOptions(tsconfig: string): ts.CompilerOptions {
  const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, join(tsconfig, '..'));
  return { ...parsed.options, noEmit: true, composite: false, incremental: false, declaration: false, declarationMap: false, emitDeclarationOnly: false };
}

/**
 * Type-checks the block files in one program. Returns, by block id, the diagnostics of that
 * block as `file.md:line:col: message` (empty when it type-checks).
 */
export function typecheckBlocks(blocks: readonly DocBlock[], paths: ReadonlyMap<string, string>, options: ts.CompilerOptions): Map<string, string[]> {
  const files = blocks.map((b) => paths.get(b.id)!);
  const program = ts.createProgram(files, options);
  const out = new Map<string, string[]>();
  const global = program.getGlobalDiagnostics().map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  for (const b of blocks) {
    const sf = program.getSourceFile(paths.get(b.id)!);
    const diags = sf ? [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)] : [];
    out.set(
      b.id,
      [
        ...global,
        ...diags.map((d) => {
          const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
          if (!d.file || d.start === undefined) return `${b.file}:${b.line}: ${msg}`;
          const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
          return `${b.file}:${b.line + 1 + line}:${character + 1}: TS${d.code}: ${msg}`;
        }),
      ],
    );
  }
  return out;
}
