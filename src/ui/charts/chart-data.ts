/**
 * Pure data shaping for the live charts (no React, no DOM): sorting classes by training count, time axes,
 * merging runs into one row array, many/medium/few series, box statistics, confusion normalisation, palettes.
 */
import type { BatchInfo, EpochMetrics } from '../../core/train/trainer';
import type { Group } from '../../core/data/types';
import { perClassScores, type PerClassScores } from '../../core/metrics/classification';
import { decimateIndices, scratchBuffers, type XY } from './decimate';
import type { RunSeries } from './types';
import { logScale, niceAbove, niceScale } from './scale';
import { meanRecord, summarize, summarizeSeries, type Summary } from '../../core/train/groups';
import { formatCompact, percent } from '../../core/format';

export const GROUPS: readonly Group[] = ['many', 'medium', 'few'];
/** Okabe–Ito colours (colour-blind safe). */
export const GROUP_COLORS: Readonly<Record<Group, string>> = { many: '#0072B2', medium: '#E69F00', few: '#D55E00' };
export const GROUP_LABELS: Readonly<Record<Group, string>> = {
  many: 'Many (> 100 images)',
  medium: 'Medium (20–100)',
  few: 'Few (< 20)',
};
/** Dash pattern per group (redundant with colour, and the group cue when colour encodes the run). */
export const GROUP_DASH: Readonly<Record<Group, string | undefined>> = { many: undefined, medium: '9 4', few: '2 3' };

// ---------------------------------------------------------------- formatting

/** Compact number: 3 significant digits, "—" for missing values. */
export const fmt = formatCompact;

/** Percentage from a value already in percent (one decimal). */
export function fmtPct(v: number | null | undefined): string {
  return percent(v, { from: 'percent', unit: ' %' });
}

export function ellipsize(s: string, max: number): string {
  if (max < 2 || s.length <= max) return s;
  return `${s.slice(0, max - 1)}…`;
}

