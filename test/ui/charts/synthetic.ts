/**
 * Synthetic runs for the chart tests, the chart fixture page (test/ui/charts/page) and the UI benchmark: counts,
 * groups, batches and EpochMetrics shaped like the trainer's, per-class quantities of GCL / KPS / FBL / LDAM-DRW,
 * and a feature space computed by the real projection (src/core/metrics/feature-space.ts) from synthetic features.
 */
import type { BatchInfo, EpochMetrics } from '../../../src/core/train/trainer';
import type { Group } from '../../../src/core/data/types';
import type { RunSeries } from '../../../src/ui/charts/types';
import { featureSpace, type FeatureSpace } from '../../../src/core/metrics/feature-space';
import { seeded } from '../../helpers/random';

/** Seeded uniform numbers in [0, 1). */
export const rng = seeded;

export function longTailCounts(C: number, nMax = 5000, imbalance = 100): number[] {
  return Array.from({ length: C }, (_, c) => Math.floor(nMax * imbalance ** (-c / Math.max(1, C - 1))));
}

export function groupsOf(counts: number[]): Group[] {
  return counts.map((n) => (n > 100 ? 'many' : n >= 20 ? 'medium' : 'few'));
}

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

export interface SynthFeatureOptions {
  /** Test images per class (default 50). */
  perClass?: number;
  /** Feature dimension (default 64, the models' GAP width). */
  D?: number;
  /** Attach class weights (a cosine head): arrows and cosine statistics. */
  cosine?: boolean;
  /** How much smaller the rarest class' feature norms are than the most frequent's (default 0.45; 1 = equal). */
  tailNorm?: number;
  seed?: number;
}

/**
 * A feature space of synthetic non-negative features: class c around a direction u_c with a norm that falls from
 * the head to the tail (as under CE), noise, and (cosine) the class weights w_c = u_c + noise; projected by the real
 * `featureSpace`.
 */
