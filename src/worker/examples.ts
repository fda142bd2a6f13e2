/**
 * The test images behind one confusion-matrix cell ("drill-down"): picked from the trainer's last evaluation, so
 * they are exactly what that epoch's confusion matrix counted. Pure data, no tensors.
 */
import type { ImageSet, LongTailSubset } from '../core/data/types';
import type { EvaluationRecord } from '../core/train/trainer';
import type { TestExample, TestExamplesParams, TestExamplesResult, TrainExamplesParams, TrainExamplesResult } from './protocol';

export const DEFAULT_EXAMPLE_LIMIT = 60;
export const MAX_EXAMPLE_LIMIT = 1000;

function classIndex(v: unknown, C: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= C) {
    throw new Error(`testExamples: ${what} must be a class index from 0 to ${C - 1} (got ${String(v)})`);
  }
  return v;
}

/**
 * The test images of true class `trueClass` that the evaluation `ev` predicted as `predClass` (in evaluation order,
 * which is test-set order; the first `limit`), with their raw pixels copied out of `test` (each in its own transferable buffer).
 */
export function cellExamples(ev: EvaluationRecord, test: ImageSet, p: TestExamplesParams): TestExamplesResult {
  const C = test.numClasses;
  const t = classIndex(p.trueClass, C, 'trueClass');
  const q = classIndex(p.predClass, C, 'predClass');
  const lim = p.limit === undefined ? DEFAULT_EXAMPLE_LIMIT : Number(p.limit);
  if (!Number.isFinite(lim) || lim < 0) throw new Error(`testExamples: limit must be a number ≥ 0 (got ${String(p.limit)})`);
  const limit = Math.min(MAX_EXAMPLE_LIMIT, Math.floor(lim));
  const { height, width, channels } = test;
  const px = height * width * channels;
  let total = 0;
  let classTotal = 0;
  const examples: TestExample[] = [];
  for (let i = 0; i < ev.indices.length; i++) {
    if (ev.labels[i] !== t) continue;
    classTotal++;
    if (ev.preds[i] !== q) continue;
    total++;
    if (examples.length >= limit) continue;
    const index = ev.indices[i];
    examples.push({
      index,
      pixels: test.images.slice(index * px, (index + 1) * px),
      pred: ev.preds[i],
      confidence: ev.confidence[i],
    });
  }
  return {
    stage: ev.stage,
    epoch: ev.epoch,
    step: ev.step,
    trueClass: t,
    predClass: q,
    total,
    classTotal,
    examples,
    height,
    width,
    channels,
  };
}

/** Classes with at most this many training images are shown in full in the gallery (many: n > 100). */
export const GALLERY_ALL_UP_TO = 100;

/**
 * The training images of class `p.cls` in the long-tail subset `subset` of `pool` (the dataset gallery): all of them
 * when the class has at most GALLERY_ALL_UP_TO, else `limit` evenly spaced ones (deterministic), in subset order.
 */
export function classTrainExamples(subset: LongTailSubset, pool: ImageSet, p: TrainExamplesParams): TrainExamplesResult {
  const C = pool.numClasses;
  if (typeof p.cls !== 'number' || !Number.isInteger(p.cls) || p.cls < 0 || p.cls >= C) {
    throw new Error(`trainExamples: cls must be a class index from 0 to ${C - 1} (got ${String(p.cls)})`);
  }
  const lim = p.limit === undefined ? DEFAULT_EXAMPLE_LIMIT : Number(p.limit);
  if (!Number.isFinite(lim) || lim < 1) throw new Error(`trainExamples: limit must be a number ≥ 1 (got ${String(p.limit)})`);
  const limit = Math.min(MAX_EXAMPLE_LIMIT, Math.floor(lim));
  const mine: number[] = [];
  for (let i = 0; i < subset.indices.length; i++) if (subset.labels[i] === p.cls) mine.push(subset.indices[i]);
  const n = mine.length;
  const sampled = n > GALLERY_ALL_UP_TO && n > limit;
  const picked = sampled ? Array.from({ length: limit }, (_, k) => mine[Math.floor((k * n) / limit)]) : mine;
  const { height, width, channels } = pool;
  const px = height * width * channels;
  return {
    cls: p.cls,
    classTotal: n,
    sampled,
    allUpTo: GALLERY_ALL_UP_TO,
    examples: picked.map((index) => ({ index, pixels: pool.images.slice(index * px, (index + 1) * px) })),
    height,
    width,
    channels,
  };
}
