/**
 * The chart fixture page: the live charts (ChartsPanel) fed with synthetic runs instead of a trainer, bundled for the
 * browser in production mode (tools/bench/browser.ts `buildChartsPage`). Used by the browser tests of the charts
 * (test/e2e/charts.test.ts) and by the UI benchmark (`npm run bench`), which lets it "train": batches arrive every
 * 250 ms like the session's store updates and an epoch ends every few seconds.
 *
 * URL: ?scenario=demo (1 GCL run, 10 classes) | compare (CE, KPS, FBL, LDAM-DRW on 10 classes) | cifar100 (9 runs ×
 * 100 classes, the benchmark's) | seeds (9 seed groups × 5 seeds × 100 classes, drawn as mean ± std, plus the current
 * run) | empty; &live=1 starts the current (last) run from scratch.
 * window.__charts: { ready, scenario, startLive(opts), stopLive() → record, touchAll(), clicked, png(id) }.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { ChartsPanel, type ChartId, type ConfusionCellInfo, type RunSeries } from '../../../../src/ui/charts';
import type { EpochMetrics, BatchInfo } from '../../../../src/core/train/trainer';
import { cardLayout, chartCardToPng } from '../../../../src/ui/chart-png';
import { seedGroupRun } from '../../../../src/ui/charts/chart-data';
import { cifar100Runs, synthBatch, synthEpoch, synthRun, withFeatureSpace, RUN_COLORS, type SynthContext } from '../synthetic';

interface Scenario {
  runs: RunSeries[];
  counts: number[];
  groups: ReturnType<typeof synthRun>['groups'];
  classNames: string[];
  totalEpochs: number;
  gaStartEpoch: number | null;
  ctx: SynthContext;
  batchesPerEpoch: number;
}

const params = new URLSearchParams(location.search);
const name = params.get('scenario') ?? 'demo';
const live = params.get('live') === '1';
const only = params.get('only')?.split(',') as ChartId[] | undefined;

/** Seed k of a synthetic run: its accuracies and feature norms scaled by 1 + 0.03 (k − 2), so the seeds of a group spread. */
function seedOfRun(r: RunSeries, k: number): RunSeries {
  const f = 1 + 0.03 * (k - 2);
  const sc = (v: number | null) => (v === null ? null : Math.min(1, v * f));
  return {
    ...r,
    id: `${r.id}s${k}`,
    epochs: r.epochs.map((e) => ({
      ...e,
      testAccuracy: sc(e.testAccuracy),
      perClassAccuracy: e.perClassAccuracy.map(sc),
      groupAccuracy: { many: sc(e.groupAccuracy.many), medium: sc(e.groupAccuracy.medium), few: sc(e.groupAccuracy.few) },
      trainLoss: e.trainLoss * f,
      featureNormTrain: e.featureNormTrain.map((v) => (v === null ? null : v * f)),
      featureNormTest: e.featureNormTest.map((v) => (v === null ? null : v * f)),
    })) as EpochMetrics[],
    batches: r.batches.map((b) => ({ ...b, loss: b.loss * f })),
  };
}

