/**
 * A per-class chart on recharts: <ComposedChart> with a category axis of classes (band scale; rotated, thinned
 * labels), a left and an optional right value axis (explicit domains and ticks), grid, legend, tooltip per class and
 * recharts' keyboard layer. The marks (bars, boxes, lines through the class centres, group bands) are drawn by the
 * caller's `draw` in a layer inside recharts' coordinate system, as one <path> per series and colour.
 */
import { useCallback, useMemo, type ReactNode } from 'react';
import {
  CartesianGrid,
  ComposedChart,
  Legend,
  Tooltip,
  XAxis,
  YAxis,
  type TooltipContentProps,
  type XAxisTickContentProps,
} from 'recharts';
import { ChartLegend, legendHeight, type LegendItem, type classAxis } from './ChartCard';
import { AXIS_STROKE, AxisTitles, BandRects, ClassLayer, GRID_STROKE, RIGHT, valueTick, type ClassScales } from './PlotLayers';
import { niceScale, type AxisSpec } from './scale';
import { useWidth } from './use-width';
import { useMountTurn } from './mount-queue';
import { CLASS_LINK, classLinkProps } from './class-link';

const TICK_LINK = `${CLASS_LINK} ltc-class-tick`;
const linkProps = (c: { cls: number; name: string } | undefined, first: boolean) =>
  c ? classLinkProps(c.cls, c.name, first, TICK_LINK) : {};

export interface ClassChartProps<R extends { key: string; name: string }> {
  rows: readonly R[];
  tickLabel: (row: R) => string;
  ax: ReturnType<typeof classAxis>;
  xLabel: string;
  left: AxisSpec;
  right?: AxisSpec;
  /** Data extents [min, max] per axis (for 'auto' bounds). */
  leftExtent: [number, number];
  rightExtent?: [number, number];
  /** Background bands over categories [from, to] (indices, inclusive). */
  bands?: ReadonlyArray<{ from: number; to: number; color: string; opacity: number }>;
  draw: (s: ClassScales) => ReactNode;
  tip: (row: R) => ReactNode;
  legend?: readonly LegendItem[];
  width?: number;
  /** Height without the legend. */
  height: number;
  margin?: { top: number; right: number; bottom: number; left: number };
  title: string;
}

const DEFAULT_MARGIN = { top: 8, right: 16, bottom: 4, left: 12 };

export function ClassChart<R extends { key: string; name: string }>(p: ClassChartProps<R>) {
  const { rows, ax, left, right, legend, tip: tipOf, tickLabel, bands, draw } = p;
  const m = p.margin ?? DEFAULT_MARGIN;
  const { ref, width } = useWidth(p.width);
  const turn = useMountTurn(p.title);
  const ls = useMemo(() => niceScale(p.leftExtent[0], p.leftExtent[1], left), [p.leftExtent, left]);
  const rs = useMemo(() => (right ? niceScale(p.rightExtent?.[0] ?? 0, p.rightExtent?.[1] ?? 1, right) : null), [p.rightExtent, right]);
  const keys = useMemo(() => rows.map((r) => r.key), [rows]);
  const labels = useMemo(() => new Map(rows.map((r) => [r.key, tickLabel(r)])), [rows, tickLabel]);
  // class-name ticks open the dataset gallery of that class (rows that carry a class index), by mouse and keyboard
  const classOf = useMemo(() => {
    const m = new Map<string, { cls: number; name: string }>();
    for (const r of rows) {
      const c = (r as { cls?: unknown }).cls;
      if (typeof c === 'number') m.set(r.key, { cls: c, name: r.name });
    }
    return m;
  }, [rows]);
  const leftTick = useMemo(() => valueTick(left.format ?? String, 'left'), [left]);
  const rightTick = useMemo(() => valueTick(right?.format ?? String, 'right'), [right]);
  const classTick = useCallback(
    (t: XAxisTickContentProps) => (
      <text
        transform={`translate(${Number(t.x).toFixed(1)} ${Number(t.y) + 2}) rotate(${ax.angle})`}
        textAnchor={ax.textAnchor}
        dy="0.71em"
        fontSize={ax.fontSize}
        fill="#222"
        {...linkProps(classOf.get(String(t.payload.value)), t.index === 0)}
      >
        {labels.get(String(t.payload.value)) ?? ''}
      </text>
    ),
    [labels, ax, classOf],
  );
  const legendContent = useCallback(() => (legend ? <ChartLegend items={legend} /> : null), [legend]);
  const tip = useCallback(
    (t: TooltipContentProps) => {
      if (!t.active || t.activeIndex === undefined || t.activeIndex === null) return null;
      const row = rows[Number(t.activeIndex)];
      return row ? tipOf(row) : null;
    },
    [rows, tipOf],
  );
  const layer = useCallback(
    (s: ClassScales) => (bands?.length ? [<BandRects key="b" bands={bands} s={s} />, draw(s)] : draw(s)),
    [bands, draw],
  );

  const h = p.height + legendHeight(legend, width - m.left - m.right);
  return (
    <div ref={ref} className="ltc-chart" style={{ width: p.width ?? '100%', height: h }}>
      {width > 0 && turn && (
        <ComposedChart width={width} height={h} data={rows as R[]} margin={m} title={p.title}>
          <CartesianGrid stroke={GRID_STROKE} vertical={false} horizontalValues={ls.ticks} />
          <XAxis
            dataKey="key"
            type="category"
            scale="band"
            interval={ax.interval}
            tick={classTick}
            tickLine={false}
            stroke={AXIS_STROKE}
            height={ax.height}
            allowDuplicatedCategory={false}
          />
          <YAxis
            domain={[ls.lo, ls.hi]}
            ticks={ls.ticks}
            interval={0}
            allowDataOverflow
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
          <Tooltip content={tip} isAnimationActive={false} cursor={{ fill: 'rgba(0,0,0,0.06)' }} wrapperStyle={{ zIndex: 3 }} />
          <ClassLayer keys={keys} hasRight={!!right} draw={layer} />
          <AxisTitles
            x={p.xLabel}
            xTitleDy={ax.height - 4}
            left={left.label}
            leftWidth={left.width}
            right={right?.label}
            rightWidth={right?.width}
          />
        </ComposedChart>
      )}
    </div>
  );
}
