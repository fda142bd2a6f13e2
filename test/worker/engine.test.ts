import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/core/train/config';
import * as tf from '@tensorflow/tfjs';
import { TrainEngine, type EngineDeps } from '../../src/worker/engine';
import { capPerClass } from '../../src/core/data/longtail';
import {
  answer,
  checkpointTransfers,
  isRunKept,
  type Request,
  type RequestOf,
  type RunCheckpoint,
  type RunSpec,
  type RunSummary,
  type StepResult,
  type SwitchResult,
  type WorkerEvent,
} from '../../src/worker/protocol';
import { tinyDataset } from '../helpers/tiny-dataset';
import { initCpuBackend, until } from '../helpers/in-process-worker';

const data = tinyDataset();

function spec(over: Partial<TrainConfig> = {}, nMax: number | null = null): RunSpec {
  return {
    config: {
      ...structuredClone(DEFAULT_CONFIG),
      dataset: 'tiny',
      imbalance: 10,
      model: 'convnet',
      head: 'cosine',
      loss: 'gcl',
      batchSize: 16,
      epochs: 2,
      lr: 0.05,
      schedule: 'constant',
      warmup: false,
      logEvery: 1,
      evalPerClass: 5,
      stage2: { ...DEFAULT_CONFIG.stage2, epochs: 1, batchSize: 16 },
      headImages: nMax,
      ...over,
    },
  };
}

let nextId = 1;
function req<T extends Request['type']>(type: T, params: Record<string, unknown> = {}): Request {
  return { kind: 'request', id: nextId++, type, ...params } as Request;
}

function makeEngine() {
  const events: { e: WorkerEvent; transfer?: ArrayBuffer[] }[] = [];
  let loads = 0;
  const engine = new TrainEngine({
    emit: (e, transfer) => events.push({ e, transfer }),
    initBackend: initCpuBackend,
    loadDataset: async (id, onProgress) => {
      loads++;
      if (id !== 'tiny') throw new Error(`unknown data set '${id}'`);
      onProgress({ phase: 'ready', loaded: 1, total: 1 });
      return data;
    },
  });
  return { engine, events, loads: () => loads };
}

beforeAll(async () => {
  await initBackend({ order: ['cpu'] });
});

describe('capPerClass (the head-class image cap)', () => {
  it('keeps at most headImages images per class, in pool order', () => {
    const capped = capPerClass(data, 20);
    const counts = new Array(4).fill(0);
    for (const l of capped.pool.labels) counts[l]++;
    expect(counts).toEqual([20, 20, 20, 20]);
    expect(capped.pool.images.length).toBe(80 * 64);
    expect(capped.test).toBe(data.test);
    expect(capPerClass(data, null)).toBe(data);
    expect(capPerClass(data, 1000)).toBe(data);
  });
});

