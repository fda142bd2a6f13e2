/**
 * The recipe options in the trainer: mixup (seeded, resumable, GCL noise drawn twice), kaiming linear-head init,
 * the official FBL curriculum, the validation split and GCL stage 2 from the best stage-1 epoch.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Trainer, splitValidation, type EpochMetrics } from '../../../src/core/train/trainer';
import { ConfigError, validateConfig, type TrainConfig } from '../../../src/core/train/config';
import { fblAlpha } from '../../../src/core/train/schedules';
import { drawMix, mixRows, sampleBeta } from '../../../src/core/train/mixup';
import { Rng } from '../../../src/core/rng';
import { drawClippedNormal } from '../../../src/core/losses/noise';
import { makeLongTail } from '../../../src/core/data/longtail';
import { registerFastKernels } from '../../../src/core/tfjs-kernels';
import { tinyDataset } from '../../helpers/tiny-dataset';
import { tinyTrainConfig, runEpochs } from '../../helpers/tiny-trainer';

const data = tinyDataset();

const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => tinyTrainConfig({ epochs: 3, ...over });

const weightsOf = (t: Trainer) => new Map([...t.model.vars].map(([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastKernels();
});

describe('mixup draws', () => {
  it('λ ~ Beta(α, α): mean 1/2, variance 1/(4(2α+1))', () => {
    for (const a of [0.2, 1, 4]) {
      const rng = new Rng(3);
      const n = 20000;
      const xs = Array.from({ length: n }, () => sampleBeta(rng, a, a));
      const mean = xs.reduce((s, x) => s + x, 0) / n;
      const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
      expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
      expect(Math.abs(v - 1 / (4 * (2 * a + 1)))).toBeLessThan(0.006);
    }
  });

  it('mixes rows with a permutation; α = 0 leaves the batch as it is', () => {
    const x = Float32Array.from([1, 2, 10, 20, 100, 200]);
    const d = { lambda: 0.25, perm: Int32Array.from([2, 0, 1]) };
    mixRows(x, 3, 2, d);
    expect(Array.from(x)).toEqual([
      0.25 * 1 + 0.75 * 100,
      0.25 * 2 + 0.75 * 200,
      0.25 * 10 + 0.75 * 1,
      0.25 * 20 + 0.75 * 2,
      25 + 7.5,
      50 + 15,
    ]);
    const none = drawMix(new Rng(1), 0, 5);
    expect(none.lambda).toBe(1);
    expect([...none.perm].sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('mixup in the trainer', () => {
  it('changes training, draws GCL noise twice per step, and resumes to the same numbers', async () => {
    const base = cfg({ loss: 'gcl', head: 'cosine', epochs: 2 });
    let calls = 0;
    const noiseRng = new Rng(5);
    const counting = (rows: number, cols: number) => {
      calls++;
      return drawClippedNormal(noiseRng, new Float32Array(rows * cols));
    };
    const mixed = new Trainer(data, { ...base, mixupAlpha: 1 }, { noise: counting });
    const s1 = await mixed.step();
    expect(calls).toBe(2);
    const plain = new Trainer(data, base);
    const p1 = await plain.step();
    expect(s1.batch.loss).not.toBeCloseTo(p1.batch.loss, 4);
    mixed.dispose();
    plain.dispose();

    // resume after epoch 1 = uninterrupted (the mixup stream is in the checkpoint)
    const a = new Trainer(data, { ...base, mixupAlpha: 1 });
    const ea = await runEpochs(a, 2);
    const b = new Trainer(data, { ...base, mixupAlpha: 1 });
    await runEpochs(b, 1);
    const ck = await b.checkpoint();
    expect(ck.rng.mix).toBeDefined();
    b.dispose();
    const c = Trainer.fromCheckpoint(data, ck);
    const ec = await runEpochs(c, 1);
    expect(ec[0].trainLoss).toBe(ea[1].trainLoss);
    expect(ec[0].perClassAccuracy).toEqual(ea[1].perClassAccuracy);
    // the training accuracy under mixup is λ-weighted (not a count of whole samples)
    expect(ea[0].trainAccuracy * 1000).not.toBe(Math.round(ea[0].trainAccuracy * 1000));
    a.dispose();
    c.dispose();
  }, 120_000);
});

describe('linear-head init', () => {
  it('kaiming: N(0, 2/D) weight, default bias, the same backbone', () => {
    const u = new Trainer(data, cfg());
    const k = new Trainer(data, cfg({ linearInit: 'kaiming' }));
    const wu = u.model.vars.get('linear.weight')!.dataSync() as Float32Array;
    const wk = k.model.vars.get('linear.weight')!.dataSync() as Float32Array;
    const D = u.spec.featureDim;
    const rms = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    // uniform ±1/√D has rms 1/√(3D); kaiming normal has rms √(2/D)
    expect(Math.max(...wu.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(D) + 1e-7);
    expect(rms(wk) / Math.sqrt(2 / D)).toBeGreaterThan(0.7);
    expect(rms(wk) / Math.sqrt(2 / D)).toBeLessThan(1.3);
    expect(Math.max(...wk.map(Math.abs))).toBeGreaterThan(1 / Math.sqrt(D));
    const mu = weightsOf(u);
    const mk = weightsOf(k);
    for (const [name, v] of mu) if (name !== 'linear.weight') expect(mk.get(name), name).toEqual(v);
    u.dispose();
    k.dispose();
  });
});

describe('FBL curriculum', () => {
  it('official: the script curve at T = 200, reaching (199/190)² in the last epoch', () => {
    for (let t = 0; t < 200; t++) expect(fblAlpha(t, 200, 'official')).toBeCloseTo((t / 190) ** 2, 12);
    expect(fblAlpha(9, 10, 'official')).toBeCloseTo((199 / 190) ** 2, 12);
    expect(fblAlpha(9, 10, 'scaled')).toBeCloseTo((9 / 9.5) ** 2, 12);
  });

  it('the trainer uses the configured form', async () => {
    const t = new Trainer(data, cfg({ loss: 'fbl', epochs: 2, fblCurriculum: 'official' }));
    const ms = await runEpochs(t, 2);
    expect(ms.map((m) => m.alpha)).toEqual([fblAlpha(0, 2, 'official'), fblAlpha(1, 2, 'official')]);
    t.dispose();
  }, 60_000);
});

describe('validation split', () => {
  it('holds out a seeded fraction of each class (≥ 1 each way), disjoint from training', () => {
    const sub = makeLongTail(data.pool, { imbalance: 10, profile: 'exp', stepMu: 0.5, seed: 1 });
    const a = splitValidation(sub, 0.2, new Rng(4));
    const b = splitValidation(sub, 0.2, new Rng(4));
    expect(Array.from(a.valIndices)).toEqual(Array.from(b.valIndices));
    const train = new Set(a.train.indices);
    for (const i of a.valIndices) expect(train.has(i)).toBe(false);
    for (let c = 0; c < sub.counts.length; c++) {
      const held = Array.from(a.valLabels).filter((l) => l === c).length;
      expect(held + a.train.counts[c]).toBe(sub.counts[c]);
      expect(held).toBe(Math.min(sub.counts[c] - 1, Math.max(1, Math.round(0.2 * sub.counts[c]))));
    }
    expect(splitValidation(sub, 0, new Rng(4)).train).toBe(sub);
  });

  it('the trainer chooses the best epoch on validation and trains without those images', async () => {
    const off = new Trainer(data, cfg({ epochs: 1 }));
    const on = new Trainer(data, cfg({ epochs: 2, valFraction: 0.25 }));
    expect(on.valCount).toBeGreaterThan(0);
    expect(on.subset.indices.length + on.valCount).toBe(off.subset.indices.length);
    const ms = await runEpochs(on, 2);
    for (const m of ms) {
      expect(m.selection).toBe('validation');
      expect(m.selectionScore).toBe(m.valAccuracy);
      expect(m.valPerClassAccuracy).toHaveLength(4);
    }
    const best = ms.reduce((x, y) => (y.selectionScore! > x.selectionScore! ? y : x));
    expect(on.bestEpoch).toEqual({ epoch: best.epoch, score: best.selectionScore, selection: 'validation' });
    const [m0] = await runEpochs(off, 1);
    expect(m0.selection).toBe('test');
    expect(m0.valAccuracy).toBeUndefined();
    on.dispose();
    off.dispose();
  }, 60_000);

  it('rejects fractions out of range and unknown option values', () => {
    expect(() => validateConfig(cfg({ valFraction: 0.9 }))).toThrow(ConfigError);
    expect(() => validateConfig(cfg({ mixupAlpha: -1 }))).toThrow(/mixup/);
    expect(() => validateConfig(cfg({ linearInit: 'xavier' as never }))).toThrow(/init/);
    expect(() => validateConfig(cfg({ fblCurriculum: 'linear' as never }))).toThrow(/curriculum/);
    expect(() => validateConfig({ ...cfg(), stage2: { ...cfg().stage2, from: 'first' as never } })).toThrow(/stage-2 start/);
  });
});

describe('GCL stage 2 from the best stage-1 epoch', () => {
  it("restores the best epoch's weights ('best'), keeps the last ones ('last'), and survives a checkpoint", async () => {
    const base = cfg({ loss: 'gcl', head: 'cosine', epochs: 4, lr: 0.3 });
    const t = new Trainer(data, base);
    const perEpoch: Map<string, Float32Array>[] = [];
    const ms: EpochMetrics[] = [];
    while (!t.stageDone) {
      const r = await t.step();
      if (r.epoch) {
        ms.push(r.epoch);
        perEpoch.push(weightsOf(t));
      }
    }
    const best = t.bestEpoch!;
    expect(best.selection).toBe('test');
    expect(best.score).toBe(Math.max(...ms.map((m) => m.testAccuracy!)));
    const ck = await t.checkpoint();
    expect(ck.best?.epoch).toBe(best.epoch);
    // from a restored checkpoint (as reproduce's gcl2 run does)
    const s = Trainer.fromCheckpoint(data, ck);
    s.startStage2({ from: 'best', epochs: 1, batchSize: 16 });
    expect(s.stage2Origin).toEqual({ from: 'best', epoch: best.epoch });
    expect(weightsOf(s)).toEqual(perEpoch[best.epoch]);
    t.startStage2({ from: 'last', epochs: 1, batchSize: 16 });
    expect(t.stage2Origin).toEqual({ from: 'last', epoch: 3 });
    expect(weightsOf(t)).toEqual(perEpoch[3]);
    t.dispose();
    s.dispose();
  }, 120_000);
});
