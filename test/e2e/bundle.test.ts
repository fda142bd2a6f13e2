/**
 * The page's JavaScript holds no tfjs and no data parsers: they belong to the training worker's chunk (a small page that starts fast).
 * Reads the production build: the page chunks are the entry script of index.html and every chunk it imports,
 * statically or dynamically (the worker is a separate entry). Also prints the sizes for the README.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { productionBuild } from './dist';

/** Strings only tfjs or the project's parsers contain (checked to be in the worker chunk, so they are real markers). */
const WORKER_ONLY = ['registerBackend', 'gradFunc', 'kernelFunc', 'not a tar archive', 'central directory', 'IHDR'];

function pageChunks(dir: string): string[] {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]+src="\/?([^"]+\.js)"/g)].map((m) => m[1]);
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const f = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const src = readFileSync(join(dir, f), 'utf8');
    const base = f.slice(0, f.lastIndexOf('/') + 1);
    // Vite writes dynamic imports with template literals: import(`./tex-….js`)
    for (const m of src.matchAll(/(?:from\s*|import\s*\(\s*|import\s*)["'`](\.\/[^"'`]+\.js)["'`]/g)) queue.push(base + m[1].slice(2));
  }
  return [...seen];
}

describe('bundle split', () => {
  it('the page chunks hold no tfjs and no parsers; the worker chunk does', async () => {
    const dir = await productionBuild();
    const page = pageChunks(dir);
    expect(page.length).toBeGreaterThan(0);
    const pageText = page.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    const worker = readdirSync(join(dir, 'assets'))
      .filter((f) => f.endsWith('.js') && !page.includes(`assets/${f}`))
      .map((f) => readFileSync(join(dir, 'assets', f), 'utf8'))
      .join('\n');
    for (const marker of WORKER_ONLY) {
      expect(worker.includes(marker), `"${marker}" should be in the worker's code`).toBe(true);
      expect(pageText.includes(marker), `"${marker}" is in the page's code`).toBe(false);
    }
    const bytes = Buffer.byteLength(pageText);
    const gz = page.reduce((a, f) => a + gzipSync(readFileSync(join(dir, f))).length, 0);
    console.log(`[bundle] page JS: ${page.length} chunk(s), ${(bytes / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzip`);
    // the first chunk is the entry (what loads before the page shows); KaTeX is a lazy chunk (first explainer opened)
    const entry = page[0];
    const entryGz = gzipSync(readFileSync(join(dir, entry))).length;
    const tex = page.find((f) => /\/tex-[^/]+\.js$/.test(f));
    expect(tex, 'KaTeX is a chunk of its own, loaded on demand').toBeDefined();
    expect(readFileSync(join(dir, tex!), 'utf8').includes('KaTeX parse error'), 'the marker is in the KaTeX chunk').toBe(true);
    expect(readFileSync(join(dir, entry), 'utf8').includes('KaTeX parse error'), 'KaTeX is not in the entry chunk').toBe(false);
    console.log(
      `[bundle] entry chunk ${(readFileSync(join(dir, entry)).length / 1024).toFixed(0)} KiB (${(entryGz / 1024).toFixed(0)} KiB gzip); lazy KaTeX ${(readFileSync(join(dir, tex!)).length / 1024).toFixed(0)} KiB`,
    );
  });
});
