/**
 * `npm run reproduce -- --quick | --full [options]` — the long-tail table on Fashion-MNIST-LT IF 100.
 *
 * Runs CE, LDAM-DRW, Balanced Softmax, KPS (+GA), FBL, GCL stage 1 and GCL stage 2 (CBEN, continuing from the
 * GCL stage-1 checkpoint) on the same long-tail subset with the same seed (so the same initial backbone weights:
 * every parameter is drawn from a stream forked by its name), then writes a markdown table (final and best
 * epoch), a summary JSON and a per-class accuracy chart (PNG + SVG).
 *
 * Resumable: each finished run is <out>/<run>.json; while a run trains, a Trainer.checkpoint() is written after
 * every epoch to <out>/checkpoints/<run>.json. On restart finished runs are skipped and an interrupted run continues
 * from its last finished epoch (same numbers as without the interruption: the checkpoint holds the RNG streams).
 * SIGINT / SIGTERM stop after the batch in flight (exit 130 / 143), leaving that checkpoint to resume from.
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../core/data/types';
import { ConfigError, DEFAULT_CONFIG, validateConfig, type Stage2Config, type TrainConfig } from '../core/train/config';
import { Trainer, type EpochMetrics, type TrainerCheckpoint } from '../core/train/trainer';
import type { LossId } from '../core/losses/types';
import type { HeadKind, ModelKind } from '../core/models/types';
import { drwStartEpoch, gaStartEpoch, stage1Lr } from '../core/train/schedules';
import { getLoss } from '../core/losses/registry';
import { initBackend, initNodeWebGPU, type BackendName } from '../core/backend';
import { EMBEDDED_PACK, loadDatasetForCli } from '../node/datasets';
import { checkOutputFolder, writeFileAtomic } from '../node/outputs';
import { Interrupt } from '../node/interrupt';
import { applyRecipe, type RecipeId } from '../core/train/recipe';
import { LESSON_PLAN } from '../core/train/lesson-plan';
import { renderGroupedBars, renderGroupedBarsSvg, type GroupedBarChart } from '../node/reproduce/charts';
import { groupBy, parseSeeds, summarizeFields, type Summary } from '../core/train/groups';

// ---------------------------------------------------------------------------------------------------------------
// Runs and profiles

export type RunId = 'ce' | 'ldam' | 'balancedSoftmax' | 'kps' | 'fbl' | 'gcl1' | 'gcl2';

export interface RunDef {
  id: RunId;
  label: string;
  loss: LossId;
  head: HeadKind;
  /** Stage 2 of another run (continues from that run's final checkpoint). */
  stage2Of?: RunId;
  /** Batch size of the authors' script (full profile). */
  refBatch: number;
}

export const RUNS: RunDef[] = [
  { id: 'ce', label: 'CE', loss: 'ce', head: 'linear', refBatch: 64 },
  { id: 'ldam', label: 'LDAM-DRW', loss: 'ldam', head: 'cosine', refBatch: 128 },
  { id: 'balancedSoftmax', label: 'Balanced Softmax', loss: 'balancedSoftmax', head: 'linear', refBatch: 64 },
  { id: 'kps', label: 'KPS (+GA)', loss: 'kps', head: 'cosine', refBatch: 64 },
  { id: 'fbl', label: 'FBL', loss: 'fbl', head: 'linear', refBatch: 64 },
  { id: 'gcl1', label: 'GCL stage 1', loss: 'gcl', head: 'cosine', refBatch: 64 },
  { id: 'gcl2', label: 'GCL stage 2 (CBEN)', loss: 'gcl', head: 'cosine', stage2Of: 'gcl1', refBatch: 64 },
];

export interface Profile {
  name: 'quick' | 'full' | 'lesson' | 'custom';
  /** Images kept per class before the tail is drawn (n_max); absent: the whole pool. */
  headImages?: number;
  model: ModelKind;
  epochs: number;
  /** null: the authors' per-loss batch size (RunDef.refBatch). */
  batch: number | null;
  evalPerClass: number | null;
  stage2Epochs: number;
  stage2Batch: number;
  backend: BackendName;
  imbalance: number;
  seed: number;
  /** 'authors': each run with the authors' recipe for its loss (src/core/train/recipe.ts). Absent: ours. */
  recipe?: RecipeId;
  /**
   * Hold out this fraction of each class's training images (seeded) as a validation split that chooses the best
   * epoch (and GCL stage 2's start under the authors' recipe). Absent or 0: none, best chosen on the test set.
   */
  valFraction?: number;
  /** Expected wall time, said up front. */
  expected: string;
}

export const PROFILES: Record<'quick' | 'full' | 'lesson', Profile> = {
  quick: {
    name: 'quick',
    model: 'convnet',
    epochs: 10,
    batch: 128,
    evalPerClass: 200,
    stage2Epochs: 3,
    stage2Batch: 128,
    backend: 'wasm',
    imbalance: 100,
    seed: 1,
    expected: '≈ 25–30 min on a 2-core x86 machine (wasm, single thread), less when other work leaves the CPU free',
  },
  full: {
    name: 'full',
    model: 'resnet32',
    epochs: 200,
    batch: null,
    evalPerClass: null,
    stage2Epochs: 30,
    stage2Batch: 128,
    backend: 'webgpu',
    imbalance: 100,
    seed: 1,
    expected:
      'meant for a GPU machine (WebGPU through Dawn): 6 × 200 epochs of ResNet-32 on 12,406 images plus 30 stage-2 epochs; ' +
      'at ~1 s per b64 step (tfjs WebGPU on an H100, docs/benchmarks.md) ≈ 6 × 200 × 194 steps ≈ 65 h; on wasm here weeks',
  },
  lesson: {
    name: 'lesson',
    model: LESSON_PLAN.model,
    epochs: LESSON_PLAN.epochs,
    batch: LESSON_PLAN.batch,
    evalPerClass: LESSON_PLAN.evalPerClass,
    headImages: LESSON_PLAN.headImages,
    stage2Epochs: LESSON_PLAN.stage2Epochs,
    stage2Batch: LESSON_PLAN.stage2Batch,
    backend: 'wasm',
    imbalance: LESSON_PLAN.imbalance,
    seed: LESSON_PLAN.seeds[0],
    expected: "one seed (the app's whole Lesson) ≈ 2–3 min on a 2-core x86 machine (wasm); each further seed as long",
  },
};