describe('TrainEngine (Node, cpu backend)', () => {
  it("asks the loader for the run's images (its draw and test images), and loads again only for another draw", async () => {
    const needs: unknown[] = [];
    const engine = new TrainEngine({
      emit: () => undefined,
      initBackend: initCpuBackend,
      loadDataset: async (_id, _p, need) => {
        needs.push(need);
        return data;
      },
    });
    await engine.handle(req('init', { order: ['cpu'] }));
    await engine.handle(req('configure', { spec: spec({ evalPerClass: 5 }, 30) }));
    const c = spec().config;
    expect(needs).toEqual([
      { seed: c.seed, imbalance: c.imbalance, profile: c.profile, stepMu: c.stepMu, headImages: 30, evalPerClass: 5 },
    ]);
    await engine.handle(req('configure', { spec: spec({ evalPerClass: 5, lr: 0.01 }, 30) })); // same images
    expect(needs).toHaveLength(1);
    await engine.handle(req('configure', { spec: spec({ evalPerClass: 5, seed: 7 }, 30) })); // another draw
    expect(needs).toHaveLength(2);
    expect(needs[1]).toMatchObject({ seed: 7, headImages: 30 });
    await engine.handle(req('dispose'));
  });

  it('a gallery read right after a data change answers for the new run, not the one being replaced', async () => {
    const { engine } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    const first = (await engine.handle(req('configure', { spec: spec({ imbalance: 10 }) }))) as RunSummary;
    const next = engine.handle(req('configure', { spec: spec({ imbalance: 2 }) })) as Promise<RunSummary>;
    const tail = first.counts.length - 1;
    const read = engine.handle(req('trainExamples', { cls: tail })) as Promise<{ classTotal: number }>;
    const [summary, examples] = await Promise.all([next, read]);
    expect(summary.counts[tail]).not.toBe(first.counts[tail]);
    expect(examples.classTotal).toBe(summary.counts[tail]);
    await engine.handle(req('dispose'));
  });

  it('refuses to configure before init and reports unknown data sets', async () => {
    const { engine } = makeEngine();
    await expect(engine.handle(req('configure', { spec: spec() }))).rejects.toThrow(/init first/);
    await engine.handle(req('init', { order: ['cpu'] }));
    await expect(engine.handle(req('configure', { spec: spec({ dataset: 'nope' }) }))).rejects.toThrow(/unknown data set/);
  });

  it('a run whose data does not load leaves the current run as it was (weights, step, data) and says so', async () => {
    const { engine } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    const before = (await engine.handle(req('configure', { spec: spec({ epochs: 5 }) }))) as RunSummary;
    await engine.handle(req('step'));
    const err = await engine.handle(req('configure', { spec: spec({ dataset: 'nope' }) })).catch((e: unknown) => e);
    expect(isRunKept(err)).toBe(true);
    expect(answer(req('configure', { spec: spec() }) as RequestOf<'configure'>, { error: err })).toMatchObject({
      ok: false,
      runKept: true,
      error: expect.stringMatching(/unknown data set 'nope'/),
    });
    const r = (await engine.handle(req('step'))) as StepResult;
    expect(r.batch?.step).toBe(2); // the same run goes on
    const after = (await engine.handle(req('reset'))) as RunSummary;
    expect(after.counts).toEqual(before.counts);
    // without a run to keep, the error is a plain one
    const fresh = makeEngine().engine;
    await fresh.handle(req('init', { order: ['cpu'] }));
    expect(isRunKept(await fresh.handle(req('configure', { spec: spec({ dataset: 'nope' }) })).catch((e: unknown) => e))).toBe(false);
  });

  it('configures, steps, updates live settings, and checkpoints after each epoch', async () => {
    const { engine, events, loads } = makeEngine();
    const init = (await engine.handle(req('init', { order: ['cpu'] }))) as { backend: string };
    expect(init.backend).toBe('cpu');
    const sum = (await engine.handle(req('configure', { spec: spec({}, 30) }))) as RunSummary;
    expect(sum.counts[0]).toBe(30);
    expect(sum.head).toBe('cosine');
    expect(sum.batchesPerEpoch).toBeGreaterThan(1);
    expect(sum.stage).toBe(1);
    const r1 = (await engine.handle(req('step'))) as StepResult;
    expect(r1.batch?.step).toBe(1);
    expect(events.some(({ e }) => e.type === 'batch')).toBe(true);
    expect(events.some(({ e }) => e.type === 'state' && e.state === 'paused')).toBe(true);
    // a live lr change applies at the next step without resetting the step counter
    const up = (await engine.handle(req('update', { settings: { lr: 0.0123, lossParams: { noiseMul: 0.25 } } }))) as {
      lossParams: Record<string, number>;
      lr: number;
    };
    expect(up.lossParams.noiseMul).toBe(0.25);
    const r2 = (await engine.handle(req('step'))) as StepResult;
    expect(r2.batch?.step).toBe(2);
    expect(r2.batch?.lr).toBeCloseTo(0.0123, 10);
    // run to the end of stage 1
    await engine.handle(req('run'));
    await until(() => events.some(({ e }) => e.type === 'stageDone'));
    const cks = events.filter(({ e }) => e.type === 'checkpoint');
    expect(cks.length).toBe(2);
    const last = cks[1];
    const ck = (last.e as { checkpoint: RunCheckpoint }).checkpoint;
    expect(ck.trainer.epoch).toBe(2);
    expect(ck.spec.config.lr).toBeCloseTo(0.0123, 10);
    expect(ck.spec.config.headImages).toBe(30);
    expect(last.transfer?.length).toBe(checkpointTransfers(ck).length);
    expect(last.transfer!.length).toBeGreaterThan(0);
    const epochs = events.filter(({ e }) => e.type === 'epoch');
    expect(epochs.length).toBe(2);
    expect(loads()).toBe(1);
    // stage 2
    const s2 = (await engine.handle(req('startStage2', { stage2: { epochs: 1 } }))) as RunSummary;
    expect(s2.stage).toBe(2);
    expect(s2.epochsInStage).toBe(1);
    await engine.handle(req('run'));
    await until(() => events.filter(({ e }) => e.type === 'stageDone').length === 2);
    const m = events.filter(({ e }) => e.type === 'epoch').at(-1)!.e as Extract<WorkerEvent, { type: 'epoch' }>;
    expect(m.metrics.stage).toBe(2);
    await engine.handle(req('dispose'));
  });

  it('pauses a running loop between batches and resets to epoch 0', async () => {
    const { engine, events } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    await engine.handle(req('configure', { spec: spec({ epochs: 50 }) }));
    await engine.handle(req('run'));
    await until(() => events.filter(({ e }) => e.type === 'batch').length >= 3);
    const p = (await engine.handle(req('pause'))) as { state: string };
    expect(p.state).toBe('paused');
    const n = events.filter(({ e }) => e.type === 'batch').length;
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter(({ e }) => e.type === 'batch').length).toBe(n);
    const r = (await engine.handle(req('reset'))) as RunSummary;
    expect(r.step).toBe(0);
    expect(r.epoch).toBe(0);
    await engine.handle(req('dispose'));
  });

  it('restores a checkpoint (continue elsewhere from the last finished epoch)', async () => {
    const a = makeEngine();
    await a.engine.handle(req('init', { order: ['cpu'] }));
    await a.engine.handle(req('configure', { spec: spec({ epochs: 3 }) }));
    await a.engine.handle(req('run'));
    await until(() => a.events.some(({ e }) => e.type === 'checkpoint'));
    await a.engine.handle(req('pause'));
    const ck = (a.events.find(({ e }) => e.type === 'checkpoint')!.e as { checkpoint: RunCheckpoint }).checkpoint;
    const b = makeEngine();
    await b.engine.handle(req('init', { order: ['cpu'] }));
    const sum = (await b.engine.handle(req('restore', { checkpoint: structuredClone(ck) }))) as RunSummary;
    expect(sum.epoch).toBe(1);
    expect(sum.step).toBe(ck.trainer.globalStep);
    const r = (await b.engine.handle(req('step'))) as StepResult;
    expect(r.batch?.epoch).toBe(1);
    expect(r.batch?.step).toBe(ck.trainer.globalStep + 1);
    await a.engine.handle(req('dispose'));
    await b.engine.handle(req('dispose'));
  });

  it('a failed backend rejects further requests and emits one fatal event', async () => {
    const { engine, events } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    engine.fail('GPU device lost: test');
    engine.fail('again');
    expect(events.filter(({ e }) => e.type === 'fatal')).toHaveLength(1);
    await expect(engine.handle(req('step'))).rejects.toThrow(/GPU device lost/);
  });
});

