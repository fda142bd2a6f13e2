/**
 * The feature space of a model's test images as the feature-space chart draws it (pure: no tfjs, no DOM).
 *
 * Input: the pooled features f_i ∈ R^D of n evaluated test images (row-major n × D), their labels and, for a cosine
 * head, the class weights W ∈ R^{D×C} (row-major, column c = w_c, as the head's `linear.weight` [inDim, outDim]).
 * Output:
 *  - a 2-D PCA projection: the features centred on their mean μ and projected on the two leading eigenvectors
 *    v1, v2 of their covariance Σ = 1/n Σ_i (f_i − μ)(f_i − μ)ᵀ (float64 throughout; Jacobi's eigenvalue method for
 *    D ≤ JACOBI_MAX_DIM, block power iteration with Rayleigh–Ritz above). Sign convention: the component of largest
 *    magnitude of each eigenvector is positive (first index on ties), so equal inputs give equal pictures;
 *  - the fraction of the total variance (trace Σ) each of the two components explains;
 *  - ‖f_i‖₂ per point (of the raw feature, not the centred one: the norm the losses act on);
 *  - per class: test images, mean position in the plane, mean norm; where the feature-space origin lands;
 *  - cosine heads: each class weight direction ŵ_c = w_c / ‖w_c‖ projected on (v1, v2) (an arrow of length ≤ 1 that is
 *    1 when ŵ_c lies in the plane), and per class the box statistics of cos(f_i, w_{y_i}) over its test images.
 */

/** Five-number summary and mean of a sample (quantiles by linear interpolation). */
export interface CosineStats {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  mean: number;
}

export interface FeatureSpaceClass {
  /** Test images of the class (all of them, not only the points kept). */
  n: number;
  /** Mean PC1 / PC2 coordinate of its images (NaN without images). */
  cx: number;
  cy: number;
  /** Mean ‖f‖₂ of its images (NaN without images). */
  meanNorm: number;
}

/** What the feature-space chart draws for one evaluation (plain arrays: structured-clone and JSON safe). */
export interface FeatureSpace {
  /** Test images projected (n) and the feature dimension D. */
  n: number;
  dim: number;
  numClasses: number;
  /** PC1 / PC2 coordinate, label and ‖f‖₂ of each point kept (all n, or an evenly spaced subsample of maxPoints). */
  x: number[];
  y: number[];
  labels: number[];
  norms: number[];
  /** Fraction of the total variance explained by PC1 and PC2 (0 when the features do not vary). */
  explained: [number, number];
  /** The unit directions of PC1 and PC2 in feature space (length D each; largest component positive). */
  components: [number[], number[]];
  /**
   * Where the origin of feature space lands in the plane: −(v1·μ, v2·μ). Cosine heads classify by the angle seen
   * from there, so the class weight arrows start at this point.
   */
  origin: [number, number];
  /** Per class (length numClasses). */
  classes: FeatureSpaceClass[];
  /** Cosine heads: per class the unit weight direction projected on (PC1, PC2). */
  arrows?: Array<[number, number]>;
  /** Cosine heads: per class the statistics of cos(f_i, w_c) over its test images (null without images). */
  cosine?: Array<CosineStats | null>;
}

export interface FeatureSpaceOptions {
  /** Classes C (default: from the weights, else the largest label + 1). */
  numClasses?: number;
  /** Cosine head weights, row-major D × C. */
  weights?: ArrayLike<number>;
  /** At most this many points are returned (evenly spaced by index; statistics use all n). Default 5000. */
  maxPoints?: number;
}

/** Above this dimension the two leading eigenvectors come from block power iteration instead of Jacobi. */
export const JACOBI_MAX_DIM = 256;

// ---------------------------------------------------------------- linear algebra (float64, row-major)

/** Mean (length D) and covariance (D × D, divided by n) of the rows of the n × D matrix `f`. */
export function covariance(f: ArrayLike<number>, n: number, D: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) mean[d] += f[i * D + d];
  if (n > 0) for (let d = 0; d < D; d++) mean[d] /= n;
  const cov = new Float64Array(D * D);
  const row = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) row[d] = f[i * D + d] - mean[d];
    for (let a = 0; a < D; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const off = a * D;
      for (let b = a; b < D; b++) cov[off + b] += ra * row[b];
    }
  }
  for (let a = 0; a < D; a++)
    for (let b = a; b < D; b++) {
      const v = n > 0 ? cov[a * D + b] / n : 0;
      cov[a * D + b] = v;
      cov[b * D + a] = v;
    }
  return { mean, cov };
}

