/**
 * Confusion-matrix drill-down: the engine's `testExamples` request returns exactly the test images behind a cell
 * of the last epoch's confusion matrix (Node, cpu backend, tiny synthetic data).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend';
import { makeBatch } from '../../src/core/data/augment';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/core/train/config';
import { Rng } from '../../src/core/rng';
import type { Trainer } from '../../src/core/train/trainer';
import { TrainEngine } from '../../src/worker/engine';
import {
  resultTransfers,
  type EpochMetrics,
  type Request,
  type RunCheckpoint,
  type RunSpec,
  type StepResult,
  type TestExamplesResult,
  type WorkerEvent,
} from '../../src/worker/protocol';
import { tinyDataset } from '../helpers/tiny-dataset';
import { initCpuBackend, until } from '../helpers/in-process-worker';

const data = tinyDataset(); // 4 classes of 8×8×1, 20 test images per class
const C = 4;

function spec(over: Partial<TrainConfig> = {}): RunSpec {
  return {
    config: {
      ...structuredClone(DEFAULT_CONFIG),
      dataset: 'tiny',
      imbalance: 10,
      model: 'convnet',
      head: 'linear',
      loss: 'ce',
      batchSize: 16,
      epochs: 1,
      lr: 0.05,
      schedule: 'constant',
      warmup: false,
      logEvery: 1,
      evalPerClass: null,
      headImages: 30,
      ...over,
    },
  };
}

let nextId = 1;
const req = (type: Request['type'], params: Record<string, unknown> = {}): Request =>
  ({ kind: 'request', id: nextId++, type, ...params }) as Request;

function makeEngine() {
  const events: WorkerEvent[] = [];
  const engine = new TrainEngine({
    emit: (e) => events.push(e),
    initBackend: initCpuBackend,
    loadDataset: async () => data,
  });
  const trainer = () => (engine as unknown as { trainer: Trainer }).trainer;
  return { engine, events, trainer };
}

const examples = (engine: TrainEngine, trueClass: number, predClass: number, limit?: number) =>
  engine.handle(req('testExamples', { trueClass, predClass, limit })) as Promise<TestExamplesResult>;

const epochEvents = (events: WorkerEvent[]) => events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : []));

/** Predictions of the trainer's model on the given test images, computed here (not by the trainer). */
function predict(trainer: Trainer, indices: number[]): number[] {
  const { height: H, width: W, channels: Cc } = data.test;
  const x = makeBatch(data.test, indices, data.meta, { augment: false, rng: new Rng(1) });
  return tf.tidy(() =>
    Array.from(tf.argMax(trainer.model.forward(tf.tensor4d(x, [indices.length, H, W, Cc]), 'eval').output, 1).dataSync()),
  );
}

beforeAll(async () => {
  await initBackend({ order: ['cpu'] });
});

