/**
 * The test images behind one confusion-matrix cell ("drill-down"): picked from the trainer's last evaluation, so
 * they are exactly what that epoch's confusion matrix counted. Pure data, no tensors.
 */
import type { ImageSet } from '../core/data/types';
import type { EvaluationRecord } from '../core/train/trainer';
import type { TestExample, TestExamplesParams, TestExamplesResult } from './protocol';

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
