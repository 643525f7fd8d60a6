import base from '../../../jest.config.base.js';

/** The browser tests: one worker (one Chromium at a time on a 2-core machine), long timeouts. */
export default {
  ...base,
  rootDir: '..',
  testMatch: ['<rootDir>/e2e/**/*.e2e.ts'],
  maxWorkers: 1,
  testTimeout: 120_000,
};
