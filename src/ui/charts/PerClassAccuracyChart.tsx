/**
 * Chart 2: per-class test accuracy of the last epoch, classes sorted by training count (head left, tail right),
 * bars coloured many/medium/few (one run) or by run (several runs, groups as background bands), training count on
 * the right axis. Precision, recall or F1 instead of accuracy on demand: the tail's precision is where losses that
 * raise its recall pay. A seed group is its mean over the seeds with a ± std error bar (each seed a dot on the
 * per-seed toggle), so a class' difference between methods can be read against the seed spread.
 */
import { memo, useCallback, useId, useMemo, useState } from 'react';
import type { ChartProps } from './types';
import { ChartCard, TooltipBox, classAxis, epochPropsEqual, type LegendItem } from './ChartCard';
import { ClassChart } from './ClassChart';
import { ClassBars, ErrorBars, centreLine, dotsPath, type ClassScales, type ErrorBarSeries } from './PlotLayers';
import type { AxisSpec } from './scale';
import {
  CLASS_METRIC_LABELS,
  GROUP_COLORS,
  GROUP_LABELS,
  ellipsize,
  errorKeys,
  fmtPct,
  groupBands,
  perClassAccuracyRows,
  presentGroups,
  seedKey,
  seedMembers,
  type ClassMetric,
  type ClassRow,
} from './chart-data';
import { chartMeta } from '../../state/session/chart-catalog';
import { perClassSummary, perClassTable } from './text-alternatives';

const COUNT_COLOR = '#555';
const METRIC_AXES: Readonly<Record<ClassMetric, AxisSpec>> = {
  accuracy: { label: 'test accuracy (%)', width: 56, domain: [0, 100] },
  precision: { label: 'test precision (%)', width: 56, domain: [0, 100] },
  recall: { label: 'test recall (%)', width: 56, domain: [0, 100] },
  f1: { label: 'test F1 (%)', width: 56, domain: [0, 100] },
};
const METRICS: readonly ClassMetric[] = ['accuracy', 'precision', 'recall', 'f1'];
const COUNT_AXIS: AxisSpec = { label: 'training images', width: 64, domain: [0, 'auto'], stroke: COUNT_COLOR };
const ACC_EXTENT: [number, number] = [0, 100];
const TITLE = chartMeta('per-class').title;

/** A bar's value, with "± std" for a seed group's mean. */
function withStd(row: ClassRow, key: string): string {
  const v = row.v[key];
  const e = errorKeys(key);
  const lo = row.v[e.lo];
  const hi = row.v[e.hi];
  if (v === null || v === undefined || lo === null || lo === undefined || hi === null || hi === undefined) return fmtPct(v);
  return `${v.toFixed(1)} ± ${((hi - lo) / 2).toFixed(1)} %`;
}

