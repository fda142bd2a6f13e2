/** Synthetic runs for the chart tests: counts, groups, batches and EpochMetrics shaped like the trainer's. */
import type { BatchInfo, EpochMetrics } from '../../../src/core/train/trainer';
import type { Group } from '../../../src/core/data/types';
import type { RunSeries } from '../../../src/ui/charts/types';

export function longTailCounts(C: number, nMax = 5000, imbalance = 100): number[] {
  return Array.from({ length: C }, (_, c) => Math.floor(nMax * imbalance ** (-c / Math.max(1, C - 1))));
}

export function groupsOf(counts: number[]): Group[] {
  return counts.map((n) => (n > 100 ? 'many' : n >= 20 ? 'medium' : 'few'));
}

export interface SynthOptions {
  C?: number;
  epochs?: number;
  batchesPerEpoch?: number;
  loss?: 'ce' | 'gcl' | 'kps';
  B?: number;
  id?: string;
  label?: string;
  color?: string;
}

export function synthRun(o: SynthOptions = {}): RunSeries & { counts: number[]; groups: Group[]; classNames: string[] } {
  const C = o.C ?? 10;
  const E = o.epochs ?? 5;
  const nb = o.batchesPerEpoch ?? 20;
  const B = o.B ?? 16;
  const counts = longTailCounts(C);
  const groups = groupsOf(counts);
  const classNames = Array.from({ length: C }, (_, c) => `class-${c}`);
  const batches: BatchInfo[] = [];
  const epochs: EpochMetrics[] = [];
  let step = 0;
  for (let e = 0; e < E; e++) {
    for (let b = 0; b < nb; b++) {
      step++;
      batches.push({
        stage: 1,
        epoch: e,
        batch: b,
        batchesPerEpoch: nb,
        step,
        loss: 2.3 / (1 + step / 50) + 0.1 * Math.sin(step),
        lr: 0.1,
      });
    }
    const perClassAccuracy = counts.map((_, c) => (Math.max(0, 0.9 - c / C) * (e + 1)) / E);
    const confusion = counts.map((_, t) => counts.map((__, p) => (t === p ? 60 + e : p === 0 ? 10 : (t + p) % 3)));
    const mean = (g: Group) => {
      const v = perClassAccuracy.filter((_, c) => groups[c] === g);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    const lossPerClass: Record<string, number[]> = {};
    let gclNoiseLastBatch: number[][] | undefined;
    if (o.loss === 'gcl') {
      lossPerClass.cloudAmplitude = counts.map((n) => 0.5 * (1 - Math.log(n) / Math.log(5000)) + 0.01);
      lossPerClass.cloudLogit = lossPerClass.cloudAmplitude.map((a) => a * 30);
      gclNoiseLastBatch = lossPerClass.cloudAmplitude.map((a, c) =>
        Array.from({ length: B }, (_, b) => a * Math.abs(Math.sin(b * 1.7 + c))),
      );
    }
    if (o.loss === 'kps') {
      lossPerClass.scale = counts.map((n) => Math.log((50 * n) / counts[C - 1]) / Math.log(50));
      lossPerClass.margin = lossPerClass.scale
        .slice()
        .reverse()
        .map((v) => (0.2 * v) / lossPerClass.scale[0]);
    }
    epochs.push({
      stage: 1,
      epoch: e,
      epochsInStage: E,
      step,
      lr: 0.1,
      alpha: (e / (E - E / 20)) ** 2,
      gaActive: false,
      drwActive: false,
      trainLoss: 1 / (e + 1),
      trainAccuracy: 0.5 + e / (2 * E),
      testLoss: 1.2 / (e + 1),
      testAccuracy: 0.4 + e / (2 * E),
      perClassAccuracy,
      groupAccuracy: { many: mean('many'), medium: mean('medium'), few: mean('few') },
      confusion,
      featureNormTrain: counts.map((_, c) => 5 + c * 0.1 * e),
      featureNormTest: counts.map((_, c) => 4 + c * 0.08 * e),
      lossPerClass,
      gclNoiseLastBatch,
      seconds: 1,
      imagesPerSecond: 1000,
    });
  }
  return {
    id: o.id ?? 'run-1',
    label: o.label ?? 'CE',
    color: o.color ?? '#009E73',
    batches,
    epochs,
    counts,
    groups,
    classNames,
  };
}
