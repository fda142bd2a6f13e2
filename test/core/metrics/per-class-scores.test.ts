/** Per-class precision, recall and F1 from the confusion matrix the evaluation already counts. */
import { describe, expect, it } from 'vitest';
import { classificationMetrics, perClassScores } from '../../../src/core/metrics/classification';

describe('perClassScores', () => {
  it('precision by column, recall by row (= per-class accuracy), F1 their harmonic mean', () => {
    // true 0: 8 right, 2 as class 1; true 1: 1 as 0, 3 right; true 2: 1 right, 1 as class 0
    const labels = [...Array(10).fill(0), ...Array(4).fill(1), 2, 2];
    const preds = [...Array(8).fill(0), 1, 1, 0, 1, 1, 1, 2, 0];
    const m = classificationMetrics(preds, labels, 3);
    const s = perClassScores(m.confusion);
    expect(s.precision[0]).toBeCloseTo(8 / 10);
    expect(s.precision[1]).toBeCloseTo(3 / 5);
    expect(s.precision[2]).toBe(1);
    expect(s.recall).toEqual(m.perClassAccuracy);
    expect(s.recall[0]).toBeCloseTo(0.8);
    expect(s.f1[1]).toBeCloseTo((2 * 0.6 * 0.75) / (0.6 + 0.75));
    expect(s.f1[2]).toBeCloseTo((2 * 1 * 0.5) / 1.5);
  });

  it('unknown where undefined: never predicted → no precision; no images → no recall; both 0 → F1 0', () => {
    const s = perClassScores([
      [0, 2, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
    expect(s.precision[0]).toBeNull();
    expect(s.recall[0]).toBe(0);
    expect(s.f1[0]).toBeNull();
    expect(s.recall[2]).toBeNull();
    expect(s.precision[2]).toBeNull();
    const z = perClassScores([
      [0, 1],
      [1, 0],
    ]);
    expect(z.f1).toEqual([0, 0]);
    expect(perClassScores([])).toEqual({ precision: [], recall: [], f1: [] });
  });
});
