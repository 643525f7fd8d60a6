import { fc, test } from '@fast-check/jest';
import { VERSION } from '@kvmdev/core';
import * as entry from '../src/index.js';

// Placeholder from the build-tooling setup: proves jest + swc, the "@kvmdev/source" export
// condition, the ".js" specifier mapping and @fast-check/jest. Delete once real tests exist.
test('the package entry resolves to source', () => {
  expect(VERSION).toBe(entry.VERSION);
  expect(VERSION).toMatch(/^\d+\.\d+\.\d+$/);
});

test.prop([fc.integer()])('fast-check runs', (n) => {
  expect(n + 0).toBe(n);
});
