/**
 * A category (one band per class) chart drawn as plain SVG: a left and an optional right value axis with nice
 * ticks, horizontal grid lines, (rotated) class tick labels, optional background bands, and whatever the caller
 * draws with the scales (bars, boxes, lines: one <path> per series), plus a hover tooltip per class. Replaces
 * recharts for the per-class charts, whose internal store made every epoch update cost 100–500 ms on 2 cores.
 */
import { useMemo, useState, type MouseEvent as ReactMouseEvent, type ReactNode } from 'react';
import { AXIS_LABEL_STYLE, AXIS_STROKE, TICK_STYLE, type classAxis } from './ChartCard';
import { niceScale, useWidth, type FastAxis } from './FastLineChart';

export interface ClassScales {
  /** Start and end (px) of the band of category i. */
  band(i: number): { a: number; b: number };
  yL(v: number): number;
  yR(v: number): number;
  /** Value-axis baseline (px). */
  y0: number;
}

export interface FastClassChartProps<R extends { key: string; name: string }> {
  rows: readonly R[];
  tickLabel: (row: R) => string;
  ax: ReturnType<typeof classAxis>;
  xLabel: string;
  left: FastAxis & { stroke?: string };
  right?: FastAxis & { stroke?: string };
  /** Data extents [min, max] per axis (for 'auto' bounds). */
  leftExtent: [number, number];
  rightExtent?: [number, number];
  /** Background bands over categories [from, to] (indices, inclusive). */
  bands?: ReadonlyArray<{ from: number; to: number; color: string; opacity: number }>;
  draw: (s: ClassScales) => ReactNode;
  tip: (row: R) => ReactNode;
  width?: number;
  height: number;
  margin?: { top: number; right: number; bottom: number; left: number };
}

