/**
 * What tools (`kvmdev run`, `kvmdev inspect`) see of a XIVE native device: the names of its
 * KVM_IRQ_LINE levels, a summary and its state (NR_SERVERS and the VP block, the valid sources
 * with their routing, each presenter's saved context and queues), read from the plugin's own
 * objects: the ABI has no read of a source at all (only the ESB pages, not modelled).
 * @packageDocumentation
 */
import type { DeviceIntrospectSpec, DeviceView, StateSection } from '@kvmdev/core/plugin';
import { KVM_INTERRUPT_SET, KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET } from '../uapi.js';
import { XSRC_ASSERTED, XSRC_LSI, XSRC_VALID, type XiveNativeState } from './state.js';
import { XIVE_MASKED } from './uapi.js';

const hex = (v: number): string => `0x${v.toString(16)}`;

/** The valid source numbers of a device, ascending. */
export function xiveValidSources(x: XiveNativeState): number[] {
  const out: number[] = [];
  x.blocks.forEach((b, id) => {
    if (b === null) return;
    for (let i = 0; i < b.flags.length; i++) if (b.flags[i]! & XSRC_VALID) out.push((id << 10) | i);
  });
  return out;
}

function view(x: XiveNativeState): DeviceView {
  return {
    summary: () => `XIVE native, ${x.sourceCount} sources, ${x.presenters.size} presenters, nr_servers ${x.nrServers}`,
    state(): readonly StateSection[] {
      const srcs = xiveValidSources(x);
      const out: StateSection[] = [
        {
          title: 'XIVE native',
          fields: [
            { name: 'nr_servers', value: x.nrServers, text: `${x.nrServers}${x.vpAllocated ? ' (VP block allocated)' : ''}` },
            { name: 'sources', value: x.sourceCount, text: `${x.sourceCount} valid (${srcs.slice(0, 8).map(hex).join(', ')}${srcs.length > 8 ? ', ...' : ''})` },
          ],
        },
      ];
      const routed: string[] = [];
      for (const n of srcs) {
        const b = x.blocks[n >>> 10]!;
        const i = n & 0x3ff;
        const f = b.flags[i]!;
        const kind = f & XSRC_LSI ? `LSI${f & XSRC_ASSERTED ? ' asserted' : ''}` : 'MSI';
        if (b.priority[i] !== XIVE_MASKED) routed.push(`${hex(n)} ${kind} -> server ${b.server[i]} priority ${b.priority[i]} EISN ${hex(b.eisn[i]!)}`);
        else if (f & XSRC_LSI) routed.push(`${hex(n)} ${kind} masked`);
      }
      if (routed.length)
        out.push({ title: 'sources', fields: routed.slice(0, 64).map((t, k) => ({ name: String(k), value: k, text: t })) });
      for (const p of x.presenters.values())
        out.push({
          title: `vCPU ${p.vcpu.id} presenter`,
          fields: [
            { name: 'server', value: p.server, text: `${p.server} (VP ${p.vp})` },
            { name: 'w01', value: p.w01Hi, text: `0x${p.w01Hi.toString(16).padStart(8, '0')}${p.w01Lo.toString(16).padStart(8, '0')}` },
            {
              name: 'queues',
              value: p.queues.filter((q) => q.configured).length,
              text: p.queues.map((q, k) => (q.configured ? `q${k}: ${hex(Number(q.qaddr))} 2^${q.qshift} (${q.count} routed)` : '')).filter(Boolean).join(', ') || 'no queues',
            },
          ],
        });
      return out;
    },
    describe: () => null,
  };
}

/** The introspection spec of KVM_DEV_TYPE_XIVE. */
export const xiveNativeIntrospect: DeviceIntrospectSpec = {
  names: { irqLineLevels: { KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET, KVM_INTERRUPT_SET_LEVEL } },
  open: (t) => view(t.device.device.private as XiveNativeState),
};
