/**
 * Per-class vectors shared by the losses, computed in plain JS (double precision) FROM THE COUNTS — never from
 * the class index order. Every function validates its counts and throws an Error naming the loss and the problem
 * (never returns NaN/Infinity).
 *
 * Notation (see docs/losses.md): n_c training count of class c, C classes.
 *  - log-count gap     d_c = log n_max − log n_c,  d̂_c = d_c / max_k d_k ∈ [0, 1]   (GCL, FBL)
 *  - KPS scale         s̃_c = log(50·n_c / n_min) / log 50  (≥ 1, largest for the head)   (Li et al., TPAMI 2022)
 *  - KPS mirror        s̃'_c = s̃ of the class at the mirrored position of c in the count ranking
 *                      (rank = descending count, ties broken by class index: a stable sort)
 *  - KPS margin        Δ_c = maxM · s̃'_c / max s̃'
 *  - KPS GA scale      clamp(s · s̃'_c, s, 50)
 *  - LDAM margin       Δ_c = maxM · n_c^{−1/4} / max_k n_k^{−1/4}   (Cao et al., NeurIPS 2019)
 *  - CB / DRW weights  w_c = (1−β)/(1−β^{n_c}), normalised to Σ w = C   (Cui et al., CVPR 2019)
 */

/** Throws unless counts is a non-empty list of finite positive numbers. `who` names the loss in the message. */
export function validateCounts(counts: readonly number[], who: string): void {
  if (!Array.isArray(counts) || counts.length === 0) {
    throw new Error(`${who}: class counts are missing (got an empty list); the loss needs the training count of every class`);
  }
  for (let c = 0; c < counts.length; c++) {
    const n = counts[c];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new Error(`${who}: class ${c} has an invalid training count (${String(n)}); counts must be finite and ≥ 1`);
    }
    if (n === 0) {
      throw new Error(
        `${who}: class ${c} has zero training samples; the per-class terms (log n_c) are undefined — ` +
          `remove the class or give it at least one sample`,
      );
    }
  }
}

/**
 * Normalised log-count gap d̂_c = (log n_max − log n_c) / max_k(log n_max − log n_k).
 * Throws when all counts are equal (max d = 0): the normalisation is undefined.
 */
export function logGapNormalized(counts: readonly number[], who: string): number[] {
  validateCounts(counts, who);
  const logMax = Math.log(Math.max(...counts));
  const d = counts.map((n) => logMax - Math.log(n));
  const dMax = Math.max(...d);
  if (!(dMax > 0)) {
    throw new Error(
      `${who}: all classes have the same training count (${counts[0]}), so the normalised log-count gap ` +
        `d̂_c = d_c / max d is undefined (max d = 0); this loss needs an imbalanced (long-tailed) training set`,
    );
  }
  return d.map((v) => v / dMax);
}

/**
 * Class order by descending count, ties broken by class index (stable). rankOrder[r] = class at rank r
 * (rank 0 = largest count).
 */
export function countRankOrder(counts: readonly number[]): number[] {
  const idx = counts.map((_, i) => i);
  idx.sort((a, b) => counts[b] - counts[a] || a - b);
  return idx;
}

/**
 * Mirror a per-class vector over the count ranking: out[class at rank r] = v[class at rank C−1−r].
 * Equals the authors' torch.flip(v) when classes are already indexed head first.
 */
export function mirrorByCountRank(v: readonly number[], counts: readonly number[]): number[] {
  const order = countRankOrder(counts);
  const C = counts.length;
  const out = new Array<number>(C);
  for (let r = 0; r < C; r++) out[order[r]] = v[order[C - 1 - r]];
  return out;
}

/** KPS per-class scale s̃_c = log(50·n_c/n_min) / log 50. */
export function kpsScale(counts: readonly number[], who = 'KPS'): number[] {
  validateCounts(counts, who);
  const nMin = Math.min(...counts);
  const raw = counts.map((n) => Math.log((50 * n) / nMin));
  const lo = Math.min(...raw); // = log 50
  return raw.map((v) => v / lo);
}

/** KPS margin Δ_c = maxM · s̃'_c / max s̃' (s̃' = s̃ mirrored over the count rank; largest for the tail). */
export function kpsMargin(counts: readonly number[], maxM: number, who = 'KPS'): number[] {
  const mirrored = mirrorByCountRank(kpsScale(counts, who), counts);
  const hi = Math.max(...mirrored);
  return mirrored.map((v) => (maxM * v) / hi);
}

/** KPS gradient-adjustment per-class scale clamp(s · s̃'_c, s, 50) (applied per sample via its label). */
export function kpsGaScale(counts: readonly number[], s: number, who = 'KPS'): number[] {
  const mirrored = mirrorByCountRank(kpsScale(counts, who), counts);
  const hiClamp = Math.max(s, 50); // the authors clamp to [s, 50]; guard s > 50 so min ≤ max
  return mirrored.map((v) => Math.min(Math.max(s * v, s), hiClamp));
}

/** LDAM margin Δ_c = maxM · n_c^{−1/4} / max_k n_k^{−1/4}. */
export function ldamMargin(counts: readonly number[], maxM: number, who = 'LDAM'): number[] {
  validateCounts(counts, who);
  const raw = counts.map((n) => 1 / Math.sqrt(Math.sqrt(n)));
  const hi = Math.max(...raw);
  return raw.map((v) => (maxM * v) / hi);
}

/** Class-balanced ("effective number") weights w_c = (1−β)/(1−β^{n_c}), normalised to Σ w = C. */
export function classBalancedWeights(counts: readonly number[], beta: number, who = 'class-balanced weights'): number[] {
  validateCounts(counts, who);
  if (!(beta >= 0 && beta < 1)) throw new Error(`${who}: beta must be in [0, 1), got ${beta}`);
  const raw = counts.map((n) => (1 - beta) / (1 - Math.pow(beta, n)));
  const sum = raw.reduce((a, b) => a + b, 0);
  const C = counts.length;
  return raw.map((v) => (v * C) / sum);
}

/** log n_c (Balanced Softmax logit shift). */
export function logCounts(counts: readonly number[], who = 'Balanced Softmax'): number[] {
  validateCounts(counts, who);
  return counts.map((n) => Math.log(n));
}

/** τ · log(n_c / N) (logit-adjustment shift, N = Σ n). */
export function logPriors(counts: readonly number[], tau: number, who = 'Logit adjustment'): number[] {
  validateCounts(counts, who);
  const N = counts.reduce((a, b) => a + b, 0);
  return counts.map((n) => tau * Math.log(n / N));
}