/** "M… L…" through the band centres of the finite values (skips gaps like recharts without connectNulls). */
export function centreLine(
  values: ReadonlyArray<number | null | undefined>,
  s: ClassScales,
  y: (v: number) => number,
): { d: string; pts: Array<[number, number]> } {
  let d = '';
  let pen = false;
  const pts: Array<[number, number]> = [];
  values.forEach((v, i) => {
    if (v === null || v === undefined || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const { a, b } = s.band(i);
    const px = (a + b) / 2;
    const py = y(v);
    d += `${pen ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`;
    pen = true;
    pts.push([px, py]);
  });
  return { d, pts };
}

/** Circles of radius r as one path. */
export function dotsPath(pts: ReadonlyArray<[number, number]>, r: number): string {
  return pts.map(([x, y]) => `M${(x - r).toFixed(1)} ${y.toFixed(1)}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`).join('');
}

export function FastClassChart<R extends { key: string; name: string }>(p: FastClassChartProps<R>) {
  const { rows, ax, left, right, height } = p;
  const m = p.margin ?? { top: 12, right: 16, bottom: 20, left: 12 };
  const { ref, width } = useWidth(p.width);
  const [hover, setHover] = useState<number | null>(null);
  const n = rows.length;

  const geo = useMemo(() => {
    const x0 = m.left + left.width;
    const x1 = Math.max(x0 + 10, width - m.right - (right ? right.width : 0));
    const y0 = m.top;
    const y1 = Math.max(y0 + 10, height - m.bottom - ax.height);
    const ls = niceScale(p.leftExtent[0], p.leftExtent[1], left);
    const rs = right ? niceScale(p.rightExtent?.[0] ?? 0, p.rightExtent?.[1] ?? 1, right) : null;
    const bw = (x1 - x0) / Math.max(1, n);
    const yL = (v: number) => y1 - ((v - ls.lo) / (ls.hi - ls.lo)) * (y1 - y0);
    const yR = rs ? (v: number) => y1 - ((v - rs.lo) / (rs.hi - rs.lo)) * (y1 - y0) : yL;
    const scales: ClassScales = { band: (i) => ({ a: x0 + i * bw, b: x0 + (i + 1) * bw }), yL, yR, y0: y1 };
    return { x0, x1, y0, y1, ls, rs, bw, scales };
  }, [width, height, n, ax.height, left, right, p.leftExtent, p.rightExtent, m.left, m.right, m.top, m.bottom]);

  const onMove = (e: ReactMouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - box.left;
    const py = e.clientY - box.top;
    const i = Math.floor((px - geo.x0) / geo.bw);
    setHover(i >= 0 && i < n && py >= geo.y0 && py <= geo.y1 ? i : null);
  };

  const { x0, x1, y0, y1, scales } = geo;
  const hovered = hover !== null && hover < n ? rows[hover] : null;
  const tip = hovered ? p.tip(hovered) : null;
  const step = ax.interval + 1;
  const fmtL = left.format ?? String;
  const fmtR = right?.format ?? String;

  return (
    <div ref={ref} className="ltc-fast" style={{ position: 'relative', width: p.width ?? '100%', height }}>
      {width > 0 && (
        <svg
          width={width}
          height={height}
          role="img"
          aria-label="bar chart by class"
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
          style={{ display: 'block', overflow: 'visible' }}
        >
          {p.bands?.map((b, k) => (
            <rect
              key={`band${k}`}
              x={scales.band(b.from).a}
              width={scales.band(b.to).b - scales.band(b.from).a}
              y={y0}
              height={y1 - y0}
              fill={b.color}
              fillOpacity={b.opacity}
            />
          ))}
          <g stroke="#e3e3e3">
            {geo.ls.ticks.map((t) => (
              <line key={`h${t}`} x1={x0} x2={x1} y1={scales.yL(t)} y2={scales.yL(t)} />
            ))}
          </g>
          {hovered && (
            <rect x={scales.band(hover!).a} width={geo.bw} y={y0} height={y1 - y0} fill="rgba(0,0,0,0.06)" pointerEvents="none" />
          )}
          <g fontSize={TICK_STYLE.fontSize} fill={TICK_STYLE.fill}>
            <line x1={x0} x2={x1} y1={y1} y2={y1} stroke={AXIS_STROKE} />
            <g fontSize={ax.fontSize}>
              {rows.map((row, i) => {
                if (i % step !== 0) return null;
                const { a, b } = scales.band(i);
                return (
                  <text
                    key={row.key}
                    transform={`translate(${((a + b) / 2).toFixed(1)} ${y1 + 8}) rotate(${ax.angle})`}
                    textAnchor={ax.textAnchor}
                    dy="0.71em"
                  >
                    {p.tickLabel(row)}
                  </text>
                );
              })}
            </g>
            <text x={(x0 + x1) / 2} y={y1 + ax.height - 4} textAnchor="middle" style={AXIS_LABEL_STYLE}>
              {p.xLabel}
            </text>
            <line x1={x0} x2={x0} y1={y0} y2={y1} stroke={left.stroke ?? AXIS_STROKE} />
            {geo.ls.ticks.map((t) => (
              <text key={`lt${t}`} x={x0 - 8} y={scales.yL(t) + 4} textAnchor="end">
                {fmtL(t)}
              </text>
            ))}
            <text transform={`translate(${m.left + 8} ${(y0 + y1) / 2}) rotate(-90)`} textAnchor="middle" style={AXIS_LABEL_STYLE}>
              {left.label}
            </text>
            {right && geo.rs && (
              <>
                <line x1={x1} x2={x1} y1={y0} y2={y1} stroke={right.stroke ?? AXIS_STROKE} />
                {geo.rs.ticks.map((t) => (
                  <text key={`rt${t}`} x={x1 + 8} y={scales.yR(t) + 4} textAnchor="start">
                    {fmtR(t)}
                  </text>
                ))}
                <text
                  transform={`translate(${width - m.right - 8} ${(y0 + y1) / 2}) rotate(90)`}
                  textAnchor="middle"
                  style={AXIS_LABEL_STYLE}
                >
                  {right.label}
                </text>
              </>
            )}
          </g>
          <g pointerEvents="none">{p.draw(scales)}</g>
        </svg>
      )}
      {hovered && tip && (
        <div
          className="ltc-fast-tip"
          style={{
            position: 'absolute',
            top: y0,
            pointerEvents: 'none',
            zIndex: 2,
            ...(scales.band(hover!).a > (x0 + x1) / 2 ? { right: width - scales.band(hover!).a + 8 } : { left: scales.band(hover!).b + 8 }),
          }}
        >
          {tip}
        </div>
      )}
    </div>
  );
}

export interface ClassBarSeries<R> {
  /** Key in row.v. */
  key: string;
  color: string;
  colorOf?: (row: R) => string;
  fillOpacity?: number;
  outline?: boolean;
}

/** Grouped bars (one slot per series in each band) as one <path> per series and colour, from the value-axis baseline. */
export function ClassBars<R extends { v: Record<string, number | null> }>({
  rows,
  series,
  s,
  axis = 'left',
  gap = 0.14,
}: {
  rows: readonly R[];
  series: ReadonlyArray<ClassBarSeries<R>>;
  s: ClassScales;
  axis?: 'left' | 'right';
  gap?: number;
}) {
  if (!series.length) return null;
  const y = axis === 'right' ? s.yR : s.yL;
  const base = y(0);
  const paths = new Map<string, { color: string; ser: ClassBarSeries<R>; d: string[] }>();
  rows.forEach((row, i) => {
    const { a, b } = s.band(i);
    const band = b - a;
    const w = (band * (1 - gap)) / series.length;
    const x0 = a + (band * gap) / 2;
    series.forEach((ser, k) => {
      const v = row.v[ser.key];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const top = y(v);
      const color = ser.colorOf ? ser.colorOf(row) : ser.color;
      const id = `${k}|${color}`;
      let p = paths.get(id);
      if (!p) {
        p = { color, ser, d: [] };
        paths.set(id, p);
      }
      p.d.push(
        `M${(x0 + k * w).toFixed(2)} ${top.toFixed(2)}H${(x0 + (k + 1) * w).toFixed(2)}V${base.toFixed(2)}H${(x0 + k * w).toFixed(2)}Z`,
      );
    });
  });
  return (
    <g className="ltc-bars">
      {[...paths].map(([id, p]) => (
        <path
          key={id}
          d={p.d.join('')}
          fill={p.color}
          fillOpacity={p.ser.fillOpacity ?? 1}
          stroke={p.ser.outline ? p.color : 'none'}
          strokeWidth={p.ser.outline ? 1 : 0}
        />
      ))}
    </g>
  );
}

/** [min, max] of the finite values ([Infinity, -Infinity] when none). */
export function extent(values: Iterable<number | null | undefined>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
