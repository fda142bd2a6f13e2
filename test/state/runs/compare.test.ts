/**
 * Compare runs: pinning (limits, colours, other data), labels from the loss schemas, the runs table (rows, sorting,
 * CSV), the "CE vs KPS vs FBL vs GCL" preset on the real engine (in-process, cpu, tiny data), the pinned runs in the
 * autosave record, and that the same seed gives the same initial backbone weights whatever the loss.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/core/backend';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import { Trainer } from '../../../src/core/train/trainer';
import { defaultParams } from '../../../src/core/losses/registry';
import type { LossId } from '../../../src/core/losses/types';
import type { EpochMetrics } from '../../../src/worker/protocol';
import { PlaygroundSession } from '../../../src/state/session/session';
import { dataKey, planChange } from '../../../src/state/settings/change-policy';
import { PLAYGROUND_DEFAULTS, makeSettings } from '../../../src/state/settings/settings';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { MAX_PINNED, RUN_COLORS, pinnedCount, type RunRecord } from '../../../src/state/session/slices/metrics';
import { runLabel } from '../../../src/state/runs/run-label';
import {
  CSV_COLUMNS,
  PRESET_LOSSES,
  bestEpoch,
  compareCsv,
  compareRows,
  PresetRunner,
  presetSettings,
  rowOf,
  sortRows,
} from '../../../src/state/runs/compare';
import { Autosaver, MemoryAutosaveStorage } from '../../../src/state/persistence/autosave';
import { inProcessClients, sharedTinyDataset, tinySettings as baseSettings, until } from '../../helpers/in-process-worker';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { ChartsPanel } from '../../../src/ui/charts';
import { timeMax } from '../../../src/ui/charts/chart-data';
import { synthRun } from '../../ui/charts/synthetic';

/** One epoch of batch 32, seed 3, lr 0.05. */
const tinySettings = (over: Partial<TrainConfig> = {}) =>
  baseSettings({ batchSize: 32, epochs: 1, evalPerClass: 3, seed: 3, lr: 0.05, ...over });

function page(settings = tinySettings(), storage?: MemoryAutosaveStorage) {
  const store = createPlaygroundStore(settings);
  const autosave = storage ? new Autosaver(storage, store) : null;
  const session = new PlaygroundSession(store, {
    createClient: inProcessClients().createClient,
    schedule: (cb) => setTimeout(cb, 5),
    flushIntervalMs: 0,
    onCheckpoint: autosave ? (snap) => void autosave.save(snap) : undefined,
  });
  return { store, session, autosave, s: () => store.getState() };
}

/** Fake epoch metrics (1-based `n` within `stage`). */
function ep(n: number, acc: number, g: [number | null, number | null, number | null], stage: 1 | 2 = 1, of = 3): EpochMetrics {
  return {
    stage,
    epoch: n - 1,
    epochsInStage: of,
    step: n * 5,
    testAccuracy: acc,
    groupAccuracy: { many: g[0], medium: g[1], few: g[2] },
  } as unknown as EpochMetrics;
}

/** The defaults with `loss`, then `f` edits a plain copy of the config. */
const withLoss = (loss: LossId, f?: (c: TrainConfig) => void) => {
  const c = structuredClone(PLAYGROUND_DEFAULTS.config) as TrainConfig;
  c.loss = loss;
  c.lossParams = defaultParams(loss);
  f?.(c);
  return makeSettings(c, PLAYGROUND_DEFAULTS.backend);
};

beforeAll(async () => {
  await initBackend({ order: ['cpu'] });
});

