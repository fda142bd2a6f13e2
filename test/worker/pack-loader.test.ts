/**
 * The worker's pack loader after a new build: the part files of a build are named by their hash, so a
 * manifest kept from the previous build (Cache Storage, HTTP cache) names parts the server no longer has. A part's
 * 404 — or a host's index.html answering for it — makes the loader fetch the manifest again past the caches, drop
 * the old layout's cached parts and load with the new manifest; a server still lacking a part gives a clear error
 * and keeps what was loaded. A fake server (the files of a build) and an in-memory Cache Storage stand in for the
 * browser's.
 */
import { describe, expect, it } from 'vitest';
import { encodeParts, PARTS_MANIFEST, type DrawSettings } from '../../src/core/data/pack-parts';
import type { Dataset } from '../../src/core/data/types';
import { PackLoader, type DataCache } from '../../src/worker/pack-loader';
import { syntheticSet } from '../core/data/helpers';

const BASE = 'https://host.test/data/';
const first: DrawSettings = { seed: 3, imbalance: 10, profile: 'exp', stepMu: 0.5, headImages: 100, evalPerClass: 10 };
const bounds = { poolRanks: [0, 20, 100], testRanks: [0, 10, 20] };

/** The files one build serves: the manifest and its parts (`pixelSeed` changes the images, so the part hashes). */
function build(pixelSeed: number): Map<string, Uint8Array> {
  const shape = { height: 4, width: 4, channels: 1 };
  const ds: Dataset = {
    meta: { id: 'tiny', title: 'Tiny', mean: [0.5], std: [0.25], hflip: false, cropPad: 0, licence: 'test' },
    pool: syntheticSet([150, 120, 60, 30], shape, pixelSeed, 'tiny pool'),
    test: syntheticSet([25, 25, 25, 25], shape, pixelSeed + 1, 'tiny test'),
  };
  const { manifest, files } = encodeParts(ds, 'fmnist-lt', 'fmnist-lt.ltpg', [first], bounds);
  return new Map([[PARTS_MANIFEST, new TextEncoder().encode(JSON.stringify(manifest))], ...files]);
}

const partNames = (files: Map<string, Uint8Array>) => [...files.keys()].filter((f) => f.endsWith('.ltpg'));

interface Call {
  url: string;
  method: string;
  cache?: RequestCache;
}

/** A static host serving `files` (404 for others, or `fallback` with 200 as a single-page-app host does). */
function host(files: Map<string, Uint8Array>, fallback?: Uint8Array) {
  const calls: Call[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    calls.push({ url, method, cache: init?.cache });
    const body = files.get(url.slice(BASE.length)) ?? fallback;
    if (!body) return new Response('not found', { status: 404 });
    const headers = { 'content-length': String(body.length) };
    return new Response(method === 'HEAD' ? null : body.slice(), { headers });
  }) as typeof globalThis.fetch;
  return { fetch, calls, files };
}

/** Cache Storage in memory (what the loader uses of it). */
function memoryCache(): DataCache & { entries: Map<string, { body: Uint8Array; headers: Headers }> } {
  const entries = new Map<string, { body: Uint8Array; headers: Headers }>();
  return {
    entries,
    async match(url) {
      const e = entries.get(url);
      return e && new Response(e.body.slice(), { headers: e.headers });
    },
    async put(url, res) {
      entries.set(url, { body: new Uint8Array(await res.arrayBuffer()), headers: new Headers(res.headers) });
    },
    async delete(url) {
      return entries.delete(url);
    },
    async keys() {
      return [...entries.keys()].map((u) => new Request(u));
    },
  };
}

const noProgress = () => undefined;
const flush = () => new Promise((ok) => setTimeout(ok, 10));
const pixels = (ds: Dataset) => Buffer.from(ds.pool.images).toString('base64');

