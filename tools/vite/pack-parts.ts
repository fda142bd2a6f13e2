/**
 * Vite plugin: makes the embedded pack's parts (core/data/pack-parts.ts) from public/data/fmnist-lt.ltpg — emitted
 * into the build as data/fmnist-lt.parts.json + data/fmnist-lt.pN.<hash>.ltpg, served by the dev server — and leaves
 * the whole pack out of the build (the browser fetches only parts; Node, the CLI and the tests read the whole file).
 * Part 0 holds the images the app's first-visit draw selects (core/data/first-visit-data.ts, the same values
 * PLAYGROUND_DEFAULTS uses). Encoding takes ~20 s, so the parts are cached in node_modules/.cache/ltpg-parts-v2,
 * keyed by the pack's and the layout code's size and modification time and the first-visit draw.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Plugin } from 'vite';
import { EMBEDDED_FILE } from '../../src/core/data/embedded';
import { EMBEDDED_FILE_PATH, loadDatasetFile } from '../../src/core/data/node-load';
import { encodeParts, PARTS_MANIFEST, type DrawSettings, type PartsManifest } from '../../src/core/data/pack-parts';
import { FIRST_VISIT_DATA, HEAD_IMAGE_OPTIONS } from '../../src/core/data/first-visit-data';

interface Parts {
  manifest: PartsManifest;
  files: Map<string, Uint8Array>;
}

// v2: parts by the ranks they hold (v1, rank ranges only, lives in node_modules/.cache/ltpg-parts)
const CACHE = join(process.cwd(), 'node_modules/.cache/ltpg-parts-v2');
/** The first-visit draw, and the same draw at each smaller head-class size the settings offer: part 0 holds them. */
export const FIRST_DRAWS: DrawSettings[] = [
  { ...FIRST_VISIT_DATA },
  ...HEAD_IMAGE_OPTIONS.map(Number)
    .filter((h) => h < FIRST_VISIT_DATA.headImages)
    .map((headImages) => ({ ...FIRST_VISIT_DATA, headImages })),
];

async function makeParts(): Promise<Parts> {
  const st = statSync(EMBEDDED_FILE_PATH);
  // the layout's code is part of the key too (a change to it makes new parts)
  const code = statSync(join(process.cwd(), 'src/core/data/pack-parts.ts'));
  const first = FIRST_DRAWS.map((d) => Object.values(d).join('-')).join('_');
  const dir = join(CACHE, `${st.size}-${Math.round(st.mtimeMs)}-${code.size}-${Math.round(code.mtimeMs)}-${first}`);
  const manifestPath = join(dir, PARTS_MANIFEST);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PartsManifest;
    const files = new Map(manifest.parts.map((p) => [p.file, new Uint8Array(readFileSync(join(dir, p.file)))] as const));
    if ([...files.values()].every((b, i) => b.length === manifest.parts[i].bytes)) return { manifest, files };
  }
  const parts = encodeParts(await loadDatasetFile(), 'fmnist-lt', EMBEDDED_FILE, FIRST_DRAWS);
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
      outDir = resolve(c.root, c.build.outDir); // absolute when given so (the e2e build)
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/data\/(fmnist-lt\.(?:parts\.json|p\d+\.[0-9a-f]{8}\.ltpg))(?:\?.*)?$/.exec(req.url ?? '');
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