export function synthFeatureSpace(counts: readonly number[], o: SynthFeatureOptions = {}): FeatureSpace {
  const C = counts.length;
  const per = o.perClass ?? 50;
  const D = o.D ?? 64;
  const r = rng(o.seed ?? 11);
  const nMax = Math.max(...counts);
  const nMin = Math.min(...counts);
  const tail = o.tailNorm ?? 0.45;
  const dirs = Array.from({ length: C }, () => {
    const v = Array.from({ length: D }, () => Math.abs(gauss(r)) + (r() < 0.3 ? 1.5 : 0));
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  const n = C * per;
  const f = new Float32Array(n * D);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % C;
    labels[i] = c;
    const t = nMax > nMin ? Math.log(counts[c] / nMin) / Math.log(nMax / nMin) : 1;
    const norm = 8 * (tail + (1 - tail) * t) * (1 + 0.15 * gauss(r));
    for (let d = 0; d < D; d++) f[i * D + d] = Math.max(0, norm * (dirs[c][d] + 0.05 * gauss(r)));
  }
  let weights: Float32Array | undefined;
  if (o.cosine) {
    weights = new Float32Array(D * C);
    for (let d = 0; d < D; d++) for (let c = 0; c < C; c++) weights[d * C + c] = dirs[c][d] + 0.02 * gauss(r);
  }
  return featureSpace(f, labels, { numClasses: C, weights });
}

export interface SynthOptions {
  C?: number;
  /** Training images of the most frequent class (default 5000; the counts fall to nMax / 100). */
  nMax?: number;
  epochs?: number;
  batchesPerEpoch?: number;
  loss?: 'ce' | 'gcl' | 'kps' | 'fbl' | 'ldam';
  /** Attach a feature space to the last epoch (cosine: with class weights). */
  featureSpace?: boolean | 'cosine';
  B?: number;
  id?: string;
  label?: string;
  color?: string;
}

/** What the epochs of a synthetic run depend on. */
export interface SynthContext {
  counts: number[];
  groups: Group[];
  /** Stage-1 epochs. */
  E: number;
  /** Batch size (GCL's sampled noise per class). */
  B: number;
  loss: SynthOptions['loss'];
  featureSpace?: SynthOptions['featureSpace'];
}

/** Batch `b` of epoch `e` (global step `step`), with a falling, wiggling loss. */
export function synthBatch(e: number, b: number, nb: number, step: number): BatchInfo {
  return { stage: 1, epoch: e, batch: b, batchesPerEpoch: nb, step, loss: 2.3 / (1 + step / 50) + 0.1 * Math.sin(step), lr: 0.1 };
}

/** The metrics after epoch `e` (0-based) of a run. */
export function synthEpoch(x: SynthContext, e: number, step: number): EpochMetrics {
  const { counts, groups, E, B } = x;
  const C = counts.length;
  const perClassAccuracy = counts.map((_, c) => Math.min(1, (Math.max(0, 0.9 - c / C) * (e + 1)) / E));
  const confusion = counts.map((_, t) => counts.map((__, p) => (t === p ? 60 + e : p === 0 ? 10 : (t + p) % 3)));
  const mean = (g: Group) => {
    const v = perClassAccuracy.filter((_, c) => groups[c] === g);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  const lossPerClass: Record<string, number[]> = {};
  let gclNoiseLastBatch: number[][] | undefined;
  const nMax = Math.max(...counts, 2);
  if (x.loss === 'gcl') {
    lossPerClass.cloudAmplitude = counts.map((n) => 0.5 * (1 - Math.log(n) / Math.log(nMax)) + 0.01);
    lossPerClass.cloudLogit = lossPerClass.cloudAmplitude.map((a) => a * 30);
    gclNoiseLastBatch = lossPerClass.cloudAmplitude.map((a, c) =>
      Array.from({ length: B }, (_, b) => a * Math.abs(Math.sin(b * 1.7 + c + e))),
    );
  }
  if (x.loss === 'kps') {
    lossPerClass.scale = counts.map((n) => Math.log((50 * n) / counts[C - 1]) / Math.log(50));
    lossPerClass.margin = lossPerClass.scale
      .slice()
      .reverse()
      .map((v) => (0.2 * v) / lossPerClass.scale[0]);
  }
  const alpha = (e / (E - E / 20)) ** 2;
  if (x.loss === 'fbl') lossPerClass.stimulus = counts.map((n) => alpha * 0.5 * (1 - Math.log(n) / Math.log(nMax)));
  // LDAM-DRW: re-weighting from 0.8·E (drwStartEpoch)
  const drwActive = x.loss === 'ldam' && e >= Math.round(0.8 * E);
  const m: EpochMetrics & { featureSpace?: FeatureSpace } = {
    stage: 1,
    epoch: e,
    epochsInStage: E,
    step,
    lr: 0.1,
    alpha,
    gaActive: false,
    drwActive,
    trainLoss: 1 / (e + 1),
    trainAccuracy: 0.5 + e / (2 * E),
    testLoss: 1.2 / (e + 1),
    testAccuracy: Math.min(1, 0.4 + e / (2 * E)),
    perClassAccuracy,
    groupAccuracy: { many: mean('many'), medium: mean('medium'), few: mean('few') },
    confusion,
    featureNormTrain: counts.map((_, c) => 5 + c * 0.1 * e * (x.loss === 'fbl' ? 1.5 : 1)),
    featureNormTest: counts.map((_, c) => 4 + c * 0.08 * e * (x.loss === 'fbl' ? 1.5 : 1)),
    lossPerClass,
    gclNoiseLastBatch,
    seconds: 1,
    imagesPerSecond: 1000,
  };
  return m;
}

/** Attaches a feature space to an epoch (the projection of synthetic features; computed once per call). */
export function withFeatureSpace(x: SynthContext, m: EpochMetrics, seed = 11): EpochMetrics {
  if (!x.featureSpace) return m;
  const fs = synthFeatureSpace(x.counts, { cosine: x.featureSpace === 'cosine', tailNorm: x.loss === 'fbl' ? 0.9 : 0.45, seed });
  return { ...m, featureSpace: fs } as EpochMetrics;
}

export function synthRun(o: SynthOptions = {}): RunSeries & { counts: number[]; groups: Group[]; classNames: string[] } {
  const C = o.C ?? 10;
  const E = o.epochs ?? 5;
  const nb = o.batchesPerEpoch ?? 20;
  const counts = longTailCounts(C, o.nMax);
  const groups = groupsOf(counts);
  const classNames = Array.from({ length: C }, (_, c) => `class-${c}`);
  const x: SynthContext = { counts, groups, E, B: o.B ?? 16, loss: o.loss, featureSpace: o.featureSpace };
  const batches: BatchInfo[] = [];
  const epochs: EpochMetrics[] = [];
  let step = 0;
  for (let e = 0; e < E; e++) {
    for (let b = 0; b < nb; b++) batches.push(synthBatch(e, b, nb, ++step));
    epochs.push(synthEpoch(x, e, step));
  }
  if (o.featureSpace && epochs.length) epochs[epochs.length - 1] = withFeatureSpace(x, epochs[epochs.length - 1]);
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

/** The losses of the nine CIFAR-100-LT benchmark runs (eight pinned ones and the current one, last). */
export const BENCH_RUNS: ReadonlyArray<{ label: string; loss: SynthOptions['loss']; featureSpace: SynthOptions['featureSpace'] }> = [
  { label: 'CE · ResNet-32', loss: 'ce', featureSpace: true },
  { label: 'LDAM-DRW · ResNet-32', loss: 'ldam', featureSpace: 'cosine' },
  { label: 'Balanced Softmax · ResNet-32', loss: 'ce', featureSpace: true },
  { label: 'Logit adjustment · ResNet-32', loss: 'ce', featureSpace: true },
  { label: 'CB-CE · ResNet-32', loss: 'ce', featureSpace: true },
  { label: 'KPS s=15 GA · ResNet-32', loss: 'kps', featureSpace: 'cosine' },
  { label: 'FBL · ResNet-32', loss: 'fbl', featureSpace: true },
  { label: 'GCL · ResNet-32 (earlier)', loss: 'gcl', featureSpace: 'cosine' },
  { label: 'GCL · ResNet-32', loss: 'gcl', featureSpace: 'cosine' },
];
export const RUN_COLORS = ['#2563eb', '#d97706', '#059669', '#9333ea', '#dc2626', '#0891b2', '#db2777', '#65a30d', '#57534e', '#92400e'];

/**
 * CIFAR-100-LT sized runs (100 classes, IF 100 over 500 head images, 85 batches of 128 per epoch, `epochs` finished
 * epochs each), the first `n` of BENCH_RUNS.
 */
export function cifar100Runs(n = 9, epochs = 20, C = 100) {
  return BENCH_RUNS.slice(0, n).map((b, i) =>
    synthRun({
      C,
      nMax: 500,
      epochs,
      batchesPerEpoch: 85,
      B: 128,
      loss: b.loss,
      featureSpace: b.featureSpace,
      id: `r${i}`,
      label: b.label,
      color: RUN_COLORS[i],
    }),
  );
}