describe('pinning runs (metrics slice)', () => {
  it('pinned runs stay across loss / data changes; only the previous unpinned run is kept; limit and unique colours', () => {
    const st = createPlaygroundStore();
    const s = () => st.getState();
    expect(MAX_PINNED).toBeGreaterThanOrEqual(6);
    s().beginRun('CE', 'a');
    s().appendMetrics([], [ep(1, 0.5, [0.6, 0.4, 0.2])]);
    expect(s().pinCurrent()).toBe(true);
    expect(s().current!.pinned).toBe(true);
    // a pinned run still receives its metrics until the next run starts
    s().appendMetrics([], [ep(2, 0.55, [0.6, 0.5, 0.3])]);
    expect(s().current!.epochs).toHaveLength(2);
    const ce = s().current!;
    s().beginRun('KPS', 'a');
    expect(s().archived.map((r) => [r.label, r.pinned])).toEqual([['CE', true]]);
    expect(s().archived[0].epochs).toHaveLength(2);
    s().appendMetrics([], [ep(1, 0.4, [0.5, 0.3, 0.1])]);
    s().beginRun('CE', 'b'); // other data: the pinned run stays, the unpinned KPS run (data a) goes
    expect(s().archived.map((r) => r.label)).toEqual(['CE']);
    expect(s().current!.label).toBe('CE #2'); // labels stay unique
    // fill up the pins: MAX_PINNED pinned runs, each with its own colour
    for (let i = 0; pinnedCount(s()) < MAX_PINNED; i++) {
      s().appendMetrics([], [ep(1, 0.3 + i / 100, [0.5, 0.3, 0.1])]);
      expect(s().pinCurrent()).toBe(true);
      s().beginRun(`run ${i}`, 'a');
    }
    s().appendMetrics([], [ep(1, 0.3, [0.5, 0.3, 0.1])]);
    expect(s().pinCurrent()).toBe(false); // full
    s().beginRun('next', 'a'); // the unpinned one becomes "earlier": MAX_PINNED + 1 earlier + current shown
    expect(s().archived).toHaveLength(MAX_PINNED + 1);
    const colours = [...s().archived, s().current!].map((r) => r.color);
    expect(new Set(colours).size).toBe(MAX_PINNED + 2);
    expect(colours.every((c) => RUN_COLORS.includes(c))).toBe(true);
    expect(s().archived[0]).toMatchObject({ id: ce.id, color: ce.color, label: 'CE' });
    // remove a pinned run; pin the earlier one instead
    s().unpinRun(ce.id);
    expect(s().archived.find((r) => r.id === ce.id)).toBeUndefined();
    const earlier = s().archived.find((r) => !r.pinned)!;
    expect(earlier.label).toMatch(/\(earlier\)$/);
    expect(s().pinRun(earlier.id)).toBe(true);
    expect(s().archived.at(-1)).toMatchObject({ id: earlier.id, pinned: true, label: 'run 6' });
    // unpinning the current run: it is dropped like any unpinned run once the next starts on other data
    s().appendMetrics([], [ep(1, 0.3, [0.5, 0.3, 0.1])]);
    s().unpinRun(s().archived[0].id);
    expect(s().pinCurrent()).toBe(true);
    s().unpinRun(s().current!.id);
    expect(s().current!.pinned).toBe(false);
  });

  it('restoreRuns (resume) keeps ids, recolours clashes and respects the limit', () => {
    const st = createPlaygroundStore();
    const s = () => st.getState();
    s().beginRun('now', 'a');
    const saved: RunRecord[] = [
      {
        id: 'x1',
        label: 'CE · ConvNet',
        color: s().current!.color,
        dataKey: 'a',
        batches: [],
        epochs: [ep(1, 0.5, [1, 0, 0])],
        pinned: true,
      },
      {
        id: 'x2',
        label: 'KPS s=15 GA · ConvNet',
        color: RUN_COLORS[3],
        dataKey: 'a',
        batches: [],
        epochs: [ep(1, 0.6, [1, 0, 0])],
        pinned: true,
      },
    ];
    s().restoreRuns(saved, true);
    expect(s().archived.map((r) => r.id)).toEqual(['x1', 'x2']);
    expect(s().archived[0].color).toBe(RUN_COLORS[0]);
    expect(s().current!.color).not.toBe(RUN_COLORS[0]);
    expect(s().current!.color).not.toBe(RUN_COLORS[3]);
    expect(s().current!.pinned).toBe(true);
  });
});

