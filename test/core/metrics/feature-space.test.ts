/**
 * The feature-space projection against a float64 reference written independently here (covariance by its
 * definition, leading eigenvectors by power iteration with deflation), on synthetic features with a known
 * structure: a few directions of large variance, class offsets, and noise.
 */
import { describe, expect, it } from 'vitest';
import { JACOBI_MAX_DIM, featureSpace, fixSign, leadingEigen, sampleStats, symmetricEigen } from '../../../src/core/metrics/feature-space';
import { seeded as rng } from '../../helpers/random';

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** n × D features: class offsets plus variance `scales[k]` along random orthonormal directions, plus noise. */
function synthFeatures(n: number, D: number, C: number, scales: number[], seed = 1) {
  const r = rng(seed);
  // random orthonormal directions (Gram–Schmidt on Gaussian vectors)
  const dirs: number[][] = [];
  for (let k = 0; k < scales.length; k++) {
    const v = Array.from({ length: D }, () => gauss(r));
    for (const u of dirs) {
      const dot = v.reduce((s, x, i) => s + x * u[i], 0);
      for (let i = 0; i < D; i++) v[i] -= dot * u[i];
    }
    const nn = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    dirs.push(v.map((x) => x / nn));
  }
  const offsets = Array.from({ length: C }, () => Array.from({ length: D }, () => 0.3 * gauss(r)));
  const labels = Array.from({ length: n }, (_, i) => i % C);
  const f = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) f[i * D + d] = 2 + offsets[labels[i]][d] + 0.05 * gauss(r);
    scales.forEach((s, k) => {
      const a = s * gauss(r);
      for (let d = 0; d < D; d++) f[i * D + d] += a * dirs[k][d];
    });
  }
  return { f, labels, dirs };
}

/** Reference: mean and covariance by definition, leading eigenvectors by power iteration with deflation. */
function reference(f: ArrayLike<number>, n: number, D: number, count = 2) {
  const mean = Array.from({ length: D }, (_, d) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += f[i * D + d];
    return s / n;
  });
  const cov = Array.from({ length: D }, (_, a) =>
    Array.from({ length: D }, (__, b) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (f[i * D + a] - mean[a]) * (f[i * D + b] - mean[b]);
      return s / n;
    }),
  );
  const trace = cov.reduce((s, row, d) => s + row[d], 0);
  const A = cov.map((row) => row.slice());
  const vecs: number[][] = [];
  const vals: number[] = [];
  for (let k = 0; k < count; k++) {
    let v = Array.from({ length: D }, (_, i) => 1 + i * 0.01);
    let lambda = 0;
    for (let it = 0; it < 20000; it++) {
      const w = A.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
      const nn = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
      const next = w.map((x) => x / nn);
      const diff = Math.sqrt(next.reduce((s, x, i) => s + (x - v[i]) ** 2, 0));
      v = next;
      lambda = nn;
      if (diff < 1e-15) break;
    }
    // sign: largest component positive
    let best = 0;
    for (let i = 1; i < D; i++) if (Math.abs(v[i]) > Math.abs(v[best])) best = i;
    if (v[best] < 0) v = v.map((x) => -x);
    vecs.push(v);
    vals.push(lambda);
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) A[a][b] -= lambda * v[a] * v[b];
  }
  const project = (i: number, k: number) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += (f[i * D + d] - mean[d]) * vecs[k][d];
    return s;
  };
  return { mean, cov, trace, vecs, vals, project };
}

