/**
 * `@kvmdev/oracle/runner`: the Node side of the oracle. It fetches pinned Debian kernels and
 * headers with a private apt state, builds the probe (probe/kvms.c) statically for each target
 * architecture, runs scenarios on this machine's `/dev/kvm` or boots them under QEMU, and returns
 * recordings. Downloads and builds live in the cache folder (`KVMDEV_ORACLE_CACHE`, default
 * `~/.cache/kvmdev/oracle`), never in a repository.
 * @packageDocumentation
 */
export { cacheDir } from './cache.js';
export { debianPackage, aptUnavailable, type DebPackage } from './apt.js';
export { buildProbe, probeUnbuildable, probeSourceDir, hostArch } from './probe-build.js';
export { bootProbe, qemuUnavailable, type BootScenario } from './qemu.js';
export { cpioNewc, type CpioEntry } from './cpio.js';
export { vocabHeader } from './vocab-header.js';
export {
  KERNEL_TARGETS,
  HEADERS_PACKAGE,
  targetEncoding,
  type KernelTarget,
  type NativeTarget,
  type QemuTarget,
  type TargetArch,
} from './targets.js';
export {
  recordTarget,
  targetUnavailable,
  checkVocab,
  encodingOf,
  type ScenarioFile,
  type TargetRun,
  type VocabMismatch,
  type VocabRecord,
} from './record.js';
