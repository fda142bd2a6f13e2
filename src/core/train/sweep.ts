/**
 * Sweep one hyperparameter (pure; the page's Compare-runs queue and `npm run train -- --sweep` share it): a loss
 * hyperparameter from the loss' schema that acts on the run (its loss and head; see sweepOptions), or the learning
 * rate, the batch size or the imbalance factor; 2–8 values
 * given as a list or as a range and a count → one run config per value, everything else equal (same seed, so the
 * same long-tail subset — unless IF is the swept value — and the same initial weights); or two of them, one run per
 * pair of values (the grid). Then the chosen metric of each finished run against the value, summarised per point
 * over its seeds (mean ± std), and the grid as a heat map.
 */
import type { TrainConfig } from './config';
import type { GroupAccuracy } from '../metrics/classification';
import type { HeadKind } from '../models/types';
import type { HyperParamSpec } from '../losses/types';
import { getLoss } from '../losses/registry';
import { ignoredOnHead } from '../losses/head-scale';
import { forcedHead } from '../losses/registry';
import { drwStartEpoch, fblAlpha } from './schedules';
import { numberField, parseDecimal } from './config-fields';
import { groupBy, summarize } from './groups';
import { percent } from '../format';

export const SWEEP_MIN_VALUES = 2;
export const SWEEP_MAX_VALUES = 8;

/** A parameter that can be swept for the current run. */
export interface SweepParam {
  /** 'lr' | 'batchSize' | 'imbalance' | a loss hyperparameter key. */
  id: string;
  label: string;
  min: number;
  max: number;
  integer: boolean;
  /** Suggested range scale. */
  log: boolean;
}

/** A parameter the run does not use, and why (shown under the picker; the CLI's error names it). */
export interface SweepSkipped {
  id: string;
  label: string;
  why: string;
}

/** The config settings a sweep can vary, with their range from the settings table. */
const GENERAL: SweepParam[] = (['lr', 'batchSize', 'imbalance'] as const).map((id) => {
  const { label, rule } = numberField(id);
  return { id, label, min: rule.min, max: rule.max, integer: !!rule.integer, log: true };
});

/** What decides which parameters a run uses: the loss and its head, and a few switches of the schedule and data. */
export type SweepBase = Pick<TrainConfig, 'loss' | 'head'> & Partial<Pick<TrainConfig, 'epochs' | 'profile' | 'fblCurriculum'>>;

/** The head the run trains with: the loss' own when it is defined on one, else the chosen one (as the trainer). */
export function sweepHead(c: Pick<TrainConfig, 'loss' | 'head'>): HeadKind {
  return forcedHead(c.loss)?.head ?? c.head;
}

/** "Cross-entropy on the linear head". */
export function runWords(c: Pick<TrainConfig, 'loss' | 'head'>): string {
  return `${getLoss(c.loss).label} on the ${sweepHead(c)} head`;
}

/** Why loss hyperparameter `spec` has no effect on run `c` (null: it has one). */
function unusedWhy(spec: HyperParamSpec, c: SweepBase): string | null {
  const def = getLoss(c.loss);
  if (spec.kind !== 'number') return 'it is an on/off switch, not a number';
  // the scale of the losses defined on either head multiplies a cosine head's outputs (head-scale.ts)
  if (ignoredOnHead(def.head, spec.key, sweepHead(c))) return "the linear head ignores it (it scales a cosine head's outputs)";
  const T = c.epochs;
  if (T !== undefined && T >= 1) {
    // LDAM: β only sets the DRW class weights, on from drwStartEpoch(T) (0-based) to the end
    if (def.switch?.kind === 'drw' && spec.key === 'beta' && drwStartEpoch(T) > T - 1)
      return `it sets the DRW class weights, and DRW would start at epoch ${drwStartEpoch(T) + 1}, after the run's ${T} epoch${T === 1 ? '' : 's'}`;
    // FBL: the stimulus is α(t)·A·d̂_c; with α(t) = 0 in every epoch A does nothing
    if (c.loss === 'fbl' && spec.key === 'A' && Array.from({ length: T }, (_, e) => fblAlpha(e, T, c.fblCurriculum)).every((a) => a === 0))
      return `the curriculum α(t) is 0 in every epoch of a ${T}-epoch run`;
  }
  return null;
}

