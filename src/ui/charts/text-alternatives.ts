/**
 * Text alternatives of the charts (pure: no React, no DOM): per chart a summary sentence of its latest values, read
 * by screen readers and shown with the data, and the chart's numbers as a table ("Show data").
 */
import type { EpochMetrics } from '../../core/train/trainer';
import type { Group } from '../../core/data/types';
import type { FeatureSpace } from '../../core/metrics/feature-space';
import type { RunSeries } from './types';
import { summarize, type Summary } from '../../core/train/groups';
import {
  GROUP_LABELS,
  classRows,
  classSeedSpread,
  confusionSummary,
  epochScores,
  fmt,
  fmtPct,
  groupMean,
  isFblRun,
  lastEpochWhere,
  normaliseConfusion,
  presentGroups,
  seedMembers,
  sortByCount,
  thinRows,
  topConfusion,
} from './chart-data';
import { percent, percentMeanStd } from '../../core/format';

export interface DataTable {
  caption: string;
  columns: string[];
  /** One array per row; the first cell is the row's header. */
  rows: string[][];
  /** Rows that stand for a class: its index (the row header is then a link to the class' training images). */
  rowClasses?: number[];
  note?: string;
}

/** Rows per run in the per-epoch tables (longer histories are thinned evenly, first and last kept). */
export const TABLE_EPOCHS = 60;

const CLASS_METRICS = ['accuracy', 'precision', 'recall', 'f1'] as const;

/** "48.2 ± 3.1 %" (percent values), a dash without values, no "±" for a single one. */
const meanStd = (st: Summary | undefined) => (st?.n === 1 ? fmtPct(st.mean) : percentMeanStd(st, { from: 'percent', unit: ' %' }));

const pct = (fraction: number | null | undefined) => percent(fraction, { unit: ' %' });

/** "epoch 4 of 6", "stage 2, epoch 1 of 3" (1-based). */
export function epochPhrase(e: Pick<EpochMetrics, 'stage' | 'epoch' | 'epochsInStage'>): string {
  return `${e.stage === 2 ? 'stage 2, ' : ''}epoch ${e.epoch + 1} of ${e.epochsInStage}`;
}

const withEpochs = (runs: readonly RunSeries[]) => runs.filter((r) => r.epochs.length > 0);
const prefix = (runs: readonly RunSeries[], r: RunSeries) => (runs.length > 1 ? `${r.label}, ` : '');
const capital = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);
const sentences = (parts: string[]) => parts.map((p) => `${capital(p)}.`).join(' ');

function thinned(runs: readonly RunSeries[]): { per: Array<{ r: RunSeries; epochs: readonly EpochMetrics[] }>; note?: string } {
  const per = withEpochs(runs).map((r) => ({ r, epochs: thinRows(r.epochs, TABLE_EPOCHS) }));
  const cut = per.some((p) => p.epochs.length < p.r.epochs.length);
  return { per, note: cut ? `Long runs: ${TABLE_EPOCHS} evenly spaced epochs per run (the first and the last included).` : undefined };
}

const epochCells = (r: RunSeries, e: EpochMetrics) => [r.label, String(e.stage), String(e.epoch + 1)];

// ---------------------------------------------------------------- 1: loss and accuracy

export function lossSummary(runs: readonly RunSeries[]): string {
  const parts: string[] = [];
  for (const r of runs) {
    const e = r.epochs[r.epochs.length - 1];
    const b = r.batches[r.batches.length - 1];
    if (e) parts.push(`${prefix(runs, r)}${epochPhrase(e)}: test accuracy ${pct(e.testAccuracy)}, training loss ${fmt(e.trainLoss)}`);
    else if (b) parts.push(`${prefix(runs, r)}epoch ${b.epoch + 1} in progress: training loss ${fmt(b.loss)} in the last batch`);
  }
  return parts.length ? sentences(parts) : 'No training yet.';
}

export function lossTable(runs: readonly RunSeries[]): DataTable {
  const { per, note } = thinned(runs);
  return {
    caption: 'Training loss (mean over the epoch) and test loss and accuracy after each epoch',
    columns: ['Run', 'Stage', 'Epoch', 'Training loss', 'Test loss', 'Test accuracy'],
    rows: per.flatMap(({ r, epochs }) =>
      epochs.map((e) => [...epochCells(r, e), fmt(e.trainLoss, 4), fmt(e.testLoss, 4), pct(e.testAccuracy)]),
    ),
    note,
  };
}

