/**
 * The Content-Security-Policy of the built app, in one place: written into dist/index.html as a
 * `<meta http-equiv>` (so any static host keeps it; vite.config.ts, build only — the dev server's inline React
 * refresh preamble would be blocked) and sent as a header by `vite preview` and the e2e server.
 *  - no third-party origin anywhere: scripts, workers, data, styles and images come from the page's own origin;
 *  - 'wasm-unsafe-eval': tfjs' wasm backend compiles its WebAssembly (no JavaScript eval is allowed);
 *  - script-src blob:: the threaded wasm build's pthread workers start from a blob and importScripts() the
 *    emscripten module, itself a blob tfjs made (without it tfjs waits forever for its thread pool);
 *  - workers: the training worker is a same-origin module; blob: for tfjs / emscripten helper workers;
 *  - style-src 'unsafe-inline': React and recharts set inline styles;
 *  - img-src data: blob:: chart PNGs, drill-down thumbnails and the empty favicon are data / blob URLs;
 *  - connect-src 'self' blob: data:: the embedded data pack and the wasm binaries are fetched from the origin.
 * frame-ancestors is not here: browsers ignore it (with a console error) in a <meta> policy.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * Cross-origin isolation, which gives the page SharedArrayBuffer and so tfjs' threaded wasm: sent by `vite` (dev),
 * `vite preview` and the e2e server on every response, and added by the service worker (public/sw.js) on hosts that
 * cannot set headers. require-corp costs nothing here: the page loads nothing cross-origin (see the CSP above).
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;
