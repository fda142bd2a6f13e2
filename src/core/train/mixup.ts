/**
 * Mixup (Zhang et al., ICLR 2018) as the authors' scripts use it (GCLLoss utils.py `mixup_data`, lines 142–158):
 * λ ~ Beta(α, α) once per batch, a random permutation pairs the samples, x̃_i = λ·x_i + (1 − λ)·x_perm(i), and the
 * loss is λ·L(y_i) + (1 − λ)·L(y_perm(i)) (`mixup_criterion`, line 139). α ≤ 0 means λ = 1 (no mixing).
 * Drawn from the project's seeded Rng, so a run is reproducible and resumable.
 */
import type { Rng } from '../rng';

/** Gamma(k, 1) by Marsaglia & Tsang (2000); k < 1 through Gamma(k + 1)·U^(1/k). */
export function sampleGamma(rng: Rng, k: number): number {
  if (!(k > 0)) throw new Error(`sampleGamma: shape must be > 0, got ${k}`);
  if (k < 1) {
    const u = Math.max(rng.next(), Number.MIN_VALUE);
    return sampleGamma(rng, k + 1) * u ** (1 / k);
  }
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(Math.max(u, Number.MIN_VALUE)) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as G_a / (G_a + G_b). */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

export interface MixDraw {
  lambda: number;
  /** perm[i] = the batch position mixed into position i. */
  perm: Int32Array;
}

/** λ ~ Beta(α, α) and a uniform permutation of n positions. */
export function drawMix(rng: Rng, alpha: number, n: number): MixDraw {
  const lambda = alpha > 0 ? sampleBeta(rng, alpha, alpha) : 1;
  const perm = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  return { lambda, perm };
}

/** In place: rows of `x` (n rows of `rowSize` values) become λ·x_i + (1 − λ)·x_perm(i). */
export function mixRows(x: Float32Array, n: number, rowSize: number, d: MixDraw): void {
  const src = x.slice(0, n * rowSize);
  const { lambda: l, perm } = d;
  for (let i = 0; i < n; i++) {
    const a = i * rowSize;
    const b = perm[i] * rowSize;
    for (let j = 0; j < rowSize; j++) x[a + j] = l * src[a + j] + (1 - l) * src[b + j];
  }
}