function PerClassAccuracyChartImpl(p: ChartProps) {
  const { runs, counts, groups, classNames, perSeed } = p;
  const [metric, setMetric] = useState<ClassMetric>('accuracy');
  const rows = useMemo(() => perClassAccuracyRows(runs, counts, groups, classNames, metric), [runs, counts, groups, classNames, metric]);
  const name = useId();
  const withData = useMemo(() => runs.map((r, i) => ({ r, i })).filter(({ r }) => r.epochs.length > 0), [runs]);
  const points = withData.length * rows.length;
  const single = runs.length === 1;
  const ax = useMemo(() => classAxis(rows.map((r) => r.name)), [rows]);
  // seed groups: ± one std over the seeds as an error bar on the mean's bar, each seed's value on the toggle
  const errorSeries = useMemo(
    (): ErrorBarSeries[] =>
      withData.flatMap(({ r, i }, slot) => {
        const n = seedMembers(r).length;
        if (n < 2) return [];
        const key = `r${i}`;
        const seeds = perSeed ? Array.from({ length: n }, (_, k) => seedKey(key, k)) : undefined;
        return [{ key, ...errorKeys(key), seeds, color: r.color, slot }];
      }),
    [withData, perSeed],
  );

  const legend: LegendItem[] = useMemo(
    () => [
      ...presentGroups(groups).map((g) => ({
        label: GROUP_LABELS[g],
        color: GROUP_COLORS[g],
        shape: single ? ('square' as const) : ('band' as const),
      })),
      ...(single ? [] : withData.map(({ r }) => ({ label: r.label, color: r.color, shape: 'square' as const }))),
      ...(errorSeries.length ? [{ label: 'error bar: ± 1 std over the seeds', color: '#222' }] : []),
      ...(errorSeries.some((e) => e.seeds) ? [{ label: 'dots: each seed', color: '#222', shape: 'dot' as const }] : []),
      { label: 'training count (right axis)', color: COUNT_COLOR, dash: '4 3' },
    ],
    [groups, single, withData, errorSeries],
  );
  const bands = useMemo(() => {
    if (single) return undefined;
    const index = new Map(rows.map((r, i) => [r.key, i]));
    return groupBands(rows).map((b) => ({
      from: index.get(b.from) ?? 0,
      to: index.get(b.to) ?? 0,
      color: GROUP_COLORS[b.group],
      opacity: 0.12,
    }));
  }, [rows, single]);
  const countExtent = useMemo((): [number, number] => [0, Math.max(0, ...rows.map((r) => r.count))], [rows]);
  const tickLabel = useCallback((row: ClassRow) => ellipsize(row.name, ax.maxChars), [ax]);
  const tip = useCallback(
    (row: ClassRow) => (
      <TooltipBox
        title={`${row.name} — ${GROUP_LABELS[row.group]}`}
        lines={[
          ...withData.map(({ r, i }) => ({
            name: `${r.label} ${CLASS_METRIC_LABELS[metric]}`,
            value: withStd(row, `r${i}`),
            color: single ? GROUP_COLORS[row.group] : r.color,
          })),
          { name: 'training images', value: String(row.count), color: COUNT_COLOR },
        ]}
      />
    ),
    [withData, single, metric],
  );
  const draw = useCallback(
    (sc: ClassScales) => {
      const count = centreLine(
        rows.map((r) => r.count),
        sc,
        sc.yR,
      );
      return (
        <>
          <ClassBars
            rows={rows}
            s={sc}
            series={withData.map(({ r, i }) => ({
              key: `r${i}`,
              color: r.color,
              colorOf: single ? (row: ClassRow) => GROUP_COLORS[row.group] : undefined,
            }))}
          />
          <ErrorBars rows={rows} series={errorSeries} slots={withData.length} s={sc} />
          <path d={count.d} fill="none" stroke={COUNT_COLOR} strokeWidth={2} strokeDasharray="4 3" />
          {rows.length <= 30 && <path d={dotsPath(count.pts, 3)} fill={COUNT_COLOR} />}
        </>
      );
    },
    [rows, withData, single, errorSeries],
  );

  return (
    <ChartCard
      id="per-class"
      points={points}
      runs={withData.map(({ r }) => r.id)}
      summary={perClassSummary(runs, counts, classNames)}
      table={() => perClassTable(runs, counts, groups, classNames)}
      controls={
        <fieldset className="ltc-toggle">
          <legend>Per class</legend>
          {METRICS.map((m) => (
            <label key={m}>
              <input type="radio" name={name} value={m} checked={metric === m} onChange={() => setMetric(m)} />
              {CLASS_METRIC_LABELS[m]}
            </label>
          ))}
        </fieldset>
      }
    >
      <ClassChart
        rows={rows}
        ax={ax}
        xLabel="class (most training images → fewest)"
        tickLabel={tickLabel}
        left={METRIC_AXES[metric]}
        right={COUNT_AXIS}
        leftExtent={ACC_EXTENT}
        rightExtent={countExtent}
        bands={bands}
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

export const PerClassAccuracyChart = memo(PerClassAccuracyChartImpl, epochPropsEqual);
PerClassAccuracyChart.displayName = 'PerClassAccuracyChart';
