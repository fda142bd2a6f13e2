/**
 * Chart 5: the GCL logit cloud. Top: per-class amplitude noiseMul·d̂_c (cosine units, bars) and the same in logit
 * units (× s, right axis). Bottom: box-and-whisker summary of the downward shifts actually sampled per class in the
 * last batch (min, q1, median, q3, max). Classes sorted by training count.
 */
import { memo, useMemo, type ReactNode } from 'react';
import { useScheduled } from './schedule';
import { CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis, useXAxisScale, useYAxisScale } from 'recharts';
import { FastBars } from './FastBars';
import type { ChartProps, RunSeries } from './types';
import {
  AXIS_LABEL_STYLE, AXIS_STROKE, ChartCard, TICK_STYLE, TooltipBox, chartSize, classAxis, epochPropsEqual,
  type LegendItem, type TipProps,
} from './common';
import {
  GROUP_LABELS, classRows, ellipsize, fillPerClass, fmt, gclBoxRows, lastEpochWhere, type BoxRow, type ClassRow,
} from './data';

const BOX_DELAY_MS = 30;

const isGclEpoch = (e: { lossPerClass?: Record<string, number[]> }) => !!e.lossPerClass?.cloudAmplitude;

/**
 * Box-and-whisker glyphs of every class and GCL run as four paths per run (whiskers, caps, boxes, medians), drawn
 * with the chart's scales (see FastBars for why not one recharts <Bar> per class). Invisible lines through the
 * maxima (domain) and medians (tooltip payload) register the values with recharts.
 */
function BoxLayer({ rows, runs, gap = 0.14 }: { rows: readonly BoxRow[]; runs: ReadonlyArray<{ r: RunSeries; i: number }>; gap?: number }) {
  return (
    <>
      {runs.map(({ i }) => (
        <Line
          key={`max${i}`} yAxisId="shift" dataKey={`v.r${i}max`} stroke="none" dot={false} activeDot={false}
          legendType="none" tooltipType="none" isAnimationActive={false}
        />
      ))}
      {runs.map(({ r, i }) => (
        <Line
          key={`med${i}`} yAxisId="shift" dataKey={`v.r${i}median`} name={`${r.label} median`} stroke="none" dot={false}
          activeDot={false} legendType="none" isAnimationActive={false}
        />
      ))}
      <BoxPaths rows={rows} runs={runs} gap={gap} />
    </>
  );
}

function BoxPaths({ rows, runs, gap = 0.14 }: { rows: readonly BoxRow[]; runs: ReadonlyArray<{ r: RunSeries; i: number }>; gap?: number }) {
  const xs = useXAxisScale();
  const ys = useYAxisScale('shift');
  if (!xs || !ys || runs.length === 0) return null;
  const f = (v: number) => v.toFixed(2);
  const out = runs.map(() => ({ whisk: [] as string[], box: [] as string[], med: [] as string[] }));
  for (const row of rows) {
    const a = xs(row.key, { position: 'start' });
    const b = xs(row.key, { position: 'end' });
    if (a === undefined || b === undefined) continue;
    const band = b - a;
    const w = (band * (1 - gap)) / runs.length;
    runs.forEach(({ i }, k) => {
      const st = row.stats[`r${i}`];
      if (!st) return;
      const y = (v: number) => ys(v) ?? 0;
      const cx = a + (band * gap) / 2 + (k + 0.5) * w;
      const bw = Math.max(2, Math.min(w * 0.8, 36));
      const cap = bw / 4;
      const o = out[k];
      o.whisk.push(
        `M${f(cx)} ${f(y(st.max))}V${f(y(st.q3))}M${f(cx)} ${f(y(st.q1))}V${f(y(st.min))}`,
        `M${f(cx - cap)} ${f(y(st.max))}H${f(cx + cap)}M${f(cx - cap)} ${f(y(st.min))}H${f(cx + cap)}`,
      );
      const top = y(st.q3);
      const bottom = Math.max(top + 1, y(st.q1));
      o.box.push(`M${f(cx - bw / 2)} ${f(top)}H${f(cx + bw / 2)}V${f(bottom)}H${f(cx - bw / 2)}Z`);
      o.med.push(`M${f(cx - bw / 2)} ${f(y(st.median))}H${f(cx + bw / 2)}`);
    });
  }
  return (
    <g className="ltc-boxes" pointerEvents="none">
      {runs.map(({ r }, k) => (
        <g key={k} stroke={r.color}>
          <path d={out[k].box.join('')} fill={r.color} fillOpacity={0.3} strokeWidth={1.5} />
          <path d={out[k].whisk.join('')} fill="none" strokeWidth={1.5} />
          <path d={out[k].med.join('')} fill="none" strokeWidth={3} />
        </g>
      ))}
    </g>
  );
}