/**
 * The parameters a sweep can vary for run `c`: the loss' numeric hyperparameters that act on this run (not the
 * cosine scale on a linear head; not LDAM's DRW β or FBL's A when the run is too short for DRW or α(t) to switch
 * on), then lr and batch size, and IF unless the data is used as is. Two-stage losses (GCL): the loss
 * hyperparameters, lr and batch size are those of stage 1 — stage 2 has its own settings, which are not swept.
 */
export function sweepOptions(c: SweepBase): { params: SweepParam[]; skipped: SweepSkipped[] } {
  const def = getLoss(c.loss);
  const stage = def.twoStage ? ', stage 1' : '';
  const params: SweepParam[] = [];
  const skipped: SweepSkipped[] = [];
  for (const s of def.schema) {
    const why = unusedWhy(s, c);
    if (why) skipped.push({ id: s.key, label: s.label, why });
    else
      params.push({
        id: s.key,
        label: `${s.label}${stage}`,
        min: s.min,
        max: s.max,
        integer: Number.isInteger(s.step) && s.step >= 1,
        log: false,
      });
  }
  for (const g of GENERAL) {
    if (g.id === 'imbalance' && c.profile === 'asis')
      skipped.push({ id: g.id, label: g.label, why: 'the data is used as is (no long-tail profile)' });
    else params.push({ ...g, label: `${g.label}${stage}` });
  }
  return { params, skipped };
}

/** The parameters a sweep can vary for run `c` (sweepOptions' list). */
export function sweepParams(c: SweepBase): SweepParam[] {
  return sweepOptions(c).params;
}

/** Aliases the CLI accepts for the general parameters. */
const ALIASES: Record<string, string> = { batch: 'batchSize', if: 'imbalance', IF: 'imbalance' };

export function findSweepParam(c: SweepBase, id: string): SweepParam | null {
  const key = ALIASES[id] ?? id;
  return sweepParams(c).find((p) => p.id === key) ?? null;
}

