/**
 * GCL noise, pure: matrices of N(0, σ = 1/3) clipped to [−1, 1], BEFORE |·|, drawn from the project's seeded Rng
 * (normal()/3, clipped), so the same seed gives the same clouds on every backend and executor.
 * The tfjs noise sources of the reference computation are in ./compute/noise.ts.
 */
import type { Rng } from '../rng';

/** σ of the GCL Gaussian cloud. */
export const GCL_NOISE_SIGMA = 1 / 3;

/** Seed used when the trainer does not supply one. */
export const DEFAULT_NOISE_SEED = 0x6c1;

/** Fill `out` with clip(N(0,1)/3, −1, 1) draws from `rng` (advances rng by out.length normals). */
export function drawClippedNormal(rng: Rng, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) {
    const v = rng.normal() * GCL_NOISE_SIGMA;
    out[i] = v > 1 ? 1 : v < -1 ? -1 : v;
  }
  return out;
}
