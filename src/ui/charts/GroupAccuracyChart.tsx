/**
 * Chart 3: many / medium / few test accuracy over epochs. One run: colour = group; several runs: colour = run.
 * The dash pattern always encodes the group (many solid, medium dashed, few dotted). Groups without classes are omitted.
 */
import { memo, useMemo } from 'react';
import { CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartProps } from './types';
import {
  AXIS_LABEL_STYLE, AXIS_STROKE, ChartCard, MAX_EPOCH_POINTS, TICK_STYLE, chartSize, epochLabel, epochPropsEqual, renderTip, timeMarkers,
  type LegendItem,
} from './common';
import {
  GROUP_COLORS, GROUP_DASH, GROUP_LABELS, fmtPct, groupAccuracySeries, hasStage2, mergeByX, presentGroups, thinRows,
  timeMax,
} from './data';

function GroupAccuracyChartImpl(p: ChartProps) {
  const { runs, groups, totalEpochs, gaStartEpoch } = p;
  const gs = useMemo(() => presentGroups(groups), [groups]);
  const shaped = useMemo(() => {
    const series = runs.flatMap((r, i) => {
      const s = groupAccuracySeries(r.epochs, totalEpochs);
      return gs.map((g) => ({ key: `r${i}${g}`, points: s.map((row) => ({ x: row.x, y: row[g] ?? NaN })) }));
    });
    const rows = thinRows(mergeByX(series), MAX_EPOCH_POINTS);
    let points = 0;
    for (const row of rows) for (const s of series) if (row[s.key] !== undefined && row[s.key] !== null) points++;
    return { rows, points, xMax: timeMax(runs, totalEpochs), stage2: hasStage2(runs) };
  }, [runs, gs, totalEpochs]);

  const single = runs.length === 1;
  const colorOf = (i: number, g: (typeof gs)[number]) => (single ? GROUP_COLORS[g] : runs[i].color);
  const legend: LegendItem[] = single
    ? gs.map((g) => ({ label: GROUP_LABELS[g], color: GROUP_COLORS[g], dash: GROUP_DASH[g] }))
    : [
      ...runs.map((r) => ({ label: r.label, color: r.color })),
      ...gs.map((g) => ({ label: GROUP_LABELS[g], color: '#333', dash: GROUP_DASH[g] })),
    ];
  const showDots = runs.every((r) => r.epochs.length <= 60);

  return (
    <ChartCard id="groups" points={shaped.points} legend={legend}>
      <ComposedChart {...chartSize(p)} data={shaped.rows} margin={{ top: 16, right: 24, bottom: 24, left: 12 }}>
        <CartesianGrid stroke="#e3e3e3" />
        <XAxis
          dataKey="x" type="number" domain={[0, shaped.xMax]} allowDecimals={false} stroke={AXIS_STROKE} tick={TICK_STYLE}
          label={{ value: 'epoch', position: 'insideBottom', offset: -14, style: AXIS_LABEL_STYLE }}
        />
        <YAxis
          yAxisId="acc" domain={[0, 100]} stroke={AXIS_STROKE} tick={TICK_STYLE} width={56}
          label={{ value: 'test accuracy (%)', angle: -90, position: 'insideLeft', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <Tooltip isAnimationActive={false} content={(tp) => renderTip(tp, epochLabel, (v) => fmtPct(v))} />
        {timeMarkers({ gaStartEpoch, stage2At: shaped.stage2 ? totalEpochs : null, yAxisId: 'acc' })}
        {runs.flatMap((r, i) => gs.map((g) => (
          <Line
            key={`r${i}${g}`} yAxisId="acc" dataKey={`r${i}${g}`}
            name={single ? GROUP_LABELS[g] : `${r.label} — ${g}`} stroke={colorOf(i, g)} strokeWidth={3}
            strokeDasharray={GROUP_DASH[g]} dot={showDots ? { r: 3, fill: colorOf(i, g) } : false} connectNulls
            isAnimationActive={false}
          />
        )))}
      </ComposedChart>
    </ChartCard>
  );
}

export const GroupAccuracyChart = memo(GroupAccuracyChartImpl, epochPropsEqual);
GroupAccuracyChart.displayName = 'GroupAccuracyChart';
