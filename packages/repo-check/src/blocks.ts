/**
 * Finds the TypeScript code blocks of the repository's Markdown files. A block is a fence whose
 * info string starts with `ts` (or `typescript`); words after the language say how it is checked:
 *
 * - (none): type-checked against the workspace packages and run;
 * - `no-run`: type-checked only (it needs something a test cannot give, e.g. a file of its own);
 * - `fragment`: neither (an excerpt that is not a program; use sparingly).
 * @packageDocumentation
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** How a block is checked. */
export type BlockMode = 'run' | 'no-run' | 'fragment';

/** A TypeScript code block of a Markdown file. */
export interface DocBlock {
  /** The Markdown file, relative to the repository root (with `/`). */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly mode: BlockMode;
  /** The block's text, with the fence's indentation removed. */
  readonly code: string;
  /** A file-system-safe name: `packages__core__README.md-L40`. */
  readonly id: string;
}

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})\s*([\w-]+)?(.*)$/;

/** The TypeScript blocks of one Markdown text. Throws on an unknown mode word or an unclosed fence. */
export function extractBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split(/\r?\n/);
  const out: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE_OPEN.exec(lines[i]!);
    if (!m) continue;
    const [, indent = '', fence = '```', lang = '', rest = ''] = m;
    // CommonMark: the info string of a backtick fence has no backtick (else it is inline code)
    if (fence[0] === '`' && `${lang}${rest}`.includes('`')) continue;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j]!)) j++;
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    if (lang === 'ts' || lang === 'typescript') {
      const words = rest.trim().split(/\s+/).filter(Boolean);
      let mode: BlockMode = 'run';
      for (const w of words) {
        if (w === 'no-run' || w === 'fragment') mode = w;
        else throw new Error(`${file}:${i + 1}: unknown doc-block mode '${w}' (use no-run or fragment)`);
      }
      const body = lines.slice(i + 1, j).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
      out.push({ file, line: i + 1, mode, code: `${body.join('\n')}\n`, id: `${file.replace(/[/\\]/g, '__')}-L${i + 1}` });
    }
    i = j;
  }
  return out;
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.tsbuild', '.turbo', '.blocks', '.generated', '.git', 'release', 'coverage', 'results', 'template']);

/**
 * The repository's documentation files: every `*.md` outside build output, dependencies, the
 * changesets, changelogs, API reports (`*.api.md`) and template folders (the create package's
 * templates are checked by the outside check).
 */
export function docFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && e.name !== '.changeset') walk(join(dir, e.name));
      } else if (e.name.endsWith('.md') && !e.name.endsWith('.api.md') && e.name !== 'CHANGELOG.md') {
        out.push(relative(root, join(dir, e.name)).split('\\').join('/'));
      }
    }
  };
  walk(root);
  return out.sort();
}

/** Every TypeScript block of every documentation file under `root`. */
export function repositoryBlocks(root: string): DocBlock[] {
  return docFiles(root).flatMap((f) => extractBlocks(readFileSync(join(root, f), 'utf8'), f));
}