/** Why `id` cannot be swept for run `c`: not a parameter of the run, or one it does not use. */
export function sweepRefusal(c: SweepBase, id: string): string {
  const key = ALIASES[id] ?? id;
  const known = sweepParams(c)
    .map((p) => p.id)
    .join(', ');
  const skipped = sweepOptions(c).skipped.find((s) => s.id === key);
  if (skipped) return `"${key}" does not apply to ${runWords(c)}: ${skipped.why} (sweep one of: ${known})`;
  if (/^(stage2|s2)[._]/.test(key) && getLoss(c.loss).twoStage)
    return `"${key}" is a stage-2 setting: a sweep varies stage 1, and stage 2 runs with its own fixed settings (sweep one of: ${known})`;
  return `"${key}" cannot be swept with ${runWords(c)} (choose one of: ${known})`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

/** `count` values from `from` to `to` inclusive, evenly spaced (log-spaced when `log` and both ends > 0). */
export function rangeValues(from: number, to: number, count: number, log = false): number[] {
  if (count === 1) return [from];
  const useLog = log && from > 0 && to > 0;
  const a = useLog ? Math.log(from) : from;
  const b = useLog ? Math.log(to) : to;
  return Array.from({ length: count }, (_, i) => {
    const t = a + ((b - a) * i) / (count - 1);
    return Number((useLog ? Math.exp(t) : t).toPrecision(6));
  });
}

/**
 * Values from text: a comma-separated list ("0.1,0.3,0.5,1") or a range and a count ("0.1:1:4", "0.1..1 x4";
 * a trailing "log" spaces them geometrically). Checked against the parameter's bounds; 2–8 distinct values.
 */
export function parseSweepValues(text: string, p: SweepParam): Parsed<number[]> {
  const t = text.trim();
  let values: number[];
  const range = /^([^:,\s]+)\s*(?::|\.\.)\s*([^:,\s]+)\s*(?::|x|×)\s*(\d+)\s*(log)?$/i.exec(t);
  if (range) {
    const [from, to, count] = [parseDecimal(range[1]), parseDecimal(range[2]), Number(range[3])];
    if (from === null || to === null) return { ok: false, why: `the range ends must be numbers (got "${t}")` };
    if (count < SWEEP_MIN_VALUES || count > SWEEP_MAX_VALUES)
      return { ok: false, why: `a range needs a count of ${SWEEP_MIN_VALUES}–${SWEEP_MAX_VALUES} values (got ${count})` };
    values = rangeValues(from, to, count, !!range[4] || p.log);
    if (p.integer) values = values.map((v) => Math.round(v));
  } else {
    const parts = t.split(',').map((s) => s.trim());
    if (parts.some((s) => s === '')) return { ok: false, why: `give values as "a,b,c" or a range "from:to:count" (got "${t}")` };
    values = parts.map((s) => parseDecimal(s) ?? NaN);
    const bad = parts.find((s, i) => !Number.isFinite(values[i]));
    if (bad !== undefined) return { ok: false, why: `"${bad}" is not a number` };
  }
  return checkValues(values, p);
}

/** 2–8 distinct values inside the parameter's bounds (integers where it needs them). */
export function checkValues(values: number[], p: SweepParam): Parsed<number[]> {
  if (values.length < SWEEP_MIN_VALUES || values.length > SWEEP_MAX_VALUES)
    return { ok: false, why: `a sweep takes ${SWEEP_MIN_VALUES}–${SWEEP_MAX_VALUES} values (got ${values.length})` };
  for (const v of values) {
    if (!Number.isFinite(v)) return { ok: false, why: `${v} is not a number` };
    if (v < p.min || v > p.max) return { ok: false, why: `${p.label} ${v} is outside [${p.min}, ${p.max}]` };
    if (p.integer && !Number.isInteger(v)) return { ok: false, why: `${p.label} must be a whole number (got ${v})` };
  }
  if (new Set(values).size !== values.length) return { ok: false, why: `the values repeat (${values.join(', ')})` };
  return { ok: true, value: values };
}

/** `config` with the swept parameter set to `value` (a new object). */
export function withSweepValue(config: TrainConfig, paramId: string, value: number): TrainConfig {
  const c: TrainConfig = { ...config, lossParams: { ...config.lossParams }, stage2: { ...config.stage2 } };
  if (paramId === 'lr') c.lr = value;
  else if (paramId === 'batchSize') c.batchSize = value;
  else if (paramId === 'imbalance') c.imbalance = value;
  else c.lossParams[paramId] = value;
  return c;
}

export interface SweepRunSpec {
  index: number;
  value: number;
  /** The second parameter's value (two-parameter sweeps). */
  value2?: number;
  /** Short name for tables and pins, e.g. "noiseMul = 0.3" or "noiseMul = 0.3 · lr = 0.05". */
  label: string;
  config: TrainConfig;
}

export interface SweepPlan {
  param: SweepParam;
  values: number[];
  /** A second parameter: the runs are the grid of both value lists. */
  param2?: SweepParam;
  values2?: number[];
  runs: SweepRunSpec[];
}

/**
 * The queue: one config per value — or, with a second parameter, one per pair of values (the grid, the first
 * parameter's values outermost) — the rest of `config` unchanged.
 */
export function planSweep(
  config: TrainConfig,
  paramId: string,
  values: number[],
  second?: { paramId: string; values: number[] },
): Parsed<SweepPlan> {
  const param = findSweepParam(config, paramId);
  if (!param) return { ok: false, why: sweepRefusal(config, paramId) };
  const checked = checkValues(values, param);
  if (!checked.ok) return checked;
  if (!second) {
    const runs = checked.value.map((value, index) => ({
      index,
      value,
      label: `${param.id} = ${value}`,
      config: withSweepValue(config, param.id, value),
    }));
    return { ok: true, value: { param, values: checked.value, runs } };
  }
  const param2 = findSweepParam(config, second.paramId);
  if (!param2) return { ok: false, why: sweepRefusal(config, second.paramId) };
  if (param2.id === param.id) return { ok: false, why: `the two parameters are both ${param.id}: choose another second parameter` };
  const checked2 = checkValues(second.values, param2);
  if (!checked2.ok) return { ok: false, why: `second parameter: ${checked2.why}` };
  const runs: SweepRunSpec[] = [];
  for (const value of checked.value)
    for (const value2 of checked2.value)
      runs.push({
        index: runs.length,
        value,
        value2,
        label: `${param.id} = ${value} · ${param2.id} = ${value2}`,
        config: withSweepValue(withSweepValue(config, param.id, value), param2.id, value2),
      });
  return { ok: true, value: { param, values: checked.value, param2, values2: checked2.value, runs } };
}

/** Parses "KEY=VALUES" (the CLI's --sweep) against `config`'s loss. */
export function parseSweepArg(arg: string, config: TrainConfig): Parsed<SweepPlan> {
  const m = /^([A-Za-z][A-Za-z0-9_.]*)=(.+)$/.exec(arg.trim());
  if (!m) return { ok: false, why: `--sweep needs KEY=VALUES, e.g. noiseMul=0.1,0.3,0.5,1 or lr=0.01:0.1:3 (got "${arg}")` };
  const param = findSweepParam(config, m[1]);
  if (!param) return planSweep(config, m[1], []);
  const values = parseSweepValues(m[2], param);
  if (!values.ok) return values;
  return planSweep(config, param.id, values.value);
}

// ---------------------------------------------------------------------------------------------------------------
// Results

export type SweepMetric = 'overall' | 'many' | 'medium' | 'few' | 'tail3';
export const SWEEP_METRICS: readonly { id: SweepMetric; label: string }[] = [
  { id: 'overall', label: 'overall accuracy' },
  { id: 'many', label: 'many-shot accuracy' },
  { id: 'medium', label: 'medium-shot accuracy' },
  { id: 'few', label: 'few-shot accuracy' },
  { id: 'tail3', label: 'tail-3 accuracy' },
];
export type SweepWhen = 'last' | 'best';

/** What the summary needs of an epoch (EpochMetrics has it). */
export interface SweepEpoch {
  epoch: number;
  testAccuracy: number | null;
  groupAccuracy: GroupAccuracy;
  perClassAccuracy: (number | null)[];
  selection?: 'validation' | 'test';
  selectionScore?: number | null;
}

export interface SweepRunResult {
  value: number;
  value2?: number;
  /** The run's seed (sweeps over several seeds: one result per seed of each value). */
  seed?: number;
  label: string;
  /** Training count per class (tail-3 = the 3 classes with the fewest). */
  counts: number[];
  epochs: SweepEpoch[];
}

export interface SweepRow {
  value: number;
  value2?: number;
  seed?: number;
  label: string;
  /** 1-based epoch the metrics are read at. */
  epoch: number;
  /** What chose the best epoch (when = 'best'). */
  chosenOn: 'validation' | 'test' | null;
  overall: number | null;
  many: number | null;
  medium: number | null;
  few: number | null;
  tail3: number | null;
}

/** Mean accuracy of the k (≤ 3) classes with the fewest training images (ties: the higher class index first). */
export function tailMean(perClass: (number | null)[], counts: number[], k = 3): number | null {
  const order = counts
    .map((n, c) => [n, c])
    .sort((a, b) => a[0] - b[0] || b[1] - a[1])
    .map(([, c]) => c);
  const pick = order.slice(0, Math.min(k, Math.max(1, Math.floor(counts.length / 2)))).map((c) => perClass[c]);
  const ok = pick.filter((v): v is number => v !== null && !Number.isNaN(v));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
}

/** One row per finished run (runs without an epoch are left out), at the last or the best epoch. */
export function sweepRows(results: SweepRunResult[], when: SweepWhen): SweepRow[] {
  const rows: SweepRow[] = [];
  for (const r of results) {
    if (!r.epochs.length) continue;
    const score = (e: SweepEpoch) => e.selectionScore ?? e.testAccuracy ?? -1;
    const e = when === 'last' ? r.epochs[r.epochs.length - 1] : r.epochs.reduce((a, b) => (score(b) > score(a) ? b : a));
    rows.push({
      value: r.value,
      ...(r.value2 !== undefined ? { value2: r.value2 } : {}),
      ...(r.seed !== undefined ? { seed: r.seed } : {}),
      label: r.label,
      epoch: e.epoch + 1,
      chosenOn: when === 'best' ? (e.selection ?? 'test') : null,
      overall: e.testAccuracy,
      many: e.groupAccuracy.many,
      medium: e.groupAccuracy.medium,
      few: e.groupAccuracy.few,
      tail3: tailMean(e.perClassAccuracy, r.counts),
    });
  }
  return rows.sort((a, b) => a.value - b.value || (a.value2 ?? 0) - (b.value2 ?? 0));
}

const pc = (v: number | null) => percent(v, { unit: '' });

/** A markdown table of the rows (test accuracy %); a column for the second parameter when there is one. */
export function sweepTable(param: SweepParam, rows: SweepRow[], when: SweepWhen, param2?: SweepParam): string {
  const p2 = (v: string) => (param2 ? ` ${v} |` : '');
  const head = `| ${param.id} |${p2(param2?.id ?? '')} ${when} epoch |${when === 'best' ? ' chosen on |' : ''} overall | many | medium | few | tail-3 |`;
  const sep = `|---:|${param2 ? '---:|' : ''}---:|${when === 'best' ? '---|' : ''}---:|---:|---:|---:|---:|`;
  const body = rows.map(
    (r) =>
      `| ${r.value} |${p2(String(r.value2 ?? ''))} ${r.epoch} |${when === 'best' ? ` ${r.chosenOn} |` : ''} ${pc(r.overall)} | ${pc(r.many)} | ${pc(r.medium)} | ${pc(r.few)} | ${pc(r.tail3)} |`,
  );
  return [head, sep, ...body].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Grid points: a value (or pair of values) with its seeds

/** One point of the sweep: the metric of its seeds' runs, their mean and sample std. */
export interface SweepPoint {
  value: number;
  value2?: number;
  /** The metric of each seed's run (in the order they ran; null: not measured). */
  each: (number | null)[];
  /** Runs with a measured metric. */
  n: number;
  mean: number | null;
  /** Sample std over the seeds (0 for one run). */
  std: number;
  /** The epochs read (1-based), one per run. */
  epochs: number[];
  chosenOn: SweepRow['chosenOn'];
}

/** The rows (one per run) summarised per value or pair of values, in the rows' order. */
export function sweepPoints(rows: readonly SweepRow[], metric: SweepMetric): SweepPoint[] {
  return groupBy(rows, (r) => `${r.value}|${r.value2 ?? ''}`).map(({ items }) => {
    const each = items.map((r) => r[metric]);
    const s = summarize(each.map((v) => v ?? NaN));
    return {
      value: items[0].value,
      ...(items[0].value2 !== undefined ? { value2: items[0].value2 } : {}),
      each,
      n: s.n,
      mean: s.n ? s.mean : null,
      std: s.n ? s.std : 0,
      epochs: items.map((r) => r.epoch),
      chosenOn: items[0].chosenOn,
    };
  });
}

export interface HeatCell {
  value: number;
  value2: number;
  point: SweepPoint | null;
  /** Where the point's mean lies between the grid's lowest (0) and highest (1) mean; null: no point yet. */
  shade: number | null;
}

export interface HeatGrid {
  /** One row per value of the second parameter, each with one cell per value of the first. */
  rows: { value2: number; cells: HeatCell[] }[];
  min: number | null;
  max: number | null;
}

/**
 * The heat map of a two-parameter sweep: the first parameter's values across, the second's down, each cell the
 * point's mean, shaded from the grid's lowest to its highest mean (all equal: the middle shade). Points not yet
 * trained are empty cells.
 */
export function heatGrid(values: readonly number[], values2: readonly number[], points: readonly SweepPoint[]): HeatGrid {
  const means = points.map((p) => p.mean).filter((m): m is number => m !== null);
  const min = means.length ? Math.min(...means) : null;
  const max = means.length ? Math.max(...means) : null;
  const at = new Map(points.map((p) => [`${p.value}|${p.value2}`, p]));
  const shade = (m: number | null) => (m === null || min === null || max === null ? null : max > min ? (m - min) / (max - min) : 0.5);
  return {
    rows: values2.map((value2) => ({
      value2,
      cells: values.map((value) => {
        const point = at.get(`${value}|${value2}`) ?? null;
        return { value, value2, point, shade: shade(point?.mean ?? null) };
      }),
    })),
    min,
    max,
  };
}
