import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import { historyPoints, numericParams, paramImportance, pearson, variedParams } from '../../../src/state/runs/run-history';

const cfg = (over: Partial<TrainConfig>): TrainConfig => ({ ...structuredClone(DEFAULT_CONFIG), ...over });
const run = (id: string, over: Partial<TrainConfig>, acc: number | null, few = 0) => ({
  id,
  label: id,
  color: '#000',
  settings: { config: cfg(over) },
  epochs: [{ testAccuracy: acc, groupAccuracy: { many: 1, medium: 0.5, few } }],
});

describe('run history: parameters, scatter points and importance', () => {
  it('Pearson r: exact on known data, null when it cannot be computed', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // r = cov / (sx sy): x = 1..4, y = 1, 3, 2, 4 → 0.8
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson([1, 2], [1, 2])).toBeNull();
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNull();
  });

  it("a run's numbers: config fields and loss hyperparameters, stage 2 only for a two-stage loss, no seed", () => {
    const gcl = numericParams(cfg({ loss: 'gcl', lossParams: { noiseMul: 0.5 }, seed: 7 }));
    expect(gcl.lr).toBe(DEFAULT_CONFIG.lr);
    expect(gcl['lossParams.noiseMul']).toBe(0.5);
    expect(gcl['stage2.epochs']).toBe(DEFAULT_CONFIG.stage2.epochs);
    expect('seed' in gcl).toBe(false);
    expect('logEvery' in gcl).toBe(false);
    const ce = numericParams(cfg({ loss: 'ce', lossParams: {} }));
    expect(Object.keys(ce).some((k) => k.startsWith('stage2.'))).toBe(false);
  });

  it('ranks the parameters that vary by |r| with the metric; a constant one or an unmeasured run is left out', () => {
    const runs = [
      run('a', { lr: 0.01, batchSize: 32, seed: 1 }, 0.4, 0.1),
      run('b', { lr: 0.02, batchSize: 64, seed: 2 }, 0.5, 0.3),
      run('c', { lr: 0.05, batchSize: 32, seed: 3 }, 0.7, 0.2),
      run('d', { lr: 0.1, batchSize: 64, seed: 4 }, 0.9, 0.6),
      run('e', { lr: 0.2, batchSize: 16 }, null),
      { ...run('f', {}, 0.1), epochs: [] },
    ];
    const pts = historyPoints(runs, 'overall');
    expect(pts.map((p) => p.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pts[4].metric).toBeNull();
    const rank = paramImportance(pts);
    expect(rank.map((i) => i.param)).toEqual(['lr', 'batchSize']);
    expect(rank[0].r).toBeCloseTo(pearson([0.01, 0.02, 0.05, 0.1], [0.4, 0.5, 0.7, 0.9])!, 12);
    expect(rank[0]).toMatchObject({ n: 4, values: 4 });
    expect(rank[1].r).toBeCloseTo(pearson([32, 64, 32, 64], [0.4, 0.5, 0.7, 0.9])!, 12);
    // the few-shot metric ranks them the other way round
    const few = paramImportance(historyPoints(runs, 'few'));
    expect(Math.abs(few[0].r)).toBeGreaterThanOrEqual(Math.abs(few[1].r));
    expect(few.map((i) => i.param)).toEqual(['batchSize', 'lr']);
    // for the scatter: what varies, ranked first (the unmeasured run's batch 16 still counts as a value)
    expect(variedParams(pts, rank)).toEqual(['lr', 'batchSize']);
  });
});
