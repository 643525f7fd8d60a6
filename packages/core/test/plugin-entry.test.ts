/**
 * The shared checks of a file's `plugins:` entries (readPluginEntry, configuredPlugin), used by
 * the CLI and the web inspector alike, so both refuse a bad entry with the same words.
 */
import { type KvmPlugin, configuredPlugin, readCarriedPlugins, readPluginEntry } from '../src/index.js';

const plain: KvmPlugin = { name: '@acme/plain', version: '1.0.0', core: '^0.1.0' };
const withOptions: KvmPlugin = {
  ...plain,
  name: '@acme/opts',
  configure(o) {
    for (const k of Object.keys(o)) if (k !== 'mode') throw new TypeError(`${k}: unknown option; @acme/opts takes mode`);
    return { ...withOptions, options: o };
  },
};

describe('readPluginEntry', () => {
  test.each([
    ['@kvmdev/xics', { entry: { name: '@kvmdev/xics' } }],
    [{ name: '@kvmdev/xics', options: { host: 'pseries-hv' } }, { entry: { name: '@kvmdev/xics', options: { host: 'pseries-hv' } } }],
    [{ name: '@kvmdev/xics', options: [1] }, { entry: { name: '@kvmdev/xics', options: [1] } }], // the options are the plugin's to check
    [7, { issue: { path: [], message: 'expected a package name' } }],
    ['', { issue: { path: [], message: 'expected a package name' } }],
    [{ name: 7, options: {} }, { issue: { path: ['name'], message: 'expected a package name' } }],
    [{ name: '@kvmdev/xics' }, { issue: { path: [], message: 'missing options: (or write the package name alone)' } }],
    [{ name: '@kvmdev/xics', options: {}, version: 1 }, { issue: { path: ['version'], message: 'unknown key; a plugin entry has name and options' } }],
  ])('%j', (value, result) => {
    expect(readPluginEntry(value)).toEqual(result);
  });
});

describe('configuredPlugin', () => {
  const fail = (m: string) => new Error(`at: ${m}`);
  test('no options: the plugin itself; options: its configure(options)', () => {
    expect(configuredPlugin(plain, undefined, fail)).toBe(plain);
    expect(configuredPlugin(withOptions, { mode: 'x' }, fail).options).toEqual({ mode: 'x' });
  });
  test.each([
    [withOptions, 'x', 'at: expected a mapping of option names to values'],
    [withOptions, null, 'at: expected a mapping of option names to values'],
    [withOptions, [1], 'at: expected a mapping of option names to values'],
    [plain, {}, 'at: plugin @acme/plain takes no options'],
    [withOptions, { colour: 1 }, 'at: colour: unknown option; @acme/opts takes mode'],
  ])('refused: %#', (plugin, options, message) => {
    expect(() => configuredPlugin(plugin, options, fail)).toThrow(message);
  });
});

describe('readCarriedPlugins', () => {
  test.each([
    [undefined, { plugins: null }],
    [[{ name: '@kvmdev/xics', version: '1.0.0', options: { host: 'pseries-hv' } }], { plugins: [{ name: '@kvmdev/xics', version: '1.0.0', options: { host: 'pseries-hv' } }] }],
    ['x', { issue: { path: '$.vm.plugins', message: 'expected a list of { name, version }' } }],
    [[7], { issue: { path: '$.vm.plugins[0]', message: 'expected { name, version }' } }],
    [[{ version: '1' }], { issue: { path: '$.vm.plugins[0].name', message: 'expected a package name' } }],
    [[{ name: 'a', version: '1' }, { name: 'b' }], { issue: { path: '$.vm.plugins[1].version', message: 'expected a version string' } }],
    [[{ name: 'a', version: '1', options: [1] }], { issue: { path: '$.vm.plugins[0].options', message: 'expected a mapping of option names to values' } }],
  ])('%j', (value, result) => {
    expect(readCarriedPlugins(value)).toEqual(result);
  });
});