function makeScenario(): Scenario {
  if (name === 'seeds') {
    const base = cifar100Runs(9, Number(params.get('epochs') ?? 20), Number(params.get('classes') ?? 100));
    const r = base[0] as ReturnType<typeof synthRun>;
    const E = base[0].epochs.length;
    const seeds = Number(params.get('seeds') ?? 5);
    const groups = base.map((b) =>
      seedGroupRun(
        `g${b.id}`,
        `${b.label} · ${seeds} seeds`,
        b.color,
        Array.from({ length: seeds }, (_, k) => seedOfRun(b, k)),
      ),
    );
    return {
      // the current run last (the live one)
      runs: [...groups, { ...base[8], id: 'live', label: 'GCL · ResNet-32 (current)', color: RUN_COLORS[9] }],
      counts: r.counts,
      groups: r.groups,
      classNames: Array.from({ length: r.counts.length }, (_, c) => `cifar-class-${c}`),
      totalEpochs: E,
      gaStartEpoch: Math.round(0.6 * E),
      ctx: { counts: r.counts, groups: r.groups, E, B: 128, loss: 'gcl', featureSpace: 'cosine' },
      batchesPerEpoch: 85,
    };
  }
  if (name === 'cifar100') {
    const runs = cifar100Runs(Number(params.get('runs') ?? 9), Number(params.get('epochs') ?? 20), Number(params.get('classes') ?? 100));
    const r = runs[0] as ReturnType<typeof synthRun>;
    const E = runs[0].epochs.length;
    return {
      runs,
      counts: r.counts,
      groups: r.groups,
      classNames: Array.from({ length: r.counts.length }, (_, c) => `cifar-class-${c}`),
      totalEpochs: E,
      gaStartEpoch: Math.round(0.6 * E),
      ctx: { counts: r.counts, groups: r.groups, E, B: 128, loss: 'gcl', featureSpace: 'cosine' },
      batchesPerEpoch: 85,
    };
  }
  const C = Number(params.get('classes') ?? 10);
  const E = Number(params.get('epochs') ?? 6);
  const specs: Array<Parameters<typeof synthRun>[0]> =
    name === 'compare'
      ? [
          { loss: 'ce', label: 'CE · ConvNet', featureSpace: true },
          { loss: 'kps', label: 'KPS s=15 GA · ConvNet', featureSpace: 'cosine' },
          { loss: 'fbl', label: 'FBL · ConvNet', featureSpace: true },
          { loss: 'ldam', label: 'LDAM-DRW · ConvNet', featureSpace: 'cosine' },
        ]
      : name === 'empty'
        ? [{ loss: 'gcl', label: 'GCL · ConvNet', epochs: 0 }]
        : [{ loss: 'gcl', label: 'GCL · ConvNet', featureSpace: 'cosine' }];
  const runs = specs.map((s, i) =>
    synthRun({
      C,
      epochs: E,
      batchesPerEpoch: 20,
      nMax: 1000,
      id: `r${i}`,
      color: RUN_COLORS[i],
      ...s,
      ...(s?.epochs === 0 ? { epochs: 0 } : {}),
    }),
  );
  const r = runs[0];
  return {
    runs,
    counts: r.counts,
    groups: r.groups,
    classNames: r.classNames.map(
      (_, c) =>
        ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'][c] ?? `class-${c}`,
    ),
    totalEpochs: Math.max(E, 1),
    gaStartEpoch: name === 'compare' ? Math.round(0.6 * E) : null,
    ctx: { counts: r.counts, groups: r.groups, E: Math.max(E, 1), B: 16, loss: 'gcl', featureSpace: 'cosine' },
    batchesPerEpoch: 20,
  };
}

interface Record {
  longtasks: Array<{ start: number; duration: number }>;
  measures: Array<{ name: string; start: number; duration: number }>;
  frames: number[];
  epochs: number;
  batches: number;
}

const scenario = makeScenario();
const api = {
  ready: false,
  scenario: name,
  clicked: null as null | { t: number; p: number; cell?: ConfusionCellInfo },
  record: null as Record | null,
  /** Makes the live run's epochs (outside the measured span). */
  prepare: () => {},
  startLive: (_o?: { flushMs?: number; batchesPerFlush?: number }) => {},
  stopLive: (): Record | null => null,
  touchAll: () => {},
  /** The PNG export of a chart card: its layout (boxes of the legend items and plot surfaces) and the PNG's bytes. */
  png: async (id: string) => {
    const card = document.querySelector<HTMLElement>(`[data-testid="chart-${id}"]`);
    if (!card) throw new Error(`no chart ${id}`);
    const L = cardLayout(card);
    const blob = await chartCardToPng(card);
    const bytes = Array.from(new Uint8Array(await blob.arrayBuffer()));
    // the top of the plot area (recharts' grid) of the first surface, in the PNG's coordinates
    const surface = L.pieces.find((q) => q.kind === 'svg')!;
    const grid = surface.el.querySelector('.recharts-cartesian-grid');
    const sr = surface.el.getBoundingClientRect();
    const gr = grid?.getBoundingClientRect();
    return {
      width: L.width,
      height: L.height,
      legend: L.pieces.filter((q) => q.kind === 'legend').map((q) => ({ x: q.x, y: q.y, w: q.w, h: q.h, label: q.label })),
      plotTop: gr ? surface.y + (gr.top - sr.top) : null,
      kinds: L.pieces.map((q) => q.kind),
      bytes,
    };
  },
};
(window as unknown as { __charts: typeof api }).__charts = api;

