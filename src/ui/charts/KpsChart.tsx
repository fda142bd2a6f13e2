/**
 * Chart 6: KPS per-class scale s̃_c (bars) and margin Δ_c (line, right axis) by class sorted by training count.
 * The GA switch epoch itself is marked on the time-axis charts (1, 3, 4); here a note says when and whether it is on.
 */
import { memo, useCallback, useMemo } from 'react';
import { ClassChart } from './ClassChart';
import { ClassBars, centreLine, dotsPath, type ClassScales } from './PlotLayers';
import { extent, type AxisSpec } from './scale';
import type { ChartProps, RunSeries } from './types';
import { ChartCard, TooltipBox, classAxis, runsWherePropsEqual, type LegendItem } from './ChartCard';
import { GROUP_LABELS, classRows, ellipsize, fillPerClass, fmt, lastEpochWhere, type ClassRow } from './chart-data';
import { chartMeta } from '../../state/session/chart-catalog';
import { kpsSummary, kpsTable } from './text-alternatives';

const SCALE_AXIS: AxisSpec = { label: 'scale s̃_c (×)', width: 56, domain: [0, 'auto'], format: (v) => fmt(v) };
const MARGIN_AXIS: AxisSpec = { label: 'margin Δ_c (cosine)', width: 60, domain: [0, 'auto'], format: (v) => fmt(v) };
const TITLE = chartMeta('kps').title;

const isKpsEpoch = (e: { lossPerClass?: Record<string, number[]> }) => !!(e.lossPerClass?.scale && e.lossPerClass?.margin);

function KpsChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames, gaStartEpoch } = p;
  const kps = useMemo(() => runs.map((r, i) => ({ r, i, last: lastEpochWhere(r.epochs, isKpsEpoch) })).filter((x) => x.last), [runs]);
  const rows = useMemo(() => {
    const out = classRows(counts, groups, classNames);
    for (const { i, last } of kps) {
      fillPerClass(out, last?.lossPerClass.scale, `r${i}scale`);
      fillPerClass(out, last?.lossPerClass.margin, `r${i}margin`);
      fillPerClass(out, last?.lossPerClass.gaScale, `r${i}ga`);
    }
    return out;
  }, [kps, counts, groups, classNames]);
  const scaleExt = useMemo(() => extent(rows.flatMap((r) => kps.map(({ i }) => r.v[`r${i}scale`]))), [rows, kps]);
  const marginExt = useMemo(() => extent(rows.flatMap((r) => kps.map(({ i }) => r.v[`r${i}margin`]))), [rows, kps]);
  const points = kps.length * rows.length * 2;
  const anyEpochs = runs.some((r) => r.epochs.length > 0);
  const ax = useMemo(() => classAxis(rows.map((r) => r.name)), [rows]);
  const multi = kps.length > 1;
  const legend: LegendItem[] = useMemo(() => {
    const pre = (r: RunSeries) => (multi ? `${r.label}: ` : '');
    return kps.flatMap(({ r }) => [
      { label: `${pre(r)}scale s̃_c (bars, ×)`, color: r.color, shape: 'band' as const },
      { label: `${pre(r)}margin Δ_c (right axis, cosine units)`, color: r.color, dash: '6 3' },
    ]);
  }, [kps, multi]);
  const gaNow = kps.some(({ last }) => last?.gaActive);
  const note =
    gaStartEpoch !== null && gaStartEpoch !== undefined
      ? `Gradient adjustment switches on at epoch ${gaStartEpoch} (marked “GA on” on the time charts)${kps.length ? ` — ${gaNow ? 'on now' : 'not yet on'}` : ''}.`
      : undefined;

  const tickLabel = useCallback((row: ClassRow) => ellipsize(row.name, ax.maxChars), [ax]);
  const tip = useCallback(
    (row: ClassRow) => {
      const pre = (r: RunSeries) => (multi ? `${r.label}: ` : '');
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
    },
    [kps, multi],
  );
  const draw = useCallback(
    (sc: ClassScales) => (
      <>
        <ClassBars
          rows={rows}
          s={sc}
          series={kps.map(({ r, i }) => ({ key: `r${i}scale`, color: r.color, fillOpacity: 0.4, outline: true }))}
        />
        {kps.map(({ r, i }) => {
          const l = centreLine(
            rows.map((row) => row.v[`r${i}margin`]),
            sc,
            sc.yR,
          );
          return (
            <g key={`m${i}`}>
              <path d={l.d} fill="none" stroke={r.color} strokeWidth={2.5} strokeDasharray="6 3" />
              {rows.length <= 30 && <path d={dotsPath(l.pts, 3)} fill={r.color} />}
            </g>
          );
        })}
      </>
    ),
    [rows, kps],
  );

  return (
    <ChartCard
      id="kps"
      points={points}
      runs={kps.map(({ r }) => r.id)}
      note={note}
      empty={
        anyEpochs
          ? 'Train with KPS to see its per-class scales and margins.'
          : 'No data yet — the KPS scales and margins appear after the first epoch of a KPS run.'
      }
      summary={kpsSummary(runs, counts)}
      table={() => kpsTable(runs, counts, groups, classNames)}
    >
      <ClassChart
        rows={rows}
        ax={ax}
        xLabel="class (most training images → fewest)"
        tickLabel={tickLabel}
        left={SCALE_AXIS}
        right={MARGIN_AXIS}
        leftExtent={scaleExt}
        rightExtent={marginExt}
        legend={legend}
        width={p.width}
        height={(p.height ?? 300) + ax.height - 50}
        tip={tip}
        draw={draw}
        title={TITLE}
      />
    </ChartCard>
  );
}

export const KpsChart = memo(
  KpsChartImpl,
  runsWherePropsEqual((r) => r.epochs.some(isKpsEpoch)),
);
KpsChart.displayName = 'KpsChart';
