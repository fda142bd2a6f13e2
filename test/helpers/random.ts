/** Seeded random test data from the project's own generator (src/core/rng.ts). */
import { Rng } from '../../src/core/rng';

/** A seeded uniform [0, 1) generator. */
export function seeded(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** n values uniform in (−scale, scale). */
export function randomArray(n: number, rng: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng() * 2 - 1) * scale;
  return a;
}