describe('run labels', () => {
  it('name the loss, its key and changed hyperparameters, the model and an open head', () => {
    expect(runLabel(withLoss('kps'))).toBe('KPS s=15 GA · ConvNet');
    expect(
      runLabel(
        withLoss('kps', (c) => {
          c.lossParams.ga = 0;
          c.lossParams.maxM = 0.3;
        }),
      ),
    ).toBe('KPS m=0.3 s=15 no GA · ConvNet');
    expect(
      runLabel(
        withLoss('ldam', (c) => {
          c.model = 'resnet32';
        }),
      ),
    ).toBe('LDAM-DRW m=0.5 · ResNet-32');
    expect(runLabel(withLoss('gcl'))).toBe('GCL · ConvNet');
    expect(runLabel(withLoss('gcl'), 2)).toBe('GCL stage 2 · ConvNet');
    expect(
      runLabel(
        withLoss('gcl', (c) => {
          c.lossParams.noiseMul = 1;
        }),
      ),
    ).toBe('GCL cloud=1 · ConvNet');
    expect(
      runLabel(
        withLoss('fbl', (c) => {
          c.lossParams.A = 30;
        }),
      ),
    ).toBe('FBL A=30 · ConvNet');
    expect(
      runLabel(
        withLoss('ce', (c) => {
          c.head = 'linear';
          c.lossParams.scale = 20;
        }),
      ),
    ).toBe('CE · ConvNet');
    expect(
      runLabel(
        withLoss('ce', (c) => {
          c.head = 'cosine';
          c.lossParams.scale = 20;
        }),
      ),
    ).toBe('CE s=20 · ConvNet (cosine head)');
  });
});

