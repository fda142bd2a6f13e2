/**
 * Metrics of a run as files: per-epoch CSV (one row per finished epoch), per-class CSV (one row per epoch and
 * class) and JSON (settings, classes, every epoch and logged batch). Pure functions, so Node tests check them.
 */
import type { BatchInfo, EpochMetrics } from '../../worker/protocol';
import type { Settings } from '../settings/settings';
import { describeChange, type SettingChange } from '../../core/train/change-log';
import { perClassScores } from '../../core/metrics/classification';

export interface MetricsInput {
  label: string;
  /** The settings the run started with. */
  settings: Settings | null;
  /** Its live changes since (what really ran: the settings, then these). */
  changes?: readonly SettingChange[];
  classNames: string[];
  counts: number[];
  groups: string[];
  epochs: readonly EpochMetrics[];
  batches: readonly BatchInfo[];
}

/** One CSV field (RFC 4180: quoted when it holds a comma, quote or line break; formula-looking text defused). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Numbers as the data holds them, without float noise (`0.05000000000000001` → `0.05`): `sig` keeps 6 significant
 * digits (lr, α, losses, norms: float32 values carry ~7), `fixed` a number of decimals (accuracies are counts over
 * at most a few thousand images: 4 decimals; seconds: 3). Non-numbers pass through.
 */
export function sig(v: unknown, digits = 6): unknown {
  return typeof v === 'number' && Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(digits)) : v;
}

export function fixed(v: unknown, decimals: number): unknown {
  return typeof v === 'number' && Number.isFinite(v) ? Number(v.toFixed(decimals)) + 0 : v;
}

const acc4 = (v: unknown) => fixed(v, 4);

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export const EPOCH_COLUMNS = [
  'stage',
  'epoch',
  'epochs_in_stage',
  'step',
  'lr',
  'alpha',
  'train_loss',
  'train_accuracy',
  'test_loss',
  'test_accuracy',
  'many_accuracy',
  'medium_accuracy',
  'few_accuracy',
  'seconds',
  'images_per_second',
] as const;

/** One row per finished epoch ('epoch' counts from 1). */
export function epochsCsv(m: MetricsInput): string {
  return toCsv(
    EPOCH_COLUMNS,
    m.epochs.map((e) => [
      e.stage,
      e.epoch + 1,
      e.epochsInStage,
      e.step,
      sig(e.lr),
      sig(e.alpha),
      sig(e.trainLoss),
      acc4(e.trainAccuracy),
      sig(e.testLoss),
      acc4(e.testAccuracy),
      acc4(e.groupAccuracy.many),
      acc4(e.groupAccuracy.medium),
      acc4(e.groupAccuracy.few),
      fixed(e.seconds, 3),
      fixed(e.imagesPerSecond, 1),
    ]),
  );
}

/** One row per epoch and class: accuracy, feature norms and the loss's per-class quantities. */
export function perClassCsv(m: MetricsInput): string {
  const lossKeys = [...new Set(m.epochs.flatMap((e) => Object.keys(e.lossPerClass)))].sort();
  const header = [
    'stage',
    'epoch',
    'class',
    'class_name',
    'train_count',
    'group',
    'test_accuracy',
    'test_precision',
    'test_recall',
    'test_f1',
    'feature_norm_train',
    'feature_norm_test',
    ...lossKeys,
  ];
  const rows: unknown[][] = [];
  for (const e of m.epochs) {
    const pr = perClassScores(e.confusion ?? []);
    for (let c = 0; c < e.perClassAccuracy.length; c++) {
      rows.push([
        e.stage,
        e.epoch + 1,
        c,
        m.classNames[c] ?? `class ${c}`,
        m.counts[c] ?? '',
        m.groups[c] ?? '',
        acc4(e.perClassAccuracy[c]),
        acc4(pr.precision[c]),
        acc4(pr.recall[c]),
        acc4(pr.f1[c]),
        sig(e.featureNormTrain[c]),
        sig(e.featureNormTest[c]),
        ...lossKeys.map((k) => sig(e.lossPerClass[k]?.[c])),
      ]);
    }
  }
  return toCsv(header, rows);
}

/** Everything as one JSON document. */
export function metricsJson(m: MetricsInput): string {
  return JSON.stringify(
    {
      format: 'long-tail-playground/metrics',
      formatVersion: 1,
      run: m.label,
      settings: m.settings,
      changes: m.changes ?? [],
      changesText: (m.changes ?? []).map(describeChange),
      classes: m.classNames.map((name, i) => ({ index: i, name, trainCount: m.counts[i] ?? null, group: m.groups[i] ?? null })),
      epochs: m.epochs.map((e) => ({ ...e, epoch: e.epoch + 1 })),
      batches: m.batches,
    },
    (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    1,
  );
}

/** A file name stem: 'ltpg-gcl-convnet-e3'. */
export function metricsStem(settings: Settings | null, epochs: readonly EpochMetrics[]): string {
  const last = epochs[epochs.length - 1];
  const c = settings?.config;
  return `ltpg-${c?.loss ?? 'run'}-${c?.model ?? 'model'}${last ? `-s${last.stage}-e${last.epoch + 1}` : ''}`;
}
