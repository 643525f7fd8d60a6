import { defineConfig } from 'tsup';

// the Node side: the static server `kvmdev inspect --web` starts over the built page
export default defineConfig({
  entry: { 'server/index': 'src/server/index.ts' },
  format: ['esm', 'cjs'],
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  dts: true,
  sourcemap: true,
  clean: false,
  shims: true,
  outDir: 'dist',
});