describe('runs table', () => {
  function state() {
    const st = createPlaygroundStore();
    const s = () => st.getState();
    s().beginRun(
      'CE · ConvNet',
      'a',
      withLoss('ce', (c) => {
        c.head = 'linear';
      }),
    );
    s().appendMetrics([], [ep(1, 0.5, [0.8, 0.4, 0.1]), ep(2, 0.62, [0.85, 0.5, 0.2]), ep(3, 0.6, [0.9, 0.45, 0.1])]);
    s().pinCurrent();
    s().beginRun('GCL · ConvNet', 'a', withLoss('gcl'));
    s().appendMetrics(
      [],
      [ep(1, 0.55, [0.7, 0.5, 0.3]), ep(2, 0.58, [0.7, 0.5, 0.4]), ep(3, 0.59, [0.7, 0.55, 0.45]), ep(1, 0.64, [0.72, 0.6, 0.5], 2, 1)],
    );
    s().pinCurrent();
    s().beginRun(
      'KPS s=15 GA · ConvNet',
      'b',
      withLoss('kps', (c) => {
        c.imbalance = 10;
      }),
    );
    s().appendMetrics([], [ep(1, 0.45, [0.6, 0.3, null], 1, 3)]);
    s().patchRun({ phase: 'running' });
    return s();
  }

  it('one row per run: last and best epoch, status, other data', () => {
    const rows = compareRows(state());
    expect(rows.map((r) => r.label)).toEqual(['CE · ConvNet', 'GCL · ConvNet', 'KPS s=15 GA · ConvNet']);
    const [ce, gcl, kps] = rows;
    expect(ce.last).toEqual({ stage: 1, epoch: 3, overall: 0.6, many: 0.9, medium: 0.45, few: 0.1 });
    expect(ce.best).toMatchObject({ stage: 1, epoch: 2, overall: 0.62 });
    expect(ce).toMatchObject({
      status: 'finished',
      pinned: true,
      current: false,
      sameData: false,
      lossName: 'CE',
      head: 'linear',
      epochs1: 3,
      epochs2: 0,
    });
    expect(gcl).toMatchObject({ epochs1: 3, epochs2: 1, last: { stage: 2, epoch: 1 }, best: { stage: 2, overall: 0.64 }, head: 'cosine' });
    expect(kps).toMatchObject({ status: 'running', current: true, pinned: false, sameData: true, last: { few: null } });
    expect(kps.data).toMatch(/IF 10 \(exp\)/);
    expect(bestEpoch([])).toBeNull();
  });

  it('"best" is chosen on the validation split when the run had one, and the row and CSV say which set chose it', () => {
    const onVal = (e: EpochMetrics, score: number) => ({ ...e, selection: 'validation', selectionScore: score }) as EpochMetrics;
    // epoch 2 has the higher test accuracy, epoch 1 the higher validation score
    const epochs = [onVal(ep(1, 0.7, [0.8, 0.6, 0.4]), 0.9), onVal(ep(2, 0.8, [0.9, 0.7, 0.5]), 0.5)];
    expect(bestEpoch(epochs)?.epoch).toBe(0);
    const rec: RunRecord = { id: 'v', label: 'CE val', color: '#000', dataKey: 'x', batches: [], epochs };
    const val = rowOf(rec, { current: false, dataKey: 'x' });
    expect(val).toMatchObject({ bestOn: 'validation', best: { epoch: 1, overall: 0.7 } });
    const test = rowOf(
      { ...rec, id: 't', epochs: [ep(1, 0.7, [0.8, 0.6, 0.4]), ep(2, 0.8, [0.9, 0.7, 0.5])] },
      { current: false, dataKey: 'x' },
    );
    expect(test).toMatchObject({ bestOn: 'test', best: { epoch: 2, overall: 0.8 } });
    const lines = compareCsv([val, test]).trimEnd().split('\r\n');
    const col = CSV_COLUMNS.indexOf('best_chosen_on');
    expect(lines.slice(1).map((l) => l.split(',')[col])).toEqual(['validation', 'test']);
  });

  it('sorts by any column, both directions, rows without a value last', () => {
    const rows = compareRows(state());
    const by = (k: Parameters<typeof sortRows>[1], d: 'ascending' | 'descending') => sortRows(rows, k, d).map((r) => r.lossName);
    expect(by('lastOverall', 'descending')).toEqual(['GCL', 'CE', 'KPS']);
    expect(by('lastOverall', 'ascending')).toEqual(['KPS', 'CE', 'GCL']);
    expect(by('lastFew', 'descending')).toEqual(['GCL', 'CE', 'KPS']);
    expect(by('lastFew', 'ascending')).toEqual(['CE', 'GCL', 'KPS']); // KPS has no few-shot class: last
    expect(by('bestOverall', 'descending')).toEqual(['GCL', 'CE', 'KPS']);
    expect(by('label', 'ascending')).toEqual(['CE', 'GCL', 'KPS']);
    expect(by('epochs', 'descending')).toEqual(['GCL', 'CE', 'KPS']);
    expect(sortRows(rows, null).map((r) => r.lossName)).toEqual(['CE', 'GCL', 'KPS']);
  });

  it('CSV: a header and one row per run in the displayed order, the same numbers as the table', () => {
    const rows = sortRows(compareRows(state()), 'lastOverall', 'descending');
    const csv = compareCsv(rows);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + rows.length);
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    // a tiny RFC 4180 reader
    const parse = (l: string) =>
      [...l.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => m[1].replace(/^"|"$/g, '').replace(/""/g, '"'));
    const recs = lines
      .slice(1)
      .map(parse)
      .map((f) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, f[i]])));
    expect(recs.map((r) => r.loss)).toEqual(['GCL', 'CE', 'KPS']);
    expect(recs[0]).toMatchObject({
      run: 'GCL · ConvNet',
      last_stage: '2',
      last_epoch: '1',
      last_overall_accuracy: '0.64',
      best_overall_accuracy: '0.64',
      pinned: 'true',
      epochs_stage2: '1',
    });
    expect(recs[1]).toMatchObject({
      last_many_accuracy: '0.9',
      best_epoch: '2',
      best_overall_accuracy: '0.62',
      same_data: 'false',
      status: 'finished',
    });
    expect(recs[2]).toMatchObject({ last_few_accuracy: '', status: 'running', same_data: 'true' });
    expect(recs[2].data).toMatch(/, seed 1$/); // the data text holds commas: quoted
  });
});

