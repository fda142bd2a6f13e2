/// <reference lib="webworker" />
/**
 * The training worker: a thin wrapper that feeds postMessage requests to TrainEngine and posts its results and
 * events back. All logic lives in ./engine (testable in Node).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../core/backend';
import { embeddedUrl } from '../core/data/embedded';
import type { Dataset } from '../core/data/types';
import { TrainEngine, type DataNeed } from './engine';
import { PackLoader } from './pack-loader';
import { decodePoolOrder, POOL_ORDER_FILE } from '../core/export/bundle';
import { adapterIdentity, SelfCheckGate, type SelfCheckFault } from '../core/train/self-check';
import { tfjsWebGpuDevice } from '../core/train/engine-choice';
import { softwareRenderer } from '../core/backend-probe';
import { DEVICE_BENCH, DEVICE_BENCH_TEST, runDeviceBench } from '../core/device-bench';
import { selfCheckStore } from './self-check-store';
import { pointWasmAtBundle } from './wasm-paths';
import {
  isRequest,
  resultTransfers,
  type DatasetProgress,
  type InitResult,
  answer,
  pongFor,
  type WorkerEvent,
  type WorkerMessage,
} from './protocol';

declare const self: DedicatedWorkerGlobalScope;

function post(m: WorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(m, transfer);
}

/** Cache Storage for the data pack: a new worker (backend change, crash) and a second visit download nothing. */
const DATA_CACHE = 'ltpg-data-v1';

const pack = new PackLoader({
  base: embeddedUrl().replace(/[^/]*$/, ''),
  fetch: (input, init) => fetch(input, init),
  // no Cache Storage (insecure context, privacy mode): plain fetch
  openCache: async () => (typeof caches !== 'undefined' ? await caches.open(DATA_CACHE) : null),
});

/** The embedded data set with the images a run uses (./pack-loader.ts); without `need`, every part. */
function loadDataset(id: string, onProgress: (p: DatasetProgress) => void, need?: DataNeed): Promise<Dataset> {
  if (id !== 'fmnist-lt') return Promise.reject(new Error(`unknown data set '${id}' (the playground embeds fmnist-lt)`));
  return pack.load(onProgress, need);
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

/** The page's self-check switch, in the worker's name (client.ts): 'on', or a test fault to inject. */
const selfCheckSwitch = /selfcheck=([a-z-]+)/.exec(self.name)?.[1] ?? null;
const fault = selfCheckSwitch && selfCheckSwitch !== 'on' ? (selfCheckSwitch as SelfCheckFault) : null;
/** One gate per worker: the check runs once per adapter, build and plan, and passes persist in IndexedDB. */
const gate = new SelfCheckGate(selfCheckStore(), { fault });

/**
 * The check on hardware adapters (the ones no test covers); on a software one (SwiftShader …) only when switched on:
 * the tests cover those, and tfjs' WebGPU shaders the reference needs take tens of seconds to compile there.
 */
function selfCheckFor(): SelfCheckGate | null {
  const device = tfjsWebGpuDevice();
  if (!device) return null;
  const a = adapterIdentity(device);
  return selfCheckSwitch || softwareRenderer([a.vendor, a.architecture, a.device, a.description]) === null ? gate : null;
}

const engine = new TrainEngine({
  emit: (event: WorkerEvent, transfer?: ArrayBuffer[]) => post({ kind: 'event', event }, transfer),
  initBackend: async (p) => {
    if (p.order.includes('wasm')) await pointWasmAtBundle(p.wasmPaths);
    const r = await initBackend({ order: p.order, wasmPaths: p.wasmPaths, wasmThreads: p.wasmThreads });
    const tried = await Promise.all(r.tried.map(async (t) => ({ name: t.name, error: await explain(t.name, t.error) })));
    return { backend: r.name, reason: r.reason, tried, ...(r.wasm ? { wasm: r.wasm } : {}) };
  },
  loadDataset,
  watchBackend,
  officialOrder: async (ds: Dataset) => {
    if (ds.meta.id !== 'fmnist-lt') return null; // uploads keep their files' order
    const url = embeddedUrl().replace(/[^/]*$/, '') + POOL_ORDER_FILE;
    const res = await fetch(url);
    if (!res.ok)
      throw new Error(`the pool order file (${url}) answered HTTP ${res.status}: the bundle needs it to name the official images`);
    return decodePoolOrder(await res.json(), ds.pool.labels, ds.test.labels);
  },
  selfCheck: selfCheckFor,
  benchmark: async (test, onProgress, signal) => {
    await pointWasmAtBundle();
    return runDeviceBench({ plan: test ? DEVICE_BENCH_TEST : DEVICE_BENCH, device: tfjsWebGpuDevice(), onProgress, signal });
  },
});

self.addEventListener('message', (ev: MessageEvent) => {
  const pong = pongFor(ev.data);
  if (pong) return post(pong);
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