/** Finite number or null (a missing value: the line charts connect over it). */
export function finiteOrNull(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

// ---------------------------------------------------------------- classes

/** Class indices ordered by training count, largest first (ties: lower index first). */
export function sortByCount(counts: readonly number[]): number[] {
  return counts.map((_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
}

/** rank[c] = position of class c in `order`. */
export function rankOf(order: readonly number[]): number[] {
  const r = new Array<number>(order.length);
  order.forEach((c, i) => {
    r[c] = i;
  });
  return r;
}

/** Groups that have at least one class, in many → medium → few order. */
export function presentGroups(groups: readonly Group[]): Group[] {
  return GROUPS.filter((g) => groups.includes(g));
}

/** Mean of the finite values of the classes in group `g` (null when there are none). */
export function groupMean(values: readonly (number | null)[] | undefined, groups: readonly Group[], g: Group): number | null {
  if (!values) return null;
  let s = 0;
  let n = 0;
  for (let c = 0; c < groups.length; c++) {
    if (groups[c] !== g) continue;
    const v = values[c];
    if (v === undefined || v === null || !Number.isFinite(v)) continue;
    s += v;
    n++;
  }
  return n ? s / n : null;
}

export interface GroupStats {
  mean: number;
  min: number;
  max: number;
  /** Classes with a finite value. */
  n: number;
}

/** Mean, min and max of the finite values of the classes in group `g` (null when there are none). */
export function groupStats(values: readonly (number | null)[] | undefined, groups: readonly Group[], g: Group): GroupStats | null {
  if (!values) return null;
  let s = 0;
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let c = 0; c < groups.length; c++) {
    if (groups[c] !== g) continue;
    const v = values[c];
    if (v === undefined || v === null || !Number.isFinite(v)) continue;
    s += v;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return n ? { mean: s / n, min, max, n } : null;
}

// ---------------------------------------------------------------- colours

function hexToRgb(h: string): [number, number, number] {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Linear interpolation through colour stops (#rrggbb), t in [0, 1]. */
export function interpolateColor(stops: readonly string[], t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexToRgb(stops[i]);
  const b = hexToRgb(stops[i + 1]);
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Head → tail sequential palette (plasma, cut before the light yellow so every line reads on white). */
export const SEQUENTIAL_STOPS = ['#0d0887', '#5c01a6', '#9c179e', '#cc4778', '#e66c5c', '#f89540'] as const;
export const sequentialColor = (t: number): string => interpolateColor(SEQUENTIAL_STOPS, t);

/** Categorical palette for up to 10 classes (Tableau 10). */
export const CLASS_PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

/**
 * One colour per class, by its rank in training count: up to 10 classes the categorical palette (head first),
 * above that the head → tail sequential palette.
 */
export function classColors(counts: readonly number[]): string[] {
  const C = counts.length;
  const rank = rankOf(sortByCount(counts));
  return counts.map((_, c) => (C <= CLASS_PALETTE.length ? CLASS_PALETTE[rank[c]] : sequentialColor(C > 1 ? rank[c] / (C - 1) : 0)));
}

/** Confusion-matrix ramp (ColorBrewer Blues). */
export const HEAT_STOPS = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'] as const;
export const heatColor = (t: number): string => interpolateColor(HEAT_STOPS, t);

// ---------------------------------------------------------------- time axis

/** x of an epoch's metrics: the end of the epoch (stage 2 continues after the stage-1 epochs). */
export function epochX(m: Pick<EpochMetrics, 'stage' | 'epoch'>, totalEpochs: number): number {
  return (m.stage === 2 ? totalEpochs : 0) + m.epoch + 1;
}

/** x of a batch: fractional epoch at the end of the batch, so the last batch of epoch e sits at e + 1. */
export function batchX(b: Pick<BatchInfo, 'stage' | 'epoch' | 'batch' | 'batchesPerEpoch'>, totalEpochs: number): number {
  return (b.stage === 2 ? totalEpochs : 0) + b.epoch + (b.batch + 1) / Math.max(1, b.batchesPerEpoch);
}

const ids = new WeakMap<object, number>();
let nextId = 1;
/** A number per object (arrays, runs' epochs), stable for its lifetime: for memo keys. */
export function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

/**
 * What the per-epoch data of the runs depends on, as a string: the identity of each run's `epochs` array (treated as
 * immutable), its label, colour and stage-1 epochs. A new batch (new `batches` array) leaves it unchanged.
 */
export function epochsKey(runs: readonly RunSeries[]): string {
  return runs.map((r) => `${idOf(r.epochs)}|${r.id}|${r.label}|${r.color}|${r.stage1Epochs ?? ''}`).join('\n');
}

export function hasStage2(runs: readonly RunSeries[]): boolean {
  return runs.some((r) => r.epochs.some((e) => e.stage === 2) || r.batches.some((b) => b.stage === 2));
}

/** Upper end of the shared time axis: the stage-1 epochs plus the longest stage 2 seen. */
export function timeMax(runs: readonly RunSeries[], totalEpochs: number): number {
  let max = Math.max(1, totalEpochs);
  for (const r of runs) {
    const t = r.stage1Epochs ?? totalEpochs;
    for (const e of r.epochs)
      if (e.stage === 2) max = Math.max(max, t + e.epochsInStage, epochX(e, t));
      else max = Math.max(max, epochX(e, t));
    const b = r.batches[r.batches.length - 1];
    if (b) max = Math.max(max, Math.ceil(batchX(b, t)));
  }
  return max;
}

/** Per-batch training loss as (fractional epoch, loss), decimated to at most `maxPoints`. */
export function lossPoints(batches: readonly BatchInfo[], totalEpochs: number, maxPoints: number): XY[] {
  const n = batches.length;
  const [xs, ys] = scratchBuffers(n);
  for (let i = 0; i < n; i++) {
    const b = batches[i];
    xs[i] = (b.stage === 2 ? totalEpochs : 0) + b.epoch + (b.batch + 1) / (b.batchesPerEpoch > 0 ? b.batchesPerEpoch : 1);
    ys[i] = b.loss;
  }
  const idx = decimateIndices(xs, ys, maxPoints, n);
  const out = new Array<XY>(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = { x: xs[idx[k]], y: ys[idx[k]] };
  return out;
}

/** Quantile p of the first n values of a sorted typed array (linear interpolation). */
function sortedQuantile(v: Float64Array, n: number, p: number): number {
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (h - lo);
}

export interface LossRange {
  lo: number;
  hi: number;
  ticks: number[];
  log: boolean;
  /** Plotted values above `hi` (drawn at the top edge, marked). */
  clipped: number;
}

/** Share of the plotted values the loss axis is sized to, and the headroom above it (share of its span). */
const LOSS_RANGE_QUANTILE = 0.95;
const LOSS_RANGE_HEADROOM = 0.25;

/**
 * y-range of a loss chart robust to the first batches: when the largest values lie well above the bulk (a 95th
 * percentile plus a quarter of its distance to the minimum, in log space on a log axis), the axis stops there and
 * those values are clipped; otherwise it covers every value. Linear axes start at 0, log axes at a power of ten
 * below the smallest positive value (values ≤ 0 are not drawn on a log axis).
 */
export function lossRange(values: Iterable<number>, log = false): LossRange {
  let buf = new Float64Array(256);
  let n = 0;
  for (const raw of values) {
    if (!Number.isFinite(raw) || (log && raw <= 0)) continue;
    if (n === buf.length) {
      const b = new Float64Array(n * 2);
      b.set(buf);
      buf = b;
    }
    buf[n++] = log ? Math.log10(raw) : raw;
  }
  const v = buf.subarray(0, n).sort();
  let cut: number | undefined;
  if (n > 0) {
    const q = sortedQuantile(v, n, LOSS_RANGE_QUANTILE);
    const limit = q + LOSS_RANGE_HEADROOM * (q - v[0]);
    if (v[n - 1] > limit) cut = log ? 10 ** limit : limit;
  }
  const min = n ? (log ? 10 ** v[0] : v[0]) : NaN;
  const max = n ? (log ? 10 ** v[n - 1] : v[n - 1]) : NaN;
  let sc: { lo: number; hi: number; ticks: number[] };
  if (log) sc = logScale(min, max, cut === undefined ? undefined : niceAbove(cut));
  else sc = niceScale(Math.min(0, min), cut ?? max, { domain: [Math.min(0, Number.isFinite(min) ? min : 0), 'auto'] });
  let clipped = 0;
  for (let i = n - 1; i >= 0 && (log ? 10 ** v[i] : v[i]) > sc.hi * (1 + 1e-12); i--) clipped++;
  return { ...sc, log, clipped };
}

/**
 * Points above `hi` drawn at `hi` (the line runs along the top edge) and their x positions (for the markers);
 * returns `points` itself when none is above.
 */
export function clipPoints(points: readonly XY[], hi: number): { points: readonly XY[]; clipped: number[] } {
  const clipped: number[] = [];
  for (const p of points) if (p.y > hi) clipped.push(p.x);
  if (!clipped.length) return { points, clipped };
  return { points: points.map((p) => (p.y > hi ? { x: p.x, y: hi } : p)), clipped };
}

/**
 * A row of a time chart: x and one value per series key, flat.
 * Series keys never equal "x".
 */
export type TimeRow = { x: number } & Record<string, number | null>;

/** Merges several (x, y) series into rows sorted by x; a series without a value at some x is absent there. */
export function mergeByX(series: ReadonlyArray<{ key: string; points: readonly XY[] }>): TimeRow[] {
  const byX = new Map<number, TimeRow>();
  for (const s of series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.x)) continue;
      let row = byX.get(p.x);
      if (!row) {
        row = { x: p.x } as TimeRow;
        byX.set(p.x, row);
      }
      row[s.key] = finiteOrNull(p.y);
    }
  }
  return [...byX.values()].sort((a, b) => a.x - b.x);
}

/**
 * At most `maxRows` rows, evenly spaced by index, first and last kept (for per-epoch series, which are smooth:
 * 200 epochs draw as 120 points). Returns `rows` itself when short enough.
 */
export function thinRows<T>(rows: readonly T[], maxRows: number): readonly T[] {
  const n = rows.length;
  const m = Math.floor(maxRows);
  if (n <= m) return rows;
  if (m <= 1) return m === 1 ? [rows[n - 1]] : [];
  const out: T[] = [];
  let prev = -1;
  for (let i = 0; i < m; i++) {
    const j = Math.round((i * (n - 1)) / (m - 1));
    if (j !== prev) out.push(rows[j]);
    prev = j;
  }
  return out;
}

/** Test accuracy (%) per epoch. */
export function accuracyPoints(epochs: readonly EpochMetrics[], totalEpochs: number): XY[] {
  // no test images: a gap (the tables and tooltips show "–")
  return epochs.map((e) => ({ x: epochX(e, totalEpochs), y: e.testAccuracy === null ? NaN : e.testAccuracy * 100 }));
}

/** Many/medium/few accuracy (%) per epoch: one row per epoch, null where a group has no class. */
export function groupAccuracySeries(
  epochs: readonly EpochMetrics[],
  totalEpochs: number,
): Array<{ x: number } & Record<Group, number | null>> {
  const p = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? null : v * 100);
  return epochs.map((e) => ({
    x: epochX(e, totalEpochs),
    many: p(e.groupAccuracy.many),
    medium: p(e.groupAccuracy.medium),
    few: p(e.groupAccuracy.few),
  }));
}

export type NormMode = 'class' | 'group';
export type NormSide = 'tr' | 'te';

/** Key of a feature-norm series: run index, train/test, class index or group. */
export const normKey = (run: number, side: NormSide, what: number | Group): string =>
  `r${run}${side}${typeof what === 'number' ? `c${what}` : what}`;

/** Whether a run trained with FBL (its epochs carry the FBL stimulus α(t)·A·d̂_c). */
export const isFblRun = (r: RunSeries): boolean => r.epochs.some((e) => !!e.lossPerClass?.stimulus);

/** Keys of the lower and upper edge of a series' band (the group's min and max over its classes). */
export const bandKeys = (key: string): { lo: string; hi: string } => ({ lo: `${key}lo`, hi: `${key}hi` });

/** A seed group's members that have epochs ([] for a plain run). */
export const seedMembers = (r: RunSeries): readonly RunSeries[] => (r.seeds ?? []).filter((m) => m.epochs.length > 0);

/** Key of a run's FBL curriculum α(t) series. */
export const alphaKey = (run: number): string => `a${run}`;

/**
 * Feature norms over epochs for every run: per class (`mode` 'class') or the mean over each group ('group', with
 * the group's min and max over its classes under `bandKeys`), train and test, plus the FBL curriculum α(t) of each
 * FBL run (its own epochs) under `alphaKey(run)`.
 */
export function featureNormRows(
  runs: readonly RunSeries[],
  groups: readonly Group[],
  totalEpochs: number,
  mode: NormMode,
  perSeed = false,
): TimeRow[] {
  const series: Array<{ key: string; points: XY[] }> = [];
  const C = groups.length;
  const gs = presentGroups(groups);
  runs.forEach((r, i) => {
    const t = r.stage1Epochs ?? totalEpochs;
    for (const side of ['tr', 'te'] as const) {
      const get = (e: EpochMetrics) => (side === 'tr' ? e.featureNormTrain : e.featureNormTest);
      if (mode === 'class') {
        for (let c = 0; c < C; c++) {
          series.push({
            key: normKey(i, side, c),
            points: r.epochs.map((e) => ({ x: epochX(e, t), y: get(e)?.[c] ?? NaN })),
          });
        }
      } else {
        for (const g of gs) {
          const key = normKey(i, side, g);
          const st = r.epochs.map((e) => ({ x: epochX(e, t), s: groupStats(get(e), groups, g) }));
          const b = bandKeys(key);
          series.push({ key, points: st.map((p) => ({ x: p.x, y: p.s?.mean ?? NaN })) });
          const members = seedMembers(r);
          if (members.length < 2) {
            series.push(
              { key: b.lo, points: st.map((p) => ({ x: p.x, y: p.s?.min ?? NaN })) },
              { key: b.hi, points: st.map((p) => ({ x: p.x, y: p.s?.max ?? NaN })) },
            );
            continue;
          }
          // a seed group: the band is the mean ± std over its seeds of the group's mean norm, each seed's on demand
          const each = members.map((m) =>
            m.epochs.map((e) => ({ x: epochX(e, m.stage1Epochs ?? t), y: groupMean(get(e), groups, g) ?? NaN })),
          );
          const band = spreadPoints(each);
          series.push({ key: b.lo, points: band.lo }, { key: b.hi, points: band.hi });
          if (perSeed) each.forEach((points, k) => series.push({ key: seedKey(key, k), points }));
        }
      }
    }
    if (isFblRun(r)) series.push({ key: alphaKey(i), points: r.epochs.map((e) => ({ x: epochX(e, t), y: e.alpha })) });
  });
  return mergeByX(series);
}

// ---------------------------------------------------------------- per-class (last epoch) charts

export interface ClassRow {
  /** Unique category key (class index as text; class names may repeat). */
  key: string;
  cls: number;
  name: string;
  count: number;
  group: Group;
  v: Record<string, number | null>;
}

/** One row per class, sorted by training count (descending). */
export function classRows(counts: readonly number[], groups: readonly Group[], classNames: readonly string[]): ClassRow[] {
  return sortByCount(counts).map((c) => ({
    key: String(c),
    cls: c,
    name: classNames[c] ?? `class ${c}`,
    count: counts[c],
    group: groups[c] ?? 'many',
    v: {},
  }));
}

/** Last epoch of a run satisfying `pred` (e.g. the last one with a GCL cloud). */
export function lastEpochWhere(epochs: readonly EpochMetrics[], pred: (e: EpochMetrics) => boolean = () => true): EpochMetrics | undefined {
  for (let i = epochs.length - 1; i >= 0; i--) if (pred(epochs[i])) return epochs[i];
  return undefined;
}

export type ClassMetric = 'accuracy' | 'precision' | 'recall' | 'f1';
export const CLASS_METRIC_LABELS: Readonly<Record<ClassMetric, string>> = {
  accuracy: 'accuracy',
  precision: 'precision',
  recall: 'recall',
  f1: 'F1',
};

/** Per-class precision, recall and F1 of an epoch, computed once per epoch (epochs are immutable). */
const scoresOf = new WeakMap<object, PerClassScores>();
export function epochScores(e: EpochMetrics): PerClassScores {
  let s = scoresOf.get(e);
  if (!s) scoresOf.set(e, (s = perClassScores(e.confusion ?? [])));
  return s;
}

/** A per-class metric of an epoch (fractions; null where undefined). */
function classMetricOf(e: EpochMetrics, metric: ClassMetric): readonly (number | null)[] {
  return metric === 'accuracy' ? e.perClassAccuracy : epochScores(e)[metric];
}

/** Keys of the lower and upper end of a series' error bar (a seed group's mean ∓ one std). */
export const errorKeys = (key: string): { lo: string; hi: string } => ({ lo: `${key}elo`, hi: `${key}ehi` });
/** Key of one seed's own value of a series. */
export const seedKey = (key: string, k: number): string => `${key}s${k}`;

/**
 * A seed group's per-class metric (%) at each seed's own last epoch: every seed's values and, per class, their
 * summary (mean, sample std). Precision, recall and F1 are each seed's own (not those of the mean confusion matrix).
 * Null for a run that is not a group of two or more seeds with epochs.
 */
export function classSeedSpread(r: RunSeries, metric: ClassMetric): { summaries: Summary[]; seeds: (number | null)[][] } | null {
  const members = seedMembers(r);
  if (members.length < 2) return null;
  const seeds = members.map((m) =>
    classMetricOf(m.epochs[m.epochs.length - 1], metric).map((a) =>
      a === null || a === undefined || !Number.isFinite(a) ? null : a * 100,
    ),
  );
  const C = Math.max(0, ...seeds.map((v) => v.length));
  const summaries: Summary[] = [];
  for (let c = 0; c < C; c++) summaries.push(summarize(seeds.map((v) => v[c] ?? NaN)));
  return { summaries, seeds };
}

/**
 * A per-class test metric (%, default accuracy) of each run's last epoch under keys r0, r1, …; sorted by training
 * count.
 */
export function perClassAccuracyRows(
  runs: readonly RunSeries[],
  counts: readonly number[],
  groups: readonly Group[],
  classNames: readonly string[],
  metric: ClassMetric = 'accuracy',
): ClassRow[] {
  const rows = classRows(counts, groups, classNames);
  const pctOr = (a: number | null | undefined) => (a === undefined || a === null || !Number.isFinite(a) ? null : a * 100);
  runs.forEach((r, i) => {
    const spread = classSeedSpread(r, metric);
    if (spread) {
      // a seed group: the mean over its seeds per class, ± one std (`errorKeys`), and each seed's value (`seedKey`)
      const e = errorKeys(`r${i}`);
      for (const row of rows) {
        const st = spread.summaries[row.cls];
        const ok = st && st.n > 0;
        row.v[`r${i}`] = ok ? st.mean : null;
        row.v[e.lo] = ok && st.n > 1 ? st.mean - st.std : null;
        row.v[e.hi] = ok && st.n > 1 ? st.mean + st.std : null;
        spread.seeds.forEach((vs, k) => (row.v[seedKey(`r${i}`, k)] = vs[row.cls] ?? null));
      }
      return;
    }
    const last = lastEpochWhere(r.epochs);
    if (!last) return;
    const values = classMetricOf(last, metric);
    for (const row of rows) row.v[`r${i}`] = pctOr(values[row.cls]);
  });
  return rows;
}

/** Contiguous stretches of one group in sorted rows (for background bands). */
export function groupBands(rows: readonly ClassRow[]): Array<{ group: Group; from: string; to: string; n: number }> {
  const out: Array<{ group: Group; from: string; to: string; n: number }> = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last.group === r.group) {
      last.to = r.key;
      last.n++;
    } else out.push({ group: r.group, from: r.key, to: r.key, n: 1 });
  }
  return out;
}

/** Copies per-class `values` (× `mul`) into each row's `v[key]` (null where missing or not finite). */
export function fillPerClass(rows: ClassRow[], values: readonly number[] | undefined, key: string, mul = 1): void {
  for (const row of rows) {
    const v = values?.[row.cls];
    row.v[key] = v === undefined || !Number.isFinite(v) ? null : v * mul;
  }
}

// ---------------------------------------------------------------- box statistics

export interface BoxStats {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  mean: number;
}

/** Five-number summary and mean of the finite values (quantiles by linear interpolation); null when empty. */
export function boxStats(values: readonly number[] | undefined): BoxStats | null {
  if (!values) return null;
  // a typed array sorts numerically without a comparator (several times faster for 100 classes × 128 samples)
  const v = new Float64Array(values.length);
  let n = 0;
  for (const x of values) if (Number.isFinite(x)) v[n++] = x;
  v.subarray(0, n).sort();
  if (n === 0) return null;
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(n - 1, lo + 1);
    return v[lo] + (v[hi] - v[lo]) * (h - lo);
  };
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i];
  return { n, min: v[0], q1: q(0.25), median: q(0.5), q3: q(0.75), max: v[n - 1], mean: s / n };
}

