/**
 * Metrics of a run as files: per-epoch CSV (one row per finished epoch), per-class CSV (one row per epoch and
 * class) and JSON (settings, classes, every epoch and logged batch). Pure functions, so Node tests check them.
 */
import type { BatchInfo, EpochMetrics } from '../worker/protocol';
import type { Settings } from './settings';

export interface MetricsInput {
  label: string;
  settings: Settings | null;
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
      e.lr,
      e.alpha,
      e.trainLoss,
      e.trainAccuracy,
      e.testLoss,
      e.testAccuracy,
      e.groupAccuracy.many,
      e.groupAccuracy.medium,
      e.groupAccuracy.few,
      e.seconds,
      e.imagesPerSecond,
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
    'feature_norm_train',
    'feature_norm_test',
    ...lossKeys,
  ];
  const rows: unknown[][] = [];
  for (const e of m.epochs) {
    for (let c = 0; c < e.perClassAccuracy.length; c++) {
      rows.push([
        e.stage,
        e.epoch + 1,
        c,
        m.classNames[c] ?? `class ${c}`,
        m.counts[c] ?? '',
        m.groups[c] ?? '',
        e.perClassAccuracy[c],
        e.featureNormTrain[c],
        e.featureNormTest[c],
        ...lossKeys.map((k) => e.lossPerClass[k]?.[c]),
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
