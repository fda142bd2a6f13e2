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

/** Most seeds in one group: a queue of more is a long wait for little more certainty. */
export const MAX_SEEDS = 10;

export type SeedsParse = { ok: true; seeds: number[] } | { ok: false; why: string };

/**
 * The seeds of a group from their text: a count ("3": `base`, base + 1, base + 2, so "1" is the run's own seed) or
 * an explicit list ("1,7,9", distinct integers). Each seed redraws the subset and the initial weights, as `seed`.
 */
export function parseSeeds(text: string, base: number, maxSeed = 2 ** 32 - 1): SeedsParse {
  const t = text.trim();
  if (!t.includes(',')) {
    if (!/^\d+$/.test(t)) return { ok: false, why: `"${text}" is neither a count (1–${MAX_SEEDS}) nor a list of seeds "1,2,3"` };
    const n = Number(t);
    if (n < 1 || n > MAX_SEEDS) return { ok: false, why: `a count of seeds is 1–${MAX_SEEDS}, got ${n} (a list "1,2,3" names seeds)` };
    if (base + n - 1 > maxSeed) return { ok: false, why: `seeds ${base}…${base + n - 1} pass the largest seed ${maxSeed}` };
    return { ok: true, seeds: Array.from({ length: n }, (_, i) => base + i) };
  }
  const parts = t.split(',').map((s) => s.trim());
  const seeds: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p) || Number(p) > maxSeed) return { ok: false, why: `"${p}" is not a seed (an integer 0–${maxSeed})` };
    const s = Number(p);
    if (seeds.includes(s)) return { ok: false, why: `seed ${s} is given twice` };
    seeds.push(s);
  }
  if (seeds.length > MAX_SEEDS) return { ok: false, why: `at most ${MAX_SEEDS} seeds, got ${seeds.length}` };
  return { ok: true, seeds };
}

/** The seeds as they are written back: a count when they run on from `base`, else the list. */
export function formatSeeds(seeds: readonly number[], base: number): string {
  return seeds.every((s, i) => s === base + i) ? String(seeds.length) : seeds.join(',');
}

/**
 * The mean of records of one shape (e.g. one epoch's metrics of each seed): every number is averaged over the
 * records where it is finite, arrays element by element, objects key by key; anything else is the first record's.
 * The charts draw a group as this mean run.
 */
export function meanRecord<T>(records: readonly T[]): T {
  return meanAt(records as readonly unknown[]) as T;
}

function meanAt(vs: readonly unknown[]): unknown {
  const first = vs[0];
  if (vs.length <= 1) return first;
  if (typeof first === 'number' || first === null) {
    let s = 0;
    let n = 0;
    for (const v of vs)
      if (typeof v === 'number' && Number.isFinite(v)) {
        s += v;
        n++;
      }
    return n ? s / n : first;
  }
  if (Array.isArray(first)) {
    const arrays = vs.filter((v): v is unknown[] => Array.isArray(v));
    return first.map((_, i) => meanAt(arrays.filter((a) => i < a.length).map((a) => a[i])));
  }
  if (ArrayBuffer.isView(first)) return first;
  if (first && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    const objs = vs.filter((v): v is Record<string, unknown> => !!v && typeof v === 'object');
    for (const k of Object.keys(first)) out[k] = meanAt(objs.filter((o) => k in o).map((o) => o[k]));
    return out;
  }
  return first;
}

/** Each key's summary over the records (e.g. every seed's final overall / many / medium / few accuracy). */
export function summarizeFields<K extends string>(
  records: readonly Partial<Record<K, number | null>>[],
  keys: readonly K[],
): Record<K, Summary> {
  const out = {} as Record<K, Summary>;
  for (const k of keys) out[k] = summarize(records.map((r) => r[k] ?? NaN));
  return out;
}