/** Box statistics per class of an epoch's sampled GCL noise, computed once per epoch (epochs are immutable). */
const noiseStats = new WeakMap<readonly (readonly number[])[], Array<BoxStats | null>>();
function noiseStatsOf(noise: readonly (readonly number[])[]): Array<BoxStats | null> {
  let st = noiseStats.get(noise);
  if (!st) {
    st = noise.map((v) => boxStats(v as number[]));
    noiseStats.set(noise, st);
  }
  return st;
}

export interface BoxRow extends ClassRow {
  /** Per run key: [min, max] for the range bar, and the full statistics for the custom shape and tooltip. */
  range: Record<string, [number, number] | null>;
  stats: Record<string, BoxStats | null>;
}

/** Box statistics of the GCL noise sampled in each run's last GCL batch, per class, sorted by count. */
export function gclBoxRows(
  runs: readonly RunSeries[],
  counts: readonly number[],
  groups: readonly Group[],
  classNames: readonly string[],
): BoxRow[] {
  const rows: BoxRow[] = classRows(counts, groups, classNames).map((r) => ({ ...r, range: {}, stats: {} }));
  runs.forEach((r, i) => {
    const e = lastEpochWhere(r.epochs, (m) => !!m.gclNoiseLastBatch);
    if (!e?.gclNoiseLastBatch) return;
    const all = noiseStatsOf(e.gclNoiseLastBatch);
    for (const row of rows) {
      const st = all[row.cls] ?? null;
      row.stats[`r${i}`] = st;
      row.range[`r${i}`] = st ? [st.min, st.max] : null;
      row.v[`r${i}max`] = st ? st.max : null;
      row.v[`r${i}median`] = st ? st.median : null;
    }
  });
  return rows;
}

