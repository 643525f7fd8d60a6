import { builtinModules } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

/**
 * Fails the build when anything the page bundles (its own code, @kvmdev/core, the plugins)
 * imports a Node built-in: the core and the plugins must run in a browser as they are.
 */
function noNodeBuiltins(): Plugin {
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  return {
    name: 'kvmdev-no-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      if (builtins.has(id) || id.startsWith('node:')) this.error(`${importer ?? '?'} imports the Node built-in ${JSON.stringify(id)}: the page (core and plugins included) must run in a browser`);
      return null;
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [noNodeBuiltins()],
  resolve: {
    // workspace packages from source, as the tests do (no build of core or the plugins needed)
    conditions: ['@kvmdev/source', 'module', 'browser', 'development|production'],
  },
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    sourcemap: false,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