describe('featureSpace: PCA plane against a float64 reference', () => {
  it('Jacobi path (D = 16): projections, explained variance, norms, per-class means', () => {
    const n = 600;
    const D = 16;
    const C = 5;
    const { f, labels } = synthFeatures(n, D, C, [4, 2, 0.7]);
    const fs = featureSpace(f, labels);
    const ref = reference(f, n, D);
    expect(fs.n).toBe(n);
    expect(fs.dim).toBe(D);
    expect(fs.numClasses).toBe(C);
    expect(fs.x).toHaveLength(n);
    let worst = 0;
    const scale = Math.sqrt(ref.vals[0]);
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(fs.x[i] - ref.project(i, 0)) / scale, Math.abs(fs.y[i] - ref.project(i, 1)) / scale);
    }
    expect(worst).toBeLessThan(1e-9);
    expect(fs.explained[0]).toBeCloseTo(ref.vals[0] / ref.trace, 10);
    expect(fs.explained[1]).toBeCloseTo(ref.vals[1] / ref.trace, 10);
    // the synthetic variances: 16 and 4 against 0.49 + noise and offsets
    expect(fs.explained[0]).toBeGreaterThan(0.7);
    expect(fs.explained[0] + fs.explained[1]).toBeLessThanOrEqual(1 + 1e-12);
    for (let i = 0; i < n; i += 37) {
      let nn = 0;
      for (let d = 0; d < D; d++) nn += f[i * D + d] ** 2;
      expect(fs.norms[i]).toBeCloseTo(Math.sqrt(nn), 9);
    }
    for (let c = 0; c < C; c++) {
      const idx = labels.map((y, i) => (y === c ? i : -1)).filter((i) => i >= 0);
      expect(fs.classes[c].n).toBe(idx.length);
      expect(fs.classes[c].cx).toBeCloseTo(idx.reduce((s, i) => s + ref.project(i, 0), 0) / idx.length, 9);
      expect(fs.classes[c].cy).toBeCloseTo(idx.reduce((s, i) => s + ref.project(i, 1), 0) / idx.length, 9);
      expect(fs.classes[c].meanNorm).toBeCloseTo(idx.reduce((s, i) => s + fs.norms[i], 0) / idx.length, 9);
    }
    // the directions: the reference's, with the largest component positive
    for (let k = 0; k < 2; k++) {
      const v = fs.components[k];
      expect(v).toHaveLength(D);
      v.forEach((x, d) => expect(x).toBeCloseTo(ref.vecs[k][d], 9));
      const big = v.reduce((b, x, d) => (Math.abs(x) > Math.abs(v[b]) ? d : b), 0);
      expect(v[big]).toBeGreaterThan(0);
    }
    // the feature-space origin in the plane: −(v·μ)
    expect(fs.origin[0]).toBeCloseTo(-ref.vecs[0].reduce((a, v, d) => a + v * ref.mean[d], 0), 9);
    expect(fs.origin[1]).toBeCloseTo(-ref.vecs[1].reduce((a, v, d) => a + v * ref.mean[d], 0), 9);
    // centred: the projections average to zero
    expect(Math.abs(fs.x.reduce((s, v) => s + v, 0) / n)).toBeLessThan(1e-9 * scale);
  });

  it(`block power path (D = ${JACOBI_MAX_DIM + 44} > ${JACOBI_MAX_DIM}) agrees with the reference`, () => {
    const n = 400;
    const D = JACOBI_MAX_DIM + 44;
    const { f, labels } = synthFeatures(n, D, 4, [3, 1.5, 0.4], 7);
    const fs = featureSpace(f, labels);
    const ref = reference(f, n, D);
    const scale = Math.sqrt(ref.vals[0]);
    let worst = 0;
    for (let i = 0; i < n; i++)
      worst = Math.max(worst, Math.abs(fs.x[i] - ref.project(i, 0)) / scale, Math.abs(fs.y[i] - ref.project(i, 1)) / scale);
    expect(worst).toBeLessThan(1e-6);
    expect(fs.explained[0]).toBeCloseTo(ref.vals[0] / ref.trace, 8);
    expect(fs.explained[1]).toBeCloseTo(ref.vals[1] / ref.trace, 8);
  }, 60_000);

  it('sign convention: negated features give mirrored coordinates, not a flipped axis at random', () => {
    const { f, labels } = synthFeatures(300, 10, 3, [3, 1]);
    const a = featureSpace(f, labels);
    const b = featureSpace(
      f.map((v) => -v),
      labels,
    );
    for (let i = 0; i < 300; i += 13) {
      expect(b.x[i]).toBeCloseTo(-a.x[i], 9);
      expect(b.y[i]).toBeCloseTo(-a.y[i], 9);
    }
    // the same input twice: the same numbers
    expect(featureSpace(f, labels)).toEqual(a);
    // whatever the data, each direction's largest component is positive
    for (let seed = 1; seed <= 12; seed++) {
      const s = synthFeatures(120, 9, 3, [2, 1], seed);
      for (const v of featureSpace(s.f, s.labels).components) {
        const big = v.reduce((b, x, d) => (Math.abs(x) > Math.abs(v[b]) ? d : b), 0);
        expect(v[big], `seed ${seed}`).toBeGreaterThan(0);
      }
    }
  });

  it('cosine head: arrows are the unit weight directions in the plane, cosines per class', () => {
    const n = 300;
    const D = 8;
    const C = 3;
    const { f, labels } = synthFeatures(n, D, C, [3, 1.5]);
    const plain = featureSpace(f, labels);
    expect(plain.arrows).toBeUndefined();
    expect(plain.cosine).toBeUndefined();
    // the PC directions in feature space, from the reference
    const ref = reference(f, n, D);
    // class 0: along PC1 (length 5); class 1: 0.6·PC1 − 0.8·PC2; class 2: orthogonal to the plane (random, projected out)
    const W = new Float64Array(D * C);
    const other = Array.from({ length: D }, (_, d) => Math.sin(d + 1));
    const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
    const ortho = other.map((x, d) => x - dot(other, ref.vecs[0]) * ref.vecs[0][d] - dot(other, ref.vecs[1]) * ref.vecs[1][d]);
    for (let d = 0; d < D; d++) {
      W[d * C + 0] = 5 * ref.vecs[0][d];
      W[d * C + 1] = 0.6 * ref.vecs[0][d] - 0.8 * ref.vecs[1][d];
      W[d * C + 2] = ortho[d];
    }
    const fs = featureSpace(f, labels, { weights: W });
    expect(fs.arrows![0][0]).toBeCloseTo(1, 9);
    expect(fs.arrows![0][1]).toBeCloseTo(0, 9);
    expect(fs.arrows![1][0]).toBeCloseTo(0.6, 9);
    expect(fs.arrows![1][1]).toBeCloseTo(-0.8, 9);
    expect(Math.hypot(...fs.arrows![2])).toBeLessThan(1e-9);
    // cosines against a direct computation
    for (let c = 0; c < C; c++) {
      const cos: number[] = [];
      for (let i = 0; i < n; i++) {
        if (labels[i] !== c) continue;
        let d0 = 0;
        let nf = 0;
        let nw = 0;
        for (let d = 0; d < D; d++) {
          d0 += f[i * D + d] * W[d * C + c];
          nf += f[i * D + d] ** 2;
          nw += W[d * C + c] ** 2;
        }
        cos.push(d0 / Math.sqrt(nf * nw));
      }
      cos.sort((x, y) => x - y);
      const st = fs.cosine![c]!;
      expect(st.n).toBe(cos.length);
      expect(st.min).toBeCloseTo(cos[0], 9);
      expect(st.max).toBeCloseTo(cos[cos.length - 1], 9);
      expect(st.median).toBeCloseTo((cos[49] + cos[50]) / 2, 9); // 100 images per class
      expect(st.mean).toBeCloseTo(cos.reduce((s, v) => s + v, 0) / cos.length, 9);
      expect(st.min).toBeGreaterThanOrEqual(-1);
      expect(st.max).toBeLessThanOrEqual(1);
    }
  });

  it('keeps at most maxPoints evenly spaced points; statistics still use every image', () => {
    const { f, labels } = synthFeatures(1000, 6, 4, [2]);
    const all = featureSpace(f, labels);
    const some = featureSpace(f, labels, { maxPoints: 250 });
    expect(some.x).toHaveLength(250);
    expect(some.labels).toEqual(Array.from({ length: 250 }, (_, k) => labels[k * 4]));
    expect(some.x[10]).toBe(all.x[40]);
    expect(some.norms[10]).toBe(all.norms[40]);
    expect(some.classes).toEqual(all.classes);
    expect(some.explained).toEqual(all.explained);
  });

  it('a class without test images gets NaN means and no cosine statistics; bad input throws', () => {
    const { f, labels } = synthFeatures(90, 4, 3, [1]);
    const W = new Float32Array(4 * 5).map((_, i) => Math.cos(i));
    const fs = featureSpace(f, labels, { weights: W });
    expect(fs.numClasses).toBe(5);
    expect(fs.classes[4].n).toBe(0);
    expect(fs.classes[4].cx).toBeNaN();
    expect(fs.cosine![4]).toBeNull();
    expect(fs.arrows).toHaveLength(5);
    expect(() => featureSpace(new Float32Array(10), [0, 1, 2])).toThrow(/10 feature values for 3 labels/);
    expect(() => featureSpace(new Float32Array(8), [0, -1])).toThrow(/not a class index/);
    expect(() => featureSpace(new Float32Array(8), [0, 3], { numClasses: 3 })).toThrow(/label 3/);
    expect(() => featureSpace(new Float32Array(8), [0, 1], { weights: new Float32Array(7) })).toThrow(/weight values/);
    expect(() => featureSpace(new Float32Array(0), [])).toThrow(/no test features/);
  });

  it('constant features: zero explained variance, finite coordinates', () => {
    const fs = featureSpace(new Float32Array(5 * 3).fill(1), [0, 1, 0, 1, 0]);
    expect(fs.explained).toEqual([0, 0]);
    expect(fs.x.every((v) => v === 0)).toBe(true);
    expect(fs.norms[0]).toBeCloseTo(Math.sqrt(3), 6);
  });
});

