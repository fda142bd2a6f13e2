/// <reference lib="webworker" />
/**
 * The training worker: a thin wrapper that feeds postMessage requests to TrainEngine and posts its results and
 * events back. All logic lives in ./engine (testable in Node).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../core/backend';
import { probeBackends } from '../core/backend-probe';
import { embeddedUrl, EMBEDDED_FILE } from '../core/data/embedded';
import {
  assembleParts,
  decodePart,
  neededRanks,
  parseManifest,
  partsFor,
  PARTS_MANIFEST,
  type PartsManifest,
} from '../core/data/pack-parts';
import type { Dataset } from '../core/data/types';
import { DataError } from '../core/data/errors';
import { TrainEngine, type DataNeed } from './engine';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  isRequest,
  resultTransfers,
  type DatasetProgress,
  type InitResult,
  answer,
  type WorkerEvent,
  type WorkerMessage,
} from './protocol';

declare const self: DedicatedWorkerGlobalScope;

function post(m: WorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(m, transfer);
}

/** Cache Storage for the data pack: a new worker (backend change, crash) and a second visit download nothing. */
const DATA_CACHE = 'ltpg-data-v1';

async function openDataCache(): Promise<Cache | null> {
  try {
    return typeof caches !== 'undefined' ? await caches.open(DATA_CACHE) : null;
  } catch {
    return null; // no Cache Storage (insecure context, privacy mode): plain fetch
  }
}

/**
 * The response for `url` from Cache Storage, else from the network (then stored). A cached copy is checked against
 * the server in the background (HEAD: ETag / length); a changed file is dropped so the next load fetches it.
 */
async function cachedFetch(url: string): Promise<Response> {
  const cache = await openDataCache();
  const hit = await cache?.match(url);
  if (hit && cache) {
    void fetch(url, { method: 'HEAD', cache: 'no-cache' })
      .then((head) => {
        if (!head.ok) return;
        const changed = (h: string) => head.headers.get(h) && hit.headers.get(h) && head.headers.get(h) !== hit.headers.get(h);
        if (changed('etag') || changed('content-length')) void cache.delete(url);
      })
      .catch(() => undefined); // offline: the cached copy is all there is
    return hit;
  }
  const res = await fetch(url);
  if (res.ok && cache) void cache.put(url, res.clone()).catch(() => undefined); // stored while the page reads it
  return res;
}

