/**
 * `@kvmdev/cli`: the `kvmdev` command as a library. Load a VM file ({@link loadVmFile}), run a
 * scenario on the composed VM with a {@link Runner} and read its trace, look at each device in
 * its plugin's terms ({@link vmDevices}, {@link inspectDevice}). Composition uses the setup
 * specs and architecture profiles each plugin carries, and everything device-specific (interrupt
 * names, acknowledge / EOI / IPI, how an access reads) comes from each plugin's introspection
 * spec, so a third-party plugin's device is shown the same way.
 *
 * ```ts
 * import { composeVm } from '@kvmdev/core';
 * import { Runner, loadVmFile } from '@kvmdev/cli';
 * const f = await loadVmFile('examples/vms/arm64-virt-gicv3.yaml');
 * const vm = composeVm(f.host, f.config);
 * const r = new Runner(f.host, vm);
 * if (f.scenario) r.run(f.scenario);
 * console.log(r.events.map((e) => e.text).join('\n'));
 * ```
 * @packageDocumentation
 */
export { CliError, EXIT, inputError, snapshotError } from './errors.js';
export {
  parseSnapshotFile,
  readSnapshotFile,
  snapshotVm,
  takeSnapshot,
  whyNoSnapshot,
  writeSnapshotFile,
  type SnapshotPlugin,
  type VmSnapshot,
  type VmSource,
} from './snapfile.js';
export { diffChanges, type DiffChange, type DiffDevice, type SnapshotDiff } from './diff.js';
export { SourceFile, formatPath, parsePath, type FieldPath } from './source.js';
export { FIRST_PARTY_NAMES, configuredPlugin, firstPartyPlugins, hostWith, isPlugin, loadPluginPackage, resolvePackage } from './plugins.js';
export { loadPlugins, loadScenarioFile, loadVmFile, vmConfigOf, type VmFile } from './vmfile.js';
export { Runner, STEP_FIELDS, type RunnerOptions, type ScenarioSource, type TraceEvent } from './scenario.js';
export { allInterrupts, introspectSpecOf, nameOf, nameTables, vmDevices, type NameTables, type VmDevice } from './devices.js';
export { formatInspection, inspectDevice, type DeviceInspection } from './inspect.js';
export { parseInteger, parseSysregForm, sysregForm } from './names.js';
export { colours, formatEvent, toJson, useColour } from './format.js';
export { main, VERSION, type CliIo } from './main.js';