// ---------------------------------------------------------------- 2: per-class accuracy

export function perClassSummary(runs: readonly RunSeries[], counts: readonly number[], classNames: readonly string[]): string {
  const order = sortByCount(counts);
  if (!order.length) return 'No classes.';
  const head = order[0];
  const tail = order[order.length - 1];
  const name = (c: number) => classNames[c] ?? `class ${c}`;
  const parts = withEpochs(runs).map((r) => {
    const e = r.epochs[r.epochs.length - 1];
    const ga = e.groupAccuracy;
    const groups = (['many', 'medium', 'few'] as const)
      .filter((g) => ga[g] !== null && ga[g] !== undefined)
      .map((g) => `${g} ${pct(ga[g])}`)
      .join(', ');
    return (
      `${prefix(runs, r)}${epochPhrase(e)}: most frequent class ${name(head)} (${counts[head]} images) ${pct(e.perClassAccuracy[head])}, ` +
      `rarest class ${name(tail)} (${counts[tail]} images) ${pct(e.perClassAccuracy[tail])}${groups ? `; mean accuracy ${groups}` : ''}`
    );
  });
  return parts.length ? sentences(parts) : 'No epoch finished yet.';
}

export function perClassTable(
  runs: readonly RunSeries[],
  counts: readonly number[],
  groups: readonly Group[],
  classNames: readonly string[],
): DataTable {
  const rs = withEpochs(runs);
  const rows = classRows(counts, groups, classNames);
  const spreads = rs.map((r) => {
    const per = CLASS_METRICS.map((m) => classSeedSpread(r, m)?.summaries);
    return per.every((x) => x) ? (per as Summary[][]) : null;
  });
  return {
    caption: 'Test accuracy, precision, recall and F1 per class after the last epoch, classes by training images (most first)',
    columns: [
      'Class',
      'Training images',
      'Group',
      ...rs.flatMap((r) => [`${r.label}: accuracy`, `${r.label}: precision`, `${r.label}: recall`, `${r.label}: F1`]),
    ],
    rowClasses: rows.map((row) => row.cls),
    rows: rows.map((row) => [
      row.name,
      String(row.count),
      row.group,
      ...rs.flatMap((r, k) => {
        const spread = spreads[k];
        if (spread) return spread.map((sp) => meanStd(sp[row.cls]));
        const e = r.epochs[r.epochs.length - 1];
        const sc = epochScores(e);
        return [pct(e.perClassAccuracy[row.cls]), pct(sc.precision[row.cls]), pct(sc.recall[row.cls]), pct(sc.f1[row.cls])];
      }),
    ]),
    note: spreads.some(Boolean) ? "A seed group's cells are the mean ± sample std over its seeds, each at its last epoch." : undefined,
  };
}

// ---------------------------------------------------------------- 3: many / medium / few

export function groupsSummary(runs: readonly RunSeries[], groups: readonly Group[]): string {
  const gs = presentGroups(groups);
  const parts = withEpochs(runs).map((r) => {
    const e = r.epochs[r.epochs.length - 1];
    return `${prefix(runs, r)}${epochPhrase(e)}: test accuracy ${gs.map((g) => `${g} ${pct(e.groupAccuracy[g])}`).join(', ')}`;
  });
  return parts.length ? sentences(parts) : 'No epoch finished yet.';
}

export function groupsTable(runs: readonly RunSeries[], groups: readonly Group[]): DataTable {
  const gs = presentGroups(groups);
  const { per, note } = thinned(runs);
  return {
    caption: 'Mean test accuracy of the many-, medium- and few-shot classes after each epoch',
    columns: ['Run', 'Stage', 'Epoch', ...gs.map((g) => GROUP_LABELS[g])],
    rows: per.flatMap(({ r, epochs }) => epochs.map((e) => [...epochCells(r, e), ...gs.map((g) => pct(e.groupAccuracy[g]))])),
    note,
  };
}

// ---------------------------------------------------------------- 4: feature norm

