/**
 * Largest-Triangle-Three-Buckets down-sampling (Steinarsson 2013): keeps the first and last point and, per bucket,
 * the point that spans the largest triangle with the previously kept point and the next bucket's mean. Spikes and
 * the overall shape survive, which matters for a noisy training loss. Pure; O(n); points must be sorted by x.
 */
export interface XY {
  x: number;
  y: number;
}

const getXDefault = (p: unknown): number => (p as XY).x;
const getYDefault = (p: unknown): number => (p as XY).y;

/**
 * LTTB on parallel coordinate arrays: the indices (ascending) of at most `maxPoints` points to keep out of the first
 * `n` (default: all). The core of `decimate`; use it directly to avoid building point objects.
 */
export function decimateIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number, n = xs.length): Int32Array {
  const m = Math.floor(maxPoints);
  if (!(m > 0) || n <= 0) return new Int32Array(0);
  if (n <= m) return Int32Array.from({ length: n }, (_, i) => i);
  if (m === 1) return Int32Array.of(n - 1);
  if (m === 2) return Int32Array.of(0, n - 1);

  const out = new Int32Array(m);
  out[0] = 0;
  // m - 2 buckets over points 1 .. n-2
  const every = (n - 2) / (m - 2);
  let a = 0; // index of the last kept point
  for (let i = 0; i < m - 2; i++) {
    // next bucket's mean (the last point for the final bucket)
    let avgX = 0;
    let avgY = 0;
    let cnt = 0;
    const nStart = Math.floor((i + 1) * every) + 1;
    const nEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    for (let j = nStart; j < nEnd; j++) {
      const y = ys[j];
      if (!Number.isFinite(y)) continue;
      avgX += xs[j];
      avgY += y;
      cnt++;
    }
    if (cnt > 0) {
      avgX /= cnt;
      avgY /= cnt;
    } else {
      avgX = xs[n - 1];
      avgY = Number.isFinite(ys[n - 1]) ? ys[n - 1] : 0;
    }
    // this bucket: the point spanning the largest triangle with the last kept point and the next bucket's mean
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = xs[a];
    const ay = Number.isFinite(ys[a]) ? ys[a] : avgY;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const y = ys[j];
      if (!Number.isFinite(y)) continue;
      const area = Math.abs((ax - avgX) * (y - ay) - (ax - xs[j]) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out[i + 1] = best;
    a = best;
  }
  out[m - 1] = n - 1;
  return out;
}

let scratchX = new Float64Array(0);
let scratchY = new Float64Array(0);

/** Reusable coordinate buffers of at least `n` entries (avoids garbage on every live re-render). */
export function scratchBuffers(n: number): [Float64Array, Float64Array] {
  if (scratchX.length < n) {
    const size = Math.max(n, Math.ceil(scratchX.length * 1.5), 1024);
    scratchX = new Float64Array(size);
    scratchY = new Float64Array(size);
  }
  return [scratchX, scratchY];
}

/**
 * Returns at most `maxPoints` of `points` (the same objects, in order). A copy of `points` when it is short enough.
 * Points whose y is not finite are never chosen as a bucket's representative unless the whole bucket is non-finite.
 */
export function decimate<T = XY>(
  points: readonly T[],
  maxPoints: number,
  getX: (p: T) => number = getXDefault,
  getY: (p: T) => number = getYDefault,
): T[] {
  const n = points.length;
  if (!(Math.floor(maxPoints) > 0)) return [];
  if (n <= maxPoints) return points.slice();
  const [xs, ys] = scratchBuffers(n);
  for (let i = 0; i < n; i++) {
    xs[i] = getX(points[i]);
    ys[i] = getY(points[i]);
  }
  const idx = decimateIndices(xs, ys, maxPoints, n);
  const out = new Array<T>(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = points[idx[k]];
  return out;
}
