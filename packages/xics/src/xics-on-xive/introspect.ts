/**
 * What tools (`kvmdev run`, `kvmdev inspect`) see of an XICS-on-XIVE: the names of its
 * KVM_IRQ_LINE levels, a summary and its state in device terms, read from the plugin's own
 * objects, because the ABI's reads would move it (a GRP_SOURCES GET starts or advances a round).
 * No interrupt table and no guest operations (yet): tools cannot acknowledge or EOI through it.
 * @packageDocumentation
 */
import type { DeviceIntrospectSpec, DeviceView, StateSection } from '@kvmdev/core/plugin';
import { KVM_INTERRUPT_SET, KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET } from '../uapi.js';
import { validSources } from './snapshot.js';
import type { XicsOnXive } from './state.js';

const hex = (v: number): string => `0x${v.toString(16)}`;

function view(x: XicsOnXive): DeviceView {
  return {
    summary: () => `XICS-on-XIVE, ${x.srcCount} sources, ${x.presenters.length} presenters, nr_servers ${x.nrServers}`,
    state(): readonly StateSection[] {
      const out: StateSection[] = [
        {
          title: 'XICS-on-XIVE',
          fields: [
            { name: 'nr_servers', value: x.nrServers, text: `${x.nrServers}${x.vpAllocated ? ' (VP block allocated)' : ''}` },
            { name: 'sources', value: x.srcCount, text: `${x.srcCount} valid (${validSources(x).map(hex).slice(0, 8).join(', ')}${x.srcCount > 8 ? ', ...' : ''})` },
            { name: 'GET round', value: x.savedSrcCount, text: x.savedSrcCount ? `${x.savedSrcCount} of ${x.srcCount} GETs` : 'none' },
            { name: 'delayed', value: x.delayedIrqs, text: String(x.delayedIrqs) },
          ],
        },
      ];
      for (const p of x.presenters)
        out.push({
          title: `vCPU ${p.vcpu.id} presenter`,
          fields: [
            { name: 'server', value: p.server, text: `${p.server} (VP ${p.vpId})` },
            { name: 'CPPR', value: p.cppr, text: hex(p.cppr) },
            { name: 'MFRR', value: p.mfrr, text: hex(p.mfrr) },
            { name: 'queued', value: p.queues.reduce((n, q) => n + q.events.length, 0), text: p.queues.map((q, i) => (q.provisioned ? `q${i}: ${q.events.length}` : '')).filter(Boolean).join(', ') || 'no queues' },
          ],
        });
      return out;
    },
    describe: () => null,
  };
}

/** The introspection spec of KVM_DEV_TYPE_XICS on a XIVE host. */
export const xicsOnXiveIntrospect: DeviceIntrospectSpec = {
  names: { irqLineLevels: { KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET, KVM_INTERRUPT_SET_LEVEL } },
  open: (t) => view(t.device.device.private as XicsOnXive),
};
