/**
 * Training-set samplers. All return, per epoch, N positions into the training subset (N = its size).
 *
 * - instance: a shuffled permutation (without replacement); P(class c) = n_c / N.
 * - classBalanced: each draw picks a class uniformly among the non-empty classes, then a uniform instance of it.
 * - cben (GCL stage 2): δ_c = (log n_max − log n_c)/(log n_max − log n_min), β_c = 0.9999 + 1e-5·δ_c,
 *   w_c = (1−β_c)/(1−β_c^{n_c}) (β_c rounded to float32 like the reference code); draws with replacement with P(i) ∝ w_{y_i}, i.e. P(class c) ∝ n_c·w_c.
 *   When all non-empty classes have equal counts, δ is 0/0; we define δ_c = 0 then (every β_c = 0.9999), which
 *   gives equal class probabilities — the only sensible limit — and never NaN.
 * Classes with n_c = 0 get probability 0 in every sampler.
 */
import type { Rng } from '../rng';
import type { SamplerKind } from './types';

export interface Sampler {
  readonly kind: SamplerKind;
  /** Number of positions per epoch (= subset size). */
  readonly size: number;
  /** Positions into the subset for one epoch (N entries). */
  epoch(): Int32Array;
  /** Analytic probability that a draw comes from class c. */
  classProbabilities(): number[];
}

export interface CbenWeights {
  delta: number[];
  beta: number[];
  /** w_c, the per-sample weight of a sample of class c (0 for empty classes). */
  perSampleWeight: number[];
  /** n_c·w_c / Σ_k n_k·w_k. */
  classProb: number[];
}

/** The CBEN quantities from class counts. */
export function cbenWeights(counts: ArrayLike<number>): CbenWeights {
  const C = counts.length;
  const present: number[] = [];
  for (let c = 0; c < C; c++) {
    const n = counts[c];
    if (!Number.isInteger(n) || n < 0) throw new Error(`cbenWeights: count of class ${c} is ${n}, expected a non-negative integer`);
    if (n > 0) present.push(n);
  }
  if (present.length === 0) throw new Error('cbenWeights: every class count is 0');
  const nMax = Math.max(...present);
  const nMin = Math.min(...present);
  const span = Math.log(nMax) - Math.log(nMin);
  const delta: number[] = [];
  const beta: number[] = [];
  const w: number[] = [];
  let z = 0;
  for (let c = 0; c < C; c++) {
    const n = counts[c];
    if (n === 0) {
      delta.push(0);
      beta.push(0.9999);
      w.push(0);
      continue;
    }
    const d = span > 0 ? (Math.log(nMax) - Math.log(n)) / span : 0;
    // β is held in float32, as in the authors' PyTorch code (a float32 tensor); w is then computed in float64.
    // This reproduces golden cbenPerSampleWeight to ~1e-14 relative (a float64 β is off by up to 5e-5).
    const f = Math.fround;
    const b = f(f(0.9999) + f(f(1e-5) * f(d)));
    const wc = (1 - b) / (1 - Math.pow(b, n));
    delta.push(d);
    beta.push(b);
    w.push(wc);
    z += n * wc;
  }
  return { delta, beta, perSampleWeight: w, classProb: w.map((wc, c) => (wc * counts[c]) / z) };
}

function checkInputs(labels: ArrayLike<number>, counts: ArrayLike<number>): void {
  const C = counts.length;
  const seen = new Array<number>(C).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < C && Number.isInteger(y))) throw new Error(`createSampler: label ${y} at position ${i} is outside 0..${C - 1}`);
    seen[y]++;
  }
  for (let c = 0; c < C; c++) {
    if (seen[c] !== counts[c]) throw new Error(`createSampler: counts[${c}] = ${counts[c]} but the labels hold ${seen[c]} of class ${c}`);
  }
  if (labels.length === 0) throw new Error('createSampler: empty training set');
}

/** Positions of each class (in label order). */
function positionsByClass(labels: ArrayLike<number>, C: number): Int32Array[] {
  const counts = new Array<number>(C).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  const out = counts.map((n) => new Int32Array(n));
  const fill = new Array<number>(C).fill(0);
  for (let i = 0; i < labels.length; i++) out[labels[i]][fill[labels[i]]++] = i;
  return out;
}

/** Draws from class probabilities with a cumulative table + binary search, then a uniform instance. */
function classThenInstance(kind: SamplerKind, labels: ArrayLike<number>, probs: number[], rng: Rng): Sampler {
  const C = probs.length;
  const byClass = positionsByClass(labels, C);
  const cum = new Float64Array(C);
  let acc = 0;
  for (let c = 0; c < C; c++) {
    acc += probs[c];
    cum[c] = acc;
  }
  let lastNonEmpty = 0;
  for (let c = 0; c < C; c++) if (probs[c] > 0) lastNonEmpty = c;
  const N = labels.length;
  return {
    kind,
    size: N,
    classProbabilities: () => probs.slice(),
    epoch() {
      const out = new Int32Array(N);
      for (let k = 0; k < N; k++) {
        const u = rng.next() * acc;
        let lo = 0;
        let hi = lastNonEmpty;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cum[mid] > u) hi = mid;
          else lo = mid + 1;
        }
        const members = byClass[lo];
        out[k] = members[rng.int(members.length)];
      }
      return out;
    },
  };
}

/**
 * Creates a sampler over a training subset. `labels[i]` is the class of position i, `counts[c]` the number of
 * positions of class c (must agree with the labels). Every random choice comes from `rng`.
 */
export function createSampler(kind: SamplerKind, labels: Uint16Array | number[], counts: number[], rng: Rng): Sampler {
  checkInputs(labels, counts);
  const N = labels.length;
  const C = counts.length;
  switch (kind) {
    case 'instance': {
      const perm = new Int32Array(N);
      const probs = counts.map((n) => n / N);
      return {
        kind,
        size: N,
        classProbabilities: () => probs.slice(),
        epoch() {
          for (let i = 0; i < N; i++) perm[i] = i;
          return rng.shuffle(perm).slice();
        },
      };
    }
    case 'classBalanced': {
      const K = counts.filter((n) => n > 0).length;
      return classThenInstance(
        kind,
        labels,
        counts.map((n) => (n > 0 ? 1 / K : 0)),
        rng,
      );
    }
    case 'cben':
      return classThenInstance(kind, labels, cbenWeights(counts).classProb, rng);
    default:
      throw new Error(`createSampler: unknown sampler kind "${String(kind)}" (expected instance, classBalanced or cben) for ${C} classes`);
  }
}
