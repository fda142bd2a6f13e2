/**
 * Promise-based client of the training worker: `request(type, params)` resolves with the typed result of that
 * request id, `on(listener)` subscribes to worker events. It keeps the last per-epoch checkpoint so that, when the
 * worker crashes (an 'error' event) or the GPU device is lost (a 'fatal' event), the page can continue on the next
 * backend from the last finished epoch (`continueOnNextBackend`). A worker that stops without a word while it
 * trains (closed, killed, hung) is caught by the watchdog (./watchdog.ts), which takes the same crash path.
 */
import type { DeviceBenchResult } from '../core/device-bench';
import type { BackendName } from '../core/backend';
import {
  isWorkerMessage,
  RunKeptError,
  type InitResult,
  type PingMessage,
  type Request,
  type RequestMap,
  type RequestType,
  type ResultOf,
  type RunCheckpoint,
  type RunSpec,
  type RunSummary,
  type SwitchResult,
  type TestExamplesParams,
  type TestExamplesResult,
  type ClassifyImageResult,
  type WorkerEvent,
} from './protocol';
import { Watchdog, type WatchdogOptions } from './watchdog';
import { wasmThreadsAsked } from './wasm-threads-ask';

export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The parts of a Worker the client uses (a fake in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (ev: ErrorEvent | Event) => void): void;
  terminate(): void;
}

export type WorkerFactory = () => WorkerLike;

/** A worker crash or a lost backend, with what the page can offer. */
export interface CrashInfo {
  message: string;
  backend: BackendName | null;
  /** Backends left to try after the failed one (empty: none left). */
  nextOrder: BackendName[];
  /** Epoch-boundary checkpoint to continue from (null: nothing finished yet; a fresh run is configured). */
  checkpoint: RunCheckpoint | null;
}

export type ClientEvent = WorkerEvent | { type: 'crash'; crash: CrashInfo };

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; type: RequestType };

/**
 * localStorage switch of the worker's self-check (core/train/self-check.ts): 'on' runs it on a software adapter
 * too (by default it runs on hardware ones only); a fault name ('scaled-gradient', tests) injects that wrong kernel.
 */
export const SELF_CHECK_SWITCH_KEY = 'ltpg-selfcheck';

/** The default worker of the app (Vite bundles it as a module worker). */
export function createTrainWorker(): WorkerLike {
  let sw: string | null = null;
  try {
    sw = localStorage.getItem(SELF_CHECK_SWITCH_KEY);
  } catch {
    /* no storage: no switch */
  }
  const name = sw && /^[a-z-]+$/.test(sw) ? `train selfcheck=${sw}` : 'train';
  return new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name });
}

/** The checkpoint with its data set replaced by `dataset` (the same data made again under another id). */
export function withDataset(ck: RunCheckpoint, dataset: string): RunCheckpoint {
  return {
    ...ck,
    spec: { ...ck.spec, config: { ...ck.spec.config, dataset } },
    trainer: { ...ck.trainer, config: { ...ck.trainer.config, dataset } },
  };
}

/** Backends after `failed` in `order` (the whole order minus it when it is not listed). */
export function nextBackends(order: readonly BackendName[], failed: BackendName | null): BackendName[] {
  if (failed === null) return order.slice();
  const i = order.indexOf(failed);
  return i < 0 ? order.filter((b) => b !== failed) : order.slice(i + 1);
}