describe('pack loader: a manifest cached from an earlier build', () => {
  const oldBuild = build(1);
  const newBuild = build(2);

  it('builds differ in their part names (the premise: a new build names new files)', () => {
    expect(partNames(oldBuild).some((f) => newBuild.has(f))).toBe(false);
  });

  it('a part 404s: the manifest is fetched again past the caches, old cached parts are dropped, the load succeeds', async () => {
    const server = host(newBuild);
    const cache = memoryCache();
    // an earlier visit on the old build kept its manifest and part 1 (part 0 was dropped, e.g. by its check)
    await cache.put(BASE + PARTS_MANIFEST, new Response(oldBuild.get(PARTS_MANIFEST)!.slice()));
    const oldPart1 = partNames(oldBuild)[1];
    await cache.put(BASE + oldPart1, new Response(oldBuild.get(oldPart1)!.slice()));

    const loader = new PackLoader({ base: BASE, fetch: server.fetch, openCache: async () => cache });
    const ds = await loader.load(noProgress, first);
    await flush();

    // the same images as a fresh load of the new build
    const fresh = await new PackLoader({ base: BASE, fetch: host(newBuild).fetch, openCache: async () => null }).load(noProgress, first);
    expect(pixels(ds)).toBe(pixels(fresh));
    expect(Array.from(ds.test.labels)).toEqual(Array.from(fresh.test.labels));
    // the manifest was fetched again bypassing every cache
    expect(server.calls.some((c) => c.url === BASE + PARTS_MANIFEST && c.method === 'GET' && c.cache === 'no-store')).toBe(true);
    // the cache holds the new manifest and the new part 0; nothing of the old layout
    expect(new TextDecoder().decode(cache.entries.get(BASE + PARTS_MANIFEST)!.body)).toBe(
      new TextDecoder().decode(newBuild.get(PARTS_MANIFEST)),
    );
    const cachedParts = [...cache.entries.keys()].filter((u) => u.endsWith('.ltpg')).map((u) => u.slice(BASE.length));
    expect(cachedParts).toEqual([partNames(newBuild)[0]]);

    // a second worker reads it all from the cache: no part download
    const again = host(newBuild);
    await new PackLoader({ base: BASE, fetch: again.fetch, openCache: async () => cache }).load(noProgress, first);
    expect(again.calls.filter((c) => c.method === 'GET')).toEqual([]);
  });

  it('a host that answers a missing file with its index.html (200): the bytes do not match the name, same recovery', async () => {
    const server = host(newBuild, new TextEncoder().encode('<!doctype html><title>app</title>'));
    const cache = memoryCache();
    await cache.put(BASE + PARTS_MANIFEST, new Response(oldBuild.get(PARTS_MANIFEST)!.slice()));
    const loader = new PackLoader({ base: BASE, fetch: server.fetch, openCache: async () => cache });
    const ds = await loader.load(noProgress, first);
    await flush();
    expect(ds.pool.labels.length).toBeGreaterThan(0);
    expect(server.calls.some((c) => c.url === BASE + PARTS_MANIFEST && c.cache === 'no-store')).toBe(true);
    // the page is not kept as a part
    for (const [url, e] of cache.entries) if (url.endsWith('.ltpg')) expect(e.body[0], url).toBe(0x1f);
  });

  it('the server still lacks a part after the manifest is fetched again: a clear error; the loaded parts stay', async () => {
    const incomplete = new Map(newBuild);
    const part1 = partNames(newBuild)[1];
    incomplete.delete(part1);
    const server = host(incomplete);
    const loader = new PackLoader({ base: BASE, fetch: server.fetch, openCache: async () => null });
    const ds = await loader.load(noProgress, first); // part 0 only
    // every part: part 1 is missing
    await expect(loader.load(noProgress)).rejects.toThrow(
      new RegExp(
        `${part1.replace(/\./g, '\\.')}: not on the server \\(HTTP 404\\), also after fetching ${PARTS_MANIFEST.replace(/\./g, '\\.')} again`,
      ),
    );
    expect(server.calls.filter((c) => c.url === BASE + part1)).toHaveLength(2); // tried once more, not more
    // what was loaded is still there: the first draw again downloads nothing
    const before = server.calls.length;
    const again = await loader.load(noProgress, first);
    expect(pixels(again)).toBe(pixels(ds));
    expect(server.calls.length).toBe(before);
  });

  it('the network fails for a part (offline): an error naming the file and the cause; the loaded parts stay', async () => {
    const server = host(newBuild);
    let offline = false;
    const fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
      offline ? Promise.reject(new TypeError('Failed to fetch')) : server.fetch(input, init)) as typeof globalThis.fetch;
    const loader = new PackLoader({ base: BASE, fetch, openCache: async () => null });
    const ds = await loader.load(noProgress, first);
    offline = true;
    const part1 = partNames(newBuild)[1];
    await expect(loader.load(noProgress)).rejects.toThrow(
      new RegExp(`${part1.replace(/\./g, '\\.')}: could not be downloaded \\(Failed to fetch\\) — is the network down\\?`),
    );
    expect(pixels(await loader.load(noProgress, first))).toBe(pixels(ds));
  });
});