/** The lesson's runs, in the order the app's Lesson trains them. */
export const LESSON_RUNS: RunId[] = ['ce', 'kps', 'fbl', 'gcl1', 'gcl2'];

export function runConfig(run: RunDef, p: Profile): TrainConfig {
  const c: TrainConfig = structuredClone(DEFAULT_CONFIG);
  c.dataset = 'fmnist-lt';
  c.imbalance = p.imbalance;
  if (p.headImages !== undefined) c.headImages = p.headImages;
  c.profile = 'exp';
  c.seed = p.seed;
  c.model = p.model;
  c.head = run.head;
  c.loss = run.loss;
  c.lossParams = {};
  c.batchSize = p.batch ?? run.refBatch;
  c.epochs = p.epochs;
  c.schedule = 'auto';
  c.warmup = true;
  c.sampler = 'instance';
  c.augment = true;
  c.evalPerClass = p.evalPerClass;
  c.logEvery = 10_000; // the table's largest interval: per-batch logging is off for these runs
  c.stage2 = { ...c.stage2, epochs: p.stage2Epochs, batchSize: p.stage2Batch, sampler: 'cben' };
  // only when on: the configs (and so the fingerprints of earlier results) without a split stay as they were
  if (p.valFraction) c.valFraction = p.valFraction;
  if (p.recipe === 'authors') {
    const r = applyRecipe(c, 'authors', run.loss);
    // an explicit --batch wins over the recipe's per-loss batch size
    if (p.batch !== null) r.batchSize = p.batch;
    return r;
  }
  return c;
}

/** The run's label, naming the stage-2 sampler and start under the authors' recipe. */
export function runLabel(run: RunDef, p: Profile): string {
  if (run.id === 'gcl2' && p.recipe === 'authors') return 'GCL stage 2 (class-balanced, from best)';
  return run.label;
}

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

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

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

const pc = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(1));

/** The markdown tables (final epoch; best epoch) plus the checks of the papers' orderings. */
export function markdownTable(sums: ReproducedSummary[], records: ReproducedRun[]): string {
  const lines: string[] = [];
  const r0 = records[0];
  const order = classesByCount(r0.counts);
  const k = Math.min(3, Math.floor(r0.counts.length / 2)) || 1;
  const tailNames = order
    .slice(-k)
    .map((c) => `${r0.classNames[c]} (${r0.counts[c]})`)
    .join(', ');
  const headNames = order
    .slice(0, k)
    .map((c) => `${r0.classNames[c]} (${r0.counts[c]})`)
    .join(', ');
  const groupsHave = (g: string) => r0.groups.some((x) => x === g);
  lines.push(selectionLine(sums, r0), '');
  lines.push('**Final epoch** (test accuracy %, the last epoch of each run):', '');
  lines.push(`| run | epochs | overall | many | medium | few | tail-${k} | head-${k} | tail/head feature norm |`);
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of sums) {
    const f = s.final;
    lines.push(
      `| ${s.label}${s.halted ? ' (halted)' : ''} | ${s.epochs} | ${pc(f.overall)} | ${pc(f.many)} | ${pc(f.medium)} | ${pc(f.few)} | ${pc(f.tail3)} | ${pc(f.head3)} | ${s.normRatioTail3Head3.toFixed(2)} |`,
    );
  }
  const onVal = sums.some((s) => s.bestOn === 'validation');
  lines.push(
    '',
    onVal
      ? '**Best epoch** (the epoch with the highest mean per-class accuracy on the held-out validation split of each run — the "chosen on" column says which; test accuracy of that epoch shown; the epoch is 1-based):'
      : '**Best epoch** (the epoch with the highest overall test accuracy of each run — selected on the test set, as the papers report; the epoch is 1-based):',
    '',
  );
  lines.push(`| run | best epoch | chosen on | overall | many | medium | few | tail-${k} | head-${k} |`);
  lines.push('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const s of sums) {
    const b = s.best;
    lines.push(
      `| ${s.label} | ${b.epoch + 1} | ${s.bestOn ?? 'test'} | ${pc(b.overall)} | ${pc(b.many)} | ${pc(b.medium)} | ${pc(b.few)} | ${pc(b.tail3)} | ${pc(b.head3)} |`,
    );
  }
  lines.push('');
  lines.push(
    `many / medium / few = classes with > 100 / 20–100 / < 20 training images (mean of per-class accuracies)${groupsHave('few') ? '' : '; **no class has < 20 images at IF 100 with n_max = 5000 (the smallest has 50), so "few" is empty (–)**'}. ` +
      `tail-${k} = the ${k} classes with the fewest training images: ${tailNames}; head-${k} = the ${k} with the most: ${headNames}. ` +
      `tail/head feature norm = mean test-set feature norm (L2 norm of the pooled feature, averaged per class, then over classes) of the tail-${k} classes divided by that of the head-${k} classes, at the final epoch (the (medium+few)/many ratio is in summary.json).`,
  );
  lines.push('');
  lines.push(...claimChecks(sums).map((c) => `- ${c.holds ? '✓' : '✗'} ${c.text}`));
  return lines.join('\n');
}

