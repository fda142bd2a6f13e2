/**
 * Long-tailed training subsets drawn from a pool.
 *
 * Exponential profile: n_i = ⌊n_max · (1/IF)^(i/(C−1))⌋ — written exactly as the authors' numpy code
 * (`img_max * (imb_factor ** (cls_idx / (cls_num - 1.0)))`, imb_factor = 1/IF, then int()); it reproduces the
 * CIFAR-10/100-LT counts of golden/losses.json bit for bit. Step profile: the first C − ⌊μC⌋ classes keep n_max,
 * the rest ⌊n_max/IF⌋. Each class' pool indices are shuffled with a per-class fork of the seeded Rng and the first
 * n_i kept, so with one seed the subset for a larger IF is a per-class prefix of the subset for a smaller one.
 */
import { Rng } from '../rng';
import { DataError } from './errors';
import type { Group, ImageSet, LongTailOptions, LongTailSubset, LtProfile } from './types';

export const DEFAULT_N_MAX = 5000;
export const DEFAULT_STEP_MU = 0.5;

export interface GroupCounts {
  many: number;
  medium: number;
  few: number;
}

/** many: n > 100, medium: 20 ≤ n ≤ 100, few: n < 20. */
export function groupOf(n: number): Group {
  if (n > 100) return 'many';
  if (n >= 20) return 'medium';
  return 'few';
}

/** Number of classes in each group. */
export function groupCounts(counts: ArrayLike<number>): GroupCounts {
  const g: GroupCounts = { many: 0, medium: 0, few: 0 };
  for (let i = 0; i < counts.length; i++) g[groupOf(counts[i])]++;
  return g;
}

/** Per-class counts of a label array. */
export function classCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const c = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
}

function checkProfileOptions(
  C: number,
  nMax: number,
  opts: { imbalance: number; profile: LtProfile; stepMu?: number },
  where: string,
): void {
  if (!Number.isInteger(C) || C < 1) throw new DataError(where, `number of classes must be a positive integer, got ${C}`);
  if (!Number.isInteger(nMax) || nMax < 1) throw new DataError(where, `n_max must be a positive integer, got ${nMax}`);
  if (!Number.isFinite(opts.imbalance) || opts.imbalance < 1) {
    throw new DataError(where, `imbalance factor must be a finite number ≥ 1, got ${opts.imbalance}`);
  }
  if (opts.profile !== 'exp' && opts.profile !== 'step' && opts.profile !== 'asis') {
    throw new DataError(where, `unknown long-tail profile "${String(opts.profile)}" (expected "exp", "step" or "asis")`);
  }
  const mu = opts.stepMu ?? DEFAULT_STEP_MU;
  if (opts.profile === 'step' && !(Number.isFinite(mu) && mu >= 0 && mu <= 1)) {
    throw new DataError(where, `step fraction μ must be in [0, 1], got ${mu}`);
  }
}

/** Training count per class (head first) for a profile; no pool needed. */
export function countsFor(C: number, nMax: number, opts: { imbalance: number; profile: LtProfile; stepMu?: number }): number[] {
  checkProfileOptions(C, nMax, opts, 'long-tail profile');
  const counts: number[] = [];
  if (opts.profile === 'asis') {
    // no profile: the pool's own counts (makeLongTail); without a pool every class gets n_max
    for (let i = 0; i < C; i++) counts.push(nMax);
  } else if (opts.profile === 'exp') {
    const imbFactor = 1 / opts.imbalance;
    for (let i = 0; i < C; i++) {
      counts.push(C === 1 ? nMax : Math.floor(nMax * Math.pow(imbFactor, i / (C - 1.0))));
    }
  } else {
    const tail = Math.floor((opts.stepMu ?? DEFAULT_STEP_MU) * C);
    const low = Math.floor(nMax / opts.imbalance);
    for (let i = 0; i < C; i++) counts.push(i < C - tail ? nMax : low);
  }
  return counts;
}

