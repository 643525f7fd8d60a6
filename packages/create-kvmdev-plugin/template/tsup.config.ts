import { defineConfig } from 'tsup';

// ESM and CommonJS, each with its own declarations: jest in CJS mode and ESM hosts can both load it.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  dts: true,
  sourcemap: true,
  clean: true,
  outDir: 'dist',
});
