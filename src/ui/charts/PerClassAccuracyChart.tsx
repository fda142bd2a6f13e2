/**
 * Chart 2: per-class test accuracy of the last epoch, classes sorted by training count (head left, tail right),
 * bars coloured many/medium/few (one run) or by run (several runs, groups as background bands), training count on
 * the right axis.
 */
import { memo, useMemo } from 'react';
import { CartesianGrid, ComposedChart, Line, ReferenceArea, Tooltip, XAxis, YAxis } from 'recharts';
import { FastBars } from './FastBars';
import type { ChartProps } from './types';
import {
  AXIS_LABEL_STYLE, AXIS_STROKE, ChartCard, TICK_STYLE, TooltipBox, chartSize, classAxis, epochPropsEqual,
  type LegendItem, type TipProps,
} from './common';
import {
  GROUP_COLORS, GROUP_LABELS, ellipsize, fmtPct, groupBands, perClassAccuracyRows, presentGroups, type ClassRow,
} from './data';

const COUNT_COLOR = '#555';

function PerClassAccuracyChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames } = p;
  const rows = useMemo(() => perClassAccuracyRows(runs, counts, groups, classNames), [runs, counts, groups, classNames]);
  const bands = useMemo(() => groupBands(rows), [rows]);
  const withData = runs.map((r, i) => ({ r, i })).filter(({ r }) => r.epochs.length > 0);
  const points = withData.length * rows.length;
  const single = runs.length === 1;
  const ax = useMemo(() => classAxis(rows.map((r) => r.name)), [rows]);
  const byKey = useMemo(() => new Map(rows.map((r) => [r.key, r])), [rows]);

  const legend: LegendItem[] = [
    ...presentGroups(groups).map((g) => ({ label: GROUP_LABELS[g], color: GROUP_COLORS[g], shape: single ? ('square' as const) : ('band' as const) })),
    ...(single ? [] : withData.map(({ r }) => ({ label: r.label, color: r.color, shape: 'square' as const }))),
    { label: 'training count (right axis)', color: COUNT_COLOR, dash: '4 3' },
  ];

  const tip = (tp: TipProps) => {
    if (!tp.active || !tp.payload?.length) return null;
    const row = (tp.payload[0].payload as ClassRow | undefined) ?? byKey.get(String(tp.label));
    if (!row) return null;
    return (
      <TooltipBox
        title={`${row.name} — ${GROUP_LABELS[row.group]}`}
        lines={[
          ...withData.map(({ r, i }) => ({ name: `${r.label} accuracy`, value: fmtPct(row.v[`r${i}`]), color: single ? GROUP_COLORS[row.group] : r.color })),
          { name: 'training images', value: String(row.count), color: COUNT_COLOR },
        ]}
      />
    );
  };

  return (
    <ChartCard id="per-class" points={points} legend={legend}>
      <ComposedChart
        {...chartSize(p, (p.height ?? 300) + ax.height - 50)} data={rows}
        margin={{ top: 12, right: 16, bottom: 20, left: 12 }} barCategoryGap="12%"
      >
        <CartesianGrid stroke="#e3e3e3" vertical={false} />
        {!single && bands.map((b, k) => (
          <ReferenceArea
            key={`band${k}`} x1={b.from} x2={b.to} yAxisId="acc" fill={GROUP_COLORS[b.group]} fillOpacity={0.12}
            stroke="none" ifOverflow="visible"
          />
        ))}
        <XAxis
          dataKey="key" type="category" scale="band" interval={ax.interval} angle={ax.angle} textAnchor={ax.textAnchor} height={ax.height}
          stroke={AXIS_STROKE} tick={{ ...TICK_STYLE, fontSize: ax.fontSize }}
          tickFormatter={(k: string) => ellipsize(byKey.get(String(k))?.name ?? String(k), ax.maxChars)}
          label={{ value: 'class (most training images → fewest)', position: 'insideBottom', offset: 0, style: AXIS_LABEL_STYLE }}
        />
        <YAxis
          yAxisId="acc" domain={[0, 100]} stroke={AXIS_STROKE} tick={TICK_STYLE} width={56}
          label={{ value: 'test accuracy (%)', angle: -90, position: 'insideLeft', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <YAxis
          yAxisId="count" orientation="right" domain={[0, 'auto']} stroke={COUNT_COLOR} tick={TICK_STYLE} width={64}
          label={{ value: 'training images', angle: 90, position: 'insideRight', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <Tooltip isAnimationActive={false} content={tip} cursor={{ fill: 'rgba(0,0,0,0.06)' }} />
        <FastBars
          rows={rows} yAxisId="acc"
          series={withData.map(({ r, i }) => ({
            key: `r${i}`, color: r.color, colorOf: single ? (row: ClassRow) => GROUP_COLORS[row.group] : undefined,
          }))}
        />
        <Line
          yAxisId="count" dataKey="count" name="training images" stroke={COUNT_COLOR} strokeWidth={2} strokeDasharray="4 3"
          dot={rows.length <= 30 ? { r: 3, fill: COUNT_COLOR } : false} isAnimationActive={false}
        />
      </ComposedChart>
    </ChartCard>
  );
}

export const PerClassAccuracyChart = memo(PerClassAccuracyChartImpl, epochPropsEqual);
PerClassAccuracyChart.displayName = 'PerClassAccuracyChart';