describe('same seed → same data subset and initial backbone weights, whatever the loss', () => {
  it('every backbone parameter is identical; only the head differs where the loss needs another one', async () => {
    await tf.setBackend('cpu');
    const cfg = (loss: LossId, head: 'linear' | 'cosine', seed = 5): TrainConfig => ({
      ...structuredClone(DEFAULT_CONFIG),
      dataset: 'tiny',
      imbalance: 10,
      model: 'resnet8',
      head,
      loss,
      lossParams: defaultParams(loss),
      seed,
      batchSize: 16,
      epochs: 1,
      evalPerClass: 2,
    });
    const weights = (c: TrainConfig) => {
      const t = new Trainer(sharedTinyDataset(), c);
      const w = new Map([...t.model.vars].map(([k, v]) => [k, Array.from(v.dataSync())]));
      const counts = t.counts.slice();
      t.dispose();
      return { w, counts };
    };
    const ce = weights(cfg('ce', 'linear'));
    const backbone = [...ce.w.keys()].filter((k) => !k.startsWith('linear.'));
    expect(backbone.length).toBeGreaterThan(10);
    for (const [loss, head] of [
      ['kps', 'cosine'],
      ['fbl', 'linear'],
      ['gcl', 'cosine'],
      ['ldam', 'cosine'],
    ] as const) {
      const o = weights(cfg(loss, head));
      expect(o.counts).toEqual(ce.counts);
      for (const k of backbone) expect(o.w.get(k), `${loss} ${k}`).toEqual(ce.w.get(k));
      if (head === 'linear') expect(o.w.get('linear.weight')).toEqual(ce.w.get('linear.weight'));
      else expect(o.w.get('linear.weight')).not.toEqual(ce.w.get('linear.weight'));
    }
    const other = weights(cfg('ce', 'linear', 6));
    expect(other.w.get('conv1.weight')).not.toEqual(ce.w.get('conv1.weight'));
  });
});