/** fetch() with download progress (the loader itself sniffs gzip magic, so no Content-Encoding is needed). */
async function fetchWithProgress(url: string, onProgress: (p: DatasetProgress) => void): Promise<Uint8Array> {
  const res = await cachedFetch(url);
  if (!res.ok || !res.body) throw new DataError(EMBEDDED_FILE, `could not be fetched from ${url} (HTTP ${res.status})`);
  const lenHeader = res.headers.get('content-length');
  const total = lenHeader && !res.headers.get('content-encoding') ? Number(lenHeader) : null;
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  let lastReport = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    if (loaded - lastReport > 1 << 18) {
      lastReport = loaded;
      onProgress({ phase: 'fetch', loaded, total });
    }
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

let manifest: Promise<PartsManifest> | null = null;
/** Decoded parts by file name (the name carries a hash of the contents). */
const decodedParts = new Map<string, Promise<Dataset>>();

/**
 * The embedded data set with the images a run uses (core/data/pack-parts.ts): the run's long-tail draw is made on
 * the class sizes the manifest lists, and only the parts holding a drawn pool image or an evaluated test image are
 * fetched (the first-visit defaults: part 0 of four). Parts stay decoded in this worker and in Cache Storage for
 * the next worker / visit. Without `need`, every part.
 */
async function loadDataset(id: string, onProgress: (p: DatasetProgress) => void, need?: DataNeed): Promise<Dataset> {
  if (id !== 'fmnist-lt') throw new Error(`unknown data set '${id}' (the playground embeds fmnist-lt)`);
  const base = embeddedUrl().replace(/[^/]*$/, '');
  manifest ??= cachedFetch(base + PARTS_MANIFEST).then(async (res) => {
    if (!res.ok) throw new DataError(PARTS_MANIFEST, `could not be fetched (HTTP ${res.status})`);
    return parseManifest(await res.text(), PARTS_MANIFEST);
  });
  const m = await manifest.catch((e: unknown) => {
    manifest = null;
    throw e;
  });
  const wanted = need ? partsFor(m, neededRanks(m, need)) : m.parts.map((_, k) => k);
  const missing = wanted.filter((k) => !decodedParts.has(m.parts[k].file));
  const total = missing.reduce((a, k) => a + m.parts[k].bytes, 0);
  let done = 0;
  for (const k of missing) {
    const p = m.parts[k];
    const at = done;
    const part = fetchWithProgress(base + p.file, (q) => onProgress({ ...q, loaded: at + q.loaded, total })).then((bytes) =>
      decodePart(m, k, bytes),
    );
    decodedParts.set(p.file, part);
    part.catch(() => decodedParts.delete(p.file));
    await part;
    done += p.bytes;
  }
  onProgress({ phase: 'decode', loaded: 1, total: 1 });
  const decoded = new Map(await Promise.all(wanted.map(async (k) => [k, await decodedParts.get(m.parts[k].file)!] as const)));
  // pool images of parts not fetched are blank and marked: the trainer refuses a draw that would use one
  const ds = assembleParts(m, decoded, need ?? { headImages: null, evalPerClass: null });
  onProgress({ phase: 'ready', loaded: 1, total: 1 });
  return ds;
}

const BACKEND_LABEL = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' } as const;

/** A readable "X unavailable: why" for the badge (probing the WebGPU adapter when tfjs only says 'false'). */
async function explain(name: keyof typeof BACKEND_LABEL, error: string): Promise<string> {
  let why = error;
  if (name === 'webgpu' && /returned false/.test(error) && navigator.gpu) {
    try {
      const adapter = await navigator.gpu.requestAdapter();
      why = adapter
        ? `${error} (an adapter exists: ${adapter.info?.vendor || 'unknown vendor'})`
        : 'no GPU adapter (navigator.gpu.requestAdapter() returned null)';
    } catch (e) {
      why = `requestAdapter failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const label = BACKEND_LABEL[name];
  return why.startsWith(`${label} unavailable`) ? why : `${label} unavailable: ${why}`;
}

function watchBackend(r: InitResult, onLost: (message: string) => void): void {
  if (r.backend !== 'webgpu') return;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  device?.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    onLost(`GPU device lost${info.message ? `: ${info.message}` : ''}`);
  });
}

const engine = new TrainEngine({
  emit: (event: WorkerEvent, transfer?: ArrayBuffer[]) => post({ kind: 'event', event }, transfer),
  initBackend: async (p) => {
    if (p.order.includes('wasm') && !p.wasmPaths) {
      // the binaries are emitted by Vite under hashed names: map each file name to its URL
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmUrl,
        'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
        // listed because setWasmPaths wants all three; threads stay off (WASM_HAS_MULTITHREAD_SUPPORT false)
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
      });
    }
    // "Auto": time a step of the model on the candidates and start on the fastest (not merely the first available)
    const probed = p.probe ? await probeBackends(p.probe, p.order, { wasmPaths: p.wasmPaths }) : null;
    const r = await initBackend({ order: probed ? probed.order : p.order, wasmPaths: p.wasmPaths });
    const tried = await Promise.all(r.tried.map(async (t) => ({ name: t.name, error: await explain(t.name, t.error) })));
    if (probed && r.name === probed.order[0]) {
      return { backend: r.name, reason: probed.why, tried, measured: { timings: probed.timings, why: probed.why } };
    }
    return { backend: r.name, reason: r.reason, tried };
  },
  loadDataset,
  watchBackend,
});

self.addEventListener('message', (ev: MessageEvent) => {
  const req = ev.data;
  if (!isRequest(req)) return;
  engine.handle(req).then(
    (result) => post(answer(req, { result }), resultTransfers(result)),
    (error: unknown) => post(answer(req, { error })),
  );
});

self.addEventListener('unhandledrejection', (ev: PromiseRejectionEvent) => {
  const msg = ev.reason instanceof Error ? ev.reason.message : String(ev.reason);
  if (/device (was )?lost|GPUDevice|WebGPU/i.test(msg)) engine.fail(msg);
});
