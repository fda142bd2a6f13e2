/**
 * Chart 6: KPS per-class scale s̃_c (bars) and margin Δ_c (line, right axis) by class sorted by training count.
 * The GA switch epoch itself is marked on the time-axis charts (1, 3, 4); here a note says when and whether it is on.
 */
import { memo, useMemo } from 'react';
import { CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis } from 'recharts';
import { FastBars } from './FastBars';
import type { ChartProps, RunSeries } from './types';
import {
  AXIS_LABEL_STYLE, AXIS_STROKE, ChartCard, TICK_STYLE, TooltipBox, chartSize, classAxis, epochPropsEqual,
  type LegendItem, type TipProps,
} from './common';
import { GROUP_LABELS, classRows, ellipsize, fillPerClass, fmt, lastEpochWhere, type ClassRow } from './data';

const isKpsEpoch = (e: { lossPerClass?: Record<string, number[]> }) => !!(e.lossPerClass?.scale && e.lossPerClass?.margin);

function KpsChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames, gaStartEpoch } = p;
  const kps = useMemo(
    () => runs.map((r, i) => ({ r, i, last: lastEpochWhere(r.epochs, isKpsEpoch) })).filter((x) => x.last),
    [runs],
  );
  const rows = useMemo(() => {
    const out = classRows(counts, groups, classNames);
    for (const { i, last } of kps) {
      fillPerClass(out, last?.lossPerClass.scale, `r${i}scale`);
      fillPerClass(out, last?.lossPerClass.margin, `r${i}margin`);
      fillPerClass(out, last?.lossPerClass.gaScale, `r${i}ga`);
    }
    return out;
  }, [kps, counts, groups, classNames]);
  const byKey = useMemo(() => new Map(rows.map((r) => [r.key, r])), [rows]);
  const points = kps.length * rows.length * 2;
  const anyEpochs = runs.some((r) => r.epochs.length > 0);
  const ax = useMemo(() => classAxis(rows.map((r) => r.name)), [rows]);
  const multi = kps.length > 1;
  const pre = (r: RunSeries) => (multi ? `${r.label}: ` : '');
  const legend: LegendItem[] = kps.flatMap(({ r }) => [
    { label: `${pre(r)}scale s̃_c (bars, ×)`, color: r.color, shape: 'band' as const },
    { label: `${pre(r)}margin Δ_c (right axis, cosine units)`, color: r.color, dash: '6 3' },
  ]);
  const gaNow = kps.some(({ last }) => last?.gaActive);
  const note = gaStartEpoch !== null && gaStartEpoch !== undefined
    ? `Gradient adjustment switches on at epoch ${gaStartEpoch} (marked “GA on” on the time charts)${kps.length ? ` — ${gaNow ? 'on now' : 'not yet on'}` : ''}.`
    : undefined;

  const tip = (tp: TipProps) => {
    if (!tp.active || !tp.payload?.length) return null;
    const row = (tp.payload[0].payload as ClassRow | undefined) ?? byKey.get(String(tp.label));
    if (!row) return null;
    return (
      <TooltipBox
        title={`${row.name} — ${GROUP_LABELS[row.group]}, ${row.count} training images`}
        lines={kps.flatMap(({ r, i }) => [
          { name: `${pre(r)}scale s̃`, value: fmt(row.v[`r${i}scale`], 4), color: r.color },
          { name: `${pre(r)}margin Δ`, value: fmt(row.v[`r${i}margin`], 4), color: r.color },
          ...(row.v[`r${i}ga`] !== undefined && row.v[`r${i}ga`] !== null
            ? [{ name: `${pre(r)}GA logit scale`, value: fmt(row.v[`r${i}ga`], 4), color: r.color }]
            : []),
        ])}
      />
    );
  };

  return (
    <ChartCard
      id="kps" points={points} legend={legend} note={note}
      empty={anyEpochs ? 'Train with KPS to see its per-class scales and margins.' : 'No data yet — the KPS scales and margins appear after the first epoch of a KPS run.'}
    >
      <ComposedChart
        {...chartSize(p, (p.height ?? 300) + ax.height - 50)} data={rows}
        margin={{ top: 12, right: 16, bottom: 20, left: 12 }}
      >
        <CartesianGrid stroke="#e3e3e3" vertical={false} />
        <XAxis
          dataKey="key" type="category" scale="band" interval={ax.interval} angle={ax.angle} textAnchor={ax.textAnchor} height={ax.height}
          stroke={AXIS_STROKE} tick={{ ...TICK_STYLE, fontSize: ax.fontSize }}
          tickFormatter={(k: string) => ellipsize(byKey.get(String(k))?.name ?? String(k), ax.maxChars)}
          label={{ value: 'class (most training images → fewest)', position: 'insideBottom', offset: 0, style: AXIS_LABEL_STYLE }}
        />
        <YAxis
          yAxisId="scale" domain={[0, 'auto']} stroke={AXIS_STROKE} tick={TICK_STYLE} width={56} tickFormatter={(v: number) => fmt(v)}
          label={{ value: 'scale s̃_c (×)', angle: -90, position: 'insideLeft', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <YAxis
          yAxisId="margin" orientation="right" domain={[0, 'auto']} stroke={AXIS_STROKE} tick={TICK_STYLE} width={60}
          tickFormatter={(v: number) => fmt(v)}
          label={{ value: 'margin Δ_c (cosine)', angle: 90, position: 'insideRight', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <Tooltip isAnimationActive={false} content={tip} cursor={{ fill: 'rgba(0,0,0,0.06)' }} />
        <FastBars
          rows={rows} yAxisId="scale"
          series={kps.map(({ r, i }) => ({ key: `r${i}scale`, color: r.color, fillOpacity: 0.4, outline: true }))}
        />
        {kps.map(({ r, i }) => (
          <Line
            key={`m${i}`} yAxisId="margin" dataKey={`v.r${i}margin`} name={`${pre(r)}margin`} stroke={r.color} strokeWidth={2.5}
            strokeDasharray="6 3" dot={rows.length <= 30 ? { r: 3, fill: r.color } : false} isAnimationActive={false}
          />
        ))}
      </ComposedChart>
    </ChartCard>
  );
}

export const KpsChart = memo(KpsChartImpl, epochPropsEqual);
KpsChart.displayName = 'KpsChart';
