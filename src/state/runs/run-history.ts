/**
 * The shown runs as a history of experiments (pure): each run's numeric settings — the config's numbers and each
 * loss hyperparameter — and one metric of its last epoch, for a scatter of the metric against any one setting and
 * a simple ranking of which settings went with the metric: |Pearson r| of each setting that varies with the
 * metric over the runs. A correlation over a handful of runs is a hint where to look, not an effect size: the
 * ranking says how many runs it rests on.
 */
import type { TrainConfig } from '../../core/train/config';
import type { GroupAccuracy } from '../../core/metrics/classification';
import { getLoss } from '../../core/losses/registry';

/** The config numbers that are not settings of what is trained: a seed is a name, logEvery only logs. */
const NOT_A_PARAMETER: ReadonlySet<string> = new Set(['seed', 'logEvery']);

/**
 * Every number of a config that decides what is trained: top-level fields, `lossParams.<key>`, and `stage2.<key>`
 * for a two-stage loss (the others never run stage 2).
 */
export function numericParams(c: TrainConfig): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) if (typeof v === 'number' && Number.isFinite(v) && !NOT_A_PARAMETER.has(k)) out[k] = v;
  for (const [k, v] of Object.entries(c.lossParams ?? {})) if (typeof v === 'number' && Number.isFinite(v)) out[`lossParams.${k}`] = v;
  if (getLoss(c.loss).twoStage)
    for (const [k, v] of Object.entries(c.stage2 ?? {})) if (typeof v === 'number' && Number.isFinite(v)) out[`stage2.${k}`] = v;
  return out;
}

export type HistoryMetric = 'overall' | 'many' | 'medium' | 'few';
export const HISTORY_METRICS: readonly { id: HistoryMetric; label: string }[] = [
  { id: 'overall', label: 'overall accuracy' },
  { id: 'many', label: 'many-shot accuracy' },
  { id: 'medium', label: 'medium-shot accuracy' },
  { id: 'few', label: 'few-shot accuracy' },
];

/** What a run needs here (RunRecord has it). */
export interface HistoryRun {
  id: string;
  label: string;
  color: string;
  settings?: { config: TrainConfig } | null;
  epochs: readonly { testAccuracy: number | null; groupAccuracy: GroupAccuracy }[];
}

export interface HistoryPoint {
  id: string;
  label: string;
  color: string;
  params: Record<string, number>;
  /** The metric at the run's last epoch (a fraction; null: not measured). */
  metric: number | null;
}

/** The runs with settings and at least one epoch, each with its parameters and the metric of its last epoch. */
export function historyPoints(runs: readonly HistoryRun[], metric: HistoryMetric): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  for (const r of runs) {
    const last = r.epochs[r.epochs.length - 1];
    if (!last || !r.settings) continue;
    const m = metric === 'overall' ? last.testAccuracy : last.groupAccuracy[metric];
    out.push({
      id: r.id,
      label: r.label,
      color: r.color,
      params: numericParams(r.settings.config),
      metric: m === null || !Number.isFinite(m) ? null : m,
    });
  }
  return out;
}

/** Pearson's correlation of paired values; null with fewer than 3 pairs or when either side does not vary. */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

export interface Importance {
  param: string;
  /** Pearson r of the parameter with the metric (its sign: higher values went with a higher or lower metric). */
  r: number;
  /** Runs it rests on (with the parameter and a measured metric). */
  n: number;
  /** Distinct values of the parameter among them. */
  values: number;
}

/**
 * The parameters that vary across the measured runs, by |r| with the metric (largest first; ties by name). A
 * parameter with the same value in every run, or with fewer than 3 runs, has no r and is left out.
 */
export function paramImportance(points: readonly HistoryPoint[]): Importance[] {
  const measured = points.filter((p) => p.metric !== null);
  const names = new Set(measured.flatMap((p) => Object.keys(p.params)));
  const out: Importance[] = [];
  for (const param of names) {
    const pairs = measured.filter((p) => param in p.params);
    const xs = pairs.map((p) => p.params[param]);
    const r = pearson(
      xs,
      pairs.map((p) => p.metric as number),
    );
    if (r === null) continue;
    out.push({ param, r, n: pairs.length, values: new Set(xs).size });
  }
  return out.sort((a, b) => Math.abs(b.r) - Math.abs(a.r) || a.param.localeCompare(b.param));
}

/** The parameters worth a scatter: those that vary among the runs (ranked first, then the rest by name). */
export function variedParams(points: readonly HistoryPoint[], ranked: readonly Importance[]): string[] {
  const seen = new Map<string, Set<number>>();
  for (const p of points) for (const [k, v] of Object.entries(p.params)) (seen.get(k) ?? seen.set(k, new Set()).get(k)!).add(v);
  const varied = [...seen].filter(([, vs]) => vs.size > 1).map(([k]) => k);
  const first = ranked.map((i) => i.param).filter((k) => varied.includes(k));
  return [...first, ...varied.filter((k) => !first.includes(k)).sort()];
}
