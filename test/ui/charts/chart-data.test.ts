import { describe, expect, it } from 'vitest';
import {
  GROUP_COLORS,
  batchX,
  boxStats,
  classRows,
  confusionSummary,
  ellipsize,
  epochX,
  alphaKey,
  bandKeys,
  featureNormRows,
  groupStats,
  isFblRun,
  fmt,
  fmtPct,
  gclBoxRows,
  groupAccuracySeries,
  groupBands,
  groupMean,
  interpolateColor,
  clipPoints,
  lossPoints,
  lossRange,
  mergeByX,
  normKey,
  normaliseConfusion,
  perClassAccuracyRows,
  presentGroups,
  rankOf,
  sequentialColor,
  sortByCount,
  thinRows,
  timeMax,
  topConfusion,
} from '../../../src/ui/charts/chart-data';
import { CHARTS } from '../../../src/state/session/chart-catalog';
import { synthRun } from './synthetic';

describe('sort by count', () => {
  it('orders classes by training count, largest first, ties by index', () => {
    expect(sortByCount([5, 100, 5, 40])).toEqual([1, 3, 0, 2]);
    expect(sortByCount([])).toEqual([]);
    expect(rankOf([1, 3, 0, 2])).toEqual([2, 0, 3, 1]);
  });

  it('builds class rows in that order with names and groups', () => {
    const rows = classRows([5, 100, 40], ['few', 'medium', 'medium'], ['a', 'b']);
    expect(rows.map((r) => r.cls)).toEqual([1, 2, 0]);
    expect(rows.map((r) => r.key)).toEqual(['1', '2', '0']);
    expect(rows[1].name).toBe('class 2'); // missing name
    expect(rows[2]).toMatchObject({ name: 'a', count: 5, group: 'few' });
  });

  it('per-class accuracy rows: last epoch, percent, NaN → null, one key per run', () => {
    const a = synthRun({ C: 4, epochs: 3 });
    a.epochs[2].perClassAccuracy = [0.5, Number.NaN, 0.25, 1];
    const b = synthRun({ C: 4, epochs: 0, id: 'b' });
    const rows = perClassAccuracyRows([a, b], [10, 300, 50, 5], a.groups, a.classNames);
    expect(rows.map((r) => r.cls)).toEqual([1, 2, 0, 3]);
    expect(rows.map((r) => r.v.r0)).toEqual([null, 25, 50, 100]);
    expect(rows.every((r) => !('r1' in r.v))).toBe(true);
  });

  it('group bands are the contiguous stretches of a group', () => {
    const rows = classRows([500, 300, 50, 30, 5], ['many', 'many', 'medium', 'medium', 'few'], []);
    expect(groupBands(rows)).toEqual([
      { group: 'many', from: '0', to: '1', n: 2 },
      { group: 'medium', from: '2', to: '3', n: 2 },
      { group: 'few', from: '4', to: '4', n: 1 },
    ]);
  });
});