/**
 * All eigenvalues and eigenvectors of the symmetric D × D matrix `a` (not modified) by cyclic Jacobi rotations.
 * Returns the values in descending order and the vectors as rows of `vectors` (row k ↔ values[k]).
 */
export function symmetricEigen(a: ArrayLike<number>, D: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from({ length: D * D }, (_, i) => a[i]);
  const V = new Float64Array(D * D);
  for (let i = 0; i < D; i++) V[i * D + i] = 1;
  let scale = 0;
  for (let i = 0; i < D * D; i++) scale += A[i] * A[i];
  const tiny = scale * 1e-30;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < D; p++) for (let q = p + 1; q < D; q++) off += A[p * D + q] * A[p * D + q];
    if (off <= tiny) break;
    for (let p = 0; p < D - 1; p++) {
      for (let q = p + 1; q < D; q++) {
        const apq = A[p * D + q];
        if (apq === 0) continue;
        const theta = (A[q * D + q] - A[p * D + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J with J_pp = J_qq = c, J_pq = s, J_qp = −s (zeroes A_pq); V ← V J
        for (let k = 0; k < D; k++) {
          const akp = A[k * D + p];
          const akq = A[k * D + q];
          A[k * D + p] = c * akp - s * akq;
          A[k * D + q] = s * akp + c * akq;
        }
        for (let k = 0; k < D; k++) {
          const apk = A[p * D + k];
          const aqk = A[q * D + k];
          A[p * D + k] = c * apk - s * aqk;
          A[q * D + k] = s * apk + c * aqk;
        }
        A[p * D + q] = 0;
        A[q * D + p] = 0;
        for (let k = 0; k < D; k++) {
          const vkp = V[k * D + p];
          const vkq = V[k * D + q];
          V[k * D + p] = c * vkp - s * vkq;
          V[k * D + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: D }, (_, i) => i).sort((i, j) => A[j * D + j] - A[i * D + i] || i - j);
  const values = new Float64Array(D);
  const vectors = new Float64Array(D * D);
  order.forEach((col, k) => {
    values[k] = A[col * D + col];
    for (let r = 0; r < D; r++) vectors[k * D + r] = V[r * D + col];
  });
  return { values, vectors };
}

/** Modified Gram–Schmidt on the k columns of the D × k matrix q (in place); a vanishing column is reseeded. */
function orthonormalise(q: Float64Array, D: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < D; r++) dot += q[r * k + i] * q[r * k + j];
        for (let r = 0; r < D; r++) q[r * k + j] -= dot * q[r * k + i];
      }
    }
    let nn = 0;
    for (let r = 0; r < D; r++) nn += q[r * k + j] ** 2;
    let norm = Math.sqrt(nn);
    if (!(norm > 1e-300)) {
      // the column vanished (rank-deficient matrix): a unit vector instead, made orthogonal on the next call
      for (let r = 0; r < D; r++) q[r * k + j] = r === j % D ? 1 : 0;
      norm = 1;
    }
    for (let r = 0; r < D; r++) q[r * k + j] /= norm;
  }
}

/**
 * The `count` leading eigenpairs of the symmetric D × D matrix `a` by block power (subspace) iteration with a
 * Rayleigh–Ritz step: a block of count + 6 columns from a fixed pseudo-random start, iterated until the leading
 * Ritz values change by less than `tol` (relative) or `maxIter` iterations. Vectors as rows, values descending.
 */
