/**
 * Vite plugin: makes the embedded pack's parts (core/data/pack-parts.ts) from public/data/fmnist-lt.ltpg — emitted
 * into the build as data/fmnist-lt.parts.json + data/fmnist-lt.partN.ltpg, served by the dev server — and leaves the
 * whole pack out of the build (the browser fetches only parts; Node, the CLI and the tests read the whole file).
 * Encoding takes ~20 s, so the parts are cached in node_modules/.cache/ltpg-parts, keyed by the pack's size and
 * modification time.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { EMBEDDED_FILE } from '../core/data/embedded';
import { EMBEDDED_FILE_PATH, loadDatasetFile } from '../core/data/node-load';
import { encodeParts, PARTS_MANIFEST, type PartsManifest } from '../core/data/pack-parts';

interface Parts {
  manifest: PartsManifest;
  files: Map<string, Uint8Array>;
}

const CACHE = join(process.cwd(), 'node_modules/.cache/ltpg-parts');

async function makeParts(): Promise<Parts> {
  const st = statSync(EMBEDDED_FILE_PATH);
  const dir = join(CACHE, `${st.size}-${Math.round(st.mtimeMs)}`);
  const manifestPath = join(dir, PARTS_MANIFEST);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PartsManifest;
    const files = new Map(manifest.parts.map((p) => [p.file, new Uint8Array(readFileSync(join(dir, p.file)))] as const));
    if ([...files.values()].every((b, i) => b.length === manifest.parts[i].bytes)) return { manifest, files };
  }
  const parts = encodeParts(await loadDatasetFile(), 'fmnist-lt', EMBEDDED_FILE);
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of parts.files) writeFileSync(join(dir, name), bytes);
  writeFileSync(manifestPath, JSON.stringify(parts.manifest));
  return parts;
}

export function packParts(): Plugin {
  let parts: Promise<Parts> | null = null;
  const get = () => (parts ??= makeParts());
  let outDir = 'dist';
  return {
    name: 'ltpg-pack-parts',
    configResolved(c) {
      outDir = join(c.root, c.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/data\/(fmnist-lt\.(?:parts\.json|part\d+\.ltpg))(?:\?.*)?$/.exec(req.url ?? '');
        if (!m) return next();
        get().then(({ manifest, files }) => {
          const body = m[1] === PARTS_MANIFEST ? new TextEncoder().encode(JSON.stringify(manifest)) : files.get(m[1]);
          if (!body) return next();
          res.setHeader('content-type', m[1].endsWith('.json') ? 'application/json' : 'application/octet-stream');
          res.setHeader('content-length', String(body.length));
          res.end(body);
        }, next);
      });
    },
    async generateBundle(_opts, bundle) {
      // every file of the build, for the service worker's precache (public/sw.js)
      const assets = Object.keys(bundle).filter((f) => !f.startsWith('data/') && !f.endsWith('.map'));
      this.emitFile({ type: 'asset', fileName: 'sw-assets.json', source: JSON.stringify(assets) });
      const { manifest, files } = await get();
      this.emitFile({ type: 'asset', fileName: `data/${PARTS_MANIFEST}`, source: JSON.stringify(manifest) });
      for (const [name, bytes] of files) this.emitFile({ type: 'asset', fileName: `data/${name}`, source: bytes });
    },
    closeBundle() {
      // the whole pack (copied from public/) is not fetched by the page: keep the deployment small
      rmSync(join(outDir, 'data', EMBEDDED_FILE), { force: true });
    },
  };
}
