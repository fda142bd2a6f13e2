/** Chart 1: per-batch training loss (fractional epochs, decimated) and test accuracy per epoch (right axis, %). */
import { memo, useMemo } from 'react';
import type { ChartProps } from './types';
import { ChartCard, DEFAULT_HEIGHT, MAX_EPOCH_POINTS, batchPropsEqual, epochLabel, fastMarkers, type LegendItem } from './ChartCard';
import { FastLineChart, type FastAxis, type FastLine } from './FastLineChart';
import { accuracyPoints, fmt, fmtPct, hasStage2, lossPoints, mergeByX, thinRows, timeMax } from './chart-data';

/**
 * Loss points per run: LTTB keeps the shape; a card is ~500 px wide, so more points would not show. This chart
 * re-renders several times a second while training, so it stays small.
 */
const DEFAULT_MAX_POINTS = 200;

const LOSS_AXIS: FastAxis = { label: 'train loss (nats)', width: 60, format: (v) => fmt(v) };
const ACC_AXIS: FastAxis = { label: 'test accuracy (%)', width: 60, domain: [0, 100] };
const tipFormat = (v: number, l: FastLine) => (l.key.endsWith('acc') ? fmtPct(v) : fmt(v, 4));

function LossAccuracyChartImpl(p: ChartProps) {
  const { runs, totalEpochs, gaStartEpoch } = p;
  const maxPoints = p.maxPoints ?? DEFAULT_MAX_POINTS;
  const shaped = useMemo(() => {
    const series = runs.flatMap((r, i) => [
      { key: `r${i}loss`, points: lossPoints(r.batches, r.stage1Epochs ?? totalEpochs, maxPoints) },
      { key: `r${i}acc`, points: thinRows(accuracyPoints(r.epochs, r.stage1Epochs ?? totalEpochs), MAX_EPOCH_POINTS) },
    ]);
    const points = series.reduce((s, x) => s + x.points.length, 0);
    return { rows: mergeByX(series), points, xMax: timeMax(runs, totalEpochs), stage2: hasStage2(runs) };
  }, [runs, totalEpochs, maxPoints]);
  const showDots = runs.every((r) => r.epochs.length <= 60);

  const legend: LegendItem[] = runs.flatMap((r) => {
    const pre = runs.length > 1 ? `${r.label}: ` : '';
    return [
      { label: `${pre}train loss (per batch)`, color: r.color },
      { label: `${pre}test accuracy (%)`, color: r.color, dash: '7 4' },
    ];
  });
  const lines: FastLine[] = useMemo(
    () => [
      ...runs.map((r, i): FastLine => ({ key: `r${i}loss`, name: `${r.label} train loss`, color: r.color, axis: 'left', width: 1.5 })),
      ...runs.map((r, i): FastLine => ({
        key: `r${i}acc`,
        name: `${r.label} test accuracy`,
        color: r.color,
        axis: 'right',
        width: 3,
        dash: '7 4',
        dot: showDots ? 3 : 0,
      })),
    ],
    [runs, showDots],
  );
  const markers = fastMarkers({ gaStartEpoch, stage2At: shaped.stage2 ? totalEpochs : null });
  const xMax = Math.max(shaped.xMax, ...markers.map((k) => Math.ceil(k.x)));

  return (
    <ChartCard id="loss" points={shaped.points} legend={legend} empty="No data yet — press Train to see the loss.">
      <FastLineChart
        rows={shaped.rows}
        lines={lines}
        xMax={xMax}
        left={LOSS_AXIS}
        right={ACC_AXIS}
        markers={markers}
        width={p.width}
        height={p.height ?? DEFAULT_HEIGHT}
        tipTitle={epochLabel}
        tipFormat={tipFormat}
      />
    </ChartCard>
  );
}

export const LossAccuracyChart = memo(LossAccuracyChartImpl, batchPropsEqual);
LossAccuracyChart.displayName = 'LossAccuracyChart';
