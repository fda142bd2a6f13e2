/** Plain-number metrics: accuracy, per-class accuracy, confusion matrix, many/medium/few accuracy, norms. */
import type { Group } from '../data/types';

export interface ClassificationMetrics {
  /** null without predictions (an upload with no test image). */
  accuracy: number | null;
  /** null for a class without test images: no accuracy can be measured (never NaN). */
  perClassAccuracy: (number | null)[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

export function classificationMetrics(preds: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): ClassificationMetrics {
  if (preds.length !== labels.length) throw new Error(`metrics: ${preds.length} predictions for ${labels.length} labels`);
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0;
  for (let i = 0; i < preds.length; i++) {
    const y = labels[i];
    const p = preds[i];
    confusion[y][p]++;
    if (y === p) correct++;
  }
  const perClassAccuracy = confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? null : row[c] / n;
  });
  return { accuracy: preds.length ? correct / preds.length : null, perClassAccuracy, confusion };
}

export interface PerClassScores {
  /** Of the images predicted as c, the share that are c; null when nothing was predicted as c. */
  precision: (number | null)[];
  /** Of the images of c, the share predicted as c (= per-class accuracy); null without images of c. */
  recall: (number | null)[];
  /** Harmonic mean of the two (0 when both are 0); null when either is unknown. */
  f1: (number | null)[];
}

/**
 * Per-class precision, recall and F1 from a confusion matrix (confusion[true][predicted]): a tail class that is
 * rarely predicted can have a high precision and a low recall, and losses that raise tail recall often pay for it in
 * the head classes' precision.
 */
export function perClassScores(confusion: readonly (readonly number[])[]): PerClassScores {
  const C = confusion.length;
  const col = new Array<number>(C).fill(0);
  for (const row of confusion) for (let p = 0; p < C; p++) col[p] += row[p] ?? 0;
  const precision: (number | null)[] = [];
  const recall: (number | null)[] = [];
  const f1: (number | null)[] = [];
  for (let c = 0; c < C; c++) {
    const tp = confusion[c][c] ?? 0;
    const n = confusion[c].reduce((a, b) => a + b, 0);
    const p = col[c] > 0 ? tp / col[c] : null;
    const r = n > 0 ? tp / n : null;
    precision.push(p);
    recall.push(r);
    f1.push(p === null || r === null ? null : p + r > 0 ? (2 * p * r) / (p + r) : 0);
  }
  return { precision, recall, f1 };
}

export interface GroupAccuracy {
  many: number | null;
  medium: number | null;
  few: number | null;
}

/** Mean per-class accuracy over the classes of each group (null when a group has no class). */
export function groupAccuracy(perClassAccuracy: readonly (number | null)[], groups: Group[]): GroupAccuracy {
  const acc: Record<Group, number[]> = { many: [], medium: [], few: [] };
  perClassAccuracy.forEach((a, c) => {
    if (a !== null && !Number.isNaN(a)) acc[groups[c]].push(a);
  });
  const mean = (v: number[]) => (v.length ? v.reduce((x, y) => x + y, 0) / v.length : null);
  return { many: mean(acc.many), medium: mean(acc.medium), few: mean(acc.few) };
}

/** Accumulates a per-class mean of a per-sample value (e.g. feature norm). */
export class PerClassMean {
  private readonly sum: Float64Array;
  private readonly n: Float64Array;
  constructor(numClasses: number) {
    this.sum = new Float64Array(numClasses);
    this.n = new Float64Array(numClasses);
  }
  add(values: ArrayLike<number>, labels: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      this.sum[labels[i]] += values[i];
      this.n[labels[i]]++;
    }
  }
  /** Per-class means; null for a class without samples (never NaN). */
  means(): (number | null)[] {
    return Array.from(this.sum, (s, c) => (this.n[c] ? s / this.n[c] : null));
  }
  reset(): void {
    this.sum.fill(0);
    this.n.fill(0);
  }
}

/** Per-sample results of a classifier output: what an evaluation needs from the logits. */
export interface ScoredOutputs {
  /** Arg max of the output per sample. */
  preds: Int32Array;
  /** Softmax probability of the predicted class (output × scale). */
  confidence: Float32Array;
  /** Σ over samples of the cross-entropy of (output × scale) against the label. */
  lossSum: number;
}

/**
 * Scores a classifier output [n×C] (row-major) against the labels: arg max, softmax confidence of the arg max
 * and the summed cross-entropy, with the logits taken as output × scale (a cosine head's inference scale).
 */
export function scoreOutputs(output: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, scale: number): ScoredOutputs {
  const n = labels.length;
  const C = numClasses;
  const preds = new Int32Array(n);
  const confidence = new Float32Array(n);
  let lossSum = 0;
  for (let i = 0; i < n; i++) {
    let arg = 0;
    let mx = -Infinity;
    for (let c = 0; c < C; c++) {
      const v = output[i * C + c];
      if (v > mx) {
        mx = v;
        arg = c;
      }
    }
    const top = mx * scale;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(output[i * C + c] * scale - top);
    preds[i] = arg;
    confidence[i] = 1 / sum;
    lossSum += top + Math.log(sum) - output[i * C + labels[i]] * scale;
  }
  return { preds, confidence, lossSum };
}

/** L2 norm of each row of a [n×D] matrix. */
export function rowNorms(m: ArrayLike<number>, n: number, D: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += m[i * D + d] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}