/** Draws a long-tailed subset of `pool`. Throws DataError when the pool cannot serve the request. */
export function makeLongTail(pool: ImageSet, opts: LongTailOptions): LongTailSubset {
  const C = pool.numClasses;
  const where = pool.name;
  if (!Number.isInteger(C) || C < 1) throw new DataError(where, `number of classes must be a positive integer, got ${C}`);
  if (!Number.isFinite(opts.seed)) throw new DataError(where, `seed must be a finite number, got ${opts.seed}`);
  const byClass: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < pool.labels.length; i++) {
    const y = pool.labels[i];
    if (y >= C) throw new DataError(where, `label ${y} at index ${i} is out of range (expected 0..${C - 1})`);
    byClass[y].push(i);
  }
  const largest = Math.max(...byClass.map((a) => a.length));
  const nMax = opts.nMax ?? Math.min(DEFAULT_N_MAX, largest);
  const full: Required<LongTailOptions> = {
    imbalance: opts.imbalance,
    profile: opts.profile,
    stepMu: opts.stepMu ?? DEFAULT_STEP_MU,
    nMax,
    seed: opts.seed,
  };
  const counts = opts.profile === 'asis' ? byClass.map((a) => Math.min(a.length, nMax)) : countsFor(C, nMax, full);
  const label =
    opts.profile === 'asis'
      ? `the pool as it is (n_max ${nMax})`
      : `${opts.profile === 'exp' ? 'exponential' : `step μ=${full.stepMu}`} profile at IF ${opts.imbalance} with n_max ${nMax}`;
  for (let c = 0; c < C; c++) {
    if (counts[c] < 1) {
      throw new DataError(
        where,
        `${label} leaves class ${c} ("${pool.classNames[c] ?? c}") with no images; lower the imbalance factor or raise n_max`,
      );
    }
    if (counts[c] > byClass[c].length) {
      throw new DataError(
        where,
        `${label} needs ${counts[c]} images of class ${c} ("${pool.classNames[c] ?? c}"), the pool holds ${byClass[c].length}`,
      );
    }
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const indices = new Int32Array(total);
  const labels = new Uint16Array(total);
  const rng = new Rng(opts.seed);
  let o = 0;
  for (let c = 0; c < C; c++) {
    const idx = rng.fork(`longtail-class-${c}`).shuffle(byClass[c].slice());
    for (let k = 0; k < counts[c]; k++, o++) {
      indices[o] = idx[k];
      labels[o] = c;
    }
  }
  return { indices, labels, counts, groups: counts.map(groupOf), options: full };
}

/**
 * Keeps the first `perClass` images of every class in pool order (the embedded pool is already a seeded
 * shuffle per class), e.g. to make small demo subsets; returns the same dataset when nothing is cut.
 */
export function capPerClass<T extends { pool: ImageSet }>(ds: T, perClass: number | null | undefined): T {
  if (perClass == null) return ds;
  const p = ds.pool;
  const px = p.height * p.width * p.channels;
  const taken = new Array<number>(p.numClasses).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < p.labels.length; i++) {
    const c = p.labels[i];
    if (taken[c] < perClass) {
      taken[c]++;
      keep.push(i);
    }
  }
  if (keep.length === p.labels.length) return ds;
  const images = new Uint8Array(keep.length * px);
  const labels = new Uint16Array(keep.length);
  const loaded = p.loaded ? new Uint8Array(keep.length) : undefined;
  keep.forEach((src, dst) => {
    images.set(p.images.subarray(src * px, (src + 1) * px), dst * px);
    labels[dst] = p.labels[src];
    if (loaded) loaded[dst] = p.loaded![src];
  });
  const pool: ImageSet = { ...p, name: `${p.name} (≤ ${perClass} per class)`, images, labels };
  if (loaded) pool.loaded = loaded;
  return { ...ds, pool };
}

/**
 * Throws a DataError when one of `indices` is an image of `set` that is not loaded (a pool assembled from some parts
 * of the embedded pack, see pack-parts.ts): a run never trains or evaluates on blank images.
 */
export function assertLoaded(set: ImageSet, indices: ArrayLike<number>, what: string): void {
  const loaded = set.loaded;
  if (!loaded) return;
  let missing = 0;
  let first = -1;
  for (let i = 0; i < indices.length; i++)
    if (!loaded[indices[i]]) {
      if (first < 0) first = indices[i];
      missing++;
    }
  if (missing) {
    throw new DataError(
      set.name,
      `${missing} of the ${indices.length} ${what} are not loaded (e.g. image ${first}, class ${set.labels[first]}): ` +
        'their part of the data pack was not fetched',
    );
  }
}