/** What chose the best epochs of the table, in one sentence (every table says it). */
export function bestChosenOn(sums: ReproducedSummary[]): 'validation' | 'test' | 'mixed' {
  const on = new Set(sums.map((s) => s.bestOn));
  return on.size > 1 ? 'mixed' : on.has('validation') ? 'validation' : 'test';
}

function selectionLine(sums: ReproducedSummary[], r0: ReproducedRun): string {
  const f = r0.config.valFraction ?? 0;
  const on = bestChosenOn(sums);
  if (on === 'test') return '"Best" epochs are chosen on **the test set** (no validation split), as the papers report.';
  const split = `a validation split of ${+(100 * f).toFixed(1)} % of each class's training images (seeded, held out of training)`;
  if (on === 'validation') return `"Best" epochs are chosen on **${split}**; every accuracy shown is test accuracy.`;
  return `"Best" epochs are chosen on **validation for some runs and on the test set for others** (see the "chosen on" column).`;
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
  const f1 = (v: number | null) => (v === null ? '–' : (100 * v).toFixed(1));
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

/** The per-seed table of the Lesson's runs and, per claim, whether it holds on every seed. */
export function lessonMarkdown(seeds: LessonSeed[]): string {
  const lines: string[] = [];
  lines.push('Test accuracy % at the final epoch; norm = tail-3 / head-3 mean test feature norm.', '');
  lines.push('| seed | run | overall | many | medium | few | norm |', '|---:|---|---:|---:|---:|---:|---:|');
  for (const s of seeds) {
    for (const r of s.sums) {
      const f = r.final;
      lines.push(
        `| ${s.seed} | ${r.label} | ${pc(f.overall)} | ${pc(f.many)} | ${pc(f.medium)} | ${pc(f.few)} | ${r.normRatioTail3Head3.toFixed(2)} |`,
      );
    }
  }
  lines.push('', '| claim | ' + seeds.map((s) => `seed ${s.seed}`).join(' | ') + ' | every seed |');
  lines.push('|---|' + seeds.map(() => ':-:|').join('') + ':-:|');
  const results = seeds.map((s) => lessonClaimResults(s.sums));
  for (const c of LESSON_CLAIMS) {
    const v = results.map((r) => r[c.id]);
    const mark = (x: boolean | null) => (x === null ? '–' : x ? '✓' : '✗');
    lines.push(`| ${c.text} | ${v.map(mark).join(' | ')} | ${v.every((x) => x === true) ? 'yes' : 'NO'} |`);
  }
  lines.push('', 'Spread over the seeds (min–max, %):', '');
  for (const id of LESSON_RUNS) {
    const o = lessonSpread(seeds, id, 'overall');
    const f = lessonSpread(seeds, id, 'few');
    const label = seeds[0]?.sums.find((r) => r.id === id)?.label ?? id;
    if (o && f) lines.push(`- ${label}: overall ${o[0].toFixed(1)}–${o[1].toFixed(1)}, few ${f[0].toFixed(1)}–${f[1].toFixed(1)}`);
  }
  const secs = seeds.map((s) => s.seconds);
  if (secs.length) lines.push('', `Training seconds per seed (the whole Lesson): ${secs.map((x) => x.toFixed(0)).join(', ')}.`);
  return lines.join('\n');
}

export function perClassChart(sums: ReproducedSummary[], r0: ReproducedRun, title: string): GroupedBarChart {
  const order = classesByCount(r0.counts);
  return {
    title,
    groups: order.map((c) => `${shortName(r0.classNames[c])} ${r0.counts[c]}`),
    series: sums.map((s) => ({ label: s.label, values: order.map((c) => s.final.perClass[c]) })),
  };
}

function shortName(n: string): string {
  return n.split(/[\s/]+/)[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Files

/** JSON with Float32Arrays as base64 (checkpoints). */
export function stringifyWithArrays(v: unknown): string {
  return JSON.stringify(v, (_k, val) => {
    if (val instanceof Float32Array) return { __f32: Buffer.from(val.buffer, val.byteOffset, val.byteLength).toString('base64') };
    return val;
  });
}

export function parseWithArrays<T>(s: string): T {
  return JSON.parse(s, (_k, val) => {
    if (val && typeof val === 'object' && typeof val.__f32 === 'string') {
      const b = Buffer.from(val.__f32, 'base64');
      const out = new Float32Array(b.length / 4);
      new Uint8Array(out.buffer).set(b);
      return out;
    }
    return val;
  }) as T;
}

interface CheckpointFile {
  run: RunId;
  fingerprint: string;
  checkpoint: TrainerCheckpoint;
  epochs: SlimEpoch[];
  initHash: string;
  seconds: number;
  sessions: number;
  stage2Origin?: ReproducedRun['stage2Origin'];
}

function fnv1a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h >>> 0;
}

function hashArrays(arrs: ArrayBufferView[]): string {
  let h = 0x811c9dc5;
  for (const a of arrs) h = fnv1a(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), h);
  return h.toString(16).padStart(8, '0');
}

function backboneHash(t: Trainer): string {
  const names = t.spec.params
    .filter((p) => !p.classifier)
    .map((p) => p.name)
    .sort();
  return hashArrays(names.map((n) => t.model.vars.get(n)!.dataSync() as Float32Array));
}

function slim(m: EpochMetrics): SlimEpoch {
  const { gclNoiseLastBatch: _drop, ...rest } = m;
  return rest;
}

export function fingerprint(run: RunDef, cfg: TrainConfig, datasetName: string, backend: string): string {
  return JSON.stringify({ run: run.id, cfg, datasetName, backend });
}

// ---------------------------------------------------------------------------------------------------------------
// Training

export interface ReproduceOptions {
  profile: Profile;
  outDir: string;
  runs: RunId[];
  /** Stop (resumably) after this many epochs trained in this session (tests, or to split the work). */
  stopAfterEpochs: number | null;
  quiet: boolean;
  fresh: boolean;
  keepCheckpoints: boolean;
  png: boolean;
  /** One reproduction per seed, each in <outDir>/seed-<seed>, and the spread over them in seeds.json / seeds.md. */
  seeds?: number[] | null;
  /** The app's Lesson: lesson.md / lesson.json (per-seed table, the claims) beside seeds.json. */
  lesson?: boolean;
}

interface Ctx {
  opts: ReproduceOptions;
  dataset: Dataset;
  datasetName: string;
  backend: string;
  epochsThisSession: number;
  log: (s: string) => void;
  interrupt: Interrupt;
}

class StopRequested extends Error {}
class Interrupted extends Error {}

/** Every file a reproduce folder holds (checked before anything trains: regular files, not an input). */
function folderFiles(): string[] {
  const d = '.';
  const runs = RUNS.flatMap((r) => [runFile(d, r.id), ckptFile(d, r.id), finalCkptFile(d, r.id)]);
  return [...runs, 'summary.json', 'table.md', 'per-class.png', 'per-class.svg'];
}

function runFile(dir: string, id: RunId) {
  return join(dir, `${id}.json`);
}
function ckptFile(dir: string, id: RunId) {
  return join(dir, 'checkpoints', `${id}.json`);
}
function finalCkptFile(dir: string, id: RunId) {
  return join(dir, 'checkpoints', `${id}.final.json`);
}

async function trainRun(run: RunDef, ctx: Ctx): Promise<ReproducedRun> {
  const { opts, dataset } = ctx;
  const dir = opts.outDir;
  const cfg = runConfig(run, opts.profile);
  const label = runLabel(run, opts.profile);
  let stage2Origin: ReproducedRun['stage2Origin'] = null;
  const fp = fingerprint(run, cfg, ctx.datasetName, ctx.backend);
  const file = runFile(dir, run.id);
  if (existsSync(file)) {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as ReproducedRun & { fingerprint?: string };
    if (rec.fingerprint !== fp) {
      throw new Error(
        `${file} was made with another configuration (${describeDiff(rec.fingerprint ?? '', fp)}); pass --fresh to discard it or choose another --out`,
      );
    }
    ctx.log(`${label}: done already (${file})`);
    return rec;
  }
  let trainer: Trainer;
  let epochs: SlimEpoch[] = [];
  let seconds = 0;
  let sessions = 1;
  let initHash: string;
  const ck = ckptFile(dir, run.id);
  if (existsSync(ck)) {
    const saved = parseWithArrays<CheckpointFile>(readFileSync(ck, 'utf8'));
    if (saved.fingerprint !== fp) throw new Error(`${ck} belongs to another configuration; pass --fresh to discard it`);
    trainer = Trainer.fromCheckpoint(dataset, saved.checkpoint);
    epochs = saved.epochs;
    seconds = saved.seconds;
    sessions = saved.sessions + 1;
    initHash = saved.initHash;
    stage2Origin = saved.stage2Origin ?? null;
    ctx.log(`${label}: resuming after epoch ${epochs.length} (${ck})`);
  } else if (run.stage2Of) {
    const srcFinal = finalCkptFile(dir, run.stage2Of);
    if (!existsSync(srcFinal))
      throw new Error(`${label} needs the final checkpoint of ${run.stage2Of} (${srcFinal}); run ${run.stage2Of} first`);
    const saved = parseWithArrays<CheckpointFile>(readFileSync(srcFinal, 'utf8'));
    const parentCfg = runConfig(
      RUNS.find((r) => r.id === run.stage2Of)!,
      opts.profile,
    );
    if (
      saved.fingerprint !==
      fingerprint(
        RUNS.find((r) => r.id === run.stage2Of)!,
        parentCfg,
        ctx.datasetName,
        ctx.backend,
      )
    ) {
      throw new Error(`${srcFinal} belongs to another configuration; pass --fresh`);
    }
    trainer = Trainer.fromCheckpoint(dataset, saved.checkpoint);
    trainer.startStage2(cfg.stage2);
    initHash = saved.initHash;
    const o = trainer.stage2Origin;
    stage2Origin = o;
    ctx.log(
      `${label}: stage 2 from the ${o?.from ?? 'last'} stage-1 epoch (${(o?.epoch ?? saved.epochs.length - 1) + 1}) of ${run.stage2Of}`,
    );
  } else {
    trainer = new Trainer(dataset, cfg);
    initHash = backboneHash(trainer);
  }
  if (trainer.headNote) ctx.log(trainer.headNote);
  let halted: string | null = null;
  try {
    let t0 = Date.now();
    while (!trainer.stageDone) {
      if (opts.stopAfterEpochs !== null && ctx.epochsThisSession >= opts.stopAfterEpochs) throw new StopRequested();
      if (ctx.interrupt.signal) throw new Interrupted();
      const out = await trainer.step();
      // a macrotask turn per batch, so a signal is seen between batches
      await new Promise((resolve) => setImmediate(resolve));
      if (out.halt) {
        halted = out.halt.message;
        ctx.log(`${label}: ${halted}`);
        break;
      }
      if (out.epoch) {
        const m = out.epoch;
        epochs.push(slim(m));
        seconds += (Date.now() - t0) / 1000;
        t0 = Date.now();
        ctx.epochsThisSession++;
        const g = m.groupAccuracy;
        ctx.log(
          `${label} epoch ${m.epoch + 1}/${m.epochsInStage}: loss ${m.trainLoss.toFixed(3)}, lr ${m.lr.toPrecision(2)}, test ${pc(m.testAccuracy)}% (many ${pc(g.many)}, medium ${pc(g.medium)}, few ${pc(g.few)}), ${m.imagesPerSecond.toFixed(0)} img/s`,
        );
        const ckf: CheckpointFile = {
          run: run.id,
          fingerprint: fp,
          checkpoint: await trainer.checkpoint(),
          epochs,
          initHash,
          seconds,
          sessions,
          stage2Origin,
        };
        mkdirSync(join(dir, 'checkpoints'), { recursive: true });
        writeFileAtomic(ck, stringifyWithArrays(ckf));
      }
    }
    const rec: ReproducedRun & { fingerprint: string } = {
      tool: 'long-tail-playground reproduce',
      version: 1,
      id: run.id,
      label: label,
      profile: opts.profile.name,
      config: trainer.config,
      stage: trainer.stage,
      stage2Config: trainer.stage === 2 ? trainer.stage2 : null,
      backend: ctx.backend,
      tfjsVersion: tf.version.tfjs,
      date: new Date().toISOString(),
      host: hostLine(),
      initHash,
      subsetHash: hashArrays([trainer.subset.indices]),
      counts: trainer.counts,
      groups: trainer.groups,
      classNames: dataset.pool.classNames,
      testImages: trainer.testCount,
      halted,
      stage2Origin,
      seconds,
      sessions,
      epochs,
      fingerprint: fp,
    };
    writeFileAtomic(file, JSON.stringify(rec, null, 1));
    // Keep the final state of runs another run continues from (GCL stage 1 → stage 2).
    if (RUNS.some((r) => r.stage2Of === run.id) && !halted) {
      const ckf: CheckpointFile = {
        run: run.id,
        fingerprint: fp,
        checkpoint: await trainer.checkpoint(),
        epochs,
        initHash,
        seconds,
        sessions,
      };
      mkdirSync(join(dir, 'checkpoints'), { recursive: true });
      writeFileAtomic(finalCkptFile(dir, run.id), stringifyWithArrays(ckf));
    }
    if (!opts.keepCheckpoints && existsSync(ck)) rmSync(ck);
    ctx.log(`${label}: finished in ${seconds.toFixed(0)} s → ${file}`);
    return rec;
  } finally {
    trainer.dispose();
  }
}

function describeDiff(a: string, b: string): string {
  try {
    const A = JSON.parse(a) as Record<string, unknown>;
    const B = JSON.parse(b) as Record<string, unknown>;
    const diffs: string[] = [];
    const walk = (x: unknown, y: unknown, p: string) => {
      if (x && y && typeof x === 'object' && typeof y === 'object') {
        for (const k of new Set([...Object.keys(x), ...Object.keys(y)]))
          walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], p ? `${p}.${k}` : k);
      } else if (JSON.stringify(x) !== JSON.stringify(y)) diffs.push(`${p}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    };
    walk(A, B, '');
    return diffs.slice(0, 4).join('; ') || 'unknown difference';
  } catch {
    return 'no fingerprint';
  }
}

function hostLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? '?'}, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

/** Reads the finished runs, writes table.md, summary.json and the per-class chart; returns the markdown. */
export function aggregate(
  outDir: string,
  runs: RunId[],
  png = true,
): { markdown: string; summaries: ReproducedSummary[]; missing: RunId[] } {
  const records: ReproducedRun[] = [];
  const missing: RunId[] = [];
  for (const id of runs) {
    const f = runFile(outDir, id);
    if (existsSync(f)) records.push(JSON.parse(readFileSync(f, 'utf8')) as ReproducedRun);
    else missing.push(id);
  }
  if (!records.length) return { markdown: '(no finished run)', summaries: [], missing };
  const sums = records.filter((r) => r.epochs.length).map(summarize);
  const r0 = records[0];
  const sameInit = records.every((r) => r.initHash === r0.initHash);
  const sameSubset = records.every((r) => r.subsetHash === r0.subsetHash);
  let md = markdownTable(sums, records);
  md += `\n\nSame training subset in every run: ${sameSubset ? 'yes' : 'NO'} (hash ${r0.subsetHash}); same initial backbone weights: ${sameInit ? 'yes' : 'NO'} (hash ${r0.initHash}).`;
  if (missing.length) md += `\n\nNot finished yet: ${missing.join(', ')}.`;
  const summary = {
    date: new Date().toISOString(),
    profile: r0.profile,
    backend: r0.backend,
    host: r0.host,
    model: r0.config.model,
    counts: r0.counts,
    groups: r0.groups,
    classNames: r0.classNames,
    testImages: r0.testImages,
    sameInit,
    sameSubset,
    valFraction: r0.config.valFraction ?? 0,
    bestChosenOn: bestChosenOn(sums),
    runs: sums,
    claims: claimChecks(sums),
    missing,
  };
  writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 1));
  writeFileAtomic(join(outDir, 'table.md'), `${md}\n`);
  if (png && sums.length) {
    const chart = perClassChart(
      sums,
      r0,
      `Per-class test accuracy, final epoch (FMNIST-LT IF ${r0.config.imbalance}, ${r0.config.model}, ${r0.profile})`,
    );
    writeFileAtomic(join(outDir, 'per-class.png'), renderGroupedBars(chart).toPng());
    writeFileAtomic(join(outDir, 'per-class.svg'), renderGroupedBarsSvg(chart));
  }
  return { markdown: md, summaries: sums, missing };
}

/** What the scaled schedule looks like (for the log and the README). */
export function scheduleNote(p: Profile): string {
  const T = p.epochs;
  const lrs = (loss: string) => Array.from({ length: T }, (_, e) => stage1Lr(e, T, 0.1, getLoss(loss).schedule, true).toPrecision(2));
  return [
    `T = ${T} epochs: warm-up epochs (E ≤ ${(5 * T) / 200}): ${Math.floor((5 * T) / 200)}; KPS GA from epoch ${gaStartEpoch(T) + 1}; LDAM DRW from epoch ${drwStartEpoch(T) + 1} (1-based)`,
    `lr GCL/KPS: ${lrs('gcl').join(' ')}`,
    `lr CE/LDAM/BS/FBL: ${lrs('ce').join(' ')}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

const USAGE = `Usage: npm run reproduce -- (--quick | --full | --lesson) [options]

  --quick               small model (ConvNet), ${PROFILES.quick.epochs} epochs, batch 128, ${PROFILES.quick.evalPerClass} test images per class, wasm
                        (${PROFILES.quick.expected})
  --full                ResNet-32, 200 epochs, the authors' batch sizes, the whole test set, WebGPU (Dawn) — for a GPU
  --lesson              the app's Lesson: CE, KPS (+GA), FBL, GCL stage 1 → 2 on ${PROFILES.lesson.model}, ${PROFILES.lesson.epochs} epochs,
                        ${PROFILES.lesson.headImages} head-class images, seeds ${LESSON_PLAN.seeds.join(',')} unless --seeds says otherwise;
                        lesson.md / lesson.json: the per-seed table and whether each claim holds on every seed
                        (${PROFILES.lesson.expected})
  --recipe R            ours (default) | authors: each loss with the authors' recipe (per-loss batch size, mixup α,
                        kaiming linear head, official FBL curriculum, GCL stage 2 from the best stage-1 epoch with
                        the class-balanced sampler and batch 64; src/core/train/recipe.ts cites the script lines)
  --val-fraction F      hold out this fraction (≤ 0.5) of each class's training images (seeded) as a validation
                        split that chooses the best epochs (and GCL stage 2's start under the authors' recipe);
                        default 0: best chosen on the test set, as the papers; the table says which
  --out DIR             results folder (default results/reproduce/<profile>, <profile>-authors, with -val
                        appended when a validation split is on)
  --runs LIST           comma-separated subset of ${RUNS.map((r) => r.id).join(',')} (gcl2 needs gcl1)
  --backend B           wasm | cpu | webgpu (default: the profile's)
  --model M --epochs N --batch N --eval-per-class N --stage2-epochs N --imbalance IF --seed N   override the profile
  --seeds LIST          "1,2,3" (or a count "3" from --seed): the whole table once per seed, each in <out>/seed-<seed>
                        (each seed redraws the subset and the initial weights, as --seed), then seeds.json and
                        seeds.md in <out>: every run's mean ± sample std over the seeds
  --data FILE           another .ltpg pack instead of the embedded Fashion-MNIST-LT (tests)
  --stop-after-epochs N stop (resumably) after N epochs in this session
  --fresh               discard earlier results and checkpoints in the folder
  --keep-checkpoints    keep per-run checkpoints after the run has finished
  --no-png              no chart
  --quiet               no progress lines
Re-running the same command continues where it stopped: finished runs are skipped, an interrupted run resumes from
its last finished epoch. SIGINT / SIGTERM (Ctrl-C) stop after the current batch (exit 130 / 143), keeping the
checkpoint of the last finished epoch; a second signal quits at once.
`;

function usage(msg?: string): never {
  if (msg) process.stderr.write(`error: ${msg}\n\n`);
  process.stderr.write(USAGE);
  process.exit(msg ? 2 : 0);
}

export function parseCli(argv: string[]): ReproduceOptions & { data?: string } {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        full: { type: 'boolean' },
        lesson: { type: 'boolean' },
        out: { type: 'string' },
        recipe: { type: 'string' },
        'val-fraction': { type: 'string' },
        runs: { type: 'string' },
        backend: { type: 'string' },
        model: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        'eval-per-class': { type: 'string' },
        'stage2-epochs': { type: 'string' },
        imbalance: { type: 'string' },
        seed: { type: 'string' },
        seeds: { type: 'string' },
        data: { type: 'string' },
        'stop-after-epochs': { type: 'string' },
        fresh: { type: 'boolean' },
        'keep-checkpoints': { type: 'boolean' },
        'no-png': { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    usage((e as Error).message);
  }
  if (v.help) usage();
  if ([v.quick, v.full, v.lesson].filter(Boolean).length !== 1) usage('choose exactly one of --quick, --full and --lesson');
  const base = PROFILES[v.quick ? 'quick' : v.lesson ? 'lesson' : 'full'];
  const p: Profile = { ...base };
  const int = (name: string, s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) usage(`--${name} needs a positive integer, got "${s}"`);
    return n;
  };
  let custom = false;
  const set = <K extends keyof Profile>(k: K, val: Profile[K] | undefined) => {
    if (val !== undefined) {
      p[k] = val;
      custom = true;
    }
  };
  if (v.model !== undefined && !['convnet', 'resnet8', 'resnet20', 'resnet32'].includes(v.model))
    usage(`--model must be convnet, resnet8, resnet20 or resnet32`);
  set('model', v.model as ModelKind | undefined);
  set('epochs', int('epochs', v.epochs));
  set('batch', int('batch', v.batch));
  set('evalPerClass', int('eval-per-class', v['eval-per-class']));
  set('stage2Epochs', int('stage2-epochs', v['stage2-epochs']));
  set('seed', v.seed === undefined ? undefined : Number(v.seed));
  if (v.imbalance !== undefined) {
    const n = Number(v.imbalance);
    if (!(n >= 1)) usage(`--imbalance must be ≥ 1`);
    set('imbalance', n);
  }
  if (v.backend !== undefined) {
    if (!['wasm', 'cpu', 'webgpu'].includes(v.backend)) usage(`--backend must be wasm, cpu or webgpu`);
    p.backend = v.backend as BackendName;
  }
  if (v.recipe !== undefined && v.recipe !== 'ours' && v.recipe !== 'authors') usage(`--recipe must be ours or authors`);
  const recipe: RecipeId = v.recipe === 'authors' ? 'authors' : 'ours';
  if (recipe === 'authors') {
    p.recipe = 'authors';
    // the recipe's per-loss batch sizes (RunDef.refBatch = the authors' scripts) unless --batch says otherwise
    if (v.batch === undefined) p.batch = null;
    p.stage2Batch = 64;
  }
  if (v['val-fraction'] !== undefined) {
    const f = Number(v['val-fraction']);
    if (v['val-fraction'].trim() === '' || !Number.isFinite(f)) usage(`--val-fraction needs a number, got "${v['val-fraction']}"`);
    if (f !== 0) p.valFraction = f;
  }
  if (custom) p.name = 'custom';
  const runs = (v.runs ?? (v.lesson ? LESSON_RUNS : RUNS.map((r) => r.id)).join(',')).split(',').map((s) => s.trim()) as RunId[];
  for (const r of runs) if (!RUNS.some((d) => d.id === r)) usage(`unknown run "${r}" (known: ${RUNS.map((d) => d.id).join(', ')})`);
  // keep the canonical order (gcl2 after gcl1)
  const ordered = RUNS.map((r) => r.id).filter((id) => runs.includes(id));
  // every run's config through the one validator (ranges: --val-fraction ≤ 0.5, …) before anything trains
  for (const id of ordered) {
    try {
      validateConfig(
        runConfig(
          RUNS.find((r) => r.id === id)!,
          p,
        ),
      );
    } catch (e) {
      if (e instanceof ConfigError) usage(e.field === 'valFraction' ? `--val-fraction: ${e.message}` : e.message);
      throw e;
    }
  }
  let seeds: number[] | null = null;
  if (v.seeds !== undefined) {
    const r = parseSeeds(v.seeds, p.seed);
    if (!r.ok) usage(`--seeds: ${r.why}`);
    seeds = r.seeds;
  } else if (v.lesson && v.seed === undefined) seeds = [...LESSON_PLAN.seeds]; // the lesson is measured on every seed
  const folder = `${base.name}${recipe === 'authors' ? '-authors' : ''}${p.valFraction ? '-val' : ''}`;
  return {
    profile: p,
    outDir: resolve(v.out ?? join('results', 'reproduce', folder)),
    runs: ordered,
    stopAfterEpochs: int('stop-after-epochs', v['stop-after-epochs']) ?? null,
    quiet: !!v.quiet,
    fresh: !!v.fresh,
    keepCheckpoints: !!v['keep-checkpoints'],
    png: !v['no-png'],
    data: v.data,
    seeds,
    lesson: !!v.lesson,
  };
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseCli(argv);
  const log = (s: string) => {
    if (!opts.quiet) process.stderr.write(`[reproduce ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  };
  const p = opts.profile;
  log(
    `profile ${p.name}${p.recipe === 'authors' ? " with the authors' recipe" : ''}: ${p.model}, ${p.epochs} epochs, batch ${p.batch ?? 'per loss (authors)'}, eval ${p.evalPerClass ?? 'all'} per class, stage 2 ${p.stage2Epochs} epochs, backend ${p.backend}; best epoch chosen on ${p.valFraction ? `a validation split of ${p.valFraction} of each class` : 'the test set'}`,
  );
  log(
    `expected duration: ${PROFILES[p.name === 'custom' ? 'quick' : p.name].expected}${p.name === 'custom' ? ' (for the unmodified profile)' : ''}`,
  );
  log(scheduleNote(p).split('\n').join('; '));
  const inputs: [string, string][] = [opts.data === undefined ? ['the embedded pack', EMBEDDED_PACK] : ['--data', opts.data]];
  const folders = opts.seeds ? opts.seeds.map((seed) => ({ seed, dir: seedDir(opts.outDir, seed) })) : [{ seed: p.seed, dir: opts.outDir }];
  const bad =
    (opts.seeds ? checkOutputFolder('--out', opts.outDir, [...SEEDS_FILES, ...LESSON_FILES], inputs) : null) ??
    folders.map((f) => checkOutputFolder('--out', f.dir, folderFiles(), inputs)).find((x) => x !== null) ??
    null;
  if (bad) usage(bad);
  if (opts.fresh) {
    for (const { dir } of folders) {
      if (!existsSync(dir)) continue;
      for (const r of RUNS) {
        for (const f of [runFile(dir, r.id), ckptFile(dir, r.id), finalCkptFile(dir, r.id)]) if (existsSync(f)) rmSync(f);
      }
    }
  }
  for (const { dir } of folders) mkdirSync(dir, { recursive: true });
  if (p.backend === 'webgpu') {
    const g = await initNodeWebGPU();
    if (!g.ok) throw new Error(`--backend webgpu: ${g.reason}`);
  }
  const backend = await initBackend({ order: [p.backend] });
  log(`backend: ${backend.reason}`);
  const dataset = await loadDatasetForCli('fmnist-lt', opts.data);
  const ctx: Ctx = {
    opts,
    dataset,
    datasetName: opts.data ? 'custom pack' : 'embedded fmnist-lt',
    backend: backend.name,
    epochsThisSession: 0,
    log,
    interrupt: new Interrupt('the last finished epoch is kept to resume from'),
  };
  ctx.interrupt.arm();
  const started = Date.now();
  let stopped = false;
  const notFinished: string[] = [];
  let markdown = '';
  const lessonSeeds: LessonSeed[] = [];
  for (const f of folders) {
    // a seed's reproduction: the same profile with the seed replaced, in its own folder
    ctx.opts = opts.seeds ? { ...opts, profile: { ...p, seed: f.seed }, outDir: f.dir } : opts;
    if (opts.seeds) log(`seed ${f.seed} (${folders.indexOf(f) + 1} of ${folders.length}) in ${f.dir}`);
    if (!stopped) stopped = await trainFolder(ctx);
    const agg = aggregate(f.dir, opts.runs, opts.png);
    markdown = agg.markdown;
    if (agg.summaries.length)
      lessonSeeds.push({ seed: f.seed, seconds: agg.summaries.reduce((t, x) => t + x.seconds, 0), sums: agg.summaries });
    notFinished.push(...agg.missing.map((id) => (opts.seeds ? `${id} (seed ${f.seed})` : id)));
  }
  if (opts.seeds) {
    const doc = aggregateSeeds(opts.outDir, opts.seeds, opts.runs);
    markdown = doc.markdown;
  }
  if (opts.lesson) {
    markdown = lessonMarkdown(lessonSeeds);
    writeFileAtomic(join(opts.outDir, 'lesson.md'), `${markdown}\n`);
    const doc = { date: new Date().toISOString(), host: hostLine(), profile: p, seeds: lessonSeeds };
    writeFileAtomic(join(opts.outDir, 'lesson.json'), JSON.stringify(doc, null, 1));
  }
  log(`session: ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${opts.outDir}`);
  process.stdout.write(`${markdown}\n`);
  if (stopped || notFinished.length) log(`not finished: ${notFinished.join(', ') || '(stopped)'} — run the same command again to continue`);
  return ctx.interrupt.exitCode ?? 0;
}

/** Trains the runs of ctx.opts in its folder; true when it stopped early (asked to, or a signal). */
async function trainFolder(ctx: Ctx): Promise<boolean> {
  const { opts, log } = ctx;
  for (const id of opts.runs) {
    const run = RUNS.find((r) => r.id === id)!;
    try {
      await trainRun(run, ctx);
    } catch (e) {
      if (e instanceof StopRequested) {
        log(`stopped after ${ctx.epochsThisSession} epochs as asked (--stop-after-epochs); run the same command again to continue`);
        return true;
      }
      if (e instanceof Interrupted) {
        // said even with --quiet: the user asked for the stop and needs to know how to go on
        const ck = ckptFile(opts.outDir, run.id);
        const kept = existsSync(ck) ? `its last finished epoch is in ${ck}` : 'none of its epochs had finished';
        process.stderr.write(
          `${ctx.interrupt.signal}: stopped ${run.id} after ${ctx.epochsThisSession} epochs this session; ${kept} — run the same command again to continue\n`,
        );
        return true;
      }
      throw e;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Seeds

const SEEDS_FILES = ['seeds.json', 'seeds.md'];
const LESSON_FILES = ['lesson.json', 'lesson.md'];
const seedDir = (outDir: string, seed: number) => join(outDir, `seed-${seed}`);
const SPREAD_KEYS = ['overall', 'many', 'medium', 'few', 'tail3'] as const;
type Spread = Record<(typeof SPREAD_KEYS)[number], Summary>;

export interface SeedsSummary {
  seeds: number[];
  /** Per run: the seeds that finished it, and the mean and sample std of its final and best epoch over them. */
  runs: { id: RunId; label: string; seeds: number[]; final: Spread; best: Spread }[];
  /** Each seed's own summary.json runs (per-seed rows). */
  perSeed: { seed: number; runs: ReproducedSummary[] }[];
  markdown: string;
}

/** Reads every seed's finished runs and writes seeds.json and seeds.md (mean ± std per run). */
export function aggregateSeeds(outDir: string, seeds: readonly number[], runs: readonly RunId[]): SeedsSummary {
  const perSeed = seeds.map((seed) => {
    const f = join(seedDir(outDir, seed), 'summary.json');
    const sums = existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { runs: ReproducedSummary[] }).runs : [];
    return { seed, runs: sums.filter((r) => runs.includes(r.id)) };
  });
  const rows = perSeed.flatMap((p) => p.runs.map((r) => ({ seed: p.seed, r })));
  const groups = groupBy(rows, (x) => x.r.id).map((g) => ({
    id: g.items[0].r.id,
    label: g.items[0].r.label,
    seeds: g.items.map((x) => x.seed),
    final: summarizeFields(
      g.items.map((x) => x.r.final),
      SPREAD_KEYS,
    ),
    best: summarizeFields(
      g.items.map((x) => x.r.best),
      SPREAD_KEYS,
    ),
  }));
  groups.sort((a, b) => runs.indexOf(a.id) - runs.indexOf(b.id));
  const ms = (s: Summary) => (s.n ? `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)}` : '–');
  const table = (which: 'final' | 'best') => [
    `| run | seeds | overall | many | medium | few | tail-3 |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...groups.map((g) => `| ${g.label} | ${g.seeds.length} | ${SPREAD_KEYS.map((k) => ms(g[which][k])).join(' | ')} |`),
  ];
  const markdown = [
    `Test accuracy (%), mean ± sample std over seeds ${seeds.join(', ')} (each seed: its own subset and initial weights).`,
    '',
    '**Final epoch**',
    '',
    ...table('final'),
    '',
    '**Best epoch**',
    '',
    ...table('best'),
  ].join('\n');
  const doc: SeedsSummary = { seeds: [...seeds], runs: groups, perSeed, markdown };
  writeFileAtomic(join(outDir, 'seeds.json'), JSON.stringify(doc, null, 1));
  writeFileAtomic(join(outDir, 'seeds.md'), `${markdown}\n`);
  return doc;
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`\nerror: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
