/** testLogits: the first n test images in official order, eval mode, normalised like training. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLogits } from '../../../src/core/export';
import type { Trainer } from '../../../src/core/train/trainer';
import { tinyData, trainTiny, useCpu } from './helpers';

let t: Trainer;
const data = tinyData(3, 30); // 120 test images
beforeAll(async () => {
  await useCpu();
  t = await trainTiny(data, { model: 'convnet', epochs: 1 });
});
afterAll(() => t.dispose());

describe('testLogits', () => {
  it('returns the first n test images in order, as an eval-mode forward of the normalised images', async () => {
    const r = await testLogits(t.model, data, 50, 16); // several batches
    expect(r.indices).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(r.logits).toHaveLength(50);
    expect(r.logits.every((row) => row.length === 4 && row.every(Number.isFinite))).toBe(true);
    // reference: normalise by hand (per-channel mean/std on px/255), NHWC, eval mode
    const { height: H, width: W, channels: C } = data.test;
    const x = new Float32Array(50 * H * W * C);
    for (let i = 0; i < x.length; i++) x[i] = (data.test.images[i] / 255 - data.meta.mean[i % C]) / data.meta.std[i % C];
    const out = tf.tidy(() => t.model.forward(tf.tensor4d(x, [50, H, W, C]), 'eval').output.arraySync());
    let d = 0;
    out.forEach((row, i) =>
      row.forEach((v, j) => {
        d = Math.max(d, Math.abs(v - r.logits[i][j]));
      }),
    );
    expect(d).toBeLessThan(1e-5);
    // the predictions are the trainer's (first 50 of its whole-test-set evaluation)
    const ev = await t.evaluate();
    expect(r.logits.map((row) => row.indexOf(Math.max(...row)))).toEqual(Array.from(ev.preds.subarray(0, 50)));
  });

  it('caps n at the test-set size, leaves no tensors behind, rejects a bad n', async () => {
    const before = tf.memory().numTensors;
    const r = await testLogits(t.model, data, 256);
    expect(r.indices).toHaveLength(120);
    expect(tf.memory().numTensors).toBe(before);
    await expect(testLogits(t.model, data, 0)).rejects.toThrow(/positive integer/);
  });
});