// ---------------------------------------------------------------- confusion matrix

export interface NormalisedConfusion {
  /** rates[t][p] = confusion[t][p] / totals[t] (0 for a class without test images). */
  rates: number[][];
  /** Test images per true class. */
  totals: number[];
}

export function normaliseConfusion(confusion: readonly (readonly number[])[]): NormalisedConfusion {
  const totals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const rates = confusion.map((row, t) => row.map((v) => (totals[t] > 0 ? v / totals[t] : 0)));
  return { rates, totals };
}

export interface ConfusionSummary {
  /** Mean of the diagonal over classes with test images (= balanced accuracy). */
  meanDiagonal: number | null;
  /** The largest off-diagonal rate. */
  worst: { t: number; p: number; rate: number } | null;
}

export function confusionSummary(n: NormalisedConfusion): ConfusionSummary {
  let s = 0;
  let k = 0;
  let worst: ConfusionSummary['worst'] = null;
  n.rates.forEach((row, t) => {
    if (n.totals[t] === 0) return;
    s += row[t] ?? 0;
    k++;
    row.forEach((r, p) => {
      if (p !== t && r > 0 && (!worst || r > worst.rate)) worst = { t, p, rate: r };
    });
  });
  return { meanDiagonal: k ? s / k : null, worst };
}

