/**
 * The XIVE native exploitation mode device (KVM_DEV_TYPE_XIVE): its uapi, the plugin and the
 * state a test or a tool may look at.
 * @packageDocumentation
 */
export * from './uapi.js';
export { createXivePlugin, xive, type XivePluginOptions } from './plugin.js';
export { XIVE_NATIVE_ATTRS, resetXive } from './device.js';
export type { XiveConnectOptions } from './connect.js';
export { xivePriorityValid } from './sources.js';
export { xiveNativeIntrospect, xiveValidSources } from './introspect.js';
export { xiveMmapCheck, xiveMmapFault, type XiveMappedPage } from './mmap.js';
export {
  XiveNativeState,
  XivePresenter,
  XiveQueue,
  XiveSourceBlock,
  XIVE_IRQ_CONNECTION,
  XIVE_NATIVE_SLOT,
  XIVE_PRESENTER_SLOT,
  XSRC_ASSERTED,
  XSRC_LSI,
  XSRC_VALID,
  PQ_OFF,
  xiveNativeOf,
  xivePresenterOf,
} from './state.js';
