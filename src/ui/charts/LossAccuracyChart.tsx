/** Chart 1: per-batch training loss (fractional epochs, decimated) and test accuracy per epoch (right axis, %). */
import { memo, useMemo } from 'react';
import { CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartProps } from './types';
import {
  AXIS_LABEL_STYLE, AXIS_STROKE, ChartCard, MAX_EPOCH_POINTS, TICK_STYLE, batchPropsEqual, chartSize, epochLabel, renderTip, timeMarkers,
  type LegendItem,
} from './common';
import { accuracyPoints, fmt, fmtPct, hasStage2, lossPoints, mergeByX, thinRows, timeMax } from './data';

/** Loss points per run: LTTB keeps the shape; a card is ~500 px wide, so more points would not show. */
const DEFAULT_MAX_POINTS = 320;

function LossAccuracyChartImpl(p: ChartProps) {
  const { runs, totalEpochs, gaStartEpoch } = p;
  const maxPoints = p.maxPoints ?? DEFAULT_MAX_POINTS;
  const shaped = useMemo(() => {
    const series = runs.flatMap((r, i) => [
      { key: `r${i}loss`, points: lossPoints(r.batches, totalEpochs, maxPoints) },
      { key: `r${i}acc`, points: thinRows(accuracyPoints(r.epochs, totalEpochs), MAX_EPOCH_POINTS) },
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
  const names = new Map<string, string>();
  runs.forEach((r, i) => {
    names.set(`r${i}loss`, `${r.label} train loss`);
    names.set(`r${i}acc`, `${r.label} test accuracy`);
  });

  return (
    <ChartCard id="loss" points={shaped.points} legend={legend} empty="No data yet — press Train to see the loss.">
      <ComposedChart {...chartSize(p)} data={shaped.rows} margin={{ top: 16, right: 16, bottom: 24, left: 12 }}>
        <CartesianGrid stroke="#e3e3e3" />
        <XAxis
          dataKey="x" type="number" domain={[0, shaped.xMax]} allowDecimals={false} stroke={AXIS_STROKE} tick={TICK_STYLE}
          label={{ value: 'epoch', position: 'insideBottom', offset: -14, style: AXIS_LABEL_STYLE }}
        />
        <YAxis
          yAxisId="loss" stroke={AXIS_STROKE} tick={TICK_STYLE} width={60} tickFormatter={(v: number) => fmt(v)}
          label={{ value: 'train loss (nats)', angle: -90, position: 'insideLeft', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <YAxis
          yAxisId="acc" orientation="right" domain={[0, 100]} stroke={AXIS_STROKE} tick={TICK_STYLE} width={60}
          label={{ value: 'test accuracy (%)', angle: 90, position: 'insideRight', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <Tooltip
          isAnimationActive={false}
          content={(tp) => renderTip(tp, epochLabel, (v, e) => String(e.dataKey).endsWith('acc') ? fmtPct(v) : fmt(v, 4))}
        />
        {timeMarkers({ gaStartEpoch, stage2At: shaped.stage2 ? totalEpochs : null, yAxisId: 'loss' })}
        {runs.map((r, i) => (
          <Line
            key={`l${i}`} yAxisId="loss" dataKey={`r${i}loss`} name={names.get(`r${i}loss`)} type="linear"
            stroke={r.color} strokeWidth={1.5} dot={false} connectNulls isAnimationActive={false}
          />
        ))}
        {runs.map((r, i) => (
          <Line
            key={`a${i}`} yAxisId="acc" dataKey={`r${i}acc`} name={names.get(`r${i}acc`)} type="linear"
            stroke={r.color} strokeWidth={3} strokeDasharray="7 4" dot={showDots ? { r: 3, fill: r.color } : false} connectNulls
            isAnimationActive={false}
          />
        ))}
      </ComposedChart>
    </ChartCard>
  );
}

export const LossAccuracyChart = memo(LossAccuracyChartImpl, batchPropsEqual);
LossAccuracyChart.displayName = 'LossAccuracyChart';
