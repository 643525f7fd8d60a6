/**
 * Everything the package's own tests and benchmarks reach into: the public entry plus the
 * state objects and the snapshot spec. Not part of the published API (no `exports` entry).
 * @packageDocumentation
 */
export * from './index.js';
export { Icp, IcsBlock, XicsState, icpOf, icpValue, xicsOf, XICS_SLOT, ICP_SLOT } from './state.js';
export { xicsSnapshot, describeIcp, describeSource, existingSources } from './snapshot.js';
export { XicsOnXive, XicsOnXivePresenter, XiveSrcBlock, xicsOnXiveOf, xicsOnXivePresenterOf, XS_VALID, ESB_P, ESB_Q } from './xics-on-xive/state.js';
export { xiveGetXive, xiveIntOff, xiveIntOn, xiveSetXive } from './xics-on-xive/rtas.js';