describe('time axis', () => {
  it('puts epoch metrics at the end of their epoch and stage 2 after stage 1', () => {
    expect(epochX({ stage: 1, epoch: 0 }, 10)).toBe(1);
    expect(epochX({ stage: 2, epoch: 0 }, 10)).toBe(11);
    expect(batchX({ stage: 1, epoch: 2, batch: 0, batchesPerEpoch: 4 }, 10)).toBe(2.25);
    expect(batchX({ stage: 1, epoch: 2, batch: 3, batchesPerEpoch: 4 }, 10)).toBe(3);
    expect(batchX({ stage: 2, epoch: 0, batch: 1, batchesPerEpoch: 2 }, 10)).toBe(11);
  });

  it('time axis spans the stage-1 epochs and any stage 2', () => {
    const r = synthRun({ epochs: 3 });
    expect(timeMax([r], 10)).toBe(10);
    expect(timeMax([r], 2)).toBe(3);
    r.epochs.push({ ...r.epochs[2], stage: 2, epoch: 0, epochsInStage: 5 });
    expect(timeMax([r], 3)).toBe(8);
    expect(timeMax([], 0)).toBe(1);
  });

  it('loss points are decimated fractional epochs', () => {
    const r = synthRun({ epochs: 50, batchesPerEpoch: 100 });
    const pts = lossPoints(r.batches, 50, 300);
    expect(pts).toHaveLength(300);
    expect(pts[0].x).toBeCloseTo(0.01);
    expect(pts[299]).toEqual({ x: 50, y: r.batches[r.batches.length - 1].loss });
    expect(lossPoints([], 50, 300)).toEqual([]);
  });

  it('mergeByX merges series on equal x, sorted, non-finite → null', () => {
    const rows = mergeByX([
      {
        key: 'a',
        points: [
          { x: 2, y: 1 },
          { x: 1, y: 3 },
        ],
      },
      {
        key: 'b',
        points: [
          { x: 1, y: Number.NaN },
          { x: 1.5, y: 4 },
          { x: Number.NaN, y: 9 },
        ],
      },
    ]);
    expect(rows).toEqual([
      { x: 1, a: 3, b: null },
      { x: 1.5, b: 4 },
      { x: 2, a: 1 },
    ]);
  });
});

describe('thinRows', () => {
  it('keeps at most maxRows evenly spaced rows with the first and the last', () => {
    const rows = Array.from({ length: 200 }, (_, i) => i);
    const t = thinRows(rows, 120);
    expect(t).toHaveLength(120);
    expect(t[0]).toBe(0);
    expect(t[119]).toBe(199);
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThan(t[i - 1]);
    expect(thinRows(rows, 500)).toBe(rows);
    expect(thinRows(rows, 1)).toEqual([199]);
    expect(thinRows(rows, 0)).toEqual([]);
  });
});

describe('group series', () => {
  it('many/medium/few accuracy in percent, null for an empty group', () => {
    const r = synthRun({ epochs: 2 });
    r.epochs[0].groupAccuracy = { many: 0.9, medium: null, few: 0.1 };
    const s = groupAccuracySeries(r.epochs, 10);
    expect(s[0]).toEqual({ x: 1, many: 90, medium: null, few: 10 });
    expect(s).toHaveLength(2);
  });

  it('present groups and group means skip missing groups and NaN', () => {
    expect(presentGroups(['few', 'many', 'many'])).toEqual(['many', 'few']);
    expect(groupMean([1, 3, Number.NaN, 10], ['many', 'many', 'many', 'few'], 'many')).toBe(2);
    expect(groupMean([1], ['many'], 'medium')).toBeNull();
    expect(groupMean(undefined, ['many'], 'many')).toBeNull();
  });

  it('feature norm rows: per class or per group, train and test, plus α(t) of each FBL run only, over its own epochs', () => {
    const r = synthRun({ C: 10, epochs: 4 });
    const perClass = featureNormRows([r], r.groups, 4, 'class');
    expect(perClass).toHaveLength(4);
    expect(perClass[3][normKey(0, 'tr', 9)]).toBeCloseTo(5 + 9 * 0.1 * 3);
    expect(perClass[3][normKey(0, 'te', 0)]).toBe(4);
    expect(isFblRun(r)).toBe(false);
    expect(perClass.every((row) => !(alphaKey(0) in row))).toBe(true); // CE: no α(t)
    // a longer CE run and a shorter FBL run: α follows the FBL run (its own epochs), not the longest run
    const ce = synthRun({ C: 10, epochs: 8, id: 'ce' });
    const fbl = synthRun({ C: 10, epochs: 4, loss: 'fbl', id: 'fbl' });
    expect(isFblRun(fbl)).toBe(true);
    const mixed = featureNormRows([ce, fbl], r.groups, 8, 'group');
    const alphas = mixed.filter((row) => row[alphaKey(1)] !== undefined);
    expect(alphas.map((row) => row.x)).toEqual([1, 2, 3, 4]);
    expect(alphas.map((row) => row[alphaKey(1)])).toEqual(fbl.epochs.map((e) => e.alpha));
    expect(mixed.some((row) => alphaKey(0) in row)).toBe(false);
    const byGroup = featureNormRows([r, { ...r, id: 'x' }], r.groups, 4, 'group');
    const keys = Object.keys(byGroup[0]).sort();
    expect(keys).toContain(normKey(1, 'te', 'medium'));
    expect(keys).not.toContain(normKey(0, 'te', 'few')); // no class has < 20 images here
    expect(keys).not.toContain(normKey(0, 'tr', 3));
    const manyIdx = r.groups.map((g, c) => (g === 'many' ? c : -1)).filter((c) => c >= 0);
    const expected = manyIdx.reduce((s, c) => s + r.epochs[2].featureNormTrain[c]!, 0) / manyIdx.length;
    expect(byGroup[2][normKey(0, 'tr', 'many')]).toBeCloseTo(expected);
  });
});