/** The most frequent wrong prediction of true class t (null when it has none). */
export function topConfusion(row: readonly number[], t: number): { p: number; rate: number } | null {
  let best: { p: number; rate: number } | null = null;
  row.forEach((r, p) => {
    if (p !== t && r > 0 && (!best || r > best.rate)) best = { p, rate: r };
  });
  return best;
}

// ---------------------------------------------------------------- seed groups

/** Epochs averaged index by index (the feature space is one seed's: points of different images do not average). */
function meanEpochs(members: readonly (readonly EpochMetrics[])[]): EpochMetrics[] {
  const n = Math.max(0, ...members.map((m) => m.length));
  const out: EpochMetrics[] = [];
  for (let i = 0; i < n; i++) {
    const at = members.filter((m) => i < m.length).map((m) => m[i]);
    if (at.length === 1) {
      out.push(at[0]);
      continue;
    }
    const fs = at.find((e) => e.featureSpace)?.featureSpace;
    const m = meanRecord(at.map(({ featureSpace: _fs, ...rest }) => rest)) as EpochMetrics;
    out.push(fs ? { ...m, featureSpace: fs } : m);
  }
  return out;
}

/** Batches averaged index by index: loss and lr; the position fields are the longest member's. */
function meanBatches(members: readonly (readonly BatchInfo[])[]): BatchInfo[] {
  const longest = members.reduce<readonly BatchInfo[]>((a, b) => (b.length > a.length ? b : a), []);
  return longest.map((b, i) => {
    let loss = 0;
    let lr = 0;
    let n = 0;
    for (const m of members)
      if (i < m.length && Number.isFinite(m[i].loss)) {
        loss += m[i].loss;
        lr += m[i].lr;
        n++;
      }
    return n > 1 ? { ...b, loss: loss / n, lr: lr / n } : b;
  });
}

