/**
 * Classifier outputs of the first test images, for cross-checking an export elsewhere (PyTorch, tfjs).
 * Eval mode (BN running statistics), no augmentation, normalised exactly like training (makeBatch).
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import { makeBatch } from '../data/augment';
import type { Model } from '../models/types';
import { Rng } from '../rng';

export interface TestLogits {
  /** Test-set indices, in the official order (0, 1, 2, …). */
  indices: number[];
  /** Classifier outputs per image: logits for the linear head, cosine similarities for the cosine head. */
  logits: number[][];
}

/** Outputs of `model` on the first `n` test images (fewer when the test set is smaller). */
export async function testLogits(model: Model, dataset: Dataset, n = 256, batchSize = 256): Promise<TestLogits> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`testLogits: n must be a positive integer, got ${n}`);
  const test = dataset.test;
  const { height: H, width: W, channels: C } = test;
  const [mh, mw, mc] = model.spec.config.inputShape;
  if (H !== mh || W !== mw || C !== mc) throw new Error(`testLogits: test images are ${H}×${W}×${C}, the model takes ${mh}×${mw}×${mc}`);
  const count = Math.min(n, test.labels.length);
  const indices = Array.from({ length: count }, (_, i) => i);
  const logits: number[][] = [];
  const rng = new Rng(0); // unused: no augmentation
  for (let s = 0; s < count; s += batchSize) {
    const part = indices.slice(s, Math.min(s + batchSize, count));
    const xb = makeBatch(test, part, dataset.meta, { augment: false, rng });
    const out = tf.tidy(() => model.forward(tf.tensor4d(xb, [part.length, H, W, C]), 'eval').output);
    const v = await out.data();
    const k = out.shape[1];
    out.dispose();
    for (let i = 0; i < part.length; i++) logits.push(Array.from(v.subarray(i * k, (i + 1) * k)));
  }
  return { indices, logits };
}
