/**
 * Chart 5: the GCL logit cloud. Top: per-class amplitude noiseMul·d̂_c (cosine units, bars) and the same in logit
 * units (× s, right axis). Bottom: box-and-whisker summary of the downward shifts actually sampled per class in the
 * last batch (min, q1, median, q3, max). Classes sorted by training count.
 */
import { memo, useCallback, useMemo, type ReactNode } from 'react';
import { useScheduled } from './schedule';
import { ClassChart } from './ClassChart';
import { BoxPaths, ClassBars, centreLine, dotsPath, type ClassScales } from './PlotLayers';
import { extent, type AxisSpec } from './scale';
import type { ChartProps, RunSeries } from './types';
import { ChartCard, TooltipBox, classAxis, runsWherePropsEqual, type LegendItem } from './ChartCard';
import {
  GROUP_LABELS,
  classRows,
  ellipsize,
  fillPerClass,
  fmt,
  gclBoxRows,
  lastEpochWhere,
  type BoxRow,
  type ClassRow,
} from './chart-data';
import { chartMeta } from '../../state/session/chart-catalog';
import { gclSummary, gclTable } from './text-alternatives';

const BOX_DELAY_MS = 30;
const TITLE = chartMeta('gcl-cloud').title;

const isGclEpoch = (e: { lossPerClass?: Record<string, number[]> }) => !!e.lossPerClass?.cloudAmplitude;

interface BoxPlotProps {
  rows: BoxRow[];
  gcl: Array<{ r: RunSeries; i: number }>;
  width?: number;
  height: number;
  ax: ReturnType<typeof classAxis>;
  tickLabel: (row: BoxRow) => string;
  tip: (row: BoxRow) => ReactNode;
}

const AMP_AXIS: AxisSpec = { label: 'amplitude (cosine)', width: 60, domain: [0, 'auto'], format: (v) => fmt(v) };
const LOGIT_AXIS: AxisSpec = { label: 'amplitude × s (logit)', width: 60, domain: [0, 'auto'], format: (v) => fmt(v) };
const SHIFT_AXIS: AxisSpec = { label: 'sampled shift (cosine)', width: 60, domain: [0, 'auto'], format: (v) => fmt(v) };
const X_LABEL = 'class (most training images → fewest)';

/** The lower chart, drawn in its own task shortly after the upper one (it follows its rows with a small delay). */
function BoxPlot(props: BoxPlotProps) {
  const { rows, gcl, width, height, ax, tickLabel, tip } = useScheduled(props, BOX_DELAY_MS, 0, true, 'ltpg:chart:gcl-box');
  const ext = useMemo(() => extent(rows.flatMap((r) => gcl.map(({ i }) => r.stats[`r${i}`]?.max))), [rows, gcl]);
  const draw = useCallback(
    (sc: ClassScales) => (
      <BoxPaths s={sc} series={gcl.map(({ r, i }) => ({ color: r.color, stats: rows.map((row) => row.stats[`r${i}`]) }))} />
    ),
    [rows, gcl],
  );
  return (
    <ClassChart
      rows={rows}
      ax={ax}
      xLabel={X_LABEL}
      tickLabel={tickLabel}
      left={SHIFT_AXIS}
      leftExtent={ext}
      width={width}
      height={height}
      tip={tip}
      draw={draw}
      title="GCL: downward shifts sampled per class in the last batch"
    />
  );
}

function GclCloudChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames } = p;
  const gcl = useMemo(() => runs.map((r, i) => ({ r, i, last: lastEpochWhere(r.epochs, isGclEpoch) })).filter((x) => x.last), [runs]);
  const ampRows = useMemo(() => {
    const rows = classRows(counts, groups, classNames);
    for (const { i, last } of gcl) {
      fillPerClass(rows, last?.lossPerClass.cloudAmplitude, `r${i}amp`);
      fillPerClass(rows, last?.lossPerClass.cloudLogit, `r${i}logit`);
    }
    return rows;
  }, [gcl, counts, groups, classNames]);
  const boxRows = useMemo(() => gclBoxRows(runs, counts, groups, classNames), [runs, counts, groups, classNames]);

  const ampPoints = gcl.length * ampRows.length;
  const boxPoints = boxRows.reduce((n, r) => n + Object.values(r.stats).filter(Boolean).length, 0);
  const points = ampPoints + boxPoints;
  const anyEpochs = runs.some((r) => r.epochs.length > 0);
  const ax = useMemo(() => classAxis(ampRows.map((r) => r.name)), [ampRows]);
  const tickLabel = useCallback((row: ClassRow) => ellipsize(row.name, ax.maxChars), [ax]);
  const ampExt = useMemo(() => extent(ampRows.flatMap((r) => gcl.map(({ i }) => r.v[`r${i}amp`]))), [ampRows, gcl]);
  const logitExt = useMemo(() => extent(ampRows.flatMap((r) => gcl.map(({ i }) => r.v[`r${i}logit`]))), [ampRows, gcl]);
  const multi = gcl.length > 1;
  const legend: LegendItem[] = useMemo(() => {
    const pre = (r: RunSeries) => (multi ? `${r.label}: ` : '');
    return gcl.flatMap(({ r }) => [
      { label: `${pre(r)}amplitude noiseMul·d̂_c (bars, cosine units)`, color: r.color, shape: 'band' as const },
      { label: `${pre(r)}× s (logit units, right axis)`, color: r.color, dash: '6 3' },
      { label: `${pre(r)}sampled shifts in the last batch (lower chart)`, color: r.color, shape: 'box' as const },
    ]);
  }, [gcl, multi]);

  const ampTip = useCallback(
    (row: ClassRow) => {
      const pre = (r: RunSeries) => (multi ? `${r.label}: ` : '');
      return (
        <TooltipBox
          title={`${row.name} — ${GROUP_LABELS[row.group]}, ${row.count} training images`}
          lines={gcl.flatMap(({ r, i }) => [
            { name: `${pre(r)}amplitude`, value: `${fmt(row.v[`r${i}amp`], 4)} (cosine)`, color: r.color },
            { name: `${pre(r)}× s`, value: `${fmt(row.v[`r${i}logit`], 4)} (logit)`, color: r.color },
          ])}
        />
      );
    },
    [gcl, multi],
  );
  const boxTip = useCallback(
    (row: BoxRow) => {
      const pre = (r: RunSeries) => (multi ? `${r.label}: ` : '');
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
    },
    [gcl, multi],
  );
  const draw = useCallback(
    (sc: ClassScales) => (
      <>
        <ClassBars
          rows={ampRows}
          s={sc}
          series={gcl.map(({ r, i }) => ({ key: `r${i}amp`, color: r.color, fillOpacity: 0.4, outline: true }))}
        />
        {gcl.map(({ r, i }) => {
          const l = centreLine(
            ampRows.map((row) => row.v[`r${i}logit`]),
            sc,
            sc.yR,
          );
          return (
            <g key={`l${i}`}>
              <path d={l.d} fill="none" stroke={r.color} strokeWidth={2} strokeDasharray="6 3" />
              {ampRows.length <= 30 && <path d={dotsPath(l.pts, 3)} fill={r.color} />}
            </g>
          );
        })}
      </>
    ),
    [ampRows, gcl],
  );
  const h = Math.round((p.height ?? 300) * 0.85) + ax.height - 50;

  return (
    <ChartCard
      id="gcl-cloud"
      points={points}
      runs={gcl.map(({ r }) => r.id)}
      empty={anyEpochs ? 'Train with GCL to see the clouds.' : 'No data yet — the GCL clouds appear after the first epoch of a GCL run.'}
      summary={gclSummary(runs, counts)}
      table={() => gclTable(runs, counts, groups, classNames)}
    >
      <ClassChart
        rows={ampRows}
        ax={ax}
        xLabel={X_LABEL}
        tickLabel={tickLabel}
        left={AMP_AXIS}
        right={LOGIT_AXIS}
        leftExtent={ampExt}
        rightExtent={logitExt}
        legend={legend}
        width={p.width}
        height={h}
        tip={ampTip}
        draw={draw}
        title={TITLE}
      />
      {(boxPoints > 0 || points === 0) && (
        <BoxPlot rows={boxRows} gcl={gcl} width={p.width} height={h} ax={ax} tickLabel={tickLabel} tip={boxTip} />
      )}
    </ChartCard>
  );
}

export const GclCloudChart = memo(
  GclCloudChartImpl,
  runsWherePropsEqual((r) => r.epochs.some(isGclEpoch)),
);
GclCloudChart.displayName = 'GclCloudChart';
