/** Chart 1: per-batch training loss (fractional epochs, decimated) and test accuracy per epoch (right axis, %). */
import { memo, useMemo } from 'react';
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
import type { SeriesLine } from './PlotLayers';
import type { AxisSpec } from './scale';
import { accuracyPoints, epochX, epochsKey, fmt, fmtPct, hasStage2, lossPoints, mergeByX, thinRows, timeMax } from './chart-data';
import { chartMeta } from '../../state/chart-catalog';
import { lossSummary, lossTable } from './text-alternatives';

/**
 * Loss points per run: LTTB keeps the shape; a card is ~500 px wide, so more points would not show. This chart
 * re-renders several times a second while training, so it stays small.
 */
const DEFAULT_MAX_POINTS = 200;

const LOSS_AXIS: AxisSpec = { label: 'train loss (nats)', width: 60, format: (v) => fmt(v) };
const ACC_AXIS: AxisSpec = { label: 'test accuracy (%)', width: 60, domain: [0, 100] };
const tipFormat = (v: number, l: SeriesLine) => (l.key.endsWith('acc') ? fmtPct(v) : fmt(v, 4));

const TITLE = chartMeta('loss').title;

/** Decimated loss points per `batches` array (immutable): the finished runs are not decimated again every batch. */
const lossCache = new WeakMap<object, { t: number; max: number; points: XY[] }>();
function cachedLossPoints(batches: RunSeries['batches'], t: number, max: number): XY[] {
  const hit = lossCache.get(batches);
  if (hit && hit.t === t && hit.max === max) return hit.points;
  const points = lossPoints(batches, t, max);
  lossCache.set(batches, { t, max, points });
  return points;
}

function LossAccuracyChartImpl(p: ChartProps) {
  const { runs, totalEpochs, gaStartEpoch } = p;
  const maxPoints = p.maxPoints ?? DEFAULT_MAX_POINTS;
  const showDots = runs.every((r) => r.epochs.length <= 60);
  // The per-epoch rows are recharts' data (tooltip, keyboard); they, the legend and the lines change only when an
  // epoch ends (keyed by the epochs arrays), so a new batch re-renders the loss layer, not recharts' data.
  const er = useStableBy(runs, epochsKey(runs));
  const perEpoch = useMemo(() => {
    const rs = er;
    const series = rs.flatMap((r, i) => {
      const t = r.stage1Epochs ?? totalEpochs;
      const ep = thinRows(r.epochs, MAX_EPOCH_POINTS);
      return [
        { key: `r${i}acc`, points: accuracyPoints(ep, t) },
        { key: `r${i}tl`, points: ep.map((e) => ({ x: epochX(e, t), y: e.trainLoss })) },
      ];
    });
    return { rows: mergeByX(series), stage2: hasStage2(rs) };
  }, [er, totalEpochs]);
  const shaped = useMemo(() => {
    const loss = runs.map((r, i) => ({
      line: { key: `r${i}loss`, name: `${r.label} train loss`, color: r.color, axis: 'left' as const, width: 1.5 },
      points: cachedLossPoints(r.batches, r.stage1Epochs ?? totalEpochs, maxPoints),
    }));
    const points =
      loss.reduce((s, x) => s + x.points.length, 0) + runs.reduce((s, r) => s + Math.min(r.epochs.length, MAX_EPOCH_POINTS), 0);
    return { loss, points, xMax: timeMax(runs, totalEpochs) };
  }, [runs, totalEpochs, maxPoints]);

  // one run: its two lines; several: one colour per run and the line styles once
  const legend: LegendItem[] = useMemo(
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
  const lines: SeriesLine[] = useMemo(
    () => [
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
    [er, showDots],
  );
  const drw = drwMarkerEpoch(runs, p.drwStartEpoch);
  const markers = useMemo(
    () => timeMarkers({ gaStartEpoch, drwStartEpoch: drw, stage2At: perEpoch.stage2 ? totalEpochs : null }),
    [gaStartEpoch, drw, perEpoch.stage2, totalEpochs],
  );
  const xMax = Math.max(shaped.xMax, ...markers.map((k) => Math.ceil(k.x)));

  return (
    <ChartCard
      id="loss"
      points={shaped.points}
      runs={runs.filter((r) => r.batches.length || r.epochs.length).map((r) => r.id)}
      empty="No data yet — press Train to see the loss."
      summary={lossSummary(runs)}
      table={() => lossTable(runs)}
    >
      <TimeChart
        rows={perEpoch.rows}
        lines={lines}
        series={shaped.loss}
        xMax={xMax}
        left={LOSS_AXIS}
        right={ACC_AXIS}
        markers={markers}
        legend={legend}
        width={p.width}
        height={p.height ?? DEFAULT_HEIGHT}
        tipTitle={epochLabel}
        tipFormat={tipFormat}
        title={TITLE}
      />
    </ChartCard>
  );
}

export const LossAccuracyChart = memo(LossAccuracyChartImpl, batchPropsEqual);
LossAccuracyChart.displayName = 'LossAccuracyChart';