export function leadingEigen(
  a: ArrayLike<number>,
  D: number,
  count: number,
  tol = 1e-13,
  maxIter = 3000,
): { values: Float64Array; vectors: Float64Array } {
  const k = Math.min(D, count + 6);
  let q = new Float64Array(D * k);
  let seed = 0x2545f491;
  for (let i = 0; i < q.length; i++) {
    // xorshift32: deterministic start vectors
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    q[i] = (seed >>> 0) / 4294967296 - 0.5;
  }
  orthonormalise(q, D, k);
  const z = new Float64Array(D * k);
  const prev = new Float64Array(count).fill(NaN);
  let ritz: { values: Float64Array; vectors: Float64Array } = { values: new Float64Array(k), vectors: new Float64Array(k * k) };
  for (let it = 0; it < maxIter; it++) {
    // z = A q
    z.fill(0);
    for (let r = 0; r < D; r++)
      for (let c = 0; c < D; c++) {
        const arc = a[r * D + c];
        if (arc === 0) continue;
        for (let j = 0; j < k; j++) z[r * k + j] += arc * q[c * k + j];
      }
    // Rayleigh–Ritz: T = qᵀ A q, rotate q onto T's eigenvectors
    const t = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let r = 0; r < D; r++) t[i * k + j] += q[r * k + i] * z[r * k + j];
    for (let i = 0; i < k; i++)
      for (let j = i + 1; j < k; j++) {
        const m = (t[i * k + j] + t[j * k + i]) / 2;
        t[i * k + j] = m;
        t[j * k + i] = m;
      }
    ritz = symmetricEigen(t, k);
    let done = it > 2;
    for (let c = 0; c < count; c++) {
      const v = ritz.values[c];
      if (!(Math.abs(v - prev[c]) <= tol * Math.max(Math.abs(ritz.values[0]), 1e-300))) done = false;
      prev[c] = v;
    }
    if (done) break;
    // next block: z rotated by the Ritz vectors, orthonormalised
    const next = new Float64Array(D * k);
    for (let r = 0; r < D; r++)
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += z[r * k + i] * ritz.vectors[j * k + i];
        next[r * k + j] = s;
      }
    orthonormalise(next, D, k);
    q = next;
  }
  // Ritz vectors of the final block
  const vectors = new Float64Array(count * D);
  for (let c = 0; c < count; c++)
    for (let r = 0; r < D; r++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += q[r * k + i] * ritz.vectors[c * k + i];
      vectors[c * D + r] = s;
    }
  for (let c = 0; c < count; c++) {
    let nn = 0;
    for (let r = 0; r < D; r++) nn += vectors[c * D + r] ** 2;
    const norm = Math.sqrt(nn) || 1;
    for (let r = 0; r < D; r++) vectors[c * D + r] /= norm;
  }
  return { values: ritz.values.slice(0, count), vectors };
}

/** Flips `v` (in place) so that its component of largest magnitude is positive (the first one on ties). */
export function fixSign(v: Float64Array | number[]): void {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[best])) best = i;
  if (v[best] < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i] + 0; // + 0: no −0
}

/** The two leading principal directions (unit, sign-fixed), their variances and the total variance. */
export function principalPlane(
  cov: Float64Array,
  D: number,
): { v1: Float64Array; v2: Float64Array; l1: number; l2: number; total: number } {
  let total = 0;
  for (let d = 0; d < D; d++) total += cov[d * D + d];
  if (D === 1) return { v1: Float64Array.of(1), v2: Float64Array.of(0), l1: cov[0], l2: 0, total };
  const e = D <= JACOBI_MAX_DIM ? symmetricEigen(cov, D) : leadingEigen(cov, D, 2);
  const v1 = e.vectors.slice(0, D);
  const v2 = e.vectors.slice(D, 2 * D);
  fixSign(v1);
  fixSign(v2);
  return { v1, v2, l1: Math.max(0, e.values[0]), l2: Math.max(0, e.values[1]), total };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s + 0; // no −0
}

// ---------------------------------------------------------------- statistics

/** Box statistics of the finite values (null when there are none). */
export function sampleStats(values: ArrayLike<number>): CosineStats | null {
  const v = Array.from(values)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  const n = v.length;
  if (!n) return null;
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(n - 1, lo + 1);
    return v[lo] + (v[hi] - v[lo]) * (h - lo);
  };
  let s = 0;
  for (const x of v) s += x;
  return { n, min: v[0], q1: q(0.25), median: q(0.5), q3: q(0.75), max: v[n - 1], mean: s / n };
}

