/**
 * Seed groups on the per-class and feature-norm charts: the group's per-class metric is the mean over its seeds
 * with ± one sample std (each seed's precision from its own confusion matrix), and its many / medium / few feature
 * norm band is ± one std over the seeds of the group's mean norm.
 */
import { describe, expect, it } from 'vitest';
import type { EpochMetrics } from '../../../src/core/train/trainer';
import type { Group } from '../../../src/core/data/types';
import type { RunSeries } from '../../../src/ui/charts/types';
import {
  bandKeys,
  classSeedSpread,
  errorKeys,
  featureNormRows,
  normKey,
  perClassAccuracyRows,
  seedGroupRun,
  seedKey,
} from '../../../src/ui/charts/chart-data';
import { featureNormTable, perClassTable } from '../../../src/ui/charts/text-alternatives';

const counts = [100, 50, 10, 5];
const groups: Group[] = ['many', 'many', 'few', 'few'];
const names = ['a', 'b', 'c', 'd'];

function epoch(acc: number[], confusion: number[][], norms: number[], epochIndex = 0): EpochMetrics {
  return {
    stage: 1,
    epoch: epochIndex,
    epochsInStage: 1,
    step: 1,
    lr: 0.1,
    alpha: 0,
    gaActive: false,
    drwActive: false,
    trainLoss: 1,
    trainAccuracy: 0.5,
    testLoss: 1,
    testAccuracy: 0.5,
    perClassAccuracy: acc,
    groupAccuracy: { many: 0.5, medium: null, few: 0.5 },
    confusion,
    featureNormTrain: norms,
    featureNormTest: norms,
    lossPerClass: {},
    seconds: 1,
    imagesPerSecond: 1,
  } as EpochMetrics;
}

const tail = [
  [0, 0, 5, 5],
  [0, 0, 0, 10],
];
// class 0's precision: 8/8, 6/8, 7/14 → 100, 75, 50 %; its accuracy 80, 60, 70 %
const seeds: RunSeries[] = [
  {
    acc: [0.8, 1, 0.5, 1],
    head: [
      [8, 2, 0, 0],
      [0, 10, 0, 0],
    ],
    norms: [1, 3, 1, 1],
  },
  {
    acc: [0.6, 0.8, 0.5, 1],
    head: [
      [6, 4, 0, 0],
      [2, 8, 0, 0],
    ],
    norms: [2, 4, 1, 1],
  },
  {
    acc: [0.7, 0.3, 0.5, 1],
    head: [
      [7, 3, 0, 0],
      [7, 3, 0, 0],
    ],
    norms: [3, 5, 4, 4],
  },
].map((s, k) => ({
  id: `s${k}`,
  label: `seed ${k + 1}`,
  color: '#000',
  batches: [],
  epochs: [epoch(s.acc, [...s.head, ...tail], s.norms)],
}));
const group = seedGroupRun('g', 'CE · 3 seeds', '#2563eb', seeds);

describe('per-class metric of a seed group', () => {
  it('is the mean over the seeds with ± one sample std, each seed its own precision', () => {
    const acc = classSeedSpread(group, 'accuracy')!;
    expect(acc.summaries[0].mean).toBeCloseTo(70, 10);
    expect(acc.summaries[0].std).toBeCloseTo(10, 10);
    const prec = classSeedSpread(group, 'precision')!;
    expect(prec.seeds.map((v) => v[0])).toEqual([100, 75, 50]);
    // 75 %, not the 70 % of the mean confusion matrix (7 of 10 predictions)
    expect(prec.summaries[0].mean).toBeCloseTo(75, 10);
    expect(prec.summaries[0].std).toBeCloseTo(25, 10);
    expect(classSeedSpread(seeds[0], 'accuracy')).toBeNull();
  });

  it('gives the chart rows the mean, the error bar ends and each seed', () => {
    const rows = perClassAccuracyRows([group, seeds[0]], counts, groups, names, 'precision');
    const head = rows.find((r) => r.cls === 0)!;
    const e = errorKeys('r0');
    expect(head.v.r0).toBeCloseTo(75, 10);
    expect(head.v[e.lo]).toBeCloseTo(50, 10);
    expect(head.v[e.hi]).toBeCloseTo(100, 10);
    expect([0, 1, 2].map((k) => head.v[seedKey('r0', k)])).toEqual([100, 75, 50]);
    // a plain run beside it: its own value, no error bar
    expect(head.v.r1).toBe(100);
    expect(head.v[errorKeys('r1').lo]).toBeUndefined();
  });

  it('shows mean ± std in the data table', () => {
    const t = perClassTable([group], counts, groups, names);
    const row = t.rows[0];
    expect(row.slice(0, 3)).toEqual(['a', '100', 'many']);
    expect(row[3]).toBe('70.0 ± 10.0 %');
    expect(row[4]).toBe('75.0 ± 25.0 %');
    expect(t.note).toMatch(/mean ± sample std over its seeds/);
  });
});

describe('feature norm of a seed group', () => {
  it("bands the group's mean norm ± one std over the seeds, with each seed's line on demand", () => {
    // many: the seeds' means 2, 3, 4 (mean 3, std 1); few: 1, 1, 4 (mean 2, std √3)
    const [row] = featureNormRows([group], groups, 1, 'group', true);
    const many = normKey(0, 'tr', 'many');
    const few = normKey(0, 'te', 'few');
    expect(row[many]).toBeCloseTo(3, 10);
    expect(row[bandKeys(many).lo]).toBeCloseTo(2, 10);
    expect(row[bandKeys(many).hi]).toBeCloseTo(4, 10);
    expect(row[few]).toBeCloseTo(2, 10);
    expect(row[bandKeys(few).lo]).toBeCloseTo(2 - Math.sqrt(3), 10);
    expect(row[bandKeys(few).hi]).toBeCloseTo(2 + Math.sqrt(3), 10);
    expect([0, 1, 2].map((k) => row[seedKey(many, k)])).toEqual([2, 3, 4]);
    // without the toggle no seed series
    const [plain] = featureNormRows([group], groups, 1, 'group');
    expect(plain[seedKey(many, 0)]).toBeUndefined();
  });

  it("keeps a plain run's band from its smallest to its largest class", () => {
    const [row] = featureNormRows([seeds[2]], groups, 1, 'group');
    const many = normKey(0, 'tr', 'many');
    expect(row[many]).toBe(4);
    expect(row[bandKeys(many).lo]).toBe(3);
    expect(row[bandKeys(many).hi]).toBe(5);
  });

  it('shows mean ± std in the data table', () => {
    const t = featureNormTable([group], groups);
    expect(t.columns.slice(3)).toEqual(['many: train', 'many: test', 'few: train', 'few: test']);
    expect(t.rows[0].slice(3)).toEqual(['3 ± 1', '3 ± 1', '2 ± 1.732', '2 ± 1.732']);
    expect(t.note).toMatch(/mean ± sample std over its seeds/);
  });
});
