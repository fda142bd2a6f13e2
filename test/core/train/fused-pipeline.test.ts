/**
 * The pipelined fused step (Dawn + SwiftShader): the Trainer keeping 2 or 3 steps in flight gives the same run as
 * one step at a time — the same losses bit for bit across epoch boundaries, a non-finite step halting at the same
 * step with the weights of the step before it, and a live change applying from the same step.
 * Must run under CI=true (a Dawn failure then fails the tests instead of skipping them).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFastKernels } from '../../../src/core/tfjs-kernels';
import { cloneWeights } from '../../../src/core/models';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import { Trainer, type NoiseDraw, type StepOutcome } from '../../../src/core/train/trainer';
import { tinyDataset } from '../../helpers/tiny-dataset';
import { CI, dawnDevice } from '../gpu/helpers';

const { device, why } = await dawnDevice();
if (!device && !CI) console.warn(`[fused-pipeline.test] SKIPPED: WebGPU (Dawn) could not start: ${why}`);

const data = tinyDataset({ classes: 4, poolPerClass: 24, testPerClass: 2 });

function cfg(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...structuredClone(DEFAULT_CONFIG),
    dataset: 'tiny',
    imbalance: 4,
    model: 'convnet',
    head: 'cosine',
    loss: 'gcl',
    batchSize: 8,
    epochs: 3,
    lr: 0.02,
    schedule: 'constant',
    warmup: false,
    augment: true,
    logEvery: 1,
    engine: 'fused',
    ...over,
  };
}

/** Counts the device's queue submits (a pipelined first step submits one step more than an unpipelined one). */
function countSubmits(d: GPUDevice): { count: () => number; restore: () => void } {
  const q = d.queue;
  const orig = q.submit.bind(q);
  let n = 0;
  q.submit = (bufs: Iterable<GPUCommandBuffer>) => {
    n++;
    orig(bufs);
  };
  return { count: () => n, restore: () => void (q.submit = orig) };
}

/** Weights and BN buffers of the run (the engine's, through the model mirror), with the BN batch counters. */
async function state(t: Trainer): Promise<{ w: Map<string, Float32Array>; tracked: Map<string, number> }> {
  await t.syncModel();
  return { w: cloneWeights(t.model), tracked: new Map(t.model.bnBatchesTracked) };
}

function expectSameState(a: Awaited<ReturnType<typeof state>>, b: Awaited<ReturnType<typeof state>>, what: string): void {
  expect([...a.w.keys()]).toEqual([...b.w.keys()]);
  for (const [k, v] of a.w) expect(Array.from(b.w.get(k)!), `${what}: ${k}`).toEqual(Array.from(v));
  expect(Object.fromEntries(b.tracked), `${what}: num_batches_tracked`).toEqual(Object.fromEntries(a.tracked));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastKernels();
});