describe('box stats', () => {
  it('five-number summary with linear quantiles', () => {
    expect(boxStats([4, 1, 3, 2, 5])).toEqual({ n: 5, min: 1, q1: 2, median: 3, q3: 4, max: 5, mean: 3 });
    const s = boxStats([1, 2, 3, 4]);
    expect(s).toMatchObject({ min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4 });
    expect(boxStats([7])).toMatchObject({ n: 1, min: 7, q1: 7, median: 7, q3: 7, max: 7 });
  });

  it('ignores non-finite values; null when nothing is left', () => {
    expect(boxStats([Number.NaN, 2, Infinity, 4])).toMatchObject({ n: 2, min: 2, max: 4, median: 3 });
    expect(boxStats([])).toBeNull();
    expect(boxStats([Number.NaN])).toBeNull();
    expect(boxStats(undefined)).toBeNull();
  });

  it('GCL box rows per class from the last epoch with sampled noise', () => {
    const g = synthRun({ C: 5, epochs: 3, loss: 'gcl', B: 32 });
    const ce = synthRun({ C: 5, epochs: 3 });
    const rows = gclBoxRows([ce, g], g.counts, g.groups, g.classNames);
    expect(rows).toHaveLength(5);
    expect(rows[0].stats.r0).toBeUndefined();
    const st = rows[4].stats.r1;
    expect(st?.n).toBe(32);
    expect(rows[4].range.r1).toEqual([st?.min, st?.max]);
  });
});

describe('confusion normalisation', () => {
  it('normalises each row by the images of its true class', () => {
    const n = normaliseConfusion([
      [8, 2, 0],
      [1, 1, 2],
      [0, 0, 0],
    ]);
    expect(n.totals).toEqual([10, 4, 0]);
    expect(n.rates[0]).toEqual([0.8, 0.2, 0]);
    expect(n.rates[1]).toEqual([0.25, 0.25, 0.5]);
    expect(n.rates[2]).toEqual([0, 0, 0]);
    for (const [t, row] of n.rates.entries()) if (n.totals[t]) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
  });

  it('summary: mean diagonal over classes with images and the worst confusion', () => {
    const s = confusionSummary(
      normaliseConfusion([
        [8, 2, 0],
        [1, 1, 2],
        [0, 0, 0],
      ]),
    );
    expect(s.meanDiagonal).toBeCloseTo((0.8 + 0.25) / 2);
    expect(s.worst).toEqual({ t: 1, p: 2, rate: 0.5 });
    expect(topConfusion([0.8, 0.2, 0], 0)).toEqual({ p: 1, rate: 0.2 });
    expect(topConfusion([1, 0, 0], 0)).toBeNull();
    expect(confusionSummary(normaliseConfusion([]))).toEqual({ meanDiagonal: null, worst: null });
  });
});

