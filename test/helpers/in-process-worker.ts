/**
 * The real TrainEngine as a "worker" in the test process, for the state tests (session, uploads, autosave,
 * compare): messages are structured-cloned both ways like postMessage, so what crosses the worker boundary is
 * checked as in the browser. Also the small pieces the engine tests share: a cpu `initBackend`, `until`, and
 * the settings of a tiny run on the tiny data set.
 */
import { initBackend } from '../../src/core/backend';
import type { ImageDecoder } from '../../src/core/data/png';
import type { Dataset } from '../../src/core/data/types';
import type { TrainConfig } from '../../src/core/train/config';
import { TrainClient, type WorkerLike } from '../../src/worker/client';
import { TrainEngine, type EngineDeps } from '../../src/worker/engine';
import type { WatchdogOptions } from '../../src/worker/watchdog';
import { answer, pongFor, type Request, type WorkerMessage } from '../../src/worker/protocol';
import { PLAYGROUND_DEFAULTS, makeSettings, type Settings } from '../../src/state/settings/settings';
import { tinyDataset } from './tiny-dataset';

/** An engine's `initBackend`: the tfjs cpu backend, reported as such. */
export const initCpuBackend: EngineDeps['initBackend'] = async () => {
  const r = await initBackend({ order: ['cpu'] });
  return { backend: r.name, reason: r.reason, tried: r.tried };
};

/** An engine's `initBackend` that trains on cpu but reports the first backend asked for, so fallbacks can be tested. */
export const initRequestedBackend: EngineDeps['initBackend'] = async (p) => {
  await initBackend({ order: ['cpu'] });
  return { backend: p.order[0], reason: `${p.order[0]} (test)`, tried: [] };
};

/** An engine's `loadDataset` knowing only the id 'tiny' (any other: "unknown data set '…'"), served by `data()`. */
export function loadTinyOnly(data: () => Dataset = sharedTinyDataset): EngineDeps['loadDataset'] {
  return async (id) => {
    if (id !== 'tiny') throw new Error(`unknown data set '${id}'`);
    return data();
  };
}

let shared: Dataset | undefined;
/** One tiny data set per test file (module state is per file), made on first use. */
export const sharedTinyDataset = (): Dataset => (shared ??= tinyDataset());

export interface InProcessWorkerOptions {
  /** Served for every data set id (default: sharedTinyDataset()). */
  dataset?: Dataset;
  /** 'cpu' (default): reports the cpu backend; 'requested': reports the first backend asked for (initRequestedBackend). */
  backend?: 'cpu' | 'requested';
  /** Image decoder for folder uploads (default: the engine's own). */
  decoder?: () => ImageDecoder;
  /** The engine's data loader (default: `dataset` for every id). */
  loadDataset?: EngineDeps['loadDataset'];
  /** The client's watchdog bounds (default: the app's). */
  watchdog?: WatchdogOptions;
}

/** A WorkerLike running the real TrainEngine in-process; `engine.fail(...)` simulates a crash. */
export class InProcessWorker implements WorkerLike {
  private listeners: ((ev: MessageEvent) => void)[] = [];
  /** Length of the transfer list of every message posted to the worker (transferred buffers are still copied). */
  readonly transfers: number[] = [];
  readonly engine: TrainEngine;

  constructor(opts: InProcessWorkerOptions = {}) {
    const data = opts.dataset ?? sharedTinyDataset();
    this.engine = new TrainEngine({
      emit: (event) => this.deliver({ kind: 'event', event }),
      initBackend: opts.backend === 'requested' ? initRequestedBackend : initCpuBackend,
      loadDataset: opts.loadDataset ?? (async () => data),
      decoder: opts.decoder,
    });
  }

  /** Set by `close()`: the worker stopped without a word (as after `self.close()` in a real worker). */
  private closed = false;

  /** Stops this worker from inside: no message in or out any more, and no error event. */
  close(): void {
    this.closed = true;
    void this.engine.handle({ kind: 'request', id: -1, type: 'dispose' }).catch(() => undefined);
  }

  postMessage(m: unknown, transfer: Transferable[] = []): void {
    if (this.closed) return;
    this.transfers.push(transfer.length);
    const pong = pongFor(m);
    if (pong) return this.deliver(pong);
    const req = structuredClone(m) as Request;
    this.engine.handle(req).then(
      (result) => this.deliver(answer(req, { result })),
      (error: unknown) => this.deliver(answer(req, { error })),
    );
  }

  private deliver(m: WorkerMessage): void {
    if (this.closed) return;
    const data = structuredClone(m);
    setTimeout(() => this.listeners.forEach((l) => l({ data } as MessageEvent)), 0);
  }

  addEventListener(type: string, l: (ev: never) => void): void {
    if (type === 'message') this.listeners.push(l as (ev: MessageEvent) => void);
  }

  terminate(): void {
    void this.engine.handle({ kind: 'request', id: -1, type: 'dispose' });
  }
}

/** A session's `createClient` making a TrainClient on a new InProcessWorker each time; every worker is kept in `workers`. */
export function inProcessClients(opts: InProcessWorkerOptions = {}): { createClient: () => TrainClient; workers: InProcessWorker[] } {
  const workers: InProcessWorker[] = [];
  return {
    workers,
    createClient: () =>
      new TrainClient(
        () => {
          const w = new InProcessWorker(opts);
          workers.push(w);
          return w;
        },
        { watchdog: opts.watchdog },
      ),
  };
}

/**
 * Playground settings for a tiny run: cpu, every image of the tiny data (headImages null), IF 10, batch 16, 2 epochs,
 * 5 test images per class, constant lr without warm-up; stage 2 one epoch at the stage-1 batch size.
 * `config` overrides any of it (`stage2` replaces the stage-2 settings).
 */
export function tinySettings(config: Partial<TrainConfig> = {}): Settings {
  const base = PLAYGROUND_DEFAULTS.config;
  const c: TrainConfig = {
    ...(base as TrainConfig),
    headImages: null,
    imbalance: 10,
    batchSize: 16,
    epochs: 2,
    evalPerClass: 5,
    schedule: 'constant',
    warmup: false,
    ...config,
  };
  c.stage2 = { ...base.stage2, epochs: 1, batchSize: c.batchSize, ...config.stage2 };
  return makeSettings(c, 'cpu');
}

/** Resolves once `cond()` holds (checked every 5 ms); throws after `ms`. */
export async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
}
