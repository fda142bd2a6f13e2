/**
 * A chart over epochs on recharts: <ComposedChart> with a numeric epoch axis, one or two value axes (explicit
 * domains and ticks, computed here from the data), grid, legend, tooltip and recharts' keyboard layer (Tab to the
 * chart, arrow keys move the tooltip). The lines are one <path> each in a layer inside recharts' coordinate system
 * (PlotLayers.tsx), markers (GA / DRW on, stage 2) likewise.
 */
import { useCallback, useMemo } from 'react';
import { CartesianGrid, ComposedChart, Legend, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { ChartLegend, TooltipBox, legendHeight, type LegendItem } from './ChartCard';
import {
  AXIS_STROKE,
  AxisTitles,
  GRID_STROKE,
  MarkersLayer,
  RIGHT,
  SeriesLayer,
  epochTick,
  valueTick,
  type PointSeries,
  type SeriesBand,
  type SeriesLine,
  type TimeMarker,
} from './PlotLayers';
import { niceScale, type AxisSpec } from './scale';
import { useWidth } from './use-width';
import { useMountTurn } from './mount-queue';
import type { TimeRow } from './chart-data';

export interface TimeChartProps {
  /** recharts' data: the rows the tooltip and the keyboard layer step through, and the `lines` drawn from them. */
  rows: readonly TimeRow[];
  lines: readonly SeriesLine[];
  /** Dense series drawn from their own points (not stepped through by the tooltip). */
  series?: readonly PointSeries[];
  /** Filled bands between two keys of the rows, under the lines (the value axes cover them). */
  bands?: readonly SeriesBand[];
  xMax: number;
  left: AxisSpec;
  right?: AxisSpec;
  markers?: readonly TimeMarker[];
  legend?: readonly LegendItem[];
  /** Fixed width; responsive to the card otherwise. */
  width?: number;
  /** Height without the legend (the chart grows by the legend's height). */
  height: number;
  margin?: { top: number; right: number; bottom: number; left: number };
  tipTitle: (x: number) => string;
  tipFormat: (v: number, line: SeriesLine) => string;
  /** Accessible name of the plot (the chart's title). */
  title: string;
}

const X_AXIS_H = 30;
const DEFAULT_MARGIN = { top: 8, right: 16, bottom: 24, left: 12 };

export function TimeChart(p: TimeChartProps) {
  const { rows, lines, series, bands, xMax, left, right, markers, legend, tipTitle, tipFormat } = p;
  const m = p.margin ?? DEFAULT_MARGIN;
  const { ref, width } = useWidth(p.width);
  const turn = useMountTurn(p.title);

  const scales = useMemo(() => {
    const ext = { left: [Infinity, -Infinity], right: [Infinity, -Infinity] };
    for (const sr of series ?? []) {
      const e = ext[sr.line.axis];
      for (const pt of sr.points) {
        if (!Number.isFinite(pt.y)) continue;
        if (pt.y < e[0]) e[0] = pt.y;
        if (pt.y > e[1]) e[1] = pt.y;
      }
    }
    const keyed = [
      ...lines,
      ...(bands ?? []).flatMap((b) => [
        { key: b.lo, axis: b.axis },
        { key: b.hi, axis: b.axis },
      ]),
    ];
    for (const row of rows) {
      for (const l of keyed) {
        const v = row[l.key];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        const e = ext[l.axis];
        if (v < e[0]) e[0] = v;
        if (v > e[1]) e[1] = v;
      }
    }
    const value = (e: number[], a: AxisSpec) => {
      const d = a.domain;
      if (a.ticks && d && typeof d[0] === 'number' && typeof d[1] === 'number') return { lo: d[0], hi: d[1], ticks: [...a.ticks] };
      return niceScale(e[0], e[1], a);
    };
    return {
      xs: niceScale(0, xMax, { domain: [0, xMax], integer: true }),
      ls: value(ext.left, left),
      rs: right ? value(ext.right, right) : null,
    };
  }, [rows, lines, series, bands, xMax, left, right]);

  const leftTick = useMemo(() => valueTick(left.format ?? String, 'left'), [left]);
  const rightTick = useMemo(() => valueTick(right?.format ?? String, 'right'), [right]);
  const legendContent = useCallback(() => (legend ? <ChartLegend items={legend} /> : null), [legend]);
  const tip = useCallback(
    (t: TooltipContentProps) => {
      if (!t.active || t.activeIndex === undefined || t.activeIndex === null) return null;
      const row = rows[Number(t.activeIndex)];
      if (!row) return null;
      const items = lines.flatMap((l) => {
        const v = row[l.key];
        return typeof v === 'number' && Number.isFinite(v) ? [{ name: l.name, value: tipFormat(v, l), color: l.color }] : [];
      });
      return items.length ? <TooltipBox title={tipTitle(row.x)} lines={items} /> : null;
    },
    [rows, lines, tipTitle, tipFormat],
  );

  const h = p.height + legendHeight(legend, width - m.left - m.right);
  const { xs, ls, rs } = scales;
  return (
    <div
      ref={ref}
      className="ltc-chart"
      style={{ width: p.width ?? '100%', height: h }}
      data-y-scale={left.log ? 'log' : 'linear'}
      data-y-ticks={ls.ticks.join(' ')}
    >
      {width > 0 && turn && (
        <ComposedChart width={width} height={h} data={rows as TimeRow[]} margin={m} title={p.title}>
          <CartesianGrid stroke={GRID_STROKE} horizontalValues={ls.ticks} verticalValues={xs.ticks} />
          <XAxis
            dataKey="x"
            type="number"
            domain={[xs.lo, xs.hi]}
            ticks={xs.ticks}
            interval={0}
            allowDataOverflow
            tick={epochTick}
            stroke={AXIS_STROKE}
            height={X_AXIS_H}
          />
          <YAxis
            domain={[ls.lo, ls.hi]}
            ticks={ls.ticks}
            interval={0}
            allowDataOverflow
            scale={left.log ? 'log' : 'auto'}
            width={left.width}
            tick={leftTick}
            stroke={left.stroke ?? AXIS_STROKE}
          />
          {right && rs && (
            <YAxis
              yAxisId={RIGHT}
              orientation="right"
              domain={[rs.lo, rs.hi]}
              ticks={rs.ticks}
              interval={0}
              allowDataOverflow
              width={right.width}
              tick={rightTick}
              stroke={right.stroke ?? AXIS_STROKE}
            />
          )}
          {legend && legend.length > 0 && <Legend verticalAlign="top" align="left" content={legendContent} />}
          <MarkersLayer markers={markers ?? []} />
          <SeriesLayer rows={rows} lines={lines} series={series} bands={bands} hasRight={!!right} />
          <AxisTitles
            x="epoch"
            xTitleDy={X_AXIS_H + 12}
            left={left.label}
            leftWidth={left.width}
            right={right?.label}
            rightWidth={right?.width}
          />
          <Tooltip content={tip} isAnimationActive={false} cursor={{ stroke: '#999' }} wrapperStyle={{ zIndex: 3 }} />
        </ComposedChart>
      )}
    </div>
  );
}