describe('formatting and palettes', () => {
  it('formats numbers, percents and long names', () => {
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(null)).toBe('—');
    expect(fmt(Number.NaN)).toBe('—');
    expect(fmt(123456)).toBe('1.23e+5');
    expect(fmtPct(12.345)).toBe('12.3 %');
    expect(ellipsize('aquarium_fish', 8)).toBe('aquariu…');
    expect(ellipsize('cat', 8)).toBe('cat');
  });

  it('interpolates colours and keeps the fixed many/medium/few palette', () => {
    expect(interpolateColor(['#000000', '#ffffff'], 0.5)).toBe('#808080');
    expect(interpolateColor(['#000000', '#ffffff'], 2)).toBe('#ffffff');
    expect(sequentialColor(0)).toBe('#0d0887');
    expect(GROUP_COLORS).toEqual({ many: '#0072B2', medium: '#E69F00', few: '#D55E00' });
  });

  it('lists the eight charts with a title and a caption', () => {
    expect(CHARTS.map((c) => c.id)).toEqual([
      'loss',
      'per-class',
      'groups',
      'feature-norm',
      'feature-space',
      'gcl-cloud',
      'kps',
      'confusion',
    ]);
    for (const c of CHARTS) {
      expect(c.title.length).toBeGreaterThan(5);
      expect(c.caption.length).toBeGreaterThan(20);
    }
  });
});

describe('lossRange (a loss axis robust to the first batches)', () => {
  // a falling, wiggling loss over 200 batches, its first 3 batches 100 times the rest
  const base = Array.from({ length: 200 }, (_, i) => 1.2 / (1 + i / 80) + 0.05 * Math.sin(i));
  const spiked = base.map((v, i) => (i < 3 ? v * 100 : v));
  const bulkMax = Math.max(...base.slice(3));

  it('ignores a 100× spike: the axis ends just above the bulk, the spike is counted as clipped', () => {
    const r = lossRange(spiked);
    expect(r.lo).toBe(0);
    expect(r.hi).toBeGreaterThanOrEqual(bulkMax);
    expect(r.hi).toBeLessThan(2 * bulkMax);
    expect(r.clipped).toBe(3);
    expect(r.ticks[0]).toBe(0);
    expect(r.ticks[r.ticks.length - 1]).toBeLessThanOrEqual(r.hi);
    // without the clipping the axis would reach the spike
    expect(Math.max(...spiked)).toBeGreaterThan(50 * r.hi);
  });

  it('covers every value of a smooth curve (nothing clipped)', () => {
    const r = lossRange(base);
    expect(r.hi).toBeGreaterThanOrEqual(Math.max(...base));
    expect(r.clipped).toBe(0);
  });

  it('log axis: powers of ten below the smallest value, the spike clipped in log space, values ≤ 0 left out', () => {
    const r = lossRange([...spiked, 0, -1, NaN], true);
    expect(r.log).toBe(true);
    expect(r.lo).toBeGreaterThan(0);
    expect(r.lo).toBeLessThanOrEqual(Math.min(...base));
    expect(Number.isInteger(Math.log10(r.lo))).toBe(true);
    expect(r.hi).toBeGreaterThanOrEqual(bulkMax);
    expect(r.hi).toBeLessThan(10 * bulkMax);
    expect(r.clipped).toBe(3);
    expect(r.ticks.every((t) => t >= r.lo && t <= r.hi)).toBe(true);
    expect(lossRange(base, true).clipped).toBe(0);
  });

  it('no values: a usable default axis', () => {
    const r = lossRange([]);
    expect(r.hi).toBeGreaterThan(r.lo);
    expect(r.clipped).toBe(0);
  });

  it('clipPoints draws the clipped points at the top and returns their x', () => {
    const pts = spiked.map((y, x) => ({ x, y }));
    const r = lossRange(spiked);
    const c = clipPoints(pts, r.hi);
    expect(c.clipped).toEqual([0, 1, 2]);
    expect(Math.max(...c.points.map((p) => p.y))).toBe(r.hi);
    expect(c.points.slice(3)).toEqual(pts.slice(3));
    const none = base.map((y, x) => ({ x, y }));
    expect(clipPoints(none, lossRange(base).hi).points).toBe(none);
  });
});

