/**
 * The plugins the page carries. The page knows them only as a list: every device is read
 * through the introspection spec its plugin registers, never by family.
 * @packageDocumentation
 */
import type { KvmPlugin } from '@kvmdev/core';
import { armVgic } from '@kvmdev/arm-vgic';
import { mpic } from '@kvmdev/mpic';
import { xics } from '@kvmdev/xics';

/** The bundled plugins. */
export const PLUGINS: readonly KvmPlugin[] = [armVgic, mpic, xics];

/** Their package names (a VM file may name only these). */
export const PLUGIN_NAMES: readonly string[] = PLUGINS.map((p) => p.name);
