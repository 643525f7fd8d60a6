import { fc, test } from '@fast-check/jest';
import * as core from '@kvmdev/core';
import * as entry from '../src/index.js';

// Placeholder from the build-tooling setup: proves jest + swc, the "@kvmdev/source" export
// condition, the ".js" specifier mapping and @fast-check/jest. Delete once real tests exist.
test('the package name resolves to the source entry', () => {
  expect(Object.keys(core).length).toBeGreaterThan(0);
  expect(Object.keys(core).sort()).toEqual(Object.keys(entry).sort());
});

test.prop([fc.integer()])('fast-check runs', (n) => {
  expect(n + 0).toBe(n);
});
