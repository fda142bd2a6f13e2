/**
 * Seed groups: runs that differ only in their seed are one configuration measured several times. Charts, the
 * runs table, sweeps and exports summarise a group by its mean and sample standard deviation, so a difference
 * between methods can be read against the spread between seeds.
 */
import type { TrainConfig } from './config';

/** Fields that say how a run was computed or logged, not what was trained: they do not split a group. */
const NOT_PART_OF_A_GROUP: ReadonlySet<string> = new Set(['seed', 'engine', 'logEvery']);

/** Stable JSON with sorted keys (nested objects too), so equal configurations give equal strings. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The key shared by every run of one configuration whatever its seed. */
export function seedGroupKey(config: TrainConfig): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!NOT_PART_OF_A_GROUP.has(k)) rest[k] = v;
  return stableJson(rest);
}

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); 0 for a single value. */
  std: number;
  min: number;
  max: number;
}

/** Mean, sample std, min and max of the finite values (NaN fields when there are none). */
export function summarize(values: readonly number[]): Summary {
  const xs = values.filter((x) => Number.isFinite(x));
  const n = xs.length;
  if (n === 0) return { n: 0, mean: NaN, std: NaN, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, x) => a + (x - mean) * (x - mean), 0);
  return { n, mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min: Math.min(...xs), max: Math.max(...xs) };
}

/** Items grouped by key, groups in order of first appearance, items in their original order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): { key: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  return [...groups].map(([k, v]) => ({ key: k, items: v }));
}

/**
 * Per-index summary of several series (one per seed, e.g. test accuracy per epoch). Series may have different
 * lengths (a seed still running): index i summarises the series that reached it.
 */
export function summarizeSeries(series: readonly (readonly number[])[]): Summary[] {
  const len = Math.max(0, ...series.map((s) => s.length));
  const out: Summary[] = [];
  for (let i = 0; i < len; i++) out.push(summarize(series.filter((s) => i < s.length).map((s) => s[i])));
  return out;
}
