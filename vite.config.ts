/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { CONTENT_SECURITY_POLICY, ISOLATION_HEADERS } from './src/csp.ts';
import { packParts } from './tools/vite/pack-parts';
import { previewEncoding } from './tools/vite/preview-encoding';
import { wasmThreadsFix } from './tools/vite/wasm-threads';

/** Writes the Content-Security-Policy into the built index.html (see src/csp.ts; not in dev, whose preamble is inline). */
function cspMeta(): Plugin {
  return {
    name: 'ltpg-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  plugins: [react(), packParts(), cspMeta(), previewEncoding(), wasmThreadsFix()],
  // tfjs runs in the workers, which Vite bundles with their own plugins; the dev server pre-bundles it
  worker: { format: 'es', plugins: () => [wasmThreadsFix()] },
  optimizeDeps: { rolldownOptions: { plugins: [wasmThreadsFix()] } },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // fonts (KaTeX's) stay files: the CSP allows fonts from the page's origin only, not data: URLs
    assetsInlineLimit: (file) => (/\.(woff2?|ttf)$/.test(file) ? false : undefined),
  },
  // cross-origin isolated (threaded wasm); the dev server sends no CSP (its React refresh preamble is inline)
  server: { headers: { ...ISOLATION_HEADERS } },
  preview: { headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, ...ISOLATION_HEADERS } },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs backends are global singletons: run files in separate forks, two at a time (2-core CI)
    pool: 'forks',
    maxWorkers: 2,
  },
});
