/**
 * The training worker's loader of the embedded pack in parts (core/data/pack-parts.ts): the manifest and the parts
 * a run needs, fetched once and kept in Cache Storage (a new worker and a second visit download nothing) and
 * decoded once per worker.
 *
 * A new build names new part files (each name carries a hash of the part's bytes), so a manifest kept from an
 * earlier build — in Cache Storage until its background check drops it, or in the browser's HTTP cache — names
 * parts the server no longer has. A part that answers 404 / 410, or whose bytes do not hash to its name (a host
 * answering a missing file with its index.html), marks the manifest stale: the manifest is fetched again past every
 * cache, the cached entries the new one does not name are dropped, and the load is tried once more with it. If that
 * fails too, the error says so; parts already decoded stay (their names say what they hold).
 */
import { DataError } from '../core/data/errors';
import {
  assembleParts,
  decodePart,
  neededRanks,
  parseManifest,
  partNameMatches,
  partsFor,
  PARTS_MANIFEST,
  PART_FILE,
  type DrawSettings,
  type PartsManifest,
} from '../core/data/pack-parts';
import type { Dataset } from '../core/data/types';
import type { DatasetProgress } from './protocol';

/** The part of the Cache Storage API the loader uses. */
export interface DataCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, res: Response): Promise<void>;
  delete(url: string): Promise<boolean>;
  keys(): Promise<readonly Request[]>;
}

export interface PackLoaderEnv {
  /** URL of the folder holding the manifest and the parts (ends with '/'). */
  base: string;
  fetch: typeof fetch;
  /** The data cache, or null (no Cache Storage: insecure context, privacy mode). */
  openCache: () => Promise<DataCache | null>;
}

/** A part the manifest names is not on the server (or not what its name says): the manifest is out of date. */
class StalePart extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`${file}: ${why}`);
  }
}

export class PackLoader {
  private manifest: Promise<PartsManifest> | null = null;
  /** Decoded parts by file name (the name carries a hash of the contents). */
  private readonly decoded = new Map<string, Promise<Dataset>>();
  private cache: Promise<DataCache | null> | null = null;

  constructor(private readonly env: PackLoaderEnv) {}

  /**
   * The embedded data set with the images a run uses: the run's long-tail draw is made on the class sizes the
   * manifest lists, and only the parts holding a drawn pool image or an evaluated test image are fetched (the
   * first-visit defaults: part 0 of four). Without `need`, every part.
   */
  async load(onProgress: (p: DatasetProgress) => void, need?: DrawSettings): Promise<Dataset> {
    const m = await this.currentManifest();
    try {
      return await this.loadWith(m, onProgress, need);
    } catch (e) {
      if (!(e instanceof StalePart)) throw e;
      const fresh = await this.refreshManifest(e);
      try {
        return await this.loadWith(fresh, onProgress, need);
      } catch (again) {
        if (!(again instanceof StalePart)) throw again;
        throw new DataError(
          again.file,
          `${again.why}, also after fetching ${PARTS_MANIFEST} again — the site is being updated or is incomplete; reload the page in a while`,
        );
      }
    }
  }

  private openCache(): Promise<DataCache | null> {
    return (this.cache ??= this.env.openCache().catch(() => null));
  }

  private currentManifest(): Promise<PartsManifest> {
    this.manifest ??= this.cachedFetch(this.env.base + PARTS_MANIFEST, true).then(async ({ res, fromCache }) => {
      if (!res.ok) throw new DataError(PARTS_MANIFEST, `could not be fetched (HTTP ${res.status})`);
      const m = parseManifest(await res.text(), PARTS_MANIFEST);
      if (!fromCache) void this.prune(m);
      return m;
    });
    return this.manifest.catch((e: unknown) => {
      this.manifest = null;
      throw e;
    });
  }

  /** The manifest from the server, past Cache Storage and the HTTP cache, after `stale` named a part it lacks. */
  private async refreshManifest(stale: StalePart): Promise<PartsManifest> {
    const url = this.env.base + PARTS_MANIFEST;
    const cache = await this.openCache();
    let res: Response;
    try {
      res = await this.env.fetch(url, { cache: 'no-store' });
    } catch (e) {
      throw new DataError(stale.file, `${stale.why}, and ${PARTS_MANIFEST} could not be fetched again (${String(e)})`);
    }
    if (!res.ok) throw new DataError(stale.file, `${stale.why}, and ${PARTS_MANIFEST} could not be fetched again (HTTP ${res.status})`);
    const m = parseManifest(await res.clone().text(), PARTS_MANIFEST);
    this.manifest = Promise.resolve(m);
    if (cache) {
      await cache.put(url, res).catch(() => undefined);
      await this.prune(m); // the parts of the old layout the new manifest does not name
    }
    return m;
  }

