/**
 * `@kvmdev/oracle`: differential testing of kvmdev against the real Linux kernel. A scenario
 * (`.kvms`) is parsed once and run by two interpreters: this package's TypeScript one on the model
 * (any plugins) and a C one (probe/kvms.c) on a real `/dev/kvm`. Both print one line per step; the
 * kernel's lines are recorded with the kernel version and the scenario's hash, and the comparison
 * reads a list of deliberate divergences so that "differ" always means a bug.
 *
 * Everything exported here runs in a browser (no Node built-ins); the runner that builds the
 * probe and boots kernels is `@kvmdev/oracle/runner`.
 * @packageDocumentation
 */
export * from './lang/ast.js';
export { parseScenario } from './lang/parse.js';
export { parseExpr, parsePath, RAW_FIELDS } from './lang/expr.js';
export { runOnModel, type ModelTarget } from './interp/model.js';
export * from './result.js';
export { CONSTANTS } from './vocab/constants.js';
export {
  REQUESTS,
  encodeRequest,
  type IoctlEncoding,
  type IocDir,
  type RequestDef,
} from './vocab/requests.js';
export { STRUCTS, type StructField, type StructLayout } from './vocab/structs.js';
export { errnoName, errnoNumber } from './vocab/errno.js';
export { sha256 } from './sha256.js';
export * from './recording.js';
export * from './divergences.js';
export * from './compare.js';
export * from './probe-output.js';
export * from './report.js';
