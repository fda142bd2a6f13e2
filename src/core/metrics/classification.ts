/** Plain-number metrics: accuracy, per-class accuracy, confusion matrix, many/medium/few accuracy, norms. */
import type { Group } from '../data/types';

export interface ClassificationMetrics {
  accuracy: number;
  perClassAccuracy: number[];
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
    return n === 0 ? NaN : row[c] / n;
  });
  return { accuracy: preds.length ? correct / preds.length : NaN, perClassAccuracy, confusion };
}

export interface GroupAccuracy {
  many: number | null;
  medium: number | null;
  few: number | null;
}

/** Mean per-class accuracy over the classes of each group (null when a group has no class). */
export function groupAccuracy(perClassAccuracy: number[], groups: Group[]): GroupAccuracy {
  const acc: Record<Group, number[]> = { many: [], medium: [], few: [] };
  perClassAccuracy.forEach((a, c) => {
    if (!Number.isNaN(a)) acc[groups[c]].push(a);
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
  means(): number[] {
    return Array.from(this.sum, (s, c) => (this.n[c] ? s / this.n[c] : NaN));
  }
  reset(): void {
    this.sum.fill(0);
    this.n.fill(0);
  }
}