const groupCache = new Map<string, { epochs: readonly object[]; batches: readonly object[]; run: RunSeries }>();
const sameRefs = (a: readonly object[], b: readonly object[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A seed group as one run for the charts: the members' mean epochs and batches, the members themselves in `seeds`.
 * The means are kept per group id while its members' arrays are the same (a running seed recomputes only its own
 * group, and the epoch means only when an epoch ends).
 */
export function seedGroupRun(id: string, label: string, color: string, members: readonly RunSeries[]): RunSeries {
  const eps = members.map((m) => m.epochs);
  const bs = members.map((m) => m.batches);
  const hit = groupCache.get(id);
  if (hit && sameRefs(hit.epochs, eps) && sameRefs(hit.batches, bs) && hit.run.label === label && hit.run.color === color) {
    if (hit.run.seeds && sameRefs(hit.run.seeds, members)) return hit.run;
    const run = { ...hit.run, seeds: members };
    groupCache.set(id, { ...hit, run });
    return run;
  }
  const epochs = hit && sameRefs(hit.epochs, eps) ? hit.run.epochs : meanEpochs(eps);
  const batches = hit && sameRefs(hit.batches, bs) ? hit.run.batches : meanBatches(bs);
  const run: RunSeries = { id, label, color, epochs, batches, stage1Epochs: members[0]?.stage1Epochs, seeds: members };
  if (groupCache.size > 64) groupCache.clear();
  groupCache.set(id, { epochs: eps, batches: bs, run });
  return run;
}

/** The mean ± sample std of the members' series, index by index (x of the longest): the band's two edges. */
export function spreadPoints(members: readonly (readonly XY[])[]): { lo: XY[]; hi: XY[] } {
  const longest = members.reduce<readonly XY[]>((a, b) => (b.length > a.length ? b : a), []);
  const s = summarizeSeries(members.map((m) => m.map((p) => p.y)));
  const lo: XY[] = [];
  const hi: XY[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i].n < 2) continue;
    lo.push({ x: longest[i].x, y: s[i].mean - s[i].std });
    hi.push({ x: longest[i].x, y: s[i].mean + s[i].std });
  }
  return { lo, hi };
}