export function featureNormSummary(runs: readonly RunSeries[], groups: readonly Group[]): string {
  const gs = presentGroups(groups);
  const parts = withEpochs(runs).map((r) => {
    const e = r.epochs[r.epochs.length - 1];
    const norms = gs.map((g) => `${g} ${fmt(groupMean(e.featureNormTest, groups, g))}`).join(', ');
    return `${prefix(runs, r)}${epochPhrase(e)}: mean test feature norm ${norms}${isFblRun(r) ? `; FBL curriculum α(t) ${fmt(e.alpha)}` : ''}`;
  });
  return parts.length ? sentences(parts) : 'No epoch finished yet.';
}

export function featureNormTable(runs: readonly RunSeries[], groups: readonly Group[]): DataTable {
  const gs = presentGroups(groups);
  const { per, note } = thinned(runs);
  const fbl = per.some(({ r }) => isFblRun(r));
  return {
    caption: 'Mean feature norm over the classes of each group, training and test features, after each epoch',
    columns: ['Run', 'Stage', 'Epoch', ...gs.flatMap((g) => [`${g}: train`, `${g}: test`]), ...(fbl ? ['FBL α(t)'] : [])],
    rows: per.flatMap(({ r, epochs }) => {
      const members = seedMembers(r);
      const spread = members.length > 1;
      // a seed group: the group's mean norm ± std over its seeds, at the same epoch index of each seed
      const cell = (e: EpochMetrics, side: 'featureNormTrain' | 'featureNormTest', g: Group) => {
        if (!spread) return fmt(groupMean(e[side], groups, g), 4);
        const j = r.epochs.indexOf(e);
        const st = summarize(members.map((m) => (j < m.epochs.length ? (groupMean(m.epochs[j][side], groups, g) ?? NaN) : NaN)));
        return st.n > 1 ? `${fmt(st.mean, 4)} ± ${fmt(st.std, 4)}` : fmt(st.mean, 4);
      };
      return epochs.map((e) => [
        ...epochCells(r, e),
        ...gs.flatMap((g) => [cell(e, 'featureNormTrain', g), cell(e, 'featureNormTest', g)]),
        ...(fbl ? [isFblRun(r) ? fmt(e.alpha, 4) : '—'] : []),
      ]);
    }),
    note:
      [note, per.some(({ r }) => seedMembers(r).length > 1) ? "A seed group's cells are the mean ± sample std over its seeds." : '']
        .filter(Boolean)
        .join(' ') || undefined,
  };
}

// ---------------------------------------------------------------- 5 and 6: per-class quantities of a loss

function headTail(counts: readonly number[]): { head: number; tail: number } | null {
  const order = sortByCount(counts);
  return order.length ? { head: order[0], tail: order[order.length - 1] } : null;
}

const lastWith = (r: RunSeries, key: string) => lastEpochWhere(r.epochs, (e) => !!e.lossPerClass?.[key]);

export function gclSummary(runs: readonly RunSeries[], counts: readonly number[]): string {
  const ht = headTail(counts);
  if (!ht) return 'No classes.';
  const parts: string[] = [];
  const gcl = runs.filter((r) => lastWith(r, 'cloudAmplitude'));
  for (const r of gcl) {
    const e = lastWith(r, 'cloudAmplitude')!;
    const a = e.lossPerClass.cloudAmplitude;
    const l = e.lossPerClass.cloudLogit;
    parts.push(
      `${gcl.length > 1 ? `${r.label}, ` : ''}${epochPhrase(e)}: cloud amplitude ${fmt(a[ht.head])} for the most frequent class and ` +
        `${fmt(a[ht.tail])} for the rarest (cosine units${l ? `; ${fmt(l[ht.head])} and ${fmt(l[ht.tail])} logits` : ''})`,
    );
  }
  return parts.length ? sentences(parts) : 'No GCL run drawn.';
}

