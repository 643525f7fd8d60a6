/** The version of `@kvmdev/core` (kept in step with package.json). */
export const CORE_VERSION = '0.1.0';
