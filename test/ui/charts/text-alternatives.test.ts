/** Text alternatives of the charts: the summary sentences and the "Show data" tables, and the time markers. */
import { describe, expect, it } from 'vitest';
import {
  CONFUSION_TABLE_MAX,
  TABLE_EPOCHS,
  confusionTable,
  epochPhrase,
  featureNormTable,
  featureSpaceTable,
  gclSummary,
  gclTable,
  groupsTable,
  kpsSummary,
  kpsTable,
  lossSummary,
  lossTable,
  perClassTable,
} from '../../../src/ui/charts/text-alternatives';
import { drwMarkerEpoch, timeMarkers } from '../../../src/ui/charts/ChartCard';
import { featureSpaceOf } from '../../../src/ui/charts/FeatureSpaceChart';
import { synthRun } from './synthetic';

describe('summary sentences', () => {
  it('loss: the latest epoch of each run, or the last batch while the first epoch runs', () => {
    expect(epochPhrase({ stage: 2, epoch: 0, epochsInStage: 3 })).toBe('stage 2, epoch 1 of 3');
    const r = synthRun({ epochs: 2, label: 'CE' });
    const first = { ...synthRun({ epochs: 1, id: 'b', label: 'KPS' }), epochs: [] };
    const s = lossSummary([r, first]);
    expect(s).toBe(
      `CE, epoch 2 of 2: test accuracy ${(r.epochs[1].testAccuracy! * 100).toFixed(1)} %, training loss ${Number(r.epochs[1].trainLoss.toPrecision(3))}. ` +
        `KPS, epoch 1 in progress: training loss ${Number(first.batches.at(-1)!.loss.toPrecision(3))} in the last batch.`,
    );
    expect(lossSummary([])).toBe('No training yet.');
  });

  it('GCL and KPS: head and tail values of the runs of that loss only', () => {
    const gcl = synthRun({ epochs: 2, loss: 'gcl' });
    const kps = synthRun({ epochs: 2, loss: 'kps', id: 'k' });
    const a = gcl.epochs[1].lossPerClass.cloudAmplitude;
    expect(gclSummary([gcl, kps], gcl.counts)).toBe(
      `Epoch 2 of 2: cloud amplitude ${Number(a[0].toPrecision(3))} for the most frequent class and ${Number(a[9].toPrecision(3))} for the rarest (cosine units; ` +
        `${Number(gcl.epochs[1].lossPerClass.cloudLogit[0].toPrecision(3))} and ${Number(gcl.epochs[1].lossPerClass.cloudLogit[9].toPrecision(3))} logits).`,
    );
    expect(kpsSummary([gcl, kps], kps.counts)).toMatch(
      /^Epoch 2 of 2: scale s̃ [\d.]+ for the most frequent class and [\d.]+ for the rarest; margin Δ [\d.]+ and [\d.]+; gradient adjustment off\.$/,
    );
    expect(gclSummary([kps], kps.counts)).toBe('No GCL run drawn.');
  });
});

