/**
 * Generates probe/vocab.h, the C interpreter's view of the language tables: every constant and
 * request (the value from the target's headers when they define it, the language's own value
 * otherwise, flagged so a live run can report it), and every struct layout with compile-time
 * checks (`offsetof`, `sizeof`) against the target's `linux/kvm.h`. A layout the headers disagree
 * with does not compile.
 * @packageDocumentation
 */
import { CONSTANTS } from '../vocab/constants.js';
import { REQUESTS } from '../vocab/requests.js';
import { STRUCTS } from '../vocab/structs.js';

const ARCH_GUARD: Readonly<Record<string, string>> = {
  arm64: 'defined(__aarch64__)',
  powerpc: 'defined(__powerpc64__)',
};
const DIR_MACRO = {
  none: '_IOC_NONE',
  r: '_IOC_READ',
  w: '_IOC_WRITE',
  rw: '(_IOC_READ|_IOC_WRITE)',
} as const;

/** The text of vocab.h. */
export function vocabHeader(): string {
  const o: string[] = [
    '/* Generated from the @kvmdev/oracle vocabulary (src/vocab) by src/runner/vocab-header.ts: do not edit. */',
    '',
  ];
  o.push('static const struct kvms_const KVMS_CONSTS[] = {');
  for (const [name, v] of Object.entries(CONSTANTS)) {
    o.push(
      `#ifdef ${name}`,
      `\t{ "${name}", (uint64_t)(${name}), 1 },`,
      '#else',
      `\t{ "${name}", 0x${v.toString(16)}ULL, 0 },`,
      '#endif',
    );
  }
  o.push('};', '');
  o.push('static const struct kvms_req KVMS_REQS[] = {');
  for (const [name, d] of Object.entries(REQUESTS)) {
    if ('numbers' in d) {
      o.push(
        `#ifdef ${name}`,
        `\t{ "${name}", (unsigned long)(${name}), 1 },`,
        '#elif defined(__powerpc__)',
        `\t{ "${name}", 0x${d.numbers.powerpc.toString(16)}UL, 0 },`,
        '#else',
        `\t{ "${name}", 0x${d.numbers.generic.toString(16)}UL, 0 },`,
        '#endif',
      );
      continue;
    }
    const guard = d.arch ? `${ARCH_GUARD[d.arch] ?? '0'} && defined(${name})` : `defined(${name})`;
    o.push(
      `#if ${guard}`,
      `\t{ "${name}", (unsigned long)(${name}), 1 },`,
      '#else',
      `\t{ "${name}", (unsigned long)_IOC(${DIR_MACRO[d.dir]}, 0x${d.type.toString(16)}, 0x${d.nr.toString(16)}, ${d.size}), 0 },`,
      '#endif',
    );
  }
  o.push('};', '');
  for (const s of Object.values(STRUCTS)) {
    const id = s.name;
    o.push(`static const struct kvms_field F_${id}[] = {`);
    for (const f of s.fields) o.push(`\t{ "${f.name}", ${f.offset}, ${f.size}, ${f.count} },`);
    o.push('};');
    const checks: string[] = [
      `_Static_assert(sizeof(struct ${id}) == ${s.size}, "sizeof(struct ${id})");`,
    ];
    for (const f of s.fields)
      checks.push(
        `_Static_assert(offsetof(struct ${id}, ${f.name}) == ${f.offset}, "offsetof(struct ${id}, ${f.name})");`,
        `_Static_assert(sizeof(((struct ${id} *)0)->${f.name}) == ${f.size * f.count}, "sizeof ${id}.${f.name}");`,
      );
    if (s.arch) o.push(`#if ${ARCH_GUARD[s.arch] ?? '0'}`, ...checks, '#endif');
    else o.push(...checks);
    o.push('');
  }
  o.push('static const struct kvms_struct KVMS_STRUCTS[] = {');
  for (const s of Object.values(STRUCTS))
    o.push(`\t{ "${s.name}", ${s.size}, F_${s.name}, ${s.fields.length} },`);
  o.push('};', '');
  return o.join('\n');
}