export function gclTable(
  runs: readonly RunSeries[],
  counts: readonly number[],
  groups: readonly Group[],
  classNames: readonly string[],
): DataTable {
  const gcl = runs.filter((r) => lastWith(r, 'cloudAmplitude')).map((r) => ({ r, e: lastWith(r, 'cloudAmplitude')! }));
  const median = (v: number[] | undefined) => {
    if (!v?.length) return NaN;
    const s = v.filter(Number.isFinite).sort((a, b) => a - b);
    if (!s.length) return NaN;
    const h = (s.length - 1) / 2;
    return (s[Math.floor(h)] + s[Math.ceil(h)]) / 2;
  };
  return {
    caption:
      'GCL cloud per class in the last epoch: amplitude (cosine units), the same × s (logits), median shift sampled in the last batch',
    columns: [
      'Class',
      'Training images',
      ...gcl.flatMap(({ r }) => [`${r.label}: amplitude`, `${r.label}: × s`, `${r.label}: median shift`]),
    ],
    rowClasses: classRows(counts, groups, classNames).map((row) => row.cls),
    rows: classRows(counts, groups, classNames).map((row) => [
      row.name,
      String(row.count),
      ...gcl.flatMap(({ e }) => [
        fmt(e.lossPerClass.cloudAmplitude?.[row.cls], 4),
        fmt(e.lossPerClass.cloudLogit?.[row.cls], 4),
        fmt(median(e.gclNoiseLastBatch?.[row.cls]), 4),
      ]),
    ]),
  };
}

export function kpsSummary(runs: readonly RunSeries[], counts: readonly number[]): string {
  const ht = headTail(counts);
  if (!ht) return 'No classes.';
  const kps = runs.filter((r) => lastWith(r, 'margin') && lastWith(r, 'scale'));
  const parts = kps.map((r) => {
    const e = lastWith(r, 'margin')!;
    const s = e.lossPerClass.scale;
    const m = e.lossPerClass.margin;
    return (
      `${kps.length > 1 ? `${r.label}, ` : ''}${epochPhrase(e)}: scale s̃ ${fmt(s[ht.head])} for the most frequent class and ${fmt(s[ht.tail])} ` +
      `for the rarest; margin Δ ${fmt(m[ht.head])} and ${fmt(m[ht.tail])}; gradient adjustment ${e.gaActive ? 'on' : 'off'}`
    );
  });
  return parts.length ? sentences(parts) : 'No KPS run drawn.';
}

export function kpsTable(
  runs: readonly RunSeries[],
  counts: readonly number[],
  groups: readonly Group[],
  classNames: readonly string[],
): DataTable {
  const kps = runs.filter((r) => lastWith(r, 'margin') && lastWith(r, 'scale')).map((r) => ({ r, e: lastWith(r, 'margin')! }));
  const ga = kps.some(({ e }) => !!e.lossPerClass.gaScale);
  return {
    caption: 'KPS per class in the last epoch: scale s̃ and margin Δ (cosine units)',
    columns: [
      'Class',
      'Training images',
      ...kps.flatMap(({ r }) => [`${r.label}: scale s̃`, `${r.label}: margin Δ`, ...(ga ? [`${r.label}: GA logit scale`] : [])]),
    ],
    rowClasses: classRows(counts, groups, classNames).map((row) => row.cls),
    rows: classRows(counts, groups, classNames).map((row) => [
      row.name,
      String(row.count),
      ...kps.flatMap(({ e }) => [
        fmt(e.lossPerClass.scale?.[row.cls], 4),
        fmt(e.lossPerClass.margin?.[row.cls], 4),
        ...(ga ? [fmt(e.lossPerClass.gaScale?.[row.cls], 4)] : []),
      ]),
    ]),
  };
}

// ---------------------------------------------------------------- 7: confusion matrix

/** The whole matrix as a table up to this many classes; above, one row per class (correct, most confused with). */
export const CONFUSION_TABLE_MAX = 20;

export function confusionText(run: RunSeries | undefined, classNames: readonly string[]): string {
  const e = run ? lastEpochWhere(run.epochs) : undefined;
  if (!run || !e) return 'Confusion matrix: no data yet.';
  const n = normaliseConfusion(e.confusion);
  const s = confusionSummary(n);
  const name = (c: number) => classNames[c] ?? `class ${c}`;
  return (
    `Confusion matrix of ${e.confusion.length} classes for ${run.label}, ${epochPhrase(e)}, rows normalised per true class, classes ordered by training count. ` +
    `Mean per-class accuracy (diagonal) ${s.meanDiagonal === null ? 'unknown' : pct(s.meanDiagonal)}` +
    (s.worst ? `; largest confusion: true ${name(s.worst.t)} predicted as ${name(s.worst.p)} ${pct(s.worst.rate)}.` : '.')
  );
}

