/**
 * GCL noise sources (see types.ts NoiseSource): matrices of N(0, σ = 1/3) clipped to [−1, 1], BEFORE |·|.
 *  - seededNoise(seed | Rng): the default, reproducible, drawn in JS from the project's seeded Rng
 *    (normal()/3, clipped), so the same seed gives the same clouds on every backend.
 *  - fixedNoise(matrices): replays given matrices (e.g. the golden file's gclNoise / gclNoiseSecond) in order,
 *    cycling; for tests and parity checks.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../train/rng';
import type { NoiseSource } from './types';

/** σ of the GCL Gaussian cloud. */
export const GCL_NOISE_SIGMA = 1 / 3;

/** Seed used when the trainer does not supply one. */
export const DEFAULT_NOISE_SEED = 0x6c1;

/** Fill `out` with clip(N(0,1)/3, −1, 1) draws from `rng` (pure JS; advances rng by out.length normals). */
export function drawClippedNormal(rng: Rng, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) {
    const v = rng.normal() * GCL_NOISE_SIGMA;
    out[i] = v > 1 ? 1 : v < -1 ? -1 : v;
  }
  return out;
}

/**
 * Default GCL noise source: a fresh [rows, cols] draw on every call, from a seeded stream.
 * Pass an Rng (e.g. `rng.fork('gcl-noise')`) to tie it to the run's seed, or a number.
 */
export function seededNoise(seed: number | Rng = DEFAULT_NOISE_SEED): NoiseSource {
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  return (rows: number, cols: number) => {
    const buf = drawClippedNormal(rng, new Float32Array(rows * cols));
    return tf.tensor2d(buf, [rows, cols], 'float32');
  };
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
