/**
 * Chart 1: per-batch training loss (fractional epochs, decimated) and test accuracy per epoch (right axis, %). The
 * loss axis is sized to the bulk of the values (the first batches of some losses are ten or a hundred times the
 * rest and would flatten everything else): values above it run along the top edge, marked and counted. Stage 2's
 * loss (another objective, another scale) has its own pane under the first, on the same time axis.
 */
import { memo, useMemo, useState } from 'react';
import type { ChartProps, RunSeries } from './types';
import type { XY } from './decimate';
import {
  ChartCard,
  DEFAULT_HEIGHT,
  MAX_EPOCH_POINTS,
  batchPropsEqual,
  drwMarkerEpoch,
  epochLabel,
  timeMarkers,
  type LegendItem,
} from './ChartCard';
import { TimeChart } from './TimeChart';
import { useStableBy } from './schedule';
import type { SeriesBand, SeriesLine } from './PlotLayers';
import type { AxisSpec } from './scale';
import {
  accuracyPoints,
  clipPoints,
  epochX,
  epochsKey,
  fmt,
  fmtPct,
  hasStage2,
  lossPoints,
  lossRange,
  mergeByX,
  spreadPoints,
  thinRows,
  timeMax,
  type LossRange,
} from './chart-data';
import { chartMeta } from '../../state/session/chart-catalog';
import { lossSummary, lossTable } from './text-alternatives';

/**
 * Loss points per run: LTTB keeps the shape; a card is ~500 px wide, so more points would not show. This chart
 * re-renders several times a second while training, so it stays small.
 */
const DEFAULT_MAX_POINTS = 200;

const ACC_AXIS: AxisSpec = { label: 'test accuracy (%)', width: 60, domain: [0, 100] };
/** The stage-2 pane: as tall as fits a few ticks; its right margin stands for the accuracy axis (x aligned). */
const STAGE2_HEIGHT = 170;
const STAGE2_MARGIN = { top: 8, right: 16 + ACC_AXIS.width, bottom: 24, left: 12 };

function lossAxis(label: string, r: LossRange): AxisSpec {
  return { label, width: 60, format: (v) => fmt(v), domain: [r.lo, r.hi], ticks: r.ticks, log: r.log };
}
const tipFormat = (v: number, l: SeriesLine) => (l.key.endsWith('acc') ? fmtPct(v) : fmt(v, 4));

const TITLE = chartMeta('loss').title;

interface StagePoints {
  s1: XY[];
  s2: XY[];
}

/**
 * Decimated loss points of each stage per `batches` array (immutable): the finished runs are not decimated again
 * every batch. The stages are decimated apart (their scales differ).
 */
const lossCache = new WeakMap<object, { t: number; max: number; points: StagePoints }>();
function cachedLossPoints(batches: RunSeries['batches'], t: number, max: number): StagePoints {
  const hit = lossCache.get(batches);
  if (hit && hit.t === t && hit.max === max) return hit.points;
  const k = batches.findIndex((b) => b.stage === 2);
  const points =
    k < 0
      ? { s1: lossPoints(batches, t, max), s2: [] }
      : { s1: lossPoints(batches.slice(0, k), t, max), s2: lossPoints(batches.slice(k), t, max) };
  lossCache.set(batches, { t, max, points });
  return points;
}

function* ys(series: ReadonlyArray<{ points: readonly XY[] }>): Generator<number> {
  for (const sr of series) for (const p of sr.points) yield p.y;
}

const clippedText = (n: number, hi: number, what: string) =>
  `${n} ${what} point${n === 1 ? '' : 's'} above ${fmt(hi)} drawn at the top edge`;