let rec: Record | null = null;
try {
  new PerformanceObserver((l) => {
    if (rec) for (const e of l.getEntries()) rec.longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask' });
  new PerformanceObserver((l) => {
    if (rec)
      for (const e of l.getEntries())
        if (e.name.startsWith('ltpg:')) rec.measures.push({ name: e.name.slice(5), start: e.startTime, duration: e.duration });
  }).observe({ type: 'measure' });
} catch {
  /* no long-task support */
}
const frame = (t: number) => {
  rec?.frames.push(t);
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);

function App() {
  const [runs, setRuns] = useState<RunSeries[]>(() => {
    if (!live) return scenario.runs;
    // the current run starts from scratch
    const last = scenario.runs[scenario.runs.length - 1];
    return [...scenario.runs.slice(0, -1), { ...last, batches: [], epochs: [] }];
  });

  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | null = null;
    // the live run's epochs are made up front (in the app they arrive from the training worker): two precomputed
    // feature spaces, alternated, and the metrics of up to 60 epochs (prepare() before measuring)
    let epochPool: EpochMetrics[] = [];
    api.prepare = () => {
      if (epochPool.length) return;
      const fsPool: EpochMetrics[] = [0, 1].map((k) => withFeatureSpace(scenario.ctx, synthEpoch(scenario.ctx, k, 0), 100 + k));
      const nb0 = scenario.batchesPerEpoch;
      epochPool = Array.from({ length: 60 }, (_, e) => {
        const m = synthEpoch({ ...scenario.ctx, E: Math.max(scenario.ctx.E, e + 1) }, e, (e + 1) * nb0);
        return { ...m, featureSpace: (fsPool[e % 2] as EpochMetrics & { featureSpace?: unknown }).featureSpace } as EpochMetrics;
      });
    };
    api.startLive = (o = {}) => {
      api.prepare();
      const flushMs = o.flushMs ?? 250;
      const per = o.batchesPerFlush ?? 8;
      const nb = scenario.batchesPerEpoch;
      let step = 0;
      rec = { longtasks: [], measures: [], frames: [], epochs: 0, batches: 0 };
      timer = setInterval(() => {
        setRuns((rs) => {
          const cur = rs[rs.length - 1];
          const batches: BatchInfo[] = cur.batches.slice();
          const epochs: EpochMetrics[] = cur.epochs.slice();
          let ended = false;
          for (let k = 0; k < per; k++) {
            const done = batches.length;
            const e = Math.floor(done / nb);
            batches.push(synthBatch(e, done % nb, nb, ++step));
            if ((done + 1) % nb === 0 && epochPool[e]) {
              epochs.push(epochPool[e]);
              ended = true;
            }
          }
          if (rec) {
            rec.batches += per;
            if (ended) rec.epochs++;
          }
          return [...rs.slice(0, -1), { ...cur, batches, epochs: ended ? epochs : cur.epochs }];
        });
      }, flushMs);
    };
    api.stopLive = () => {
      if (timer) clearInterval(timer);
      timer = null;
      const r = rec;
      rec = null;
      return r;
    };
    // every run's epochs as a new array: every chart re-renders once (in its own task)
    api.touchAll = () => setRuns((rs) => rs.map((r) => ({ ...r, epochs: r.epochs.slice() })));
    api.ready = true;
    return () => {
      if (timer) clearInterval(timer);
    };
  }, []);

  return (
    <ChartsPanel
      runs={runs}
      counts={scenario.counts}
      groups={scenario.groups}
      classNames={scenario.classNames}
      totalEpochs={scenario.totalEpochs}
      gaStartEpoch={scenario.gaStartEpoch}
      only={only}
      onCellClick={(t, p, cell) => {
        api.clicked = { t, p, cell };
      }}
    />
  );
}

const root = createRoot(document.getElementById('root')!);
const t0 = performance.now();
flushSync(() =>
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
performance.measure('ltpg:first-render', { start: t0, end: performance.now() });