  /** Drops cached parts of this pack the manifest `m` does not name (left from an earlier build). */
  private async prune(m: PartsManifest): Promise<void> {
    const cache = await this.openCache();
    if (!cache) return;
    try {
      const stem = PARTS_MANIFEST.replace(/\.parts\.json$/, '.');
      for (const req of await cache.keys()) {
        const file = new URL(req.url).pathname.split('/').pop() ?? '';
        const here = req.url.startsWith(new URL(this.env.base, req.url).href);
        if (here && file.startsWith(stem) && PART_FILE.test(file) && !m.parts.some((p) => p.file === file)) await cache.delete(req.url);
      }
    } catch {
      /* a cache that can't be listed keeps its old parts */
    }
  }

  private async loadWith(m: PartsManifest, onProgress: (p: DatasetProgress) => void, need?: DrawSettings): Promise<Dataset> {
    const wanted = need ? partsFor(m, neededRanks(m, need)) : m.parts.map((_, k) => k);
    const missing = wanted.filter((k) => !this.decoded.has(m.parts[k].file));
    const total = missing.reduce((a, k) => a + m.parts[k].bytes, 0);
    let done = 0;
    for (const k of missing) {
      const p = m.parts[k];
      const at = done;
      const part = this.fetchPart(p.file, (q) => onProgress({ ...q, loaded: at + q.loaded, total })).then((bytes) =>
        decodePart(m, k, bytes),
      );
      this.decoded.set(p.file, part);
      part.catch(() => this.decoded.delete(p.file));
      await part;
      done += p.bytes;
    }
    onProgress({ phase: 'decode', loaded: 1, total: 1 });
    const decoded = new Map(await Promise.all(wanted.map(async (k) => [k, await this.decoded.get(m.parts[k].file)!] as const)));
    // pool images of parts not fetched are blank and marked: the trainer refuses a draw that would use one
    const ds = assembleParts(m, decoded, need ?? { headImages: null, evalPerClass: null });
    onProgress({ phase: 'ready', loaded: 1, total: 1 });
    return ds;
  }

  /**
   * The response for `url` from Cache Storage, else from the network (then stored when `store`, while the caller
   * reads it). A cached copy is checked against the server in the background (HEAD: ETag / length); a changed file
   * is dropped so the next load fetches it.
   */
  private async cachedFetch(url: string, store: boolean): Promise<{ res: Response; fromCache: boolean }> {
    const cache = await this.openCache();
    const hit = await cache?.match(url);
    if (hit && cache) {
      void this.env
        .fetch(url, { method: 'HEAD', cache: 'no-cache' })
        .then((head) => {
          if (!head.ok) return;
          const changed = (h: string) => head.headers.get(h) && hit.headers.get(h) && head.headers.get(h) !== hit.headers.get(h);
          if (changed('etag') || changed('content-length')) void cache.delete(url);
        })
        .catch(() => undefined); // offline: the cached copy is all there is
      return { res: hit, fromCache: true };
    }
    const res = await this.env.fetch(url);
    if (store && res.ok && cache) void cache.put(url, res.clone()).catch(() => undefined);
    return { res, fromCache: false };
  }

  /**
   * The bytes of part `file` with download progress (the loader sniffs gzip magic, so no Content-Encoding is
   * needed). StalePart when the server lacks it or sends other bytes than its name says.
   */
  private async fetchPart(file: string, onProgress: (p: DatasetProgress) => void): Promise<Uint8Array> {
    const url = this.env.base + file;
    const { res, fromCache } = await this.cachedFetch(url, false).catch((e: unknown) => {
      // the fetch itself failed (offline, connection reset): "Failed to fetch" alone names neither file nor cause
      throw new DataError(
        file,
        `could not be downloaded (${e instanceof Error ? e.message : String(e)}) — is the network down? Data already loaded stays`,
      );
    });
    if (res.status === 404 || res.status === 410) throw new StalePart(file, `not on the server (HTTP ${res.status})`);
    if (!res.ok || !res.body) throw new DataError(file, `could not be fetched from ${url} (HTTP ${res.status})`);
    const lenHeader = res.headers.get('content-length');
    const total = lenHeader && !res.headers.get('content-encoding') ? Number(lenHeader) : null;
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    let lastReport = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      if (loaded - lastReport > 1 << 18) {
        lastReport = loaded;
        onProgress({ phase: 'fetch', loaded, total });
      }
    }
    const out = new Uint8Array(loaded);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    const cache = await this.openCache();
    if (!partNameMatches(file, out)) {
      // not the part this name stands for (e.g. a host's index.html for a missing file): never kept
      if (fromCache) await cache?.delete(url).catch(() => false);
      throw new StalePart(
        file,
        `${fromCache ? 'the cached copy' : 'the server'} holds other bytes than this part (their hash does not match the name)`,
      );
    }
    // kept once checked
    if (!fromCache && cache) void cache.put(url, new Response(out, { headers: res.headers })).catch(() => undefined);
    return out;
  }
}
