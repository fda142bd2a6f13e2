/**
 * A finished run's numbers: the per-run summary (final and best epoch, many / medium / few), and the claims the
 * table and the Lesson check against them (pure).
 */
import { type Stage2Config, type TrainConfig } from '../../core/train/config';
import { type EpochMetrics } from '../../core/train/trainer';
import { RunId } from './runs';
import { percent } from '../../core/format';

// ---------------------------------------------------------------------------------------------------------------
// Records, summaries, table

/** Per-epoch metrics as stored (no per-batch GCL noise dump). */
export type SlimEpoch = Omit<EpochMetrics, 'gclNoiseLastBatch'>;

export interface ReproducedRun {
  tool: 'long-tail-playground reproduce';
  version: 1;
  id: RunId;
  label: string;
  profile: string;
  config: TrainConfig;
  stage: 1 | 2;
  stage2Config: Stage2Config | null;
  backend: string;
  tfjsVersion: string;
  date: string;
  host: string;
  /** FNV-1a of the initial backbone weights (equal for every run = same initial weights). */
  initHash: string;
  /** FNV-1a of the training subset's pool indices (equal for every run = same subset). */
  subsetHash: string;
  counts: number[];
  groups: string[];
  classNames: string[];
  testImages: number;
  halted: string | null;
  /** Stage-2 runs: which stage-1 epoch (0-based) the classifier re-training started from. */
  stage2Origin?: { from: 'last' | 'best'; epoch: number } | null;
  /** Wall seconds spent on this run (summed over sessions when resumed). */
  seconds: number;
  sessions: number;
  epochs: SlimEpoch[];
}

export interface Point {
  epoch: number;
  overall: number | null;
  many: number | null;
  medium: number | null;
  few: number | null;
  /** Mean accuracy of the 3 classes with the fewest training images. */
  tail3: number;
  /** Mean accuracy of the 3 classes with the most training images. */
  head3: number;
  perClass: (number | null)[];
}

export interface ReproducedSummary {
  id: RunId;
  label: string;
  epochs: number;
  final: Point;
  /** Best epoch by the selection score — overall test accuracy, or validation when a split was on (ties: the earliest). */
  best: Point;
  /** What chose the best epoch. */
  bestOn: 'validation' | 'test';
  /** Mean test feature norm of the 3 classes with the fewest images / of the 3 with the most (final epoch). */
  normRatioTail3Head3: number;
  /** Mean test feature norm of the medium+few classes / of the many classes (final epoch; null if a side is empty). */
  normRatioTailGroups: number | null;
  featureNormTest: (number | null)[];
  seconds: number;
  halted: string | null;
}

export const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

/** Class indices sorted by training count, most first (stable by index). */
export function classesByCount(counts: number[]): number[] {
  return counts
    .map((n, c) => [n, c])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .map(([, c]) => c);
}

function point(m: SlimEpoch, counts: number[]): Point {
  const order = classesByCount(counts);
  const k = Math.min(3, Math.floor(counts.length / 2)) || 1;
  const pick = (cls: number[]) => mean(cls.map((c) => m.perClassAccuracy[c]).filter((v): v is number => v !== null && !Number.isNaN(v)));
  return {
    epoch: m.epoch,
    overall: m.testAccuracy,
    many: m.groupAccuracy.many,
    medium: m.groupAccuracy.medium,
    few: m.groupAccuracy.few,
    tail3: pick(order.slice(-k)),
    head3: pick(order.slice(0, k)),
    perClass: m.perClassAccuracy,
  };
}

export function summarize(r: ReproducedRun): ReproducedSummary {
  if (!r.epochs.length) throw new Error(`run ${r.id} has no finished epoch`);
  const last = r.epochs[r.epochs.length - 1];
  const score = (e: SlimEpoch) => e.selectionScore ?? e.testAccuracy ?? -1;
  let best = r.epochs[0];
  for (const e of r.epochs) if (score(e) > score(best)) best = e;
  const order = classesByCount(r.counts);
  const k = Math.min(3, Math.floor(r.counts.length / 2)) || 1;
  const nm = (cls: number[]) => mean(cls.map((c) => last.featureNormTest[c]).filter((v): v is number => v !== null && Number.isFinite(v)));
  const tailCls = r.groups.map((g, c) => (g === 'many' ? -1 : c)).filter((c) => c >= 0);
  const headCls = r.groups.map((g, c) => (g === 'many' ? c : -1)).filter((c) => c >= 0);
  return {
    id: r.id,
    label: r.label,
    epochs: r.epochs.length,
    final: point(last, r.counts),
    best: point(best, r.counts),
    bestOn: best.selection ?? 'test',
    normRatioTail3Head3: nm(order.slice(-k)) / nm(order.slice(0, k)),
    normRatioTailGroups: tailCls.length && headCls.length ? nm(tailCls) / nm(headCls) : null,
    featureNormTest: last.featureNormTest,
    seconds: r.seconds,
    halted: r.halted,
  };
}

