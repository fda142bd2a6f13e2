/**
 * Vite plugin: `vite preview` serves the build as a production host should (the first-run test counts the bytes a first
 * visit transfers). Vite's preview gzips text, JavaScript and JSON but not WebAssembly (application/wasm), and sends
 * the .ltpg data parts with no Content-Type, which its compression then gzips a second time. Ahead of Vite's own
 * middleware, this one sends .wasm gzipped when the request allows it (compressed once, kept in memory) and .ltpg as
 * stored (application/octet-stream: gzip inside; the loader sniffs the magic); everything else is Vite's.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

const TYPES: Record<string, string> = { '.wasm': 'application/wasm', '.ltpg': 'application/octet-stream' };

export function previewEncoding(): Plugin {
  let dir = 'dist';
  let base = '/';
  let headers: Record<string, string | number | readonly string[]> = {};
  return {
    name: 'ltpg-preview-encoding',
    configResolved(c) {
      dir = resolve(c.root, c.build.outDir);
      base = c.base.endsWith('/') ? c.base : `${c.base}/`;
      headers = (c.preview.headers ?? {}) as typeof headers;
    },
    configurePreviewServer(server) {
      const gzipped = new Map<string, { key: string; body: Buffer }>();
      server.middlewares.use((req, res, next) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const ext = extname(path);
        if ((req.method !== 'GET' && req.method !== 'HEAD') || !TYPES[ext] || !path.startsWith(base)) return next();
        const file = normalize(join(dir, decodeURIComponent(path.slice(base.length))));
        const st = file.startsWith(dir + sep) ? statSync(file, { throwIfNoEntry: false }) : undefined;
        if (!st?.isFile()) return next();
        const gzip = ext === '.wasm' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        let body: Buffer;
        if (gzip) {
          const key = `${st.size}:${st.mtimeMs}`;
          let hit = gzipped.get(file);
          if (hit?.key !== key) gzipped.set(file, (hit = { key, body: gzipSync(readFileSync(file), { level: 6 }) }));
          body = hit.body;
        } else body = readFileSync(file);
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        res.setHeader('Content-Type', TYPES[ext]);
        res.setHeader('Content-Length', body.length);
        res.setHeader('Cache-Control', 'no-cache');
        if (ext === '.wasm') res.setHeader('Vary', 'Accept-Encoding');
        if (gzip) res.setHeader('Content-Encoding', 'gzip');
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    },
  };
}