describe('preset CE vs KPS vs FBL vs GCL (real engine, cpu, tiny data)', () => {
  it('settings of the preset runs: same data, seed, model, epochs, batch and lr; the loss and its head change', () => {
    const base = tinySettings();
    const all = PRESET_LOSSES.map((l) => presetSettings(base, l));
    expect(all.map((s) => s.config.loss)).toEqual(['ce', 'kps', 'fbl', 'gcl']);
    expect(all.map((s) => s.config.head)).toEqual(['linear', 'cosine', 'linear', 'cosine']);
    expect(all[1].config.lossParams.ga).toBe(1);
    for (const s of all) {
      expect(dataKey(s)).toBe(dataKey(base));
      for (const k of ['seed', 'model', 'epochs', 'batchSize', 'lr', 'schedule', 'sampler'] as const)
        expect(s.config[k]).toEqual(base.config[k]);
      expect(s.config.stage2).toEqual(base.config.stage2);
    }
  });

  it('queues the four runs in order, GCL with stage 2, pins each; asks before replacing an unpinned trained run', async () => {
    const storage = new MemoryAutosaveStorage();
    const t = page(tinySettings(), storage);
    await t.session.start();
    await t.session.step();
    const runner = new PresetRunner(t.session);
    // the current run trained a step and is not pinned: confirm first (cancel → nothing happens)
    const declined = runner.start();
    await until(() => t.s().confirm !== null);
    expect(t.s().confirm!.message).toMatch(/not pinned/);
    t.s().answerConfirm(false);
    expect(await declined).toBe('declined');
    expect(t.s().preset).toBeNull();

    const seen: string[] = [];
    const off = t.store.subscribe((s) => {
      const p = s.preset;
      const txt = p ? `${p.index + 1}/${p.total} ${p.name}` : '';
      if (txt && seen.at(-1) !== txt) seen.push(txt);
    });
    const done = runner.start();
    await until(() => t.s().confirm !== null);
    t.s().answerConfirm(true);
    expect(await done).toBe('done');
    off();
    expect(seen).toEqual(['1/4 CE', '2/4 KPS (+GA)', '3/4 FBL', '4/4 GCL (stage 1 + 2)']);
    expect(t.s().preset).toBeNull();
    const runs = [...t.s().archived, t.s().current!];
    const pinned = runs.filter((r) => r.pinned);
    expect(pinned.map((r) => r.settings?.config.loss)).toEqual(['ce', 'kps', 'fbl', 'gcl']);
    expect(pinned.map((r) => r.label)).toEqual(['CE · ConvNet', 'KPS s=15 GA · ConvNet', 'FBL · ConvNet', 'GCL stage 2 · ConvNet']);
    expect(new Set(pinned.map((r) => r.dataKey)).size).toBe(1);
    expect(new Set(pinned.map((r) => r.color)).size).toBe(4);
    expect(pinned.map((r) => r.epochs.map((e) => `${e.stage}.${e.epoch + 1}`).join())).toEqual(['1.1', '1.1', '1.1', '1.1,2.1']);
    // the first preset run replaced the unpinned step-trained run, which was dropped (it had no finished epoch); the
    // form was never changed, and the next run is the form's again: a fresh one, nothing trained
    expect(t.s().settings).toEqual(tinySettings());
    // the last preset run (GCL) is the form's own settings, so it stays the current run
    expect(planChange(t.s().runSettings!, t.s().settings).kind).toBe('none');
    expect(runs.filter((r) => !r.pinned)).toEqual([]);
    const rows = compareRows(t.s());
    expect(rows.map((r) => r.status)).toEqual(['finished', 'finished', 'finished', 'finished']);
    expect(rows.every((r) => r.sameData && r.last !== null)).toBe(true);
    expect(t.s().announcement).toMatch(/Preset .* finished/);

    // the autosave record holds the three frozen pinned runs and the pinned flag of the current one
    // (each preset run has its record; the newest is the GCL run, saved again once it was pinned)
    await until(
      () =>
        (storage.run?.compare?.runs.length ?? 0) === 3 &&
        storage.run?.checkpoint.trainer.stage === 2 &&
        !!storage.run.compare?.currentPinned,
    );
    expect(storage.keys.length).toBe(4);
    expect(storage.run!.compare!.currentPinned).toBe(true);
    const again = page(tinySettings(), storage);
    await again.session.start();
    await again.autosave!.init();
    expect(await again.autosave!.resume(again.session)).toBe(true);
    const restored = [...again.s().archived, again.s().current!];
    expect(restored.map((r) => r.label)).toEqual(pinned.map((r) => r.label));
    expect(restored.every((r) => r.pinned)).toBe(true);
    expect(restored.map((r) => r.epochs.length)).toEqual([1, 1, 1, 2]);
    t.session.dispose();
    again.session.dispose();
  }, 120_000);

  it('Cancel stops the queue and puts the form’s run back; without 4 free pins the preset asks to unpin first', async () => {
    const settings = tinySettings({ epochs: 30 });
    const t = page(settings);
    await t.session.start();
    const runner = new PresetRunner(t.session);
    const p = runner.start();
    await until(() => t.s().phase === 'running' && t.s().preset?.index === 0);
    const id = t.s().current!.id;
    expect(t.s().current!.settings?.config.loss).toBe('ce');
    expect(t.s().settings).toEqual(settings); // the preset's run carries its own settings: the form is untouched
    runner.cancel();
    expect(await p).toBe('cancelled');
    expect(t.s().preset).toBeNull();
    expect(t.s().current!.id).not.toBe(id);
    expect(t.s().runSettings).toEqual(settings);
    expect(t.s().settings).toEqual(settings);
    expect(t.s().phase).toBe('ready');
    // fill the pins up to MAX_PINNED − 3: the preset needs 4 free ones
    const st = t.s();
    for (let i = 0; i < MAX_PINNED - 3; i++) {
      st.restoreRuns([{ id: `p${i}`, label: `p${i}`, color: '#000', dataKey: 'x', batches: [], epochs: [] }]);
    }
    expect(pinnedCount(t.s())).toBe(MAX_PINNED - 3);
    expect(runner.blocker()).toBeNull();
    // declining keeps every pinned run and starts nothing
    const declined = runner.start();
    await until(() => t.s().confirm !== null);
    expect(t.s().confirm!.title).toMatch(/The preset pins 4 runs/);
    expect(t.s().confirm!.message).toMatch(/Unpin the 1 oldest \(“p0”\)/);
    t.s().answerConfirm(false);
    expect(await declined).toBe('declined');
    expect(pinnedCount(t.s())).toBe(MAX_PINNED - 3);
    expect(t.s().preset).toBeNull();
    t.session.dispose();
  }, 60_000);
});

