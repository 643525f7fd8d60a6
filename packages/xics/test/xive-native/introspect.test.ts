/** The XIVE native introspection spec: a summary and the state from the plugin's objects; reading changes nothing. */
import { createHost } from '@kvmdev/core';
import {
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_CAP_PPC_PAPR,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_XIVE_LEVEL_ASSERTED,
  KVM_XIVE_LEVEL_SENSITIVE,
  createXicsPlugin,
  powernv9,
  xive,
  xiveNativeIntrospect,
  xiveSourceConfig,
} from '../../src/internal.js';

test('summary, sources with their routing, presenters; the snapshot of the state is stable', () => {
  const host = createHost({ plugins: [xive, createXicsPlugin({ host: { ...powernv9, name: 'p64k', pageSize: 65536 } })] });
  const vm = host.createVm();
  const cpu = vm.createVcpu(0);
  cpu.enableCap(KVM_CAP_PPC_PAPR);
  const dev = vm.createDevice('KVM_DEV_TYPE_XIVE');
  cpu.enableCap(KVM_CAP_PPC_IRQ_XIVE, dev.fd, 0);
  dev.setAttr(KVM_DEV_XIVE_GRP_SOURCE, 0x1000, 0n);
  dev.setAttr(KVM_DEV_XIVE_GRP_SOURCE, 0x1001, KVM_XIVE_LEVEL_SENSITIVE | KVM_XIVE_LEVEL_ASSERTED);
  dev.setAttr(KVM_DEV_XIVE_GRP_SOURCE_CONFIG, 0x1000, xiveSourceConfig({ priority: 1, server: 0, masked: true }));
  const view = xiveNativeIntrospect.open({ vm, device: dev, vcpus: [cpu] });
  expect(view.summary()).toBe('XIVE native, 2 sources, 1 presenters, nr_servers 2048');
  const st = view.state!();
  const text = st.map((s) => `${s.title}: ${s.fields.map((f) => `${f.name}=${f.text}`).join('; ')}`);
  expect(text).toEqual([
    'XIVE native: nr_servers=2048 (VP block allocated); sources=2 valid (0x1000, 0x1001)',
    'sources: 0=0x1001 LSI asserted masked',
    'vCPU 0 presenter: server=0 (VP 0); w01=0x000000ff00000000; queues=no queues',
  ]);
  expect(view.state!()).toEqual(st);
  expect(xiveNativeIntrospect.names?.irqLineLevels).toBeDefined();
});
