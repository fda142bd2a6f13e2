/**
 * GCL noise sources for the tfjs computation: a [rows, cols] tensor of ε before |·| per call.
 *  - seededNoise(seed | Rng): the default, reproducible (drawClippedNormal from the seeded Rng).
 *  - fixedNoise(matrices): replays given matrices (e.g. the golden file's gclNoise / gclNoiseSecond) in order,
 *    cycling; for tests and parity checks.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../rng';
import { DEFAULT_NOISE_SEED, drawClippedNormal } from '../noise';

/** Draws the GCL noise: a [rows, cols] matrix of N(0, σ = 1/3) clipped to [−1, 1], BEFORE the absolute value. */
export type NoiseSource = (rows: number, cols: number) => tf.Tensor2D;

/** A fresh [rows, cols] draw on every call, from a seeded stream (an Rng tied to the run's seed, or a number). */
export function seededNoise(seed: number | Rng = DEFAULT_NOISE_SEED): NoiseSource {
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  return (rows: number, cols: number) => tf.tensor2d(drawClippedNormal(rng, new Float32Array(rows * cols)), [rows, cols], 'float32');
}

/**
 * Replays the given matrices (each [rows][cols], values already clipped, before |·|) in order, cycling back
 * to the first after the last. Throws when a requested shape differs from the next matrix's shape.
 */
export function fixedNoise(matrices: ReadonlyArray<ReadonlyArray<ReadonlyArray<number>>>): NoiseSource {
  if (matrices.length === 0) throw new Error('fixedNoise: need at least one matrix');
  let next = 0;
  return (rows: number, cols: number) => {
    const m = matrices[next];
    const k = next;
    next = (next + 1) % matrices.length;
    const r = m.length;
    const c = r > 0 ? m[0].length : 0;
    if (r !== rows || c !== cols) {
      throw new Error(`fixedNoise: matrix #${k} is [${r}, ${c}] but the loss asked for [${rows}, ${cols}]`);
    }
    return tf.tensor2d(m as number[][], [rows, cols], 'float32');
  };
}