describe('eigen solvers', () => {
  it('Jacobi: A v = λ v, orthonormal, descending; block power gives the same leading pairs', () => {
    const D = 30;
    const r = rng(3);
    // symmetric positive semi-definite: B Bᵀ plus a spike
    const B = Array.from({ length: D * D }, () => gauss(r));
    const A = new Float64Array(D * D);
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += B[i * D + k] * B[j * D + k];
        A[i * D + j] = s + (i === j ? 0 : 0);
      }
    const e = symmetricEigen(A, D);
    for (let k = 0; k < D; k++) {
      if (k > 0) expect(e.values[k]).toBeLessThanOrEqual(e.values[k - 1]);
      const v = e.vectors.subarray(k * D, (k + 1) * D);
      let res = 0;
      for (let i = 0; i < D; i++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += A[i * D + j] * v[j];
        res = Math.max(res, Math.abs(s - e.values[k] * v[i]));
      }
      expect(res).toBeLessThan(1e-9 * e.values[0]);
      for (let m = 0; m <= k; m++) {
        let dot = 0;
        for (let i = 0; i < D; i++) dot += v[i] * e.vectors[m * D + i];
        expect(dot).toBeCloseTo(m === k ? 1 : 0, 10);
      }
    }
    const p = leadingEigen(A, D, 2);
    expect(p.values[0]).toBeCloseTo(e.values[0], 6);
    expect(p.values[1]).toBeCloseTo(e.values[1], 6);
    for (let k = 0; k < 2; k++) {
      let dot = 0;
      for (let i = 0; i < D; i++) dot += p.vectors[k * D + i] * e.vectors[k * D + i];
      expect(Math.abs(dot)).toBeCloseTo(1, 8);
    }
  });

  it('fixSign makes the largest component positive; sampleStats interpolates quantiles', () => {
    const v = [0.1, -0.9, 0.3];
    fixSign(v);
    expect(v).toEqual([-0.1, 0.9, -0.3]);
    expect(sampleStats([4, 1, 3, 2, NaN])).toEqual({ n: 4, min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4, mean: 2.5 });
    expect(sampleStats([])).toBeNull();
  });
});