interface BoxPlotProps {
  rows: BoxRow[];
  gcl: Array<{ r: RunSeries; i: number }>;
  size: ReturnType<typeof chartSize>;
  xAxis: ReactNode;
  tip: (tp: TipProps) => ReactNode;
}

/** The lower chart, drawn in its own task shortly after the upper one (it follows its rows with a small delay). */
function BoxPlot(props: BoxPlotProps) {
  const { rows, gcl, size, xAxis, tip } = useScheduled(props, BOX_DELAY_MS, 0);
  return (
    <ComposedChart {...size} data={rows} margin={{ top: 12, right: 16, bottom: 20, left: 12 }}>
      <CartesianGrid stroke="#e3e3e3" vertical={false} />
      {xAxis}
      <YAxis
        yAxisId="shift" domain={[0, 'auto']} stroke={AXIS_STROKE} tick={TICK_STYLE} width={60} tickFormatter={(v: number) => fmt(v)}
        label={{ value: 'sampled shift (cosine)', angle: -90, position: 'insideLeft', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
      />
      <Tooltip isAnimationActive={false} content={tip} cursor={{ fill: 'rgba(0,0,0,0.06)' }} />
      <BoxLayer rows={rows} runs={gcl} />
    </ComposedChart>
  );
}

function GclCloudChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames } = p;
  const gcl = useMemo(
    () => runs.map((r, i) => ({ r, i, last: lastEpochWhere(r.epochs, isGclEpoch) })).filter((x) => x.last),
    [runs],
  );
  const ampRows = useMemo(() => {
    const rows = classRows(counts, groups, classNames);
    for (const { i, last } of gcl) {
      fillPerClass(rows, last?.lossPerClass.cloudAmplitude, `r${i}amp`);
      fillPerClass(rows, last?.lossPerClass.cloudLogit, `r${i}logit`);
    }
    return rows;
  }, [gcl, counts, groups, classNames]);
  const boxRows = useMemo(() => gclBoxRows(runs, counts, groups, classNames), [runs, counts, groups, classNames]);
  const byKey = useMemo(() => new Map(ampRows.map((r) => [r.key, r])), [ampRows]);

  const ampPoints = gcl.length * ampRows.length;
  const boxPoints = boxRows.reduce((n, r) => n + Object.values(r.stats).filter(Boolean).length, 0);
  const points = ampPoints + boxPoints;
  const anyEpochs = runs.some((r) => r.epochs.length > 0);
  const ax = useMemo(() => classAxis(ampRows.map((r) => r.name)), [ampRows]);
  const tickFmt = (k: string) => ellipsize(byKey.get(String(k))?.name ?? String(k), ax.maxChars);
  const xAxis = (
    <XAxis
      dataKey="key" type="category" scale="band" interval={ax.interval} angle={ax.angle} textAnchor={ax.textAnchor} height={ax.height}
      stroke={AXIS_STROKE} tick={{ ...TICK_STYLE, fontSize: ax.fontSize }} tickFormatter={tickFmt}
      label={{ value: 'class (most training images → fewest)', position: 'insideBottom', offset: 0, style: AXIS_LABEL_STYLE }}
    />
  );
  const multi = gcl.length > 1;
  const pre = (r: RunSeries) => (multi ? `${r.label}: ` : '');
  const legend: LegendItem[] = gcl.flatMap(({ r }) => [
    { label: `${pre(r)}amplitude noiseMul·d̂_c (bars, cosine units)`, color: r.color, shape: 'band' as const },
    { label: `${pre(r)}× s (logit units, right axis)`, color: r.color, dash: '6 3' },
    { label: `${pre(r)}sampled shifts in the last batch (lower chart)`, color: r.color, shape: 'box' as const },
  ]);

  const ampTip = (tp: TipProps) => {
    if (!tp.active || !tp.payload?.length) return null;
    const row = (tp.payload[0].payload as ClassRow | undefined) ?? byKey.get(String(tp.label));
    if (!row) return null;
    return (
      <TooltipBox
        title={`${row.name} — ${GROUP_LABELS[row.group]}, ${row.count} training images`}
        lines={gcl.flatMap(({ r, i }) => [
          { name: `${pre(r)}amplitude`, value: `${fmt(row.v[`r${i}amp`], 4)} (cosine)`, color: r.color },
          { name: `${pre(r)}× s`, value: `${fmt(row.v[`r${i}logit`], 4)} (logit)`, color: r.color },
        ])}
      />
    );
  };
  const boxTip = (tp: TipProps) => {
    if (!tp.active || !tp.payload?.length) return null;
    const row = tp.payload[0].payload as BoxRow | undefined;
    if (!row) return null;
    return (
      <TooltipBox
        title={`${row.name}: sampled shift, last batch (cosine units)`}
        lines={gcl.flatMap(({ r, i }) => {
          const st = row.stats[`r${i}`];
          if (!st) return [];
          return [
            { name: `${pre(r)}median`, value: fmt(st.median, 4), color: r.color },
            { name: 'quartiles q1 – q3', value: `${fmt(st.q1, 4)} – ${fmt(st.q3, 4)}` },
            { name: 'min – max', value: `${fmt(st.min, 4)} – ${fmt(st.max, 4)}` },
            { name: 'mean', value: fmt(st.mean, 4) },
            { name: 'samples', value: String(st.n) },
          ];
        })}
      />
    );
  };
  const h = Math.round((p.height ?? 300) * 0.85) + ax.height - 50;

  return (
    <ChartCard
      id="gcl-cloud" points={points} legend={legend}
      empty={anyEpochs ? 'Train with GCL to see the clouds.' : 'No data yet — the GCL clouds appear after the first epoch of a GCL run.'}
    >
      <ComposedChart {...chartSize(p, h)} data={ampRows} margin={{ top: 12, right: 16, bottom: 20, left: 12 }}>
        <CartesianGrid stroke="#e3e3e3" vertical={false} />
        {xAxis}
        <YAxis
          yAxisId="amp" domain={[0, 'auto']} stroke={AXIS_STROKE} tick={TICK_STYLE} width={60} tickFormatter={(v: number) => fmt(v)}
          label={{ value: 'amplitude (cosine)', angle: -90, position: 'insideLeft', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <YAxis
          yAxisId="logit" orientation="right" domain={[0, 'auto']} stroke={AXIS_STROKE} tick={TICK_STYLE} width={60}
          tickFormatter={(v: number) => fmt(v)}
          label={{ value: 'amplitude × s (logit)', angle: 90, position: 'insideRight', style: { ...AXIS_LABEL_STYLE, textAnchor: 'middle' } }}
        />
        <Tooltip isAnimationActive={false} content={ampTip} cursor={{ fill: 'rgba(0,0,0,0.06)' }} />
        <FastBars
          rows={ampRows} yAxisId="amp"
          series={gcl.map(({ r, i }) => ({ key: `r${i}amp`, color: r.color, fillOpacity: 0.4, outline: true }))}
        />
        {gcl.map(({ r, i }) => (
          <Line
            key={`l${i}`} yAxisId="logit" dataKey={`v.r${i}logit`} name={`${pre(r)}× s`} stroke={r.color} strokeWidth={2}
            strokeDasharray="6 3" dot={ampRows.length <= 30 ? { r: 3, fill: r.color } : false} isAnimationActive={false}
          />
        ))}
      </ComposedChart>
      {boxPoints > 0 && (
        <BoxPlot rows={boxRows} gcl={gcl} size={chartSize(p, h)} xAxis={xAxis} tip={boxTip} />
      )}
    </ChartCard>
  );
}

export const GclCloudChart = memo(GclCloudChartImpl, epochPropsEqual);
GclCloudChart.displayName = 'GclCloudChart';