// ---------------------------------------------------------------- the feature space

/** Projects the n × D features `features` (labels `labels`, length n) into their PCA plane; see the module comment. */
export function featureSpace(features: ArrayLike<number>, labels: ArrayLike<number>, opts: FeatureSpaceOptions = {}): FeatureSpace {
  const n = labels.length;
  if (n === 0) throw new Error('featureSpace: no test features');
  if (features.length % n !== 0) throw new Error(`featureSpace: ${features.length} feature values for ${n} labels`);
  const D = features.length / n;
  let maxLabel = -1;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0) throw new Error(`featureSpace: label ${y} at ${i} is not a class index`);
    if (y > maxLabel) maxLabel = y;
  }
  const W = opts.weights;
  if (W && W.length % D !== 0) throw new Error(`featureSpace: ${W.length} weight values do not make a ${D} × C matrix`);
  const C = opts.numClasses ?? (W ? W.length / D : maxLabel + 1);
  if (W && W.length !== D * C) throw new Error(`featureSpace: weights hold ${W.length / D} classes, not ${C}`);
  if (maxLabel >= C) throw new Error(`featureSpace: label ${maxLabel} ≥ ${C} classes`);

  const { mean, cov } = covariance(features, n, D);
  const { v1, v2, l1, l2, total } = principalPlane(cov, D);
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let a = 0;
    let b = 0;
    let nn = 0;
    for (let d = 0; d < D; d++) {
      const f = features[i * D + d];
      const c = f - mean[d];
      a += c * v1[d];
      b += c * v2[d];
      nn += f * f;
    }
    px[i] = a;
    py[i] = b;
    norms[i] = Math.sqrt(nn);
  }

  const classes: FeatureSpaceClass[] = Array.from({ length: C }, () => ({ n: 0, cx: 0, cy: 0, meanNorm: 0 }));
  for (let i = 0; i < n; i++) {
    const k = classes[labels[i]];
    k.n++;
    k.cx += px[i];
    k.cy += py[i];
    k.meanNorm += norms[i];
  }
  for (const k of classes) {
    k.cx = k.n ? k.cx / k.n : NaN;
    k.cy = k.n ? k.cy / k.n : NaN;
    k.meanNorm = k.n ? k.meanNorm / k.n : NaN;
  }

  const keep = Math.max(1, Math.min(n, Math.floor(opts.maxPoints ?? 5000)));
  const x: number[] = new Array(keep);
  const y: number[] = new Array(keep);
  const lab: number[] = new Array(keep);
  const nm: number[] = new Array(keep);
  for (let k = 0; k < keep; k++) {
    const i = keep === n ? k : Math.floor((k * n) / keep);
    x[k] = px[i];
    y[k] = py[i];
    lab[k] = labels[i];
    nm[k] = norms[i];
  }
  const out: FeatureSpace = {
    n,
    dim: D,
    numClasses: C,
    x,
    y,
    labels: lab,
    norms: nm,
    explained: total > 0 ? [l1 / total, l2 / total] : [0, 0],
    components: [Array.from(v1), Array.from(v2)],
    origin: [-dot(v1, mean), -dot(v2, mean)],
    classes,
  };

  if (W) {
    const wNorm = new Float64Array(C);
    const arrows: Array<[number, number]> = [];
    for (let c = 0; c < C; c++) {
      let nn = 0;
      let a = 0;
      let b = 0;
      for (let d = 0; d < D; d++) {
        const w = W[d * C + c];
        nn += w * w;
        a += w * v1[d];
        b += w * v2[d];
      }
      wNorm[c] = Math.sqrt(nn);
      arrows.push(wNorm[c] > 0 ? [a / wNorm[c], b / wNorm[c]] : [0, 0]);
    }
    const perClass: number[][] = Array.from({ length: C }, () => []);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      let dot = 0;
      for (let d = 0; d < D; d++) dot += features[i * D + d] * W[d * C + c];
      const den = norms[i] * wNorm[c];
      perClass[c].push(den > 0 ? dot / den : 0);
    }
    out.arrows = arrows;
    out.cosine = perClass.map((v) => sampleStats(v));
  }
  return out;
}