function LossAccuracyChartImpl(p: ChartProps) {
  const { runs, totalEpochs, gaStartEpoch, perSeed } = p;
  const maxPoints = p.maxPoints ?? DEFAULT_MAX_POINTS;
  const showDots = runs.every((r) => r.epochs.length <= 60);
  // The per-epoch rows are recharts' data (tooltip, keyboard); they, the legend and the lines change only when an
  // epoch ends (keyed by the epochs arrays), so a new batch re-renders the loss layer, not recharts' data.
  const er = useStableBy(runs, epochsKey(runs));
  const perEpoch = useMemo(() => {
    const rs = er;
    const bands: SeriesBand[] = [];
    const seedLines: SeriesLine[] = [];
    const series = rs.flatMap((r, i) => {
      const t = r.stage1Epochs ?? totalEpochs;
      const ep = thinRows(r.epochs, MAX_EPOCH_POINTS);
      const out = [
        { key: `r${i}acc`, points: accuracyPoints(ep, t) },
        { key: `r${i}tl`, points: ep.map((e) => ({ x: epochX(e, t), y: e.trainLoss })) },
      ];
      const members = (r.seeds ?? []).map((m) => accuracyPoints(thinRows(m.epochs, MAX_EPOCH_POINTS), m.stage1Epochs ?? t));
      if (members.length >= 2) {
        // test accuracy of a seed group: mean ± std over its seeds, and each seed's line on demand
        const band = spreadPoints(members);
        out.push({ key: `r${i}acclo`, points: band.lo }, { key: `r${i}acchi`, points: band.hi });
        bands.push({ key: `r${i}acc`, lo: `r${i}acclo`, hi: `r${i}acchi`, color: r.color, axis: 'right', opacity: 0.18 });
        if (perSeed)
          members.forEach((m, k) => {
            out.push({ key: `r${i}s${k}acc`, points: m });
            seedLines.push({
              key: `r${i}s${k}acc`,
              name: `${r.seeds![k].label} test accuracy`,
              color: r.color,
              axis: 'right',
              width: 1,
              dash: '7 4',
            });
          });
      }
      return out;
    });
    return { rows: mergeByX(series), stage2: hasStage2(rs), bands, seedLines };
  }, [er, totalEpochs, perSeed]);
  const [log, setLog] = useState(false);
  const shaped = useMemo(() => {
    const raw = runs.map((r) => cachedLossPoints(r.batches, r.stage1Epochs ?? totalEpochs, maxPoints));
    const one = (stage: 1 | 2) => {
      const series = runs.map((r, i) => ({
        line: {
          key: stage === 1 ? `r${i}loss` : `r${i}s2loss`,
          name: `${r.label} ${stage === 1 ? 'train loss' : 'stage 2 train loss'}`,
          color: r.color,
          axis: 'left' as const,
          width: 1.5,
        },
        points: stage === 1 ? raw[i].s1 : raw[i].s2,
      }));
      const range = lossRange(ys(series), log);
      const clipped = series.map((sr) => {
        const c = clipPoints(sr.points, range.hi);
        return { ...sr, points: c.points, clipped: c.clipped };
      });
      return { series: clipped.filter((sr) => sr.points.length > 0), range };
    };
    const s1 = one(1);
    const s2 = raw.some((x) => x.s2.length) ? one(2) : null;
    const points =
      raw.reduce((s, x) => s + x.s1.length + x.s2.length, 0) + runs.reduce((s, r) => s + Math.min(r.epochs.length, MAX_EPOCH_POINTS), 0);
    return { s1, s2, points, xMax: timeMax(runs, totalEpochs) };
  }, [runs, totalEpochs, maxPoints, log]);
  const clipped1 = shaped.s1.range.clipped;
  const clipped2 = shaped.s2?.range.clipped ?? 0;

  // one run: its two lines; several: one colour per run and the line styles once
  const baseLegend: LegendItem[] = useMemo(
    () =>
      er.length === 1
        ? [
            { label: 'train loss (per batch)', color: er[0].color },
            { label: 'test accuracy (%)', color: er[0].color, dash: '7 4' },
          ]
        : [
            ...er.map((r) => ({ label: r.label, color: r.color, shape: 'square' as const })),
            { label: 'train loss (per batch)', color: '#333' },
            { label: 'test accuracy (%)', color: '#333', dash: '7 4' },
          ],
    [er],
  );
  const legend = useMemo(
    () =>
      clipped1 > 0
        ? [...baseLegend, { label: clippedText(clipped1, shaped.s1.range.hi, 'loss'), color: '#333', shape: 'triangle' as const }]
        : baseLegend,
    [baseLegend, clipped1, shaped.s1.range.hi],
  );
  const lines: SeriesLine[] = useMemo(
    () => [
      ...perEpoch.seedLines,
      ...er.map((r, i): SeriesLine => ({
        key: `r${i}tl`,
        name: `${r.label} train loss (epoch mean)`,
        color: r.color,
        axis: 'left',
        hidden: true,
      })),
      ...er.map((r, i): SeriesLine => ({
        key: `r${i}acc`,
        name: `${r.label} test accuracy`,
        color: r.color,
        axis: 'right',
        width: 3,
        dash: '7 4',
        dot: showDots ? 3 : 0,
      })),
    ],
    [er, showDots, perEpoch.seedLines],
  );
  const drw = drwMarkerEpoch(runs, p.drwStartEpoch);
  const markers = useMemo(
    () => timeMarkers({ gaStartEpoch, drwStartEpoch: drw, stage2At: perEpoch.stage2 ? totalEpochs : null }),
    [gaStartEpoch, drw, perEpoch.stage2, totalEpochs],
  );
  const xMax = Math.max(shaped.xMax, ...markers.map((k) => Math.ceil(k.x)));
  const s2 = shaped.s2;
  const left = useMemo(() => lossAxis(s2 ? 'stage 1 train loss (nats)' : 'train loss (nats)', shaped.s1.range), [s2, shaped.s1.range]);
  const left2 = useMemo(() => (s2 ? lossAxis('stage 2 loss (nats)', s2.range) : null), [s2]);
  const stage2Lines: SeriesLine[] = useMemo(() => lines.filter((l) => l.key.endsWith('tl')), [lines]);
  const legend2 = useMemo(
    (): LegendItem[] | undefined =>
      s2 && clipped2 > 0 ? [{ label: clippedText(clipped2, s2.range.hi, 'stage 2 loss'), color: '#333', shape: 'triangle' }] : undefined,
    [s2, clipped2],
  );
  const summary = [
    lossSummary(runs),
    ...(clipped1 > 0 ? [`${clippedText(clipped1, shaped.s1.range.hi, 'loss')}.`] : []),
    ...(s2 && clipped2 > 0 ? [`${clippedText(clipped2, s2.range.hi, 'stage 2 loss')}.`] : []),
  ].join(' ');
  const controls = (
    <div className="ltc-toggle">
      <label>
        <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} />
        Log-scale loss axis
      </label>
    </div>
  );

  return (
    <ChartCard
      id="loss"
      points={shaped.points}
      runs={runs.filter((r) => r.batches.length || r.epochs.length).map((r) => r.id)}
      empty="No data yet — press Train to see the loss."
      summary={summary}
      table={() => lossTable(runs)}
      controls={controls}
    >
      <TimeChart
        rows={perEpoch.rows}
        lines={lines}
        bands={perEpoch.bands}
        series={shaped.s1.series}
        xMax={xMax}
        left={left}
        right={ACC_AXIS}
        markers={markers}
        legend={legend}
        width={p.width}
        height={p.height ?? DEFAULT_HEIGHT}
        tipTitle={epochLabel}
        tipFormat={tipFormat}
        title={TITLE}
      />
      {s2 && left2 && (
        <div className="ltc-subpane" data-testid="loss-stage2">
          <TimeChart
            rows={perEpoch.rows}
            lines={stage2Lines}
            series={s2.series}
            xMax={xMax}
            left={left2}
            markers={markers}
            legend={legend2}
            width={p.width}
            height={STAGE2_HEIGHT}
            margin={STAGE2_MARGIN}
            tipTitle={epochLabel}
            tipFormat={tipFormat}
            title={`${TITLE}: stage 2 loss`}
          />
        </div>
      )}
    </ChartCard>
  );
}

export const LossAccuracyChart = memo(LossAccuracyChartImpl, batchPropsEqual);
LossAccuracyChart.displayName = 'LossAccuracyChart';