describe('TrainEngine: moving a run to another backend (Node: cpu → wasm, for real)', () => {
  const realBackend: EngineDeps['initBackend'] = async (p) => {
    const r = await initBackend({ order: p.order });
    return { backend: r.name, reason: r.reason, tried: r.tried };
  };

  it('a switch asked for mid-epoch waits for the epoch boundary; the run goes on there with its step count, and finishes', async () => {
    const events: WorkerEvent[] = [];
    const engine = new TrainEngine({ emit: (e) => events.push(e), initBackend: realBackend, loadDataset: async () => data });
    try {
      await engine.handle(req('init', { order: ['cpu'] }));
      const summary = (await engine.handle(req('configure', { spec: spec({ loss: 'ce', head: 'linear', epochs: 3 }) }))) as RunSummary;
      await engine.handle(req('step'));
      await engine.handle(req('step'));
      // paused within epoch 0: the answer waits for the boundary
      let answered: SwitchResult | null = null;
      const switching = (engine.handle(req('switchBackend', { order: ['wasm', 'cpu'] })) as Promise<SwitchResult>).then(
        (r) => (answered = r),
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(answered).toBeNull();
      expect(tf.getBackend()).toBe('cpu');
      await engine.handle(req('run'));
      const sw = await switching;
      expect(sw.backend.backend).toBe('wasm');
      expect(sw.summary?.step).toBe(summary.batchesPerEpoch);
      expect(sw.summary?.epoch).toBe(1);
      expect(tf.getBackend()).toBe('wasm');
      await until(() => events.some((e) => e.type === 'stageDone'));
      const steps = events.flatMap((e) => (e.type === 'batch' ? [e.batch.step] : []));
      expect(steps).toEqual(steps.map((_, i) => i + 1));
      expect(steps.length).toBe(3 * summary.batchesPerEpoch);
      const epochs = events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : []));
      expect(epochs.map((m) => m.epoch)).toEqual([0, 1, 2]);
      expect(epochs.every((m) => Number.isFinite(m.trainLoss) && (m.testAccuracy ?? -1) >= 0)).toBe(true);
      // the checkpoint after the boundary is the moved run's (a crash later continues from it)
      const cks = events.flatMap((e) => (e.type === 'checkpoint' ? [e.checkpoint.trainer.globalStep] : []));
      expect(cks).toEqual([1, 2, 3].map((k) => k * summary.batchesPerEpoch));
      // idle at a boundary (the run finished): a switch back happens at once
      const back = (await engine.handle(req('switchBackend', { order: ['cpu'] }))) as SwitchResult;
      expect(back.backend.backend).toBe('cpu');
      expect(back.summary?.stageDone).toBe(true);
    } finally {
      await engine.handle(req('dispose'));
      await initBackend({ order: ['cpu'] });
    }
  }, 120_000);
});

describe('TrainEngine: the first run loads its data while the backend starts', () => {
  it('a configure sent right after init starts its data download before init has finished', async () => {
    let startBackend!: () => void;
    const backendStarted = new Promise<void>((r) => (startBackend = r));
    const order: string[] = [];
    const engine = new TrainEngine({
      emit: () => undefined,
      initBackend: async (p) => {
        order.push('init begins');
        await backendStarted;
        order.push('init ends');
        return initCpuBackend(p);
      },
      loadDataset: async () => {
        order.push('data load begins');
        return data;
      },
    });
    const init = engine.handle(req('init', { order: ['cpu'] }));
    const configure = engine.handle(req('configure', { spec: spec() })) as Promise<RunSummary>;
    await new Promise((r) => setTimeout(r, 20));
    // both have begun; the backend has not started yet
    expect([...order].sort()).toEqual(['data load begins', 'init begins']);
    startBackend();
    await init;
    expect((await configure).trainImages).toBeGreaterThan(0);
    expect(order.filter((o) => o === 'data load begins')).toHaveLength(1);
    expect(order.at(-1)).toBe('init ends');
    await engine.handle(req('dispose'));
  });
});
