/**
 * Classes (or a whole upload) without test images: accuracies that cannot be measured are null — never NaN — in
 * the metrics, the trainer's epochs, the group means, the CSV / JSON exports and the chart tables.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { classificationMetrics, groupAccuracy, PerClassMean } from '../../../src/core/metrics/classification';
import { Trainer, type EpochMetrics } from '../../../src/core/train/trainer';
import { DEFAULT_CONFIG } from '../../../src/core/train/config';
import { epochsCsv, metricsJson, perClassCsv } from '../../../src/state/runs/metrics-export';
import { accuracyPoints, perClassAccuracyRows } from '../../../src/ui/charts/chart-data';
import { tinyDataset } from '../../helpers/tiny-dataset';

const hasNaN = (v: unknown): boolean =>
  typeof v === 'number'
    ? Number.isNaN(v)
    : Array.isArray(v)
      ? v.some(hasNaN)
      : !!v && typeof v === 'object' && Object.values(v).some(hasNaN);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function oneEpoch(testPerClass: number): Promise<EpochMetrics> {
  const data = tinyDataset({ classes: 4, poolPerClass: 30, testPerClass });
  const t = new Trainer(
    data,
    {
      ...structuredClone(DEFAULT_CONFIG),
      dataset: 'tiny',
      imbalance: 5,
      model: 'convnet',
      head: 'linear',
      loss: 'ce',
      batchSize: 16,
      epochs: 1,
    },
    // as in the worker: the feature-space chart's data after every epoch
    { featureSpace: true },
  );
  for (;;) {
    const r = await t.step();
    if (r.halt) throw new Error(r.halt.message);
    if (r.epoch) {
      t.dispose();
      return r.epoch;
    }
  }
}

describe('metrics without test images', () => {
  it('a class without test images has accuracy null; no predictions at all: accuracy null', () => {
    const m = classificationMetrics([0, 1, 1], [0, 1, 0], 3);
    expect(m.perClassAccuracy).toEqual([0.5, 1, null]);
    expect(m.accuracy).toBeCloseTo(2 / 3);
    expect(classificationMetrics([], [], 2)).toEqual({
      accuracy: null,
      perClassAccuracy: [null, null],
      confusion: [
        [0, 0],
        [0, 0],
      ],
    });
    expect(groupAccuracy([null, 1, null], ['many', 'few', 'few'])).toEqual({ many: null, medium: null, few: 1 });
    const norms = new PerClassMean(2);
    norms.add([3], [1]);
    expect(norms.means()).toEqual([null, 3]);
  });

  it('an epoch on data with no test set: null accuracies and loss, no NaN anywhere, "–" / empty cells in tables and CSV', async () => {
    const e = await oneEpoch(0);
    expect(e.testAccuracy).toBeNull();
    expect(e.testLoss).toBeNull();
    expect(e.perClassAccuracy).toEqual([null, null, null, null]);
    expect(e.featureNormTest).toEqual([null, null, null, null]);
    expect(e.groupAccuracy).toEqual({ many: null, medium: null, few: null });
    expect(e.featureSpace).toBeUndefined();
    expect(hasNaN(e)).toBe(false);
    const input = {
      label: 'run',
      settings: null,
      classNames: ['a', 'b', 'c', 'd'],
      counts: [30, 20, 10, 6],
      groups: ['many', 'many', 'few', 'few'],
      epochs: [e],
      batches: [],
    };
    const csv = epochsCsv(input);
    expect(csv).not.toMatch(/NaN/);
    expect(perClassCsv(input)).not.toMatch(/NaN/);
    expect(metricsJson(input)).not.toMatch(/NaN/);
    const rows = perClassAccuracyRows(
      [{ id: 'r', label: 'run', color: '#000', batches: [], epochs: [e] }],
      input.counts,
      ['many', 'many', 'few', 'few'],
      input.classNames,
    );
    expect(rows.every((r) => r.v.r0 === null)).toBe(true);
    // the accuracy curve leaves a gap rather than a NaN label
    expect(accuracyPoints([e], 1).every((p) => Number.isNaN(p.y))).toBe(true);
  });

  it('with a test set the numbers are as before (finite)', async () => {
    const e = await oneEpoch(3);
    expect(typeof e.testAccuracy).toBe('number');
    expect(e.perClassAccuracy.every((a) => typeof a === 'number')).toBe(true);
    expect(hasNaN(e)).toBe(false);
  });
});