describe('testExamples (confusion-matrix drill-down)', () => {
  it('returns exactly the test images of each cell of the last epoch, with their raw pixels', async () => {
    const { engine, events, trainer } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    await engine.handle(req('configure', { spec: spec() }));
    await expect(examples(engine, 0, 1)).rejects.toThrow(/no epoch has been evaluated yet/);
    for (;;) {
      const r = (await engine.handle(req('step'))) as StepResult;
      if (r.epochDone) break;
    }
    const m = epochEvents(events).at(-1)!;
    expect(m.epoch).toBe(0);
    const all = Array.from({ length: data.test.labels.length }, (_, i) => i);
    const preds = predict(trainer(), all); // the weights are still those evaluated at the end of the epoch
    const px = 8 * 8;
    const tensors = tf.memory().numTensors;
    let seen = 0;
    let offDiagonal = 0;
    for (let t = 0; t < C; t++) {
      for (let q = 0; q < C; q++) {
        const r = await examples(engine, t, q, 1000);
        const expected = all.filter((i) => data.test.labels[i] === t && preds[i] === q);
        expect(r.total, `cell ${t},${q}`).toBe(m.confusion[t][q]);
        expect(r.total).toBe(expected.length);
        expect(r.classTotal).toBe(m.confusion[t].reduce((a, b) => a + b, 0));
        expect(r.examples.map((e) => e.index)).toEqual(expected);
        expect([r.stage, r.epoch, r.step, r.trueClass, r.predClass]).toEqual([1, 0, m.step, t, q]);
        expect([r.height, r.width, r.channels]).toEqual([8, 8, 1]);
        for (const e of r.examples) {
          expect(e.pred).toBe(q);
          expect(Array.from(e.pixels)).toEqual(Array.from(data.test.images.subarray(e.index * px, (e.index + 1) * px)));
          expect(e.confidence).toBeGreaterThanOrEqual(1 / C - 1e-6);
          expect(e.confidence).toBeLessThanOrEqual(1 + 1e-6);
        }
        // every example travels in its own buffer (never a view of the data set)
        expect(resultTransfers(r)).toHaveLength(r.examples.length);
        seen += r.total;
        if (t !== q) offDiagonal += r.total;
      }
    }
    expect(seen).toBe(data.test.labels.length);
    expect(offDiagonal).toBeGreaterThan(0); // the check covers misclassified images (60 of 80 after one epoch)
    expect(offDiagonal).toBe(data.test.labels.length - Math.round(m.testAccuracy! * data.test.labels.length));
    expect(tf.memory().numTensors).toBe(tensors);
    // the limit caps the images, not the count
    const diag = await examples(engine, 0, 0, 2);
    expect(diag.examples.length).toBe(Math.min(2, diag.total));
    expect(diag.total).toBe(m.confusion[0][0]);
    const dflt = await examples(engine, 0, 0);
    expect(dflt.examples.length).toBe(Math.min(60, dflt.total));
    await expect(examples(engine, C, 0)).rejects.toThrow(/trueClass must be a class index from 0 to 3/);
    await expect(examples(engine, 0, -1)).rejects.toThrow(/predClass/);
    await expect(examples(engine, 0, 0, -5)).rejects.toThrow(/limit/);
    await engine.handle(req('dispose'));
  });

  it('uses the evaluated subset (evalPerClass) and answers while a run is going, without waiting for it', async () => {
    const { engine, events } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    await engine.handle(req('configure', { spec: spec({ epochs: 40, evalPerClass: 3 }) }));
    await engine.handle(req('run'));
    await until(() => epochEvents(events).length >= 1);
    const t0 = Date.now();
    const results: TestExamplesResult[] = [];
    for (let q = 0; q < C; q++) results.push(await examples(engine, 1, q));
    const ms = Date.now() - t0;
    const state = [...events].reverse().find((e) => e.type === 'state');
    expect(state).toEqual({ type: 'state', state: 'running' }); // still running: it did not wait for the run
    expect(epochEvents(events).length).toBeLessThan(40);
    const byStep = new Map(epochEvents(events).map((m) => [m.step, m] as [number, EpochMetrics]));
    for (const r of results) {
      const m = byStep.get(r.step)!; // the epoch this evaluation belongs to
      expect(m.epoch).toBe(r.epoch);
      expect(r.total).toBe(m.confusion[1][r.predClass]);
      expect(r.classTotal).toBe(3);
      // the first 3 test images of class 1
      const first3 = Array.from(data.test.labels.keys())
        .filter((i) => data.test.labels[i] === 1)
        .slice(0, 3);
      for (const e of r.examples) expect(first3).toContain(e.index);
    }
    expect(results.reduce((a, r) => a + (r.step === results[0].step ? r.total : 0), 0)).toBeLessThanOrEqual(3);
    console.log(`[drilldown] 4 testExamples requests during a run: ${ms} ms`);
    await engine.handle(req('pause'));
    await engine.handle(req('dispose'));
  });

  it('a run restored from a checkpoint re-evaluates once on demand and matches the epoch it came from', async () => {
    const a = makeEngine();
    await a.engine.handle(req('init', { order: ['cpu'] }));
    await a.engine.handle(req('configure', { spec: spec({ epochs: 1 }) }));
    await a.engine.handle(req('run'));
    await until(() => a.events.some((e) => e.type === 'stageDone'));
    const ck = (a.events.find((e) => e.type === 'checkpoint') as { checkpoint: RunCheckpoint }).checkpoint;
    const m = epochEvents(a.events)[0];
    const b = makeEngine();
    await b.engine.handle(req('init', { order: ['cpu'] }));
    await b.engine.handle(req('restore', { checkpoint: structuredClone(ck) }));
    const before = tf.memory().numTensors;
    for (let q = 0; q < C; q++) {
      const r = await examples(b.engine, 2, q);
      expect([r.stage, r.epoch, r.step]).toEqual([1, 0, m.step]);
      expect(r.total).toBe(m.confusion[2][q]);
    }
    expect(tf.memory().numTensors).toBe(before);
    // a reset run has nothing evaluated
    await b.engine.handle(req('reset'));
    await expect(examples(b.engine, 0, 0)).rejects.toThrow(/no epoch has been evaluated yet/);
    await a.engine.handle(req('dispose'));
    await b.engine.handle(req('dispose'));
  });
});

describe('classifyImage ("Try an image")', () => {
  it('gives probabilities that sum to 1 and equal the evaluation of the same test image; also while training', async () => {
    const { engine } = makeEngine();
    await engine.handle(req('init', { order: ['cpu'] }));
    await engine.handle(req('configure', { spec: spec({ epochs: 3, loss: 'gcl', head: 'cosine' }) }));
    for (;;) {
      const r = (await engine.handle(req('step'))) as StepResult;
      if (r.epochDone) break;
    }
    const classify = (pixels: Uint8Array) =>
      engine.handle(req('classifyImage', { pixels })) as Promise<{ probs: number[]; pred: number; epoch: number; step: number }>;
    let checked = 0;
    for (let t = 0; t < C; t++) {
      for (let q = 0; q < C; q++) {
        for (const e of (await examples(engine, t, q, 3)).examples) {
          const r = await classify(e.pixels);
          expect(r.probs).toHaveLength(C);
          expect(r.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
          expect(r.pred).toBe(e.pred);
          expect(r.probs[r.pred]).toBeCloseTo(e.confidence, 5);
          expect(r.epoch).toBe(1);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(4);
    await expect(classify(new Uint8Array(5))).rejects.toThrow(/the image has 5 values, the model takes 8×8×1 = 64/);
    // while the run trains: answered between two steps, with the step it was scored at
    await engine.handle(req('run'));
    const during = await classify(data.test.images.slice(0, 64));
    expect(during.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(during.step).toBeGreaterThan(0);
    await engine.handle(req('pause'));
    await engine.handle(req('dispose'));
  });
});