/** What chose the best epochs of the table, in one sentence (every table says it). */
export function bestChosenOn(sums: ReproducedSummary[]): 'validation' | 'test' | 'mixed' {
  const on = new Set(sums.map((s) => s.bestOn));
  return on.size > 1 ? 'mixed' : on.has('validation') ? 'validation' : 'test';
}

export interface ClaimCheck {
  id: string;
  text: string;
  holds: boolean;
}

/** The orderings the papers claim, checked on tail-3 accuracy (final and best epoch) and final norms. */
export function claimChecks(sums: ReproducedSummary[]): ClaimCheck[] {
  const by = new Map(sums.map((s) => [s.id, s]));
  const out: ClaimCheck[] = [];
  const ce = by.get('ce');
  const f1 = (v: number | null) => percent(v, { unit: '' });
  if (ce) {
    for (const id of ['kps', 'fbl', 'gcl1', 'gcl2'] as RunId[]) {
      const s = by.get(id);
      if (!s) continue;
      for (const when of ['final', 'best'] as const) {
        const a = ce[when].tail3;
        const b = s[when].tail3;
        out.push({ id: `tail-${id}-${when}`, holds: a < b, text: `tail-3 accuracy (${when}): CE ${f1(a)} < ${s.label} ${f1(b)}` });
      }
    }
    const fbl = by.get('fbl');
    if (fbl) {
      out.push({
        id: 'norm-fbl',
        holds: fbl.normRatioTail3Head3 > ce.normRatioTail3Head3,
        text: `tail/head feature-norm ratio (final): FBL ${fbl.normRatioTail3Head3.toFixed(2)} > CE ${ce.normRatioTail3Head3.toFixed(2)}`,
      });
    }
  }
  const g1 = by.get('gcl1');
  const g2 = by.get('gcl2');
  if (g1 && g2) {
    for (const when of ['final', 'best'] as const) {
      out.push({
        id: `gcl2-overall-${when}`,
        holds: (g2[when].overall ?? -1) > (g1[when].overall ?? -1),
        text: `overall accuracy (${when}): GCL stage 2 ${f1(g2[when].overall)} > stage 1 ${f1(g1[when].overall)}`,
      });
      out.push({
        id: `gcl2-tail-${when}`,
        holds: g2[when].tail3 > g1[when].tail3,
        text: `tail-3 accuracy (${when}): GCL stage 2 ${f1(g2[when].tail3)} > stage 1 ${f1(g1[when].tail3)}`,
      });
    }
  }
  return out;
}

/** One claim the Lesson makes, checked on one seed's final epochs. */
export interface LessonClaim {
  id: 'few-kps' | 'few-fbl' | 'few-gcl1' | 'few-gcl2' | 'gcl2-overall' | 'norm-fbl';
  text: string;
}

export const LESSON_CLAIMS: LessonClaim[] = [
  { id: 'few-kps', text: 'few-class accuracy: CE < KPS (+GA)' },
  { id: 'few-fbl', text: 'few-class accuracy: CE < FBL' },
  { id: 'few-gcl1', text: 'few-class accuracy: CE < GCL stage 1' },
  { id: 'few-gcl2', text: 'few-class accuracy: CE < GCL stage 2' },
  { id: 'gcl2-overall', text: 'overall accuracy: GCL stage 2 ≥ stage 1' },
  { id: 'norm-fbl', text: 'tail/head feature-norm ratio: FBL > CE' },
];

/** Whether each of the Lesson's claims holds on one seed (final epochs); null when a run is missing. */
export function lessonClaimResults(sums: ReproducedSummary[]): Record<LessonClaim['id'], boolean | null> {
  const by = new Map(sums.map((s) => [s.id, s]));
  const few = (id: RunId) => by.get(id)?.final.few ?? null;
  const lt = (a: number | null, b: number | null) => (a === null || b === null ? null : a < b);
  const ce = few('ce');
  const g1 = by.get('gcl1')?.final.overall ?? null;
  const g2 = by.get('gcl2')?.final.overall ?? null;
  const nCe = by.get('ce')?.normRatioTail3Head3 ?? null;
  const nFbl = by.get('fbl')?.normRatioTail3Head3 ?? null;
  return {
    'few-kps': lt(ce, few('kps')),
    'few-fbl': lt(ce, few('fbl')),
    'few-gcl1': lt(ce, few('gcl1')),
    'few-gcl2': lt(ce, few('gcl2')),
    'gcl2-overall': g1 === null || g2 === null ? null : g2 >= g1,
    'norm-fbl': lt(nCe, nFbl),
  };
}

export interface LessonSeed {
  seed: number;
  seconds: number;
  sums: ReproducedSummary[];
}

/** min–max over the seeds of one run's final-epoch value, in % (null when no seed has it). */
export function lessonSpread(seeds: LessonSeed[], id: RunId, key: 'overall' | 'few'): [number, number] | null {
  const v = seeds.map((s) => s.sums.find((r) => r.id === id)?.final[key]).filter((x): x is number => typeof x === 'number');
  return v.length ? [100 * Math.min(...v), 100 * Math.max(...v)] : null;
}