describe('feature-norm groups', () => {
  it('groupStats: mean, min and max over the finite values of the group', () => {
    const groups = ['many', 'many', 'medium', 'few', 'many', 'few'] as const;
    const v = [3, 5, 2, 0.5, null, NaN];
    expect(groupStats(v, [...groups], 'many')).toEqual({ mean: 4, min: 3, max: 5, n: 2 });
    expect(groupStats(v, [...groups], 'medium')).toEqual({ mean: 2, min: 2, max: 2, n: 1 });
    expect(groupStats(v, [...groups], 'few')).toEqual({ mean: 0.5, min: 0.5, max: 0.5, n: 1 });
    expect(groupStats([1, 2], ['many', 'many'], 'few')).toBeNull();
    expect(groupStats(undefined, ['many'], 'many')).toBeNull();
  });

  it('group rows carry the band (min and max over the classes of the group) beside the mean', () => {
    const r = synthRun({ C: 10, epochs: 4 });
    const rows = featureNormRows([r], r.groups, 4, 'group');
    const many = r.groups.map((g, c) => (g === 'many' ? c : -1)).filter((c) => c >= 0);
    const medium = r.groups.map((g, c) => (g === 'medium' ? c : -1)).filter((c) => c >= 0);
    expect(many.length).toBeGreaterThan(1);
    expect(medium.length).toBeGreaterThan(1);
    for (const [g, idx] of [
      ['many', many],
      ['medium', medium],
    ] as const) {
      for (const side of ['tr', 'te'] as const) {
        const key = normKey(0, side, g);
        const b = bandKeys(key);
        const vals = idx.map((c) => (side === 'tr' ? r.epochs[3].featureNormTrain : r.epochs[3].featureNormTest)[c]!);
        expect(rows[3][b.lo]).toBeCloseTo(Math.min(...vals));
        expect(rows[3][b.hi]).toBeCloseTo(Math.max(...vals));
        expect(rows[3][key]).toBeCloseTo(vals.reduce((a, x) => a + x, 0) / vals.length);
        expect(rows[3][b.lo]!).toBeLessThan(rows[3][b.hi]!); // the classes' norms differ after epoch 0
      }
    }
    // per-class rows have no band
    expect(Object.keys(featureNormRows([r], r.groups, 4, 'class')[3]).some((k) => k.endsWith('hi'))).toBe(false);
  });
});

describe('per-class precision, recall and F1 rows', () => {
  it('the metric of the last epoch from its confusion matrix, in %, sorted by training count', () => {
    const r = synthRun({ C: 4, epochs: 2 });
    const last = r.epochs[1];
    const conf = last.confusion;
    const col = (p: number) => conf.reduce((s, row) => s + row[p], 0);
    const rowSum = (t: number) => conf[t].reduce((a, b) => a + b, 0);
    const prec = perClassAccuracyRows([r], r.counts, r.groups, r.classNames, 'precision');
    const rec = perClassAccuracyRows([r], r.counts, r.groups, r.classNames, 'recall');
    const f1 = perClassAccuracyRows([r], r.counts, r.groups, r.classNames, 'f1');
    for (let k = 0; k < prec.length; k++) {
      const c = prec[k].cls;
      const p = conf[c][c] / col(c);
      const q = conf[c][c] / rowSum(c);
      expect(prec[k].v.r0).toBeCloseTo(100 * p);
      expect(rec[k].v.r0).toBeCloseTo(100 * q);
      expect(f1[k].v.r0).toBeCloseTo((100 * 2 * p * q) / (p + q));
    }
    // class 0 is everyone's favourite wrong answer in the synthetic matrix: its precision is below the others'
    expect(prec.find((x) => x.cls === 0)!.v.r0!).toBeLessThan(prec.find((x) => x.cls === 1)!.v.r0!);
    // the default is accuracy
    expect(perClassAccuracyRows([r], r.counts, r.groups, r.classNames)[0].v.r0).toBeCloseTo(100 * last.perClassAccuracy[prec[0].cls]!);
  });
});