describe.skipIf(!device && !CI)('the pipelined fused step (Dawn + SwiftShader)', () => {
  const dev = () => {
    if (!device) throw new Error(`WebGPU must start under CI but did not: ${why}`);
    return device;
  };

  it('depth 2 and 3 give the same losses, weights and checkpoint as depth 1 over 3 epochs (GCL noise, augmentation)', async () => {
    const d = dev();
    const runs = await Promise.all(
      [1, 2, 3].map(async (depth) => {
        const t = new Trainer(data, cfg(), { gpuDevice: d, pipelineDepth: depth });
        const out: StepOutcome[] = [];
        while (!t.stageDone) out.push(await t.step());
        const ck = await t.checkpoint();
        const s = await state(t);
        t.dispose();
        return { out, ck, s };
      }),
    );
    const [one, ...rest] = runs;
    const perEpoch = one.out.findIndex((o) => o.epoch) + 1;
    expect(perEpoch).toBeGreaterThanOrEqual(4);
    expect(one.out.length).toBe(3 * perEpoch);
    for (const [i, r] of rest.entries()) {
      const what = `depth ${i + 2}`;
      expect(
        r.out.map((o) => [o.batch.step, o.batch.epoch, o.batch.batch, o.batch.loss, o.batch.lr]),
        what,
      ).toEqual(one.out.map((o) => [o.batch.step, o.batch.epoch, o.batch.batch, o.batch.loss, o.batch.lr]));
      expect(r.out.every((o) => !o.halt)).toBe(true);
      const ep = (x: typeof one) => x.out.filter((o) => o.epoch).map((o) => [o.epoch!.trainLoss, o.epoch!.testLoss, o.epoch!.step]);
      expect(ep(r), `${what}: epoch metrics`).toEqual(ep(one));
      expectSameState(one.s, r.s, what);
      for (const [k, v] of Object.entries(one.ck.momentum))
        expect(Array.from(r.ck.momentum[k]), `${what}: momentum ${k}`).toEqual(Array.from(v));
      expect(r.ck.rng).toEqual(one.ck.rng);
    }
  });

  it('depth 2 really keeps the next step in flight while a step is read (one more submit after the first step)', async () => {
    const d = dev();
    const after = async (depth: number) => {
      const t = new Trainer(data, cfg(), { gpuDevice: d, pipelineDepth: depth });
      await t.step(); // compiles and sets up the executor
      const c = countSubmits(d);
      try {
        await t.step();
        await t.step();
        return c.count();
      } finally {
        c.restore();
        t.dispose();
      }
    };
    // depth 1: one submit per step; depth 2: one per step as well once the pipeline is full, plus the one ahead of
    // the first step — so count a fresh run's steps 2 and 3 against the first step's extra one
    const [a, b] = [await after(1), await after(2)];
    expect(a).toBe(2);
    expect(b).toBe(2);
    const firstSubmits = async (depth: number) => {
      const t = new Trainer(data, cfg(), { gpuDevice: d, pipelineDepth: depth });
      const c = countSubmits(d);
      try {
        await t.step();
        return c.count();
      } finally {
        c.restore();
        t.dispose();
      }
    };
    expect((await firstSubmits(2)) - (await firstSubmits(1))).toBe(1);
  });

  for (const [depth, at] of [
    [2, 4],
    [3, 3],
    [2, 1],
  ] as const) {
    it(`depth ${depth}: a NaN at step ${at} halts at step ${at} with the message and weights of depth 1 (those after step ${at - 1}); resuming gives the same run`, async () => {
      const d = dev();
      /** Fixed noise, NaN on the `at`-th draw; counts the draws. */
      const poisoned = () => {
        let calls = 0;
        const draw: NoiseDraw = (rows, cols) => {
          calls++;
          const v = new Float32Array(rows * cols).map((_, i) => ((i % 7) - 3) / 10);
          if (calls === at) v[1] = NaN;
          return v;
        };
        return { draw, calls: () => calls };
      };
      const run = async (k: number) => {
        const noise = poisoned();
        const t = new Trainer(data, cfg(), { gpuDevice: d, pipelineDepth: k, noise: noise.draw });
        const losses: number[] = [];
        let before: Awaited<ReturnType<typeof state>> | null = null;
        let halt: StepOutcome['halt'];
        for (let s = 1; s <= at; s++) {
          if (k === 1 && s === at) before = await state(t);
          const o = await t.step();
          losses.push(o.batch.loss);
          if (o.halt) {
            halt = o.halt;
            break;
          }
        }
        const drawsAtHalt = noise.calls();
        const after = await state(t);
        // resume: the same batch again (fresh noise), then on
        const resumed: number[] = [];
        for (let s = 0; s < 5; s++) {
          const o = await t.step();
          expect(o.halt).toBeUndefined();
          resumed.push(o.batch.step, o.batch.loss);
        }
        t.dispose();
        return { losses, halt, before, after, drawsAtHalt, resumed };
      };
      const one = await run(1);
      const piped = await run(depth);
      expect(one.halt?.step).toBe(at);
      expect(piped.halt, 'halted').toBeDefined();
      expect(piped.halt!.step).toBe(at);
      expect(piped.halt!.message).toBe(one.halt!.message);
      expect(piped.halt!.message).toMatch(new RegExp(`^Paused at step ${at} `));
      expect(piped.losses.slice(0, -1)).toEqual(one.losses.slice(0, -1));
      expect(Object.is(piped.losses.at(-1), one.losses.at(-1))).toBe(true);
      // the steps behind the NaN one were submitted (and ran) before its result was read
      expect(one.drawsAtHalt).toBe(at);
      expect(piped.drawsAtHalt).toBe(at + depth - 1);
      // depth 1: a refused step changes nothing, so its weights are those after step at − 1
      expectSameState(one.before!, one.after, 'depth 1 after the halt');
      expectSameState(one.before!, piped.after, `depth ${depth} after the halt`);
      // the noise draw is the test's (not rewound): the pipelined run's next draws are later ones, all equal here
      expect(piped.resumed).toEqual(one.resumed);
    });
  }

  it('a live lr change applies from the same step in both modes (between steps, and while a step runs)', async () => {
    const d = dev();
    const run = async (depth: number, change: boolean) => {
      const t = new Trainer(data, cfg({ epochs: 2 }), { gpuDevice: d, pipelineDepth: depth });
      const out: StepOutcome[] = [];
      while (!t.stageDone) {
        const s = t.globalStep;
        if (change && s === 3) t.update({ lr: 0.08 });
        if (change && s === 6) {
          // the worker's case: the change arrives while step() is under way (here before it submitted step 7)
          const p = t.step();
          t.update({ lr: 0.005 });
          out.push(await p);
          continue;
        }
        out.push(await t.step());
      }
      const changes = t.changes.map((c) => [c.key, c.step, c.epoch, c.to]);
      t.dispose();
      return { out, changes };
    };
    const [one, two, none] = [await run(1, true), await run(2, true), await run(2, false)];
    const rows = (r: typeof one) => r.out.map((o) => [o.batch.step, o.batch.lr, o.batch.loss]);
    expect(rows(two)).toEqual(rows(one));
    expect(two.changes).toEqual(one.changes);
    expect(one.changes).toEqual([
      ['lr', 3, 1, 0.08],
      ['lr', 6, 1, 0.005],
    ]);
    const lrOf = (r: typeof one, step: number) => r.out[step - 1].batch.lr;
    expect([lrOf(two, 3), lrOf(two, 4), lrOf(two, 7), lrOf(two, 8)]).toEqual([0.02, 0.08, 0.005, 0.005]);
    // the change is real: step 4 trains with it, so step 5's loss differs from the unchanged run's
    expect(two.out[3].batch.loss).toBe(none.out[3].batch.loss);
    expect(two.out[4].batch.loss).not.toBe(none.out[4].batch.loss);
  });
});
