import { defineConfig } from 'vite';

// Built into dist/ and served by the local server under /manager/ with a strict CSP: no inline
// script, style or data: URL may end up in the output.
export default defineConfig({
  base: '/manager/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
  },
});
