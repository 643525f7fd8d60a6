/** The scenario examples of docs/kernel-oracle.md parse and run as written. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHost } from '@kvmdev/core';
import { parseScenario, runOnModel } from '@kvmdev/oracle';
import { PLUGINS } from '../suite/models.js';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'kernel-oracle.md'), 'utf8');
const blocks = [...doc.matchAll(/```kvms\n([\s\S]*?)```/g)].map((m) => m[1]!);

test('the doc has scenario examples', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

it.each(blocks.map((b, i) => [i, b] as const))('example %d runs on the host model without a scenario error', (_i, text) => {
  const plugins = PLUGINS.host!;
  const r = runOnModel(parseScenario(text, 'doc.kvms'), { createHost: () => createHost({ plugins }) });
  expect(r.error).toBeNull();
  expect(r.steps.length).toBeGreaterThan(5);
});