describe('overlay on the charts', () => {
  /** The server-rendered HTML of each chart card by id. */
  function cards(html: string): Record<string, string> {
    const parts = html.split('data-testid="chart-').slice(1);
    return Object.fromEntries(parts.map((p) => [p.slice(0, p.indexOf('"')), p]));
  }

  it('every chart draws every run on this data (GCL / KPS charts: the runs of that loss); other data only on the time charts', () => {
    const ce = synthRun({ epochs: 2, id: 'c', label: 'CE · ConvNet', color: RUN_COLORS[0] });
    const kps = synthRun({ epochs: 2, loss: 'kps', id: 'k', label: 'KPS s=15 GA · ConvNet', color: RUN_COLORS[1] });
    const gcl = synthRun({ epochs: 2, loss: 'gcl', id: 'g', label: 'GCL · ConvNet', color: RUN_COLORS[2] });
    const other = { ...synthRun({ epochs: 3, id: 'o', label: 'CE · ConvNet (other data)', color: RUN_COLORS[3] }) };
    const html = renderToString(
      createElement(ChartsPanel, {
        runs: [ce, kps, gcl],
        timeRuns: [other, ce, kps, gcl],
        counts: ce.counts,
        groups: ce.groups,
        classNames: ce.classNames,
        totalEpochs: 4,
        width: 640,
        height: 280,
        liveIntervalMs: 0,
      }),
    );
    const c = cards(html);
    // the runs each chart draws (data-runs; recharts draws the SVG only in the browser: test/e2e/charts.test.ts)
    const drawn = (id: string) => (/^[^>]*data-runs="([^"]*)"/.exec(c[id])?.[1] ?? '').split(' ');
    for (const id of ['loss', 'per-class', 'groups', 'feature-norm']) {
      for (const r of [ce, kps, gcl]) expect(drawn(id), `${id} ${r.label}`).toContain(r.id);
    }
    for (const id of ['loss', 'groups']) expect(drawn(id), id).toContain(other.id);
    for (const id of ['per-class', 'feature-norm', 'gcl-cloud', 'kps', 'confusion']) expect(drawn(id), id).not.toContain(other.id);
    expect(drawn('kps')).toEqual([kps.id]);
    expect(drawn('gcl-cloud')).toEqual([gcl.id]);
    // the confusion matrix shows one run at a time, with a picker naming every run on this data
    for (const r of [ce, kps, gcl]) expect(c.confusion).toMatch(new RegExp(`<option value="${r.id}"[^>]*>${r.label}</option>`));
    expect(c.confusion).not.toContain('value="o"');
  });

  it('a run with other stage-1 epochs puts its stage 2 after its own stage 1', () => {
    const r = synthRun({ epochs: 2, id: 'a' });
    const s2 = { ...r.epochs[1], stage: 2 as const, epoch: 0, epochsInStage: 2 };
    expect(timeMax([{ ...r, epochs: [...r.epochs, s2], batches: [], stage1Epochs: 2 }], 6)).toBe(6);
    expect(timeMax([{ ...r, epochs: [...r.epochs, s2], batches: [] }], 6)).toBe(8);
  });
});