describe('data tables', () => {
  it('per-epoch tables: one row per run and epoch, thinned for long runs with a note', () => {
    const a = synthRun({ epochs: 3, label: 'A' });
    const b = synthRun({ epochs: TABLE_EPOCHS + 40, id: 'b', label: 'B', batchesPerEpoch: 1 });
    const t = lossTable([a, b]);
    expect(t.columns).toEqual(['Run', 'Stage', 'Epoch', 'Training loss', 'Test loss', 'Test accuracy']);
    expect(t.rows).toHaveLength(3 + TABLE_EPOCHS);
    expect(t.rows[0]).toEqual(['A', '1', '1', '1', '1.2', `${(a.epochs[0].testAccuracy! * 100).toFixed(1)} %`]);
    expect(t.rows.at(-1)![2]).toBe(String(TABLE_EPOCHS + 40)); // the last epoch is kept
    expect(t.note).toMatch(/60 evenly spaced epochs/);
    expect(lossTable([a]).note).toBeUndefined();
    const g = groupsTable([a], a.groups);
    expect(g.columns.slice(3)).toEqual(['Many (> 100 images)', 'Medium (20–100)']);
    expect(g.rows).toHaveLength(3);
  });

  it('per-class tables: classes by training count, one column per run (KPS / GCL: per run of that loss)', () => {
    const ce = synthRun({ epochs: 2, label: 'CE' });
    const kps = synthRun({ epochs: 2, loss: 'kps', id: 'k', label: 'KPS' });
    const gcl = synthRun({ epochs: 2, loss: 'gcl', id: 'g', label: 'GCL' });
    const p = perClassTable([ce, kps], ce.counts, ce.groups, ce.classNames);
    expect(p.columns).toEqual([
      'Class',
      'Training images',
      'Group',
      ...['CE', 'KPS'].flatMap((r) => ['accuracy', 'precision', 'recall', 'F1'].map((m) => `${r}: ${m}`)),
    ]);
    expect(p.rows[0].slice(0, 3)).toEqual(['class-0', String(ce.counts[0]), 'many']);
    expect(p.rows.map((r) => Number(r[1]))).toEqual([...ce.counts].sort((x, y) => y - x));
    const k = kpsTable([ce, kps, gcl], ce.counts, ce.groups, ce.classNames);
    expect(k.columns).toEqual(['Class', 'Training images', 'KPS: scale s̃', 'KPS: margin Δ']);
    expect(Number(k.rows[9][3])).toBeCloseTo(kps.epochs[1].lossPerClass.margin[9], 3);
    const c = gclTable([ce, kps, gcl], ce.counts, ce.groups, ce.classNames);
    expect(c.columns).toEqual(['Class', 'Training images', 'GCL: amplitude', 'GCL: × s', 'GCL: median shift']);
    const noise = gcl.epochs[1].gclNoiseLastBatch![0].slice().sort((x, y) => x - y);
    expect(Number(c.rows[0][4])).toBeCloseTo((noise[7] + noise[8]) / 2, 3);
    const fn = featureNormTable([ce, { ...synthRun({ epochs: 2, loss: 'fbl', id: 'f', label: 'FBL' }) }], ce.groups);
    expect(fn.columns.at(-1)).toBe('FBL α(t)');
    expect(fn.rows[0].at(-1)).toBe('—'); // CE has no α(t)
  });

  it(`confusion: the whole matrix up to ${CONFUSION_TABLE_MAX} classes, one row per class above`, () => {
    const r = synthRun({ epochs: 1 });
    const t = confusionTable(r, r.counts, r.classNames)!;
    expect(t.columns).toHaveLength(11);
    expect(t.rows).toHaveLength(10);
    const row = r.epochs[0].confusion[0];
    const total = row.reduce((a, b) => a + b, 0);
    expect(t.rows[0][1]).toBe(`${((row[0] / total) * 100).toFixed(1)} % (${row[0]})`);
    const big = synthRun({ C: 30, epochs: 1 });
    const b = confusionTable(big, big.counts, big.classNames)!;
    expect(b.columns).toEqual(['True class', 'Test images', 'Correct', 'Most often predicted as', 'Share']);
    expect(b.rows).toHaveLength(30);
    expect(b.rows[5][3]).toBe('class-0'); // the synthetic matrix leaks into class 0
    expect(confusionTable(undefined, [], [])).toBeNull();
  });

  it('feature space: per class test images, mean position and norm, median cosine for cosine heads', () => {
    const r = synthRun({ epochs: 1, featureSpace: 'cosine' });
    const fs = featureSpaceOf(r.epochs[0])!;
    const t = featureSpaceTable(r, fs, r.counts, r.groups, r.classNames)!;
    expect(t.columns).toEqual(['Class', 'Training images', 'Test images', 'Mean PC1', 'Mean PC2', 'Mean ‖f‖', 'Median cos(f, w_y)']);
    expect(t.rows[0][2]).toBe('50');
    expect(Number(t.rows[0][5])).toBeCloseTo(fs.classes[0].meanNorm, 2);
    expect(Number(t.rows[0][6])).toBeCloseTo(fs.cosine![0]!.median, 3);
    const plain = synthRun({ epochs: 1, featureSpace: true });
    expect(featureSpaceTable(plain, featureSpaceOf(plain.epochs[0]), plain.counts, plain.groups, plain.classNames)!.columns).toHaveLength(
      6,
    );
  });
});

describe('time markers (the DRW switch is marked like GA)', () => {
  it('GA on, DRW on and stage 2 as markers; DRW from the prop or the first epoch with drwActive', () => {
    expect(timeMarkers({ gaStartEpoch: 12, drwStartEpoch: 16, stage2At: 20 }).map((m) => [m.label, m.x])).toEqual([
      ['GA on', 12],
      ['DRW on', 16],
      ['stage 2', 20],
    ]);
    expect(timeMarkers({ gaStartEpoch: null, drwStartEpoch: undefined })).toEqual([]);
    const ldam = synthRun({ epochs: 10, loss: 'ldam' });
    expect(drwMarkerEpoch([synthRun({ epochs: 10 }), ldam], undefined)).toBe(8); // 0.8 · 10
    expect(drwMarkerEpoch([ldam], 5)).toBe(5);
    expect(drwMarkerEpoch([ldam], null)).toBeNull();
    expect(drwMarkerEpoch([synthRun({ epochs: 10 })], undefined)).toBeNull();
  });
});