export class TrainClient {
  private worker: WorkerLike;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: ClientEvent) => void>();
  private crashed: CrashInfo | null = null;
  /** Order the current worker was initialised with, and what it chose. */
  order: BackendName[] = BACKEND_ORDER.slice();
  backend: InitResult | null = null;
  lastCheckpoint: RunCheckpoint | null = null;
  lastSpec: RunSpec | null = null;

  private readonly watchdog: Watchdog | null;
  private pings = 0;

  /** `watchdog`: its bounds (tests), or false for none. */
  constructor(
    private readonly factory: WorkerFactory = createTrainWorker,
    opts: { watchdog?: WatchdogOptions | false } = {},
  ) {
    this.watchdog =
      opts.watchdog === false
        ? null
        : new Watchdog(
            () => this.ping(),
            (ms) => this.silent(ms),
            opts.watchdog,
          );
    this.worker = this.spawn();
  }

  private ping(): void {
    try {
      this.worker.postMessage({ kind: 'ping', id: ++this.pings } satisfies PingMessage);
    } catch {
      /* a worker that cannot take a message does not answer either */
    }
  }

  /** The watchdog heard nothing for `ms` while the worker trained: it is gone (or hung); the crash path. */
  private silent(ms: number): void {
    this.worker.terminate();
    this.crash(`the training worker stopped answering (no message for ${Math.round(ms / 1000)} s while training)`);
  }

  private spawn(): WorkerLike {
    const w = this.factory();
    w.addEventListener('message', (ev: MessageEvent) => {
      if (w !== this.worker) return;
      this.onMessage(ev.data);
    });
    w.addEventListener('error', (ev: ErrorEvent | Event) => {
      if (w !== this.worker) return;
      const msg = 'message' in ev && ev.message ? ev.message : 'the training worker crashed';
      this.crash(msg);
    });
    return w;
  }

  private onMessage(m: unknown): void {
    if (!isWorkerMessage(m)) return;
    const b = m.kind === 'event' && m.event.type === 'batch' ? m.event.batch : null;
    this.watchdog?.heard(b ? { batch: true, lastOfEpoch: b.batch + 1 >= b.batchesPerEpoch } : { batch: false });
    if (m.kind === 'pong') return;
    if (m.kind === 'response') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(m.runKept ? new RunKeptError(m.error) : new Error(m.error));
      return;
    }
    const e = m.event;
    if (this.crashed) return; // a dying worker's last words
    if (e.type === 'checkpoint') this.lastCheckpoint = e.checkpoint;
    if (e.type === 'state') {
      if (e.state === 'running') this.watchdog?.arm();
      else this.watchdog?.disarm();
    }
    if (e.type === 'stageDone') this.watchdog?.disarm();
    if (e.type === 'fatal') {
      this.crash(e.message);
      return;
    }
    this.dispatch(e);
  }

  private dispatch(e: ClientEvent): void {
    for (const l of this.listeners) l(e);
  }

  private crash(message: string): void {
    if (this.crashed) return;
    this.watchdog?.disarm();
    const backend = this.backend?.backend ?? null;
    this.crashed = { message, backend, nextOrder: nextBackends(this.order, backend), checkpoint: this.lastCheckpoint };
    const err = new Error(message);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.dispatch({ type: 'crash', crash: this.crashed });
  }

  /** Subscribes to worker events; returns the unsubscribe function. */
  on(listener: (e: ClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get crashInfo(): CrashInfo | null {
    return this.crashed;
  }

  request<K extends RequestType>(type: K, params: RequestMap[K]['params'], transfer: Transferable[] = []): Promise<ResultOf<K>> {
    if (this.crashed) return Promise.reject(new Error(this.crashed.message));
    const id = this.nextId++;
    const msg = { kind: 'request', id, type, ...params } as Request;
    return new Promise<ResultOf<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, type });
      try {
        this.worker.postMessage(msg, transfer);
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  async init(order: BackendName[] = BACKEND_ORDER, wasmPaths?: string): Promise<InitResult> {
    this.order = order.slice();
    const r = await this.request('init', { order: this.order, wasmPaths, wasmThreads: wasmThreadsAsked() });
    this.backend = r;
    return r;
  }

  /** Moves the run to the first of `order` that starts, at its next epoch boundary (see the protocol). */
  async switchBackend(order: BackendName[], wasmPaths?: string): Promise<SwitchResult> {
    const r = await this.request('switchBackend', { order, wasmPaths, wasmThreads: wasmThreadsAsked() });
    if (r.backend.backend !== this.backend?.backend) {
      // a crash from now on continues on the backends after the new one
      this.order = [r.backend.backend, ...order.filter((b) => b !== r.backend.backend)];
      this.backend = r.backend;
    }
    return r;
  }

  async configure(spec: RunSpec): Promise<RunSummary> {
    this.lastSpec = structuredClone(spec);
    this.lastCheckpoint = null;
    return this.request('configure', { spec });
  }

  /** The test images of one confusion-matrix cell from the worker's last evaluation (answered while running too). */
  testExamples(params: TestExamplesParams): Promise<TestExamplesResult> {
    return this.request('testExamples', params);
  }

  /** The current model's class probabilities for one image (uint8 HWC at the data set's size; a copy is sent). */
  classifyImage(pixels: Uint8Array): Promise<ClassifyImageResult> {
    return this.request('classifyImage', { pixels: pixels.slice() });
  }

  benchmarkDevice(test: boolean): Promise<DeviceBenchResult> {
    return this.request('benchmarkDevice', { test });
  }

  cancelBenchmark(): Promise<{ cancelled: boolean }> {
    return this.request('cancelBenchmark', {});
  }

  async reset(): Promise<RunSummary> {
    this.lastCheckpoint = null;
    return this.request('reset', {});
  }

  /**
   * Replaces the crashed worker by a fresh one on the backends after the failed one, then restores the last
   * checkpoint (or configures `fallback` / the last spec when no epoch had finished). Resolves with the new
   * backend and the run summary.
   */
  /**
   * `fallback`: the spec to configure when there is nothing to restore (a function is called after `remapData`).
   * `remapData`: called once the new worker is up, to make the run's uploaded data set again there; it returns the
   * new data-set id (the checkpoint is restored on it) or null (the data is gone: no restore, a fresh run).
   */
  async continueOnNextBackend(
    wasmPaths?: string,
    fallback?: RunSpec | (() => RunSpec | undefined),
    remapData?: () => Promise<string | null>,
  ): Promise<{ init: InitResult; summary: RunSummary | null; restored: boolean }> {
    const info = this.crashed ?? { nextOrder: nextBackends(this.order, this.backend?.backend ?? null), checkpoint: this.lastCheckpoint };
    if (info.nextOrder.length === 0) throw new Error('no other backend is left to try');
    this.worker.terminate();
    this.watchdog?.disarm();
    this.crashed = null;
    this.backend = null;
    this.worker = this.spawn();
    const init = await this.init(info.nextOrder, wasmPaths);
    let checkpoint = info.checkpoint;
    if (remapData) {
      const id = await remapData();
      checkpoint = checkpoint && id ? withDataset(checkpoint, id) : null;
    }
    if (checkpoint) {
      // structured copy (no transfer): the page keeps its copy for a later recovery
      const summary = await this.request('restore', { checkpoint });
      this.lastCheckpoint = checkpoint;
      return { init, summary, restored: true };
    }
    const spec = (typeof fallback === 'function' ? fallback() : fallback) ?? this.lastSpec;
    const summary = spec ? await this.configure(spec) : null;
    return { init, summary, restored: false };
  }

  dispose(): void {
    this.watchdog?.disarm();
    this.worker.terminate();
    const err = new Error('the client was disposed');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.listeners.clear();
  }
}
