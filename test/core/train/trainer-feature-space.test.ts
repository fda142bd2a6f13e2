import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { FEATURE_SPACE_POINTS, Trainer, type EpochMetrics } from '../../../src/core/train/trainer';
import type { TrainConfig } from '../../../src/core/train/config';
import { registerFastKernels } from '../../../src/core/tfjs-kernels';
import { appendEpochs } from '../../../src/state/session/slices/metrics';
import { tinyDataset } from '../../helpers/tiny-dataset';
import { tinyTrainConfig, runEpochs as epochs } from '../../helpers/tiny-trainer';

const data = tinyDataset();

const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => tinyTrainConfig({ augment: false, ...over });

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastKernels();
});

describe('Trainer feature space', () => {
  it('is computed after every epoch only when asked, from every evaluated test image', async () => {
    const off = new Trainer(data, cfg());
    const [e0] = await epochs(off, 1);
    off.dispose();
    expect(e0.featureSpace).toBeUndefined();

    const t = new Trainer(data, cfg(), { featureSpace: true });
    const [a, b] = await epochs(t, 2);
    const fs = a.featureSpace!;
    expect(fs).toBeDefined();
    expect(fs.n).toBe(t.testCount);
    expect(fs.dim).toBe(t.spec.featureDim);
    expect(fs.x.length).toBe(Math.min(t.testCount, FEATURE_SPACE_POINTS));
    expect(fs.classes.reduce((s, c) => s + c.n, 0)).toBe(t.testCount);
    // the norms are the raw pooled features' norms: their class means are the epoch's featureNormTest
    for (let c = 0; c < fs.numClasses; c++) expect(fs.classes[c].meanNorm).toBeCloseTo(a.featureNormTest[c]!, 4);
    expect(fs.arrows).toBeUndefined(); // linear head: no weight arrows
    expect(b.featureSpace!.x).not.toEqual(fs.x); // training moved the features
    t.dispose();
  }, 60_000);

  it('a cosine head adds the class weight arrows and the cosine to the own class weight', async () => {
    const t = new Trainer(data, cfg({ loss: 'gcl', head: 'cosine', schedule: 'constant' }), { featureSpace: true });
    const [e] = await epochs(t, 1);
    const fs = e.featureSpace!;
    expect(fs.arrows).toHaveLength(fs.numClasses);
    for (const [x, y] of fs.arrows!) expect(Math.hypot(x, y)).toBeLessThanOrEqual(1 + 1e-9);
    expect(fs.cosine).toHaveLength(fs.numClasses);
    for (const st of fs.cosine!) if (st) expect(st.min).toBeGreaterThanOrEqual(-1 - 1e-6);
    t.dispose();
  }, 60_000);

  it('CE and FBL give different feature spaces from the same seed', async () => {
    const run = async (loss: 'ce' | 'fbl') => {
      const t = new Trainer(data, cfg({ loss, epochs: 12 }), { featureSpace: true });
      const es = await epochs(t, 2);
      t.dispose();
      return es[1].featureSpace!;
    };
    const ce = await run('ce');
    const fbl = await run('fbl');
    expect(fbl.norms).not.toEqual(ce.norms);
  }, 60_000);
});

describe('appendEpochs (the page keeps one feature space per run)', () => {
  it('keeps the feature space on the newest epoch that has one only', () => {
    const fs = { n: 1 } as unknown as NonNullable<EpochMetrics['featureSpace']>;
    const ep = (i: number, withFs: boolean) => ({ epoch: i, ...(withFs ? { featureSpace: fs } : {}) }) as unknown as EpochMetrics;
    const out = appendEpochs([ep(0, true), ep(1, true)], [ep(2, true), ep(3, false)]);
    expect(out.map((e) => !!e.featureSpace)).toEqual([false, false, true, false]);
    expect(out.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
  });
});