export function confusionTable(run: RunSeries | undefined, counts: readonly number[], classNames: readonly string[]): DataTable | null {
  const e = run ? lastEpochWhere(run.epochs) : undefined;
  if (!run || !e) return null;
  const C = e.confusion.length;
  const n = normaliseConfusion(e.confusion);
  const order = sortByCount(counts).length === C ? sortByCount(counts) : Array.from({ length: C }, (_, i) => i);
  const name = (c: number) => classNames[c] ?? `class ${c}`;
  if (C <= CONFUSION_TABLE_MAX)
    return {
      caption: `${run.label}: share of each true class (rows) predicted as each class (columns), with the image counts`,
      columns: ['True \\ predicted', ...order.map(name)],
      rowClasses: [...order],
      rows: order.map((t) => [name(t), ...order.map((p) => `${pct(n.rates[t]?.[p] ?? 0)} (${e.confusion[t]?.[p] ?? 0})`)]),
    };
  return {
    caption: `${run.label}: per true class, the share predicted correctly and the most frequent wrong prediction`,
    columns: ['True class', 'Test images', 'Correct', 'Most often predicted as', 'Share'],
    rowClasses: [...order],
    rows: order.map((t) => {
      const top = topConfusion(n.rates[t] ?? [], t);
      return [name(t), String(n.totals[t]), pct(n.rates[t]?.[t] ?? 0), top ? name(top.p) : '—', top ? pct(top.rate) : '—'];
    }),
  };
}

// ---------------------------------------------------------------- 8: feature space

export function featureSpaceText(
  run: RunSeries | undefined,
  e: EpochMetrics | undefined,
  fs: FeatureSpace | undefined,
  counts: readonly number[],
  classNames: readonly string[],
): string {
  if (!run || !e || !fs) return 'Feature space: no data yet.';
  const ht = headTail(counts);
  const name = (c: number) => classNames[c] ?? `class ${c}`;
  let s =
    `Feature space of ${run.label}, ${epochPhrase(e)}: ${fs.n} test images projected on their two principal components, ` +
    `which explain ${pct(fs.explained[0])} and ${pct(fs.explained[1])} of the variance.`;
  if (ht) {
    const h = fs.classes[ht.head];
    const t = fs.classes[ht.tail];
    if (h && t)
      s += ` Mean feature norm ${fmt(h.meanNorm)} for the most frequent class (${name(ht.head)}) and ${fmt(t.meanNorm)} for the rarest (${name(ht.tail)}).`;
    const ch = fs.cosine?.[ht.head];
    const ct = fs.cosine?.[ht.tail];
    if (ch || ct) s += ` Median cosine to the own class weight: ${fmt(ch?.median)} and ${fmt(ct?.median)}.`;
  }
  return s;
}

export function featureSpaceTable(
  run: RunSeries | undefined,
  fs: FeatureSpace | undefined,
  counts: readonly number[],
  groups: readonly Group[],
  classNames: readonly string[],
): DataTable | null {
  if (!run || !fs) return null;
  const cos = !!fs.cosine;
  const rows = classRows(counts, groups, classNames).filter((row) => row.cls < fs.numClasses);
  return {
    caption: `${run.label}: per class, test images, mean position on the two principal components and mean feature norm${cos ? ', and the median cosine between a feature and its class weight' : ''}`,
    columns: ['Class', 'Training images', 'Test images', 'Mean PC1', 'Mean PC2', 'Mean ‖f‖', ...(cos ? ['Median cos(f, w_y)'] : [])],
    rowClasses: rows.map((row) => row.cls),
    rows: rows.map((row) => {
      const k = fs.classes[row.cls];
      return [
        row.name,
        String(row.count),
        String(k?.n ?? 0),
        fmt(k?.cx, 4),
        fmt(k?.cy, 4),
        fmt(k?.meanNorm, 4),
        ...(cos ? [fmt(fs.cosine?.[row.cls]?.median, 4)] : []),
      ];
    }),
  };
}
